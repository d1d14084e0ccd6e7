/*
 * cmd_union.c — `fusekit union [OPTIONS] BRANCH[=MODE]:... MOUNTPOINT`:
 * directories pooled into one, as mergerfs pools them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fusekit/fk_passthrough.h>
#include <fusekit/fk_union.h>

#include "fk_tool.h"

struct un_args {
	struct fk_un_options o;
	struct fk_un_branches branches; /* -o branches= first, then SOURCE */
	uint32_t dircache;
	double timeout; /* timeout=; negative: not given */
};

#define UA(f) offsetof(struct un_args, f)

static int opt_branches(void *target, const char *name, const char *val,
			char *err, size_t errlen)
{
	struct un_args *ua = target;
	(void)name;
	return fk_un_branches_parse(val, &ua->branches, err, errlen);
}

static int opt_policy(void *target, const char *name, const char *val,
		      char *err, size_t errlen)
{
	struct un_args *ua = target;
	enum fk_un_category c = !strcmp(name, "category.create")   ? FK_UN_CREATE
				: !strcmp(name, "category.action") ? FK_UN_ACTION
								   : FK_UN_SEARCH;
	enum fk_un_policy *p = c == FK_UN_CREATE   ? &ua->o.create
			       : c == FK_UN_ACTION ? &ua->o.action
						   : &ua->o.search;
	if (fk_un_policy_parse(c, val, p) == 0)
		return 0;
	snprintf(err, errlen, "%s: '%s' is not one of %s", name, val,
		 c == FK_UN_CREATE   ? "ff, epff, mfs, epmfs, lfs, eplfs, lus, eplus, "
				       "pfrd, eppfrd, rand, eprand"
		 : c == FK_UN_ACTION ? "all, epall, epff"
				     : "ff, all");
	return -EINVAL;
}

static int opt_minfreespace(void *target, const char *name, const char *val,
			    char *err, size_t errlen)
{
	struct un_args *ua = target;
	if (fk_un_size_parse(val, &ua->o.minfreespace) == 0)
		return 0;
	snprintf(err, errlen, "%s: '%s' is not a size (like 500M, 4G)", name, val);
	return -EINVAL;
}

/* moveonenospc=true|false|POLICY (true: mfs, as mergerfs). */
static int opt_moveonenospc(void *target, const char *name, const char *val,
			    char *err, size_t errlen)
{
	struct un_args *ua = target;
	if (fk_un_moveonenospc_parse(val, &ua->o.moveonenospc, &ua->o.move_policy) == 0)
		return 0;
	snprintf(err, errlen, "%s: '%s' is not true, false or a create policy "
			      "(ff, mfs, lfs, lus, pfrd, rand, ...)", name, val);
	return -EINVAL;
}

static int opt_dropcacheonclose(void *target, const char *name, const char *val,
				char *err, size_t errlen)
{
	struct un_args *ua = target;
	ua->o.dropcacheonclose = !strcmp(val, "true");
	if (ua->o.dropcacheonclose || !strcmp(val, "false"))
		return 0;
	snprintf(err, errlen, "%s: '%s' is not true or false", name, val);
	return -EINVAL;
}

/* cache.files= (mergerfs's names): how much file data the kernel keeps. */
static int opt_cache_files(void *target, const char *name, const char *val,
			   char *err, size_t errlen)
{
	struct un_args *ua = target;
	if (!strcmp(val, "off"))
		ua->o.ovl.cache = FK_CACHE_METADATA;
	else if (!strcmp(val, "partial") || !strcmp(val, "auto-full") ||
		 !strcmp(val, "per-process"))
		ua->o.ovl.cache = FK_CACHE_AUTO;
	else if (!strcmp(val, "full"))
		ua->o.ovl.cache = FK_CACHE_ALWAYS;
	else {
		snprintf(err, errlen, "%s: '%s' is not off, partial, full, "
				      "auto-full or per-process", name, val);
		return -EINVAL;
	}
	return 0;
}

