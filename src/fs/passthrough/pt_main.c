/*
 * pt_main.c — the passthrough filesystem's options, setup and ops table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pt.h"

void fk_pt_options_init(struct fk_pt_options *o)
{
	memset(o, 0, sizeof *o);
	o->entry_timeout = -1;
	o->attr_timeout = -1;
	o->negative_timeout = -1;
	o->cache = FK_CACHE_AUTO;
	o->xattr = 1;
	o->xattr_ns = FK_PT_XATTR_ALL;
	o->acl = 1;
	o->passthrough = 1;
	o->export = 1;
	o->inode = FK_PT_INODE_FD;
}

static int opt_inode(void *target, const char *name, const char *val,
		     char *err, size_t errlen)
{
	struct fk_pt_options *o = target;
	for (int m = FK_PT_INODE_FD; val && m <= FK_PT_INODE_LAZY; m++) {
		if (!strcmp(val, fk_pt_inode_mode_name((enum fk_pt_inode_mode)m))) {
			o->inode = (enum fk_pt_inode_mode)m;
			return 0;
		}
	}
	snprintf(err, errlen, "option '%s' is fd, handle or lazy", name);
	return -EINVAL;
}

/* hold=all|dirs */
static int opt_hold(void *target, const char *name, const char *val,
		    char *err, size_t errlen)
{
	struct fk_pt_options *o = target;
	if (val && (!strcmp(val, "all") || !strcmp(val, "dirs"))) {
		o->hold_dirs_only = !strcmp(val, "dirs");
		return 0;
	}
	snprintf(err, errlen, "option '%s' is all or dirs", name);
	return -EINVAL;
}

/* fd_cap=N: the root's descriptor counts, so at least 2. */
static int opt_fd_cap(void *target, const char *name, const char *val,
		      char *err, size_t errlen)
{
	struct fk_pt_options *o = target;
	char *end = NULL;
	errno = 0;
	unsigned long n = val && *val >= '0' && *val <= '9' ? strtoul(val, &end, 10) : 0;
	if (!end || *end || errno || n < 2 || n > UINT32_MAX) {
		snprintf(err, errlen, "option '%s' takes a number of descriptors, "
				      "at least 2", name);
		return -EINVAL;
	}
	o->fd_cap = (uint32_t)n;
	return 0;
}

/* xattr_ns=NS[:NS...]: user, trusted, security, system, other, all. */
static int opt_xattr_ns(void *target, const char *name, const char *val,
			char *err, size_t errlen)
{
	static const struct {
		const char *name;
		unsigned bits;
	} ns[] = {
		{ "user", FK_PT_XATTR_USER }, { "trusted", FK_PT_XATTR_TRUSTED },
		{ "security", FK_PT_XATTR_SECURITY }, { "system", FK_PT_XATTR_SYSTEM },
		{ "other", FK_PT_XATTR_OTHER }, { "all", FK_PT_XATTR_ALL },
	};
	struct fk_pt_options *o = target;
	unsigned bits = 0;
	const char *p = val;
	while (p && *p) {
		size_t len = strcspn(p, ":");
		size_t i = 0;
		while (i < sizeof ns / sizeof ns[0] &&
		       !(strlen(ns[i].name) == len && !strncmp(p, ns[i].name, len)))
			i++;
		if (i == sizeof ns / sizeof ns[0])
			break;
		bits |= ns[i].bits;
		p += len;
		if (*p == ':' && p[1])
			p++;
		else if (*p == ':')
			break;
	}
	if (!val || !*val || *p) {
		snprintf(err, errlen, "option '%s' takes namespaces joined by ':' "
				      "(user, trusted, security, system, other, all)",
			 name);
		return -EINVAL;
	}
	o->xattr_ns = bits;
	return 0;
}


