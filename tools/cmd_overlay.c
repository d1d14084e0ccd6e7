/*
 * cmd_overlay.c — `fusekit overlay -o lowerdir=L1:L2...[,upperdir=U,
 * workdir=W] MOUNTPOINT`.
 *
 * Every layer is a passthrough layer. With upperdir the overlay is
 * writable; the upper layer stages copy-ups in W/work, which is created,
 * and emptied of what an earlier mount left, at start (as kernel
 * overlayfs does with its own W/work). Without upperdir it is read-only.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fusekit/fk_overlay.h>
#include <fusekit/fk_passthrough.h>

#include "fk_tool.h"

/* As kernel overlayfs (OVL_MAX_STACK); containers/storage stacks up to
 * its own limit of layers below that. */
#define OVL_MAX_LAYERS 500

struct ovl_args {
	char *lowerdir, *upperdir, *workdir;
	struct fk_ovl_options o;
	struct fk_pt_options po; /* every layer's */
	enum fk_layer_whiteout whiteout;
	int whiteout_set; /* else each layer's default */
	int squash_root, threaded;
	uint32_t fsync;
	/* squash_to_uid=, squash_to_gid=; (uint32_t)-1, never an id: not
	 * given. */
	uint32_t squash_uid, squash_gid;
	uint32_t dircache; /* names */
	uint32_t xattr_permissions; /* 0, 1 (security.), 2 (user.) */
	double timeout; /* timeout=; negative: not given */
};

#define OA(f) offsetof(struct ovl_args, f)

/* uidmapping=, gidmapping=: the passthrough layers map owners. */
static int opt_layer(void *target, const char *name, const char *val,
		     char *err, size_t errlen)
{
	struct ovl_args *oa = target;
	char one[4096];
	snprintf(one, sizeof one, "%s=%s", name, val ? val : "");
	const struct fk_opt_table t = { fk_pt_opt_table, &oa->po };
	return fk_opt_parse(one, &t, 1, err, errlen);
}

static int opt_whiteout(void *target, const char *name, const char *val,
			char *err, size_t errlen)
{
	struct ovl_args *oa = target;
	if (val && !strcmp(val, "chardev"))
		oa->whiteout = FK_LAYER_WH_CHARDEV;
	else if (val && !strcmp(val, "oci"))
		oa->whiteout = FK_LAYER_WH_OCI;
	else {
		snprintf(err, errlen, "option '%s' is chardev or oci", name);
		return -EINVAL;
	}
	oa->whiteout_set = 1;
	return 0;
}

/* fuse-overlayfs options whose only accepted value is the default one
 * (name=value pairs): anything else is refused, saying so. */
static int opt_default_only(void *target, const char *name, const char *val,
			    char *err, size_t errlen)
{
	static const char *const ok[][2] = {
		{ "writeback", "0" },
		{ "fast_ino", "0" },
	};
	(void)target;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(name, ok[i][0]) && val && !strcmp(val, ok[i][1]))
			return 0;
	snprintf(err, errlen,
		 "option '%s=%s' is not supported (yet): fusekit overlay has "
		 "only its default",
		 name, val ? val : "");
	return -EINVAL;
}

static int opt_redirect(void *target, const char *name, const char *val,
			char *err, size_t errlen)
{
	struct ovl_args *oa = target;
	/* "off" is what the kernel's off means by default (Debian's, with
	 * redirect_always_follow): follow, but do not write. */
	static const char *const names[] = { "follow", "on", "nofollow", "off" };
	static const int modes[] = { FK_OVL_REDIRECT_FOLLOW, FK_OVL_REDIRECT_ON,
				     FK_OVL_REDIRECT_NOFOLLOW,
				     FK_OVL_REDIRECT_FOLLOW };
	for (int i = 0; val && i < 4; i++) {
		if (!strcmp(val, names[i])) {
			oa->o.redirect_dir = modes[i];
			return 0;
		}
	}
	snprintf(err, errlen, "option '%s' is on, follow, nofollow or off", name);
	return -EINVAL;
}