static int opt_inodecalc(void *target, const char *name, const char *val,
			 char *err, size_t errlen)
{
	struct un_args *ua = target;
	if (fk_un_inodecalc_parse(val, &ua->o.inodecalc, &ua->o.ino32) == 0)
		return 0;
	snprintf(err, errlen, "%s: '%s' is not one of auto, passthrough, "
			      "path-hash, devino-hash, hybrid-hash (and their "
			      "32-bit forms, path-hash32, ...)", name, val);
	return -EINVAL;
}

static const struct fk_opt un_opt_table[] = {
	{ "branches", FK_OPT_FUNC, 0, 0, opt_branches,
	  "=B1[=MODE]:B2...  the branches (also the first argument)" },
	{ "category.create", FK_OPT_FUNC, 0, 0, opt_policy,
	  "=POLICY  where new names go (default epmfs)" },
	{ "category.action", FK_OPT_FUNC, 0, 0, opt_policy,
	  "=POLICY  which copies a change goes to (default epall)" },
	{ "category.search", FK_OPT_FUNC, 0, 0, opt_policy,
	  "=POLICY  where names are looked up (default ff)" },
	{ "minfreespace", FK_OPT_FUNC, 0, 0, opt_minfreespace,
	  "=SIZE  a branch with less free is not created on (default 4G;\n"
	  "               a branch's own: BRANCH=RW,SIZE)" },
	{ "cache", FK_OPT_CACHE, UA(o.ovl.cache), 0, NULL,
	  "=MODE  never|metadata|auto|always (default auto)" },
	{ "cache.files", FK_OPT_FUNC, 0, 0, opt_cache_files,
	  "=MODE  mergerfs's: off (as cache=metadata), partial, auto-full,\n"
	  "               per-process (as auto), full (as always)" },
	{ "entry_timeout", FK_OPT_DOUBLE, UA(o.ovl.entry_timeout), 0, NULL,
	  "=SEC   how long names are cached (default from cache=)" },
	{ "attr_timeout", FK_OPT_DOUBLE, UA(o.ovl.attr_timeout), 0, NULL,
	  "=SEC   how long attributes are cached (default from cache=)" },
	{ "negative_timeout", FK_OPT_DOUBLE, UA(o.ovl.negative_timeout), 0, NULL,
	  "=SEC   how long a missing name is cached (default 0)" },
	{ "timeout", FK_OPT_DOUBLE, UA(timeout), 0, NULL,
	  "=SEC   both of them" },
	{ "static_nlink", FK_OPT_FLAG, UA(o.ovl.static_nlink), 0, NULL,
	  "       every directory shows nlink 1" },
	{ "noacl", FK_OPT_FLAG, UA(o.ovl.noacl), 0, NULL,
	  "       POSIX ACL xattrs get EOPNOTSUPP" },
	{ "noxattrs", FK_OPT_U32, UA(o.ovl.noxattrs), 0, NULL,
	  "=1     no xattrs through the mount (EOPNOTSUPP)" },
	{ "dircache", FK_OPT_U32, UA(dircache), 0, NULL,
	  "=N     merged directory listings keep at most N names cached\n"
	  "               (default 100000; 0: none)" },
	{ "passthrough", FK_OPT_FLAG, UA(o.ovl.passthrough), 0, NULL,
	  "       kernel passthrough for open files where allowed (default)" },
	{ "nopassthrough", FK_OPT_FLAG_OFF, UA(o.ovl.passthrough), 0, NULL,
	  "       every read and write goes through the daemon" },
	{ "moveonenospc", FK_OPT_FUNC, 0, 0, opt_moveonenospc,
	  "=true|false|POLICY  a write that finds its branch full moves\n"
	  "               the file to a branch with room (true: mfs) and writes\n"
	  "               again (default false; turns kernel passthrough off)" },
	{ "inodecalc", FK_OPT_FUNC, 0, 0, opt_inodecalc,
	  "=auto|passthrough|path-hash|devino-hash|hybrid-hash  how inode\n"
	  "               numbers are made (default auto; see below)" },
	{ "dropcacheonclose", FK_OPT_FUNC, 0, 0, opt_dropcacheonclose,
	  "=true|false  a closed file's pages leave the page cache (default\n"
	  "               false)" },
	{ "cow", FK_OPT_FLAG, UA(o.cow), 0, NULL,
	  "       copy-on-write: a change to what an RO branch shows copies\n"
	  "               it to a writable branch above first; removing such a\n"
	  "               name leaves a whiteout (default: EROFS)" },
	{ NULL, 0, 0, 0, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fusekit union [-f] [-s] [-d] [-o OPTIONS] BRANCHES MOUNTPOINT\n"
		"       fusekit union [-f] -o branches=BRANCHES[,OPTIONS] MOUNTPOINT\n"
		"       fusekit-union BRANCHES MOUNTPOINT [-o OPTIONS]\n"
		"\n"
		"Pool directories (branches) into one tree at MOUNTPOINT, as mergerfs\n"
		"does. BRANCHES is BRANCH[=MODE]:BRANCH[=MODE]..., searched in that\n"
		"order; a BRANCH with * ? [ is expanded to the directories it matches.\n"
		"MODE is RW (read-write, the default), NC (read-write, but no new\n"
		"names are made there) or RO (never written); RW,SIZE also gives the\n"
		"branch its own minfreespace. Example:\n"
		"\n"
		"    fusekit union '/mnt/disk*:/mnt/archive=RO' /srv/pool\n"
		"\n"
		"A name shows from the first branch that has it; directories show\n"
		"the entries of every branch. Runs in the background once mounted;\n"
		"`fusekit umount MOUNTPOINT` ends it. As fusekit-union it is what\n"
		"mount(8) runs for the fstab type fuse.fusekit-union.\n"
		"\n"
		"Policies (mergerfs's), for -o category.create=:\n"
		"  ff     the first branch in order            (epff)\n"
		"  mfs    the branch with the most free space  (epmfs, the default)\n"
		"  lfs    the branch with the least free space (eplfs)\n"
		"  lus    the branch with the least used space (eplus)\n"
		"  pfrd   at random, weighted by free space    (eppfrd)\n"
		"  rand   at random                            (eprand)\n"
		"Only RW branches with at least minfreespace free are chosen. The ep\n"
		"(existing path) form chooses only among branches where the parent\n"
		"directory exists; without ep, the parent's path is made on the\n"
		"branch chosen (owners, modes, times, xattrs as shown). E.g. with\n"
		"epmfs, a file made in /photos goes to the branch with the most free\n"
		"space among those that have /photos.\n"
		"For -o category.action= (chmod, chown, utimens, truncate, xattrs):\n"
		"  epall  every copy of the name on a writable branch (the default;\n"
		"         all is the same)\n"
		"  epff   only the copy shown\n"
		"For -o category.search=: ff (the default) or all; a name is always\n"
		"shown from the first branch that has it.\n"
		"Removing or renaming a name acts on every copy it has, within each\n"
		"branch; if a copy is on an RO branch, nothing is done (EROFS). A\n"
		"change to what an RO branch shows gets EROFS (see -o cow). A hard\n"
		"link is made on its file's branch. Errors when no branch\n"
		"qualifies: ENOSPC (the\n"
		"RW branches are below minfreespace), EROFS (no branch may be\n"
		"created on), ENOENT (the parent is on no branch, ep policies).\n"
		"With -o moveonenospc, a write that finds its branch full moves the\n"
		"file to a branch with room and is written again, invisibly.\n"
		"With -o cow (as unionfs-fuse's), a change to what an RO branch shows\n"
		"first copies it to a writable branch above (the create policy's\n"
		"pick), atomically through that branch's work directory\n"
		"(BRANCH/.wh..wh.fusekit, never shown); removing such a name leaves a\n"
		"whiteout there, in the overlay's formats; a directory with RO\n"
		"content renamed gets EXDEV (mv copies it). E.g.:\n"
		"\n"
		"    fusekit union -o cow /srv/changes=RW:/srv/base=RO /mnt/work\n"
		"\n"
		"Inode numbers (-o inodecalc=), each kept by a node while the kernel\n"
		"knows it, across renames and moves between branches:\n"
		"  auto         the branch's own numbers; a branch on another\n"
		"               filesystem than the first's puts its slot in the top\n"
		"               16 bits (unique while numbers stay below 2^48)\n"
		"  passthrough  the branch's own numbers (branches may collide)\n"
		"  path-hash    a hash of the path in the union (hard links differ)\n"
		"  devino-hash  a hash of the branch's device and inode number\n"
		"  hybrid-hash  path-hash for directories, devino-hash for the rest\n"
		"The hashes come folded to 32 bits too: path-hash32, ...\n"
		"\n"
		"While mounted, MOUNTPOINT/.fusekit (not listed) reads and changes the\n"
		"union through its xattrs, as mergerfs's .mergerfs does:\n"
		"user.fusekit.branches, .category.create, .category.action,\n"
		".category.search, .minfreespace, .moveonenospc, .dropcacheonclose\n"
		"(and .cow, .inodecalc, .version, .pid, read only). Only the daemon's\n"
		"user or root changes them. A branch list value may be a whole new\n"
		"list, or +<BRANCHES (first), +>BRANCHES (last), -PATH, -< or ->:\n"
		"\n"
		"    getfattr -n user.fusekit.branches /srv/pool/.fusekit\n"
		"    setfattr -n user.fusekit.branches -v '+>/mnt/disk9' /srv/pool/.fusekit\n"
		"    setfattr -n user.fusekit.branches -v '-/mnt/disk2' /srv/pool/.fusekit\n"
		"    setfattr -n user.fusekit.category.create -v mfs /srv/pool/.fusekit\n"
		"\n"
		"A change takes effect for lookups from then on; files open on a\n"
		"branch removed keep working, and nothing is written there again.\n"
		"A mount with only RO branches is a read-only mount, whatever is\n"
		"added later.\n");
	fk_tool_print_help(out,
			   "Files created through the mount belong to the user who creates them.\n"
			   "The kernel checks permissions (default_permissions is always on).\n",
			   "Union options", un_opt_table);
}