/* uidmapping=/gidmapping=: triples HOST:SHOWN:LEN joined by ':'. */
static int opt_idmap(void *target, const char *name, const char *val,
		     char *err, size_t errlen)
{
	struct fk_pt_options *o = target;
	int uid = name[0] == 'u';
	struct fk_pt_idmap *map = uid ? o->uidmap : o->gidmap;
	unsigned *n = uid ? &o->nuidmap : &o->ngidmap;
	uint32_t v[3 * FK_PT_MAX_IDMAPS];
	unsigned count = 0;
	const char *p = val;
	while (p && *p && count < sizeof v / sizeof v[0]) {
		char *end;
		errno = 0;
		unsigned long x = strtoul(p, &end, 10);
		if (errno || end == p || x > UINT32_MAX || (*end && *end != ':'))
			break;
		v[count++] = (uint32_t)x;
		p = *end ? end + 1 : end;
	}
	if (!val || *p || count == 0 || count % 3) {
		snprintf(err, errlen, "option '%s' takes HOST:SHOWN:LEN triples "
				      "joined by ':' (at most %d)", name, FK_PT_MAX_IDMAPS);
		return -EINVAL;
	}
	*n = count / 3;
	for (unsigned i = 0; i < *n; i++) {
		map[i].host = v[3 * i];
		map[i].to = v[3 * i + 1];
		map[i].len = v[3 * i + 2];
		if (map[i].len == 0 || map[i].host + (uint64_t)map[i].len > 1ULL << 32 ||
		    map[i].to + (uint64_t)map[i].len > 1ULL << 32) {
			snprintf(err, errlen, "option '%s': range %u is empty or "
					      "past the largest id", name, i + 1);
			return -EINVAL;
		}
	}
	return 0;
}

#define PO(field) offsetof(struct fk_pt_options, field)

const struct fk_opt fk_pt_opt_table[] = {
	{ "cache", FK_OPT_CACHE, PO(cache), 0, NULL,
	  "=MODE  never|metadata|auto|always (default auto)" },
	{ "entry_timeout", FK_OPT_DOUBLE, PO(entry_timeout), 0, NULL,
	  "=SEC   how long names are cached (default from cache=)" },
	{ "attr_timeout", FK_OPT_DOUBLE, PO(attr_timeout), 0, NULL,
	  "=SEC   how long attributes are cached (default from cache=)" },
	{ "negative_timeout", FK_OPT_DOUBLE, PO(negative_timeout), 0, NULL,
	  "=SEC   how long a missing name is cached (default 0)" },
	{ "writeback", FK_OPT_FLAG, PO(writeback), 0, NULL,
	  "       kernel writeback cache (buffers writes; no kernel passthrough)" },
	{ "xattr", FK_OPT_FLAG, PO(xattr), 0, NULL,
	  "       extended attributes (default)" },
	{ "noxattr", FK_OPT_FLAG_OFF, PO(xattr), 0, NULL,
	  "       no extended attributes (EOPNOTSUPP)" },
	{ "acl", FK_OPT_FLAG, PO(acl), 0, NULL,
	  "       POSIX ACLs applied by the kernel, inherited as on SOURCE\n"
	  "(default; needs xattr and the system namespace)" },
	{ "noacl", FK_OPT_FLAG_OFF, PO(acl), 0, NULL,
	  "       ACLs only stored (as xattrs), not applied" },
	{ "xattr_ns", FK_OPT_FUNC, 0, 0, opt_xattr_ns,
	  "=NS:..  xattr namespaces passed through, of user, trusted, security,\n"
	  "system, other, all (default); others: EOPNOTSUPP, not listed" },
	{ "inode", FK_OPT_FUNC, 0, 0, opt_inode,
	  "=MODE  how nodes hold inodes: fd (default: an O_PATH descriptor\n"
	  "each), handle (file handles; needs CAP_DAC_READ_SEARCH, else\n"
	  "fd; on macOS of directories only), lazy (parent and name: files\n"
	  "held by no descriptor, only directories; the default on macOS);\n"
	  "handle and lazy keep at most fd_cap descriptors open" },
	{ "fd_cap", FK_OPT_FUNC, 0, 0, opt_fd_cap,
	  "=N     most descriptors on SOURCE inode=handle|lazy hold, the\n"
	  "root's included (at least 2; default: the descriptor limit\n"
	  "less an eighth, and less at least half of it below 2048);\n"
	  "operations in flight may pin a few more; inode=fd:\n"
	  "files the kernel may know before it is asked to forget some" },
	{ "hold", FK_OPT_FUNC, 0, 0, opt_hold,
	  "=WHAT  all (default) or dirs: only directories hold descriptors\n"
	  "or handles, other nodes are reached by name in their directory\n"
	  "(as on macOS, always); inode=fd becomes lazy" },
	{ "passthrough", FK_OPT_FLAG, PO(passthrough), 0, NULL,
	  "       kernel passthrough for open files where allowed (default)" },
	{ "nopassthrough", FK_OPT_FLAG_OFF, PO(passthrough), 0, NULL,
	  "       every read and write goes through the daemon" },
	{ "export", FK_OPT_FLAG, PO(export), 0, NULL,
	  "       file handles through the mount outlive the kernel's caches\n"
	  "and the daemon: node ids from host handles (default, as root)" },
	{ "noexport", FK_OPT_FLAG_OFF, PO(export), 0, NULL,
	  "       handles last while the kernel caches the file" },
	{ "uidmapping", FK_OPT_FUNC, 0, 0, opt_idmap,
	  "=H:S:L[:H:S:L..] show owners H..H+L-1 of SOURCE as S..S+L-1" },
	{ "gidmapping", FK_OPT_FUNC, 0, 0, opt_idmap,
	  "=H:S:L[:H:S:L..] the same for groups" },
	{ NULL, 0, 0, 0, NULL, NULL },
};