/* context= and the other SELinux mount labels: podman passes the
 * container's label on SELinux hosts. fuse-overlayfs parses and drops it
 * (the kernel would refuse it where SELinux is off, and the FUSE mount is
 * labelled by policy, fusefs_t); so does fusekit. */
static int opt_ignored(void *target, const char *name, const char *val,
		       char *err, size_t errlen)
{
	(void)target, (void)name, (void)val, (void)err, (void)errlen;
	return 0;
}

/* plugins=: fuse-overlayfs's layer plugins (lazy image formats) are not
 * supported; an empty list is nothing to load. */
static int opt_plugins(void *target, const char *name, const char *val,
		       char *err, size_t errlen)
{
	(void)target;
	if (!val || !*val)
		return 0;
	snprintf(err, errlen,
		 "option '%s=%s': fusekit overlay loads no plugins (fuse-overlayfs's "
		 "layer plugins are not supported); mount plain directories",
		 name, val);
	return -EINVAL;
}

static const struct fk_opt ovl_opt_table[] = {
	{ "lowerdir", FK_OPT_STR, OA(lowerdir), 0, NULL,
	  "=L1:L2:...  the layers, top first (required)" },
	{ "upperdir", FK_OPT_STR, OA(upperdir), 0, NULL,
	  "=DIR   the writable layer, above all of lowerdir" },
	{ "workdir", FK_OPT_STR, OA(workdir), 0, NULL,
	  "=DIR   an empty directory on upperdir's filesystem, outside it\n"
	  "               (required with upperdir)" },
	{ "cache", FK_OPT_CACHE, OA(o.cache), 0, NULL,
	  "=MODE  never|metadata|auto|always (default auto)" },
	{ "entry_timeout", FK_OPT_DOUBLE, OA(o.entry_timeout), 0, NULL,
	  "=SEC   how long names are cached (default from cache=)" },
	{ "attr_timeout", FK_OPT_DOUBLE, OA(o.attr_timeout), 0, NULL,
	  "=SEC   how long attributes are cached (default from cache=)" },
	{ "negative_timeout", FK_OPT_DOUBLE, OA(o.negative_timeout), 0, NULL,
	  "=SEC   how long a missing name is cached (default 0)" },
	{ "timeout", FK_OPT_DOUBLE, OA(timeout), 0, NULL,
	  "=SEC   both of them" },
	{ "whiteout", FK_OPT_FUNC, 0, 0, opt_whiteout,
	  "=chardev|oci  how whiteouts and opaque dirs are written (both are\n"
	  "               always read): device 0/0 and the opaque xattr (default\n"
	  "               on Linux, as overlayfs), or .wh.NAME and .wh..wh..opq\n"
	  "               (OCI; also where device nodes cannot be made)" },
	{ "uidmapping", FK_OPT_FUNC, 0, 0, opt_layer,
	  "=H:S:L[:H:S:L..] show owners H..H+L-1 of the layers as S..S+L-1" },
	{ "gidmapping", FK_OPT_FUNC, 0, 0, opt_layer,
	  "=H:S:L[:H:S:L..] the same for groups" },
	{ "squash_to_root", FK_OPT_FLAG, OA(squash_root), 0, NULL,
	  "       show every owner as 0:0" },
	{ "squash_to_uid", FK_OPT_U32, OA(squash_uid), 0, NULL,
	  "=UID   show every owning user as UID (before squash_to_root)" },
	{ "squash_to_gid", FK_OPT_U32, OA(squash_gid), 0, NULL,
	  "=GID   show every owning group as GID (before squash_to_root)" },
	{ "static_nlink", FK_OPT_FLAG, OA(o.static_nlink), 0, NULL,
	  "       every directory shows nlink 1" },
	{ "noacl", FK_OPT_FLAG, OA(o.noacl), 0, NULL,
	  "       POSIX ACL xattrs get EOPNOTSUPP" },
	{ "noxattrs", FK_OPT_U32, OA(o.noxattrs), 0, NULL,
	  "=1     no xattrs through the mount (EOPNOTSUPP)" },
	{ "fsync", FK_OPT_U32, OA(fsync), 0, NULL,
	  "=0     do not fsync copy-ups nor pass fsync on (faster; a crash\n"
	  "               may lose data)" },
	{ "volatile", FK_OPT_FLAG_OFF, OA(fsync), 0, NULL,
	  "       the same as fsync=0" },
	{ "dircache", FK_OPT_U32, OA(dircache), 0, NULL,
	  "=N     merged directory listings keep at most N names cached in\n"
	  "               all (default 100000; 0: none); a listing is merged again\n"
	  "               when a layer's directory changed" },
	{ "passthrough", FK_OPT_FLAG, OA(o.passthrough), 0, NULL,
	  "       kernel passthrough for open files where allowed (default)" },
	{ "nopassthrough", FK_OPT_FLAG_OFF, OA(o.passthrough), 0, NULL,
	  "       every read and write goes through the daemon" },
	{ "threaded", FK_OPT_U32, OA(threaded), 0, NULL,
	  "=0|1   fuse-overlayfs's: 0 serves with one thread (threads=1)" },
	{ "redirect_dir", FK_OPT_FUNC, 0, 0, opt_redirect,
	  "=MODE  on: a directory with lower content is renamed with a\n"
	  "               redirect xattr, as kernel overlayfs does; follow, off\n"
	  "               (default): such renames get EXDEV (mv copies), the\n"
	  "               kernel's redirects are followed; nofollow: not even\n"
	  "               that" },
	{ "xattr_permissions", FK_OPT_U32, OA(xattr_permissions), 0, NULL,
	  "=0|1|2 keep the owners and modes of upper files and directories\n"
	  "               in an xattr, for daemons that cannot chown (a user\n"
	  "               namespace): 1 security.fuseoverlayfs.override_stat\n"
	  "               (needs CAP_SYS_ADMIN), 2 user.fuseoverlayfs.override_stat;\n"
	  "               0 (default): in the inode. Layers whose root has such\n"
	  "               an xattr (or user.containers.override_stat) are read\n"
	  "               that way whatever this says" },
	{ "writeback", FK_OPT_FUNC, 0, 0, opt_default_only,
	  "=0     the only value so far" },
	{ "fast_ino", FK_OPT_FUNC, 0, 0, opt_default_only, NULL },
	{ "context", FK_OPT_FUNC, 0, 0, opt_ignored,
	  "=LABEL SELinux label podman passes: accepted and ignored, as\n"
	  "               fuse-overlayfs does (also fscontext=, defcontext=,\n"
	  "               rootcontext=)" },
	{ "fscontext", FK_OPT_FUNC, 0, 0, opt_ignored, NULL },
	{ "defcontext", FK_OPT_FUNC, 0, 0, opt_ignored, NULL },
	{ "rootcontext", FK_OPT_FUNC, 0, 0, opt_ignored, NULL },
	{ "plugins", FK_OPT_FUNC, 0, 0, opt_plugins,
	  "=      fuse-overlayfs's layer plugins: none are supported; an\n"
	  "               empty list is accepted" },
	{ NULL, 0, 0, 0, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fusekit overlay [-f] [-s] [-d] -o lowerdir=L1:L2:...[,upperdir=U,\n"
		"           workdir=W][,OPTIONS] [SOURCE] MOUNTPOINT\n"
		"       fusekit-overlayfs [-f] [-d|--debug] -o OPTIONS [SOURCE] MOUNTPOINT\n"
		"\n"
		"Merge directories into one tree at MOUNTPOINT, as kernel overlayfs\n"
		"does: L1 above L2 above ... A whiteout hides a name of the layers\n"
		"below; an opaque directory hides their directory of that name.\n"
		"Both formats are read in every layer: whiteouts as character\n"
		"devices 0/0 or OCI .wh.NAME files, opaque directories marked with\n"
		"trusted.overlay.opaque, user.overlay.opaque or\n"
		"user.fuseoverlayfs.opaque = y, or holding .wh..wh..opq. Names\n"
		"beginning with .wh. are the layers' own.\n"
		"\n"
		"With upperdir, changes go to it as kernel overlayfs makes them, so\n"
		"either can mount what the other wrote: a lower file is copied up\n"
		"(atomically, through workdir) before it changes, a removed lower\n"
		"name leaves a whiteout, a directory made where one was removed is\n"
		"opaque. Renaming a directory that has lower content fails with\n"
		"EXDEV (mv then copies), or with redirect_dir=on moves it with a\n"
		"redirect xattr, as the kernel does. Without upperdir the mount is\n"
		"read-only: every change gets EROFS.\n"
		"\n"
		"Called as fusekit-overlayfs (a link to fusekit), it takes\n"
		"fuse-overlayfs's command line and options, so podman and buildah\n"
		"can use it as their overlay mount_program, and mount(8) as the\n"
		"type fuse.fusekit-overlayfs (fstab). SOURCE, if given, is only\n"
		"the name the mount shows (default \"overlay\").\n"
		"\n"
		"The kernel checks permissions (default_permissions) from the modes\n"
		"shown. Runs in the background once mounted; `fusekit umount\n"
		"MOUNTPOINT` ends it.\n");
	fk_tool_print_help(out, NULL, "Overlay options", ovl_opt_table);
}

/* Is a at or below b (both real paths)? */
static int path_within(const char *a, const char *b)
{
	size_t n = strlen(b);
	return !strncmp(a, b, n) && (a[n] == '/' || a[n] == 0 || n == 1);
}

/* W/work: made (mode 0 as root, as the kernel's) or emptied of what an
 * earlier mount left. Its path into work (PATH_MAX). 0, or 1 after
 * printing why. */
static int prepare_work(const char *upperdir, const char *workdir, char *work)
{
	char ru[PATH_MAX], rw[PATH_MAX];
	if (!realpath(upperdir, ru) || !realpath(workdir, rw)) {
		fprintf(stderr, "fusekit overlay: %s: %s\n",
			realpath(upperdir, ru) ? "workdir" : "upperdir",
			strerror(errno));
		return 1;
	}
	if (path_within(ru, rw) || path_within(rw, ru)) {
		fprintf(stderr, "fusekit overlay: upperdir and workdir must be "
				"separate directories, neither inside the other\n");
		return 1;
	}
	if ((size_t)snprintf(work, PATH_MAX, "%s/work", rw) >= PATH_MAX) {
		fprintf(stderr, "fusekit overlay: workdir: path too long\n");
		return 1;
	}
	int rc = fk_tool_work_dir(work);
	if (rc) {
		fprintf(stderr, "fusekit overlay: %s: %s\n", work, strerror(-rc));
		return 1;
	}
	return 0;
}

/* The upper layer with its work directory; 0 or 1 after printing why. */
static int open_upper(const struct ovl_args *oa, struct fk_layer **upper)
{
	const char *upperdir = oa->upperdir, *workdir = oa->workdir;
	char work[PATH_MAX], err[512];
	if (fk_pt_layer_new(upper, upperdir, &oa->po, err, sizeof err)) {
		fprintf(stderr, "fusekit overlay: upperdir: %s\n", err);
		return 1;
	}
	if (oa->whiteout_set)
		(*upper)->whiteout = oa->whiteout;
	if (prepare_work(upperdir, workdir, work) == 0 &&
	    fk_pt_layer_set_work(*upper, work, err, sizeof err) == 0)
		return 0;
	if (err[0] && strstr(err, "workdir"))
		fprintf(stderr, "fusekit overlay: %s\n", err);
	fk_layer_free(*upper);
	return 1;
}

/* xattr_permissions=1|2: the upper layer keeps owners and modes in an
 * xattr. Its root, if it has none, takes the first lower root's (as
 * fuse-overlayfs seeds it), else its own. 0, or 1 after printing why. */
static int keep_owners_in_xattr(struct fk_layer **layers, int n, uint32_t which)
{
	enum fk_pt_override want = which == 1 ? FK_PT_OVERRIDE_PRIVILEGED
					      : FK_PT_OVERRIDE_USER;
	char seed[64], err[512];
	const char *from = NULL;
	for (int i = 1; i < n && !from; i++) {
		enum fk_pt_override o = fk_pt_layer_override(layers[i]);
		if (o != want && !(want == FK_PT_OVERRIDE_USER &&
				   o == FK_PT_OVERRIDE_CONTAINERS))
			continue;
		struct fk_layer_node *root = fk_layer_root(layers[i]);
		int len = layers[i]->ops->getxattr(layers[i], root,
						   fk_pt_override_xattr(o), seed,
						   sizeof seed - 1);
		fk_layer_put(layers[i], root);
		if (len > 0) {
			seed[len] = 0;
			from = seed;
		}
	}
	if (fk_pt_layer_set_override(layers[0], want, from, err, sizeof err) == 0)
		return 0;
	fprintf(stderr, "fusekit overlay: xattr_permissions=%u: %s\n", which, err);
	return 1;
}

/* Open each directory of lowerdir (':'-separated) as a layer. Returns the
 * count, or -1 after printing why (the layers made so far are freed). */
static int open_layers(const struct ovl_args *oa, struct fk_layer **layers)
{
	char *lowerdir = oa->lowerdir;
	int n = 0;
	char *save = NULL;
	for (char *dir = strtok_r(lowerdir, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		char err[512];
		if (n == OVL_MAX_LAYERS) {
			fprintf(stderr, "fusekit overlay: more than %d layers\n",
				OVL_MAX_LAYERS);
		} else if (fk_pt_layer_new(&layers[n], dir, &oa->po, err,
					   sizeof err) == 0) {
			if (oa->whiteout_set)
				layers[n]->whiteout = oa->whiteout;
			n++;
			continue;
		} else {
			fprintf(stderr, "fusekit overlay: lowerdir: %s\n", err);
		}
		while (n > 0)
			fk_layer_free(layers[--n]);
		return -1;
	}
	if (n == 0)
		fprintf(stderr, "fusekit overlay: lowerdir= names no directory\n");
	return n ? n : -1;
}

static void report(void *fs, char *buf, size_t len)
{
	struct fk_ovl_stats st;
	fk_ovl_get_stats(fs, &st);
	snprintf(buf, len, "nodes=%llu dircache_listings=%llu dircache_names=%llu "
			   "lookups=%llu layer_lookups=%llu",
		 (unsigned long long)st.nodes, (unsigned long long)st.listings,
		 (unsigned long long)st.listing_names,
		 (unsigned long long)st.lookups,
		 (unsigned long long)st.layer_lookups);
}

int fk_cmd_overlay(int argc, char **argv)
{
	struct fk_mount_opts mo;
	struct fk_session_config cfg;
	struct ovl_args oa = { 0 };
	struct fk_tool_args args;
	fk_mount_opts_init(&mo);
	fk_session_config_init(&cfg);
	fk_ovl_options_init(&oa.o);
	fk_pt_options_init(&oa.po);
	oa.fsync = 1;
	oa.threaded = 1;
	oa.squash_uid = oa.squash_gid = UINT32_MAX;
	oa.dircache = (uint32_t)oa.o.dircache_names;
	oa.timeout = -1;

	int rc = fk_tool_parse(argc, argv, "overlay", &mo, &cfg, ovl_opt_table,
			       &oa, &args);
	if (rc == 1) {
		usage(stdout);
		rc = 0;
		goto out;
	}
	/* mount(8), through mount.fuse3, passes SOURCE MOUNTPOINT, and
	 * fuse-overlayfs takes it so: SOURCE is the name the mount shows. */
	if (rc == 0 && (args.npos < 1 || args.npos > 2)) {
		fprintf(stderr, "fusekit overlay: need [SOURCE] MOUNTPOINT "
				"(try --help)\n");
		rc = 2;
	}
	if (rc == 0 && !oa.lowerdir) {
		fprintf(stderr, "fusekit overlay: -o lowerdir= is required\n");
		rc = 2;
	}
	if (rc == 0 && oa.xattr_permissions > 2) {
		fprintf(stderr, "fusekit overlay: xattr_permissions= takes 0, 1 "
				"or 2\n");
		rc = 2;
	}
	if (rc == 0 && (oa.o.noxattrs > 1 || oa.fsync > 1 || oa.threaded > 1)) {
		fprintf(stderr, "fusekit overlay: noxattrs=, fsync= and threaded= "
				"take 0 or 1\n");
		rc = 2;
	}
	/* squash_to_uid/gid win over squash_to_root. */
	if (oa.squash_uid != UINT32_MAX || oa.squash_root)
		oa.o.squash_uid = oa.squash_uid != UINT32_MAX ? oa.squash_uid : 0;
	if (oa.squash_gid != UINT32_MAX || oa.squash_root)
		oa.o.squash_gid = oa.squash_gid != UINT32_MAX ? oa.squash_gid : 0;
	oa.o.dircache_names = oa.dircache;
	if (oa.timeout >= 0)
		oa.o.entry_timeout = oa.o.attr_timeout = oa.timeout;
	oa.o.fsync = (int)oa.fsync;
	if (!oa.threaded)
		cfg.threads = 1;
	if (rc == 0 && !oa.upperdir != !oa.workdir) {
		fprintf(stderr, "fusekit overlay: upperdir= and workdir= go "
				"together\n");
		rc = 2;
	}
	if (rc)
		goto out;
	struct fk_layer *layers[OVL_MAX_LAYERS + 1];
	int up = oa.upperdir != NULL;
	if (up && open_upper(&oa, &layers[0])) {
		rc = 1;
		goto out;
	}
	int n = open_layers(&oa, layers + up);
	if (n < 0) {
		if (up)
			fk_layer_free(layers[0]);
		rc = 1;
		goto out;
	}
	n += up;
	oa.o.upper = up;
	if (up && oa.xattr_permissions && keep_owners_in_xattr(layers, n,
							       oa.xattr_permissions)) {
		while (n > 0)
			fk_layer_free(layers[--n]);
		rc = 1;
		goto out;
	}
	char err[512];
	struct fk_ovl *ovl;
	if (fk_ovl_new(&ovl, layers, (unsigned)n, &oa.o, err, sizeof err) < 0) {
		fprintf(stderr, "fusekit overlay: %s\n", err);
		while (n > 0)
			fk_layer_free(layers[--n]);
		rc = 1;
		goto out;
	}
	/* The kernel checks permissions from the modes we show. Without an
	 * upper layer nothing can change: the kernel answers EROFS itself. */
	if (!up)
		mo.flags |= FK_MNT_RDONLY;
	mo.default_permissions = 1;
	if (!mo.fsname)
		mo.fsname = strdup(args.npos == 2 ? args.pos[0] : "overlay");
	if (!mo.subtype)
		mo.subtype = strdup("overlay");
	rc = fk_tool_serve("overlay", fk_ovl_ops(), ovl, args.pos[args.npos - 1],
			   &mo, &cfg,
			   &args, report);
	fk_ovl_free(ovl);
out:
	free(oa.lowerdir);
	free(oa.upperdir);
	free(oa.workdir);
	fk_mount_opts_free(&mo);
	return rc;
}