static void report(void *fs, char *buf, size_t len)
{
	struct fk_ovl_stats st;
	fk_ovl_get_stats(fs, &st);
	snprintf(buf, len, "nodes=%llu listings=%llu listing_names=%llu "
			   "lookups=%llu layer_lookups=%llu",
		 (unsigned long long)st.nodes, (unsigned long long)st.listings,
		 (unsigned long long)st.listing_names,
		 (unsigned long long)st.lookups,
		 (unsigned long long)st.layer_lookups);
}

/* Branch l at path gets its work directory, path/.wh..wh.fusekit (a
 * name the union never shows). fk_un_opener.set_work. */
static int set_work(void *arg, struct fk_layer *l, const char *path, char *err,
		    size_t errlen)
{
	(void)arg;
	char work[PATH_MAX];
	int rc;
	if ((size_t)snprintf(work, sizeof work, "%s/.wh..wh.fusekit", path) >=
	    sizeof work) {
		snprintf(err, errlen, "path too long");
		rc = -ENAMETOOLONG;
	} else if ((rc = fk_tool_work_dir(work)) != 0) {
		snprintf(err, errlen, "its work directory .wh..wh.fusekit: %s",
			 strerror(-rc));
	} else {
		rc = fk_pt_layer_set_work(l, work, err, errlen);
	}
	return rc;
}