/* ---- Id mapping ------------------------------------------------------ */

#define FK_PT_OVERFLOW_ID 65534u

uint32_t fk_pt_map_id(const struct fk_pt_idmap *map, unsigned n, uint32_t id,
		      int to_host)
{
	if (n == 0)
		return id;
	for (unsigned i = 0; i < n; i++) {
		uint32_t from = to_host ? map[i].to : map[i].host;
		uint32_t dest = to_host ? map[i].host : map[i].to;
		if (id >= from && id - from < map[i].len)
			return dest + (id - from);
	}
	return FK_PT_OVERFLOW_ID;
}


/* Timeouts each cache mode implies, unless set explicitly. */
static void resolve_timeouts(struct fk_pt *pt)
{
	double t = fk_cache_timeout(pt->o.cache);
	pt->entry_ns = fk_timeout_ns(pt->o.entry_timeout >= 0 ? pt->o.entry_timeout : t);
	pt->attr_ns = fk_timeout_ns(pt->o.attr_timeout >= 0 ? pt->o.attr_timeout : t);
	pt->negative_ns = fk_timeout_ns(pt->o.negative_timeout >= 0 ? pt->o.negative_timeout
							    : 0.0);
}

/* Every node holds a descriptor: allow as many as the hard limit does. */
int fk_pt_new(struct fk_pt **out, const char *source,
	      const struct fk_pt_options *o, char *err, size_t errlen)
{
	*out = NULL;
	int fd = fk_plat_hold_dir(source);
	if (fd < 0) {
		int e = -fd;
		if (e == ENOTDIR)
			snprintf(err, errlen, "source '%s' is not a directory", source);
		else
			snprintf(err, errlen, "source '%s': %s", source, strerror(e));
		return -e;
	}
	struct fk_pt *pt = calloc(1, sizeof *pt);
	if (!pt) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pt->o = *o;
	resolve_timeouts(pt);
	atomic_init(&pt->passthrough_ok, o->passthrough && !o->writeback);
	struct fk_plat_stat st;
	int rc = fk_pt_stat_fd(fd, &st);
	if (rc == 0)
		rc = fk_pt_table_init(pt);
	if (rc == 0 && !(pt->root = fk_pt_node_root(pt, fd, &st))) {
		fk_pt_table_destroy(pt);
		rc = -ENOMEM;
	}
	if (rc) {
		snprintf(err, errlen, "source '%s': %s", source, strerror(-rc));
		close(fd);
		free(pt);
		return rc;
	}
	fk_plat_raise_nofile();
	fk_pt_hold_init(pt);
	fk_pt_export_init(pt, fd, &st);
	/* Every mode the kernel sends is masked already, or comes with the
	 * caller's umask for the host to apply (pt_cred.c): ours must not
	 * be applied on top. */
	umask(0);
	*out = pt;
	return 0;
}