/* The layer of branch path; with cow, a writable one has its work
 * directory. fk_un_opener.open, at mount and at run time. */
static int open_branch(void *arg, const char *path, enum fk_un_mode mode,
		       int cow, struct fk_layer **out, char *err, size_t errlen)
{
	struct fk_pt_options po;
	fk_pt_options_init(&po);
	int rc = fk_pt_layer_new(out, path, &po, err, errlen);
	if (rc == 0 && cow && mode != FK_UN_RO &&
	    (rc = set_work(arg, *out, path, err, errlen)) != 0)
		fk_layer_free(*out);
	return rc;
}

/* Each branch as a layer: 0, or 1 after printing why. */
static int open_branches(const struct fk_un_branches *b, int cow,
			 struct fk_layer **layers)
{
	for (size_t i = 0; i < b->n; i++) {
		char err[512];
		if (open_branch(NULL, b->v[i].path, b->v[i].mode, cow, &layers[i],
				err, sizeof err) == 0)
			continue;
		fprintf(stderr, "fusekit union: branch %s: %s\n", b->v[i].path, err);
		while (i > 0)
			fk_layer_free(layers[--i]);
		return 1;
	}
	return 0;
}

int fk_cmd_union(int argc, char **argv)
{
	struct fk_mount_opts mo;
	struct fk_session_config cfg;
	struct un_args ua;
	struct fk_tool_args args;
	memset(&ua, 0, sizeof ua);
	fk_mount_opts_init(&mo);
	fk_session_config_init(&cfg);
	fk_un_options_init(&ua.o);
	ua.dircache = (uint32_t)ua.o.ovl.dircache_names;
	ua.timeout = -1;

	int rc = fk_tool_parse(argc, argv, "union", &mo, &cfg, un_opt_table, &ua,
			       &args);
	if (rc == 1) {
		usage(stdout);
		rc = 0;
		goto out;
	}
	if (rc == 0 && (args.npos < 1 || args.npos > 2)) {
		fprintf(stderr, "fusekit union: need BRANCHES and MOUNTPOINT "
				"(try --help)\n");
		rc = 2;
	}
	char err[512];
	if (rc == 0 && args.npos == 2 &&
	    fk_un_branches_parse(args.pos[0], &ua.branches, err, sizeof err)) {
		fprintf(stderr, "fusekit union: %s\n", err);
		rc = 2;
	}
	if (rc == 0 && ua.branches.n == 0) {
		fprintf(stderr, "fusekit union: no branches (give BRANCHES or "
				"-o branches=)\n");
		rc = 2;
	}
	if (rc == 0 && ua.o.ovl.noxattrs > 1) {
		fprintf(stderr, "fusekit union: noxattrs= takes 0 or 1\n");
		rc = 2;
	}
	if (rc)
		goto out;
	ua.o.ovl.dircache_names = ua.dircache;
	/* The writes that fail must reach the daemon, to be moved. */
	if (ua.o.moveonenospc)
		ua.o.ovl.passthrough = 0;
	if (ua.timeout >= 0)
		ua.o.ovl.entry_timeout = ua.o.ovl.attr_timeout = ua.timeout;

	ua.o.opener = (struct fk_un_opener){ open_branch, set_work, NULL };
	struct fk_layer *layers[FK_UN_MAX_BRANCHES];
	if (open_branches(&ua.branches, ua.o.cow, layers)) {
		rc = 1;
		goto out;
	}
	unsigned n = (unsigned)ua.branches.n;
	struct fk_ovl *un;
	if (fk_un_new(&un, layers, ua.branches.v, n, &ua.o, err, sizeof err) < 0) {
		fprintf(stderr, "fusekit union: %s\n", err);
		while (n > 0)
			fk_layer_free(layers[--n]);
		rc = 1;
		goto out;
	}
	int writable = 0;
	for (size_t i = 0; i < ua.branches.n; i++)
		writable |= ua.branches.v[i].mode != FK_UN_RO;
	if (!writable)
		mo.flags |= FK_MNT_RDONLY; /* the kernel answers EROFS itself */
	mo.default_permissions = 1;
	if (!mo.fsname)
		mo.fsname = strdup(args.npos == 2 ? args.pos[0] : "union");
	if (!mo.subtype)
		mo.subtype = strdup("union");
	rc = fk_tool_serve("union", fk_un_ops(), un, args.pos[args.npos - 1], &mo,
			   &cfg, &args, report);
	fk_ovl_free(un);
out:
	fk_un_branches_free(&ua.branches);
	fk_mount_opts_free(&mo);
	return rc;
}