void fk_pt_free(struct fk_pt *pt)
{
	if (!pt)
		return;
	fk_pt_table_destroy(pt); /* closes the root too */
	for (unsigned i = 0; i < pt->nmount_fds; i++)
		close(pt->mount_fds[i].fd);
	free(pt->volname);
	free(pt);
}

static void pt_init(void *fs, struct fk_conn *c)
{
	struct fk_pt *pt = fs;
	if (pt->o.writeback)
		c->want |= FK_CAP_WRITEBACK_CACHE;
	if (atomic_load(&pt->passthrough_ok))
		c->want |= FK_CAP_PASSTHROUGH;
	/* We drop set-id bits where the kernel says (pt_file.c): then it
	 * need not ask for security.capability before every write. */
	c->want |= FK_CAP_HANDLE_KILLPRIV_V2;
	/* File handles outlive the kernel's caches (pt_export.c). */
	c->want |= FK_CAP_EXPORT_SUPPORT;
	c->want |= fk_cache_caps(pt->o.cache);
	/* POSIX ACLs: the kernel checks them, the host inherits (pt_acl.c). */
	c->want &= ~(FK_CAP_POSIX_ACL | FK_CAP_DONT_MASK);
	if (fk_pt_acl_on(pt))
		c->want |= FK_CAP_POSIX_ACL | FK_CAP_DONT_MASK;
}

static const struct fk_ops pt_ops = {
	.init = pt_init,
	.lookup = fk_pt_lookup,
	.forget = fk_pt_forget,
	.getattr = fk_pt_getattr,
	.setattr = fk_pt_setattr,
	.readlink = fk_pt_readlink,
	.symlink = fk_pt_symlink,
	.mknod = fk_pt_mknod,
	.mkdir = fk_pt_mkdir,
	.unlink = fk_pt_unlink,
	.rmdir = fk_pt_rmdir,
	.rename = fk_pt_rename,
	.link = fk_pt_link,
	.open = fk_pt_open,
	.read = fk_pt_read,
	.write = fk_pt_write,
	.statfs = fk_pt_statfs,
	.release = fk_pt_release,
	.fsync = fk_pt_fsync,
	.setxattr = fk_pt_setxattr,
	.getxattr = fk_pt_getxattr,
	.listxattr = fk_pt_listxattr,
	.removexattr = fk_pt_removexattr,
	.flush = fk_pt_flush,
	.opendir = fk_pt_opendir,
	.readdir = fk_pt_readdir,
	.readdirplus = fk_pt_readdirplus,
	.releasedir = fk_pt_releasedir,
	.fsyncdir = fk_pt_fsyncdir,
	.create = fk_pt_create,
	.ioctl = fk_pt_ioctl,
	.fallocate = fk_pt_fallocate,
	.lseek = fk_pt_lseek,
	.copy_file_range = fk_pt_copy_file_range,
	.syncfs = fk_pt_syncfs,
	.tmpfile = fk_pt_tmpfile,
	.statx = fk_pt_statx,
	/* macFUSE's (never sent by Linux) */
	.getxtimes = fk_pt_getxtimes,
	.setvolname = fk_pt_setvolname,
	.exchange = fk_pt_exchange,
};

const struct fk_ops *fk_pt_ops(void)
{
	return &pt_ops;
}
