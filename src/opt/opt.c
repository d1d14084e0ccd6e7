/*
 * opt.c — "-o" option parsing (fk_opt.h) and the option tables for mounts
 * and sessions that every fusekit filesystem shares.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <fusekit/fk_mount.h>
#include <fusekit/fk_opt.h>
#include <fusekit/fk_session.h>

/* ---- Parsing -------------------------------------------------------- */

static int parse_u32(const char *v, int base, uint32_t *out)
{
	if (!v || !*v || *v == '-' || *v == '+')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, base);
	if (errno || *end || x > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static int parse_double(const char *v, double *out)
{
	if (!v || !*v)
		return -EINVAL;
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (errno || *end || !(x >= 0) || x > 1e9)
		return -EINVAL;
	*out = x;
	return 0;
}

static const struct fk_opt *find_opt(const struct fk_opt *opts,
				     const char *name)
{
	for (const struct fk_opt *o = opts; o->name; o++) {
		size_t n = strlen(o->name);
		if (n && o->name[n - 1] == '*') {
			if (strncmp(name, o->name, n - 1) == 0 && name[n - 1])
				return o;
		} else if (strcmp(name, o->name) == 0) {
			return o;
		}
	}
	return NULL;
}

static int parse_cache(const char *val, enum fk_cache *out, const char *name,
		       char *err, size_t errlen)
{
	static const char *const names[] = { "never", "metadata", "auto", "always" };
	for (int i = 0; i < 4; i++) {
		if (!strcmp(val, names[i])) {
			*out = (enum fk_cache)i;
			return 0;
		}
	}
	snprintf(err, errlen, "option '%s' is never, metadata, auto or always", name);
	return -EINVAL;
}

double fk_cache_timeout(enum fk_cache c)
{
	return c == FK_CACHE_NEVER ? 0.0 : c == FK_CACHE_ALWAYS ? 86400.0 : 1.0;
}

uint32_t fk_cache_open_flags(enum fk_cache c, int is_dir)
{
	switch (c) {
	case FK_CACHE_NEVER:
	case FK_CACHE_METADATA:
		return is_dir ? 0 : FK_FOPEN_DIRECT_IO;
	case FK_CACHE_ALWAYS:
		return FK_FOPEN_KEEP_CACHE | (is_dir ? FK_FOPEN_CACHE_DIR : 0);
	case FK_CACHE_AUTO:
		break;
	}
	return 0;
}

uint64_t fk_cache_caps(enum fk_cache c)
{
	return c == FK_CACHE_AUTO ? FK_CAP_AUTO_INVAL_DATA : 0;
}

uint64_t fk_timeout_ns(double sec)
{
	if (!(sec > 0))
		return 0;
	if (sec > 1e9)
		sec = 1e9;
	return (uint64_t)(sec * 1e9 + 0.5); /* rounded; no libm for llround */
}

static int apply(const struct fk_opt *o, void *target, const char *name,
		 const char *val, char *err, size_t errlen)
{
	char *field = (char *)target + o->offset;
	int takes_value = o->kind == FK_OPT_STR || o->kind == FK_OPT_U32 ||
			  o->kind == FK_OPT_OCTAL || o->kind == FK_OPT_DOUBLE ||
			  o->kind == FK_OPT_CACHE;

	if (o->kind == FK_OPT_FUNC)
		return o->fn(target, name, val, err, errlen);
	if (takes_value && !val) {
		snprintf(err, errlen, "option '%s' needs a value (%s=...)", name,
			 name);
		return -EINVAL;
	}
	if (!takes_value && val) {
		snprintf(err, errlen, "option '%s' takes no value", name);
		return -EINVAL;
	}
	if (o->kind == FK_OPT_CACHE)
		return parse_cache(val, (enum fk_cache *)(void *)field, name, err,
				   errlen);
	switch (o->kind) {
	case FK_OPT_FLAG:
		*(int *)(void *)field = 1;
		return 0;
	case FK_OPT_FLAG_OFF:
		*(int *)(void *)field = 0;
		return 0;
	case FK_OPT_BIT_SET:
		*(uint32_t *)(void *)field |= o->bit;
		return 0;
	case FK_OPT_BIT_CLEAR:
		*(uint32_t *)(void *)field &= ~o->bit;
		return 0;
	case FK_OPT_STR: {
		char *copy = strdup(val);
		if (!copy)
			return -ENOMEM;
		free(*(char **)(void *)field);
		*(char **)(void *)field = copy;
		return 0;
	}
	case FK_OPT_U32:
	case FK_OPT_OCTAL:
		if (parse_u32(val, o->kind == FK_OPT_OCTAL ? 8 : 0,
			      (uint32_t *)(void *)field)) {
			snprintf(err, errlen, "option '%s': '%s' is not a%s number",
				 name, val, o->kind == FK_OPT_OCTAL ? "n octal" : "");
			return -EINVAL;
		}
		return 0;
	case FK_OPT_DOUBLE:
		if (parse_double(val, (double *)(void *)field)) {
			snprintf(err, errlen,
				 "option '%s': '%s' is not a non-negative number",
				 name, val);
			return -EINVAL;
		}
		return 0;
	case FK_OPT_FUNC:
	case FK_OPT_CACHE:
		break;
	}
	return -EINVAL;
}

/* Split at commas outside double quotes, as mount(8) does: "\x" stands
 * for x, and a quoted part (an SELinux context="...:c1,c2") is taken
 * without its quotes. Empty items (",,") are nothing. */
int fk_opt_parse(const char *optstr, const struct fk_opt_table *tables,
		 size_t ntables, char *err, size_t errlen)
{
	if (!optstr)
		return 0;
	size_t len = strlen(optstr);
	char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	const char *p = optstr;
	while (rc == 0) {
		size_t n = 0;
		int quoted = 0;
		for (; *p && (quoted || *p != ','); p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (*p == '\\' && p[1])
				p++;
			buf[n++] = *p;
		}
		buf[n] = 0;
		if (quoted) {
			snprintf(err, errlen, "option '%s': a quote is not closed", buf);
			rc = -EINVAL;
			break;
		}
		if (n > 0) {
			char *val = strchr(buf, '=');
			if (val)
				*val++ = 0;
			const struct fk_opt *o = NULL;
			size_t t;
			for (t = 0; t < ntables && !o; t++)
				o = find_opt(tables[t].opts, buf);
			if (!o) {
				snprintf(err, errlen, "unknown option '%s'", buf);
				rc = -EINVAL;
			} else {
				rc = apply(o, tables[t - 1].target, buf, val, err,
					   errlen);
			}
		}
		if (!*p)
			break;
		p++; /* the comma */
	}
	free(buf);
	return rc;
}

void fk_opt_print_help(FILE *out, const struct fk_opt *opts)
{
	enum { COLUMN = 28 }; /* where descriptions start */
	for (const struct fk_opt *o = opts; o->name; o++) {
		if (!o->help)
			continue;
		/* "=VALUE  text": the value's name goes with the option's. */
		const char *text = o->help;
		int vlen = 0;
		if (*text == '=') {
			vlen = (int)strcspn(text, " ");
			text += vlen;
		}
		text += strspn(text, " ");
		int w = fprintf(out, "  -o %s%.*s", o->name, vlen, o->help);
		fprintf(out, "%*s", w < COLUMN ? COLUMN - w : 1, "");
		/* Continuation lines (after '\n') line up under the first. */
		for (;;) {
			size_t len = strcspn(text, "\n");
			fprintf(out, "%.*s\n", (int)len, text);
			if (!text[len])
				break;
			text += len + 1;
			text += strspn(text, " ");
			fprintf(out, "%*s", COLUMN, "");
		}
	}
}

/* ---- Mount options -------------------------------------------------- */

#define MO(field) offsetof(struct fk_mount_opts, field)

const struct fk_opt fk_mount_opt_table[] = {
	{ "allow_other", FK_OPT_FLAG, MO(allow_other), 0, NULL,
	  "let other users use the mount (the kernel checks permissions)" },
	{ "allow_root", FK_OPT_FLAG, MO(allow_root), 0, NULL,
	  "let root, and no other user but you, use the mount" },
	{ "default_permissions", FK_OPT_FLAG, MO(default_permissions), 0, NULL,
	  "the kernel checks permissions from file modes" },
	{ "auto_unmount", FK_OPT_FLAG, MO(auto_unmount), 0, NULL,
	  "unmount when the daemon exits, even if it is killed" },
	{ "nonempty", FK_OPT_FLAG, MO(nonempty), 0, NULL,
	  "mount over a non-empty directory or an existing mount" },
	{ "ro", FK_OPT_BIT_SET, MO(flags), FK_MNT_RDONLY, NULL, "read-only mount" },
	{ "rw", FK_OPT_BIT_CLEAR, MO(flags), FK_MNT_RDONLY, NULL,
	  "read-write mount (default)" },
	{ "nosuid", FK_OPT_BIT_SET, MO(flags), FK_MNT_NOSUID, NULL,
	  "ignore set-user/group-id bits (default)" },
	{ "suid", FK_OPT_BIT_CLEAR, MO(flags), FK_MNT_NOSUID, NULL,
	  "honour set-user/group-id bits (root only)" },
	{ "nodev", FK_OPT_BIT_SET, MO(flags), FK_MNT_NODEV, NULL,
	  "do not open device files (default)" },
	{ "dev", FK_OPT_BIT_CLEAR, MO(flags), FK_MNT_NODEV, NULL,
	  "allow device files (root only)" },
	{ "noexec", FK_OPT_BIT_SET, MO(flags), FK_MNT_NOEXEC, NULL,
	  "do not run programs from the mount" },
	{ "exec", FK_OPT_BIT_CLEAR, MO(flags), FK_MNT_NOEXEC, NULL,
	  "allow running programs (default)" },
	{ "noatime", FK_OPT_BIT_SET, MO(flags), FK_MNT_NOATIME, NULL,
	  "do not update access times" },
	{ "atime", FK_OPT_BIT_CLEAR, MO(flags), FK_MNT_NOATIME, NULL, NULL },
	{ "nodiratime", FK_OPT_BIT_SET, MO(flags), FK_MNT_NODIRATIME, NULL,
	  "do not update directory access times" },
	{ "diratime", FK_OPT_BIT_CLEAR, MO(flags), FK_MNT_NODIRATIME, NULL, NULL },
	{ "dirsync", FK_OPT_BIT_SET, MO(flags), FK_MNT_DIRSYNC, NULL,
	  "directory changes are synchronous" },
	{ "sync", FK_OPT_BIT_SET, MO(flags), FK_MNT_SYNCHRONOUS, NULL,
	  "all writes are synchronous" },
	{ "async", FK_OPT_BIT_CLEAR, MO(flags), FK_MNT_SYNCHRONOUS, NULL, NULL },
	{ "fsname", FK_OPT_STR, MO(fsname), 0, NULL,
	  "=NAME  the source shown in mount listings" },
	{ "subtype", FK_OPT_STR, MO(subtype), 0, NULL,
	  "=NAME  the type shows as fuse.NAME" },
	{ "rootmode", FK_OPT_OCTAL, MO(rootmode), 0, NULL,
	  "=MODE  file mode of the root (octal, default 40000)" },
	{ "max_read", FK_OPT_U32, MO(max_read), 0, NULL,
	  "=N     largest read request in bytes" },
	{ "blksize", FK_OPT_U32, MO(blksize), 0, NULL,
	  "=N     block size (block-device mounts only)" },
	{ NULL, 0, 0, 0, NULL, NULL },
};

/* ---- Session options ------------------------------------------------ */

static const struct {
	const char *name;
	uint64_t cap;
} cap_names[] = {
	{ "async_read", FK_CAP_ASYNC_READ },
	{ "posix_locks", FK_CAP_POSIX_LOCKS },
	{ "atomic_o_trunc", FK_CAP_ATOMIC_O_TRUNC },
	{ "export_support", FK_CAP_EXPORT_SUPPORT },
	{ "big_writes", FK_CAP_BIG_WRITES },
	{ "dont_mask", FK_CAP_DONT_MASK },
	{ "flock_locks", FK_CAP_FLOCK_LOCKS },
	{ "ioctl_dir", FK_CAP_IOCTL_DIR },
	{ "auto_inval_data", FK_CAP_AUTO_INVAL_DATA },
	{ "readdirplus", FK_CAP_READDIRPLUS },
	{ "readdirplus_auto", FK_CAP_READDIRPLUS_AUTO },
	{ "async_dio", FK_CAP_ASYNC_DIO },
	{ "writeback_cache", FK_CAP_WRITEBACK_CACHE },
	{ "no_open_support", FK_CAP_NO_OPEN_SUPPORT },
	{ "parallel_dirops", FK_CAP_PARALLEL_DIROPS },
	{ "handle_killpriv", FK_CAP_HANDLE_KILLPRIV },
	{ "posix_acl", FK_CAP_POSIX_ACL },
	{ "abort_error", FK_CAP_ABORT_ERROR },
	{ "max_pages", FK_CAP_MAX_PAGES },
	{ "cache_symlinks", FK_CAP_CACHE_SYMLINKS },
	{ "no_opendir_support", FK_CAP_NO_OPENDIR_SUPPORT },
	{ "explicit_inval_data", FK_CAP_EXPLICIT_INVAL_DATA },
	{ "handle_killpriv_v2", FK_CAP_HANDLE_KILLPRIV_V2 },
	{ "setxattr_ext", FK_CAP_SETXATTR_EXT },
	{ "security_ctx", FK_CAP_SECURITY_CTX },
	{ "create_supp_group", FK_CAP_CREATE_SUPP_GROUP },
	{ "expire_only", FK_CAP_EXPIRE_ONLY },
	{ "direct_io_allow_mmap", FK_CAP_DIRECT_IO_ALLOW_MMAP },
	{ "passthrough", FK_CAP_PASSTHROUGH },
	{ "no_export_support", FK_CAP_NO_EXPORT_SUPPORT },
	{ "over_io_uring", FK_CAP_OVER_IO_URING },
	{ "mac_allocate", FK_CAP_MAC_ALLOCATE },
	{ "mac_exchange_data", FK_CAP_MAC_EXCHANGE_DATA },
	{ "mac_case_insensitive", FK_CAP_MAC_CASE_INSENSITIVE },
	{ "mac_vol_rename", FK_CAP_MAC_VOL_RENAME },
	{ "mac_xtimes", FK_CAP_MAC_XTIMES },
	{ "mac_rename_swap", FK_CAP_MAC_RENAME_SWAP },
	{ "mac_rename_excl", FK_CAP_MAC_RENAME_EXCL },
};

const char *fk_cap_name(uint64_t cap)
{
	for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
		if (cap_names[i].cap == cap)
			return cap_names[i].name;
	return NULL;
}

uint64_t fk_cap_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
		if (strcmp(cap_names[i].name, name) == 0)
			return cap_names[i].cap;
	return 0;
}

static int opt_cap(void *target, const char *name, const char *val, char *err,
		   size_t errlen)
{
	struct fk_session_config *cfg = target;
	int on = strncmp(name, "cap_", 4) == 0;
	const char *capname = name + (on ? 4 : 6);
	if (val) {
		snprintf(err, errlen, "option '%s' takes no value", name);
		return -EINVAL;
	}
	uint64_t cap = fk_cap_from_name(capname);
	if (!cap) {
		snprintf(err, errlen, "unknown capability '%s' in option '%s'",
			 capname, name);
		return -EINVAL;
	}
	if (on) {
		cfg->caps_on |= cap;
		cfg->caps_off &= ~cap;
	} else {
		cfg->caps_off |= cap;
		cfg->caps_on &= ~cap;
	}
	return 0;
}

static int opt_threads(void *target, const char *name, const char *val,
		       char *err, size_t errlen)
{
	struct fk_session_config *cfg = target;
	uint32_t n;
	if (parse_u32(val, 10, &n) || n < 1 || n > 1024) {
		snprintf(err, errlen, "option '%s' needs a thread count from 1 "
				      "to 1024", name);
		return -EINVAL;
	}
	cfg->threads = n;
	return 0;
}

/* max_background= and congestion_threshold=: the kernel takes 16 bits. */
static int opt_queue_limit(void *target, const char *name, const char *val,
			   char *err, size_t errlen)
{
	struct fk_session_config *cfg = target;
	uint32_t n;
	if (parse_u32(val, 10, &n) || n < 1 || n > 65535) {
		snprintf(err, errlen, "option '%s' needs a request count from 1 "
				      "to 65535", name);
		return -EINVAL;
	}
	if (strcmp(name, "max_background") == 0)
		cfg->max_background = n;
	else
		cfg->congestion_threshold = n;
	return 0;
}

static int opt_dialect(void *target, const char *name, const char *val,
		       char *err, size_t errlen)
{
	struct fk_session_config *cfg = target;
	if (val && strcmp(val, "linux") == 0)
		cfg->dialect = FK_DIALECT_LINUX;
	else if (val && strcmp(val, "macfuse") == 0)
		cfg->dialect = FK_DIALECT_MACFUSE;
	else {
		snprintf(err, errlen, "option '%s' is 'linux' or 'macfuse'", name);
		return -EINVAL;
	}
	return 0;
}

#define SC(field) offsetof(struct fk_session_config, field)

const struct fk_opt fk_session_opt_table[] = {
	{ "threads", FK_OPT_FUNC, 0, 0, opt_threads,
	  "=N     worker threads (default 4; 1 = single-threaded)" },
	{ "max_pages", FK_OPT_U32, SC(max_pages), 0, NULL,
	  "=N     largest request in 4 KiB pages (default: kernel's limit)" },
	{ "max_background", FK_OPT_FUNC, 0, 0, opt_queue_limit,
	  "=N  background requests in flight at most (default 64)" },
	{ "congestion_threshold", FK_OPT_FUNC, 0, 0, opt_queue_limit,
	  "=N  background requests past which writers wait\n"
	  "               (default 3/4 of max_background)" },
	{ "debug", FK_OPT_FLAG, SC(debug), 0, NULL,
	  "print what the kernel and fusekit negotiated" },
	{ "io_uring", FK_OPT_FLAG, SC(io_uring), 0, NULL,
	  "       requests through io_uring where the kernel allows it\n"
	  "               (Linux >= 6.14, fuse's enable_uring=Y), else /dev/fuse;\n"
	  "               the default" },
	{ "noio_uring", FK_OPT_FLAG_OFF, SC(io_uring), 0, NULL,
	  "     requests through /dev/fuse only" },
	{ "splice", FK_OPT_FLAG, SC(splice), 0, NULL,
	  "         over /dev/fuse, read data spliced from the file to the\n"
	  "               kernel, not copied through the daemon (Linux); the\n"
	  "               default" },
	{ "nosplice", FK_OPT_FLAG_OFF, SC(splice), 0, NULL,
	  "       read data copied through the daemon" },
	{ "trace", FK_OPT_FLAG, SC(trace), 0, NULL,
	  "print every request and reply" },
	{ "cap_*", FK_OPT_FUNC, 0, 0, opt_cap,
	  "       cap_NAME / nocap_NAME: force a FUSE capability on/off" },
	{ "nocap_*", FK_OPT_FUNC, 0, 0, opt_cap, NULL },
	{ "dialect", FK_OPT_FUNC, 0, 0, opt_dialect,
	  "=linux|macfuse  wire protocol (default: the host's; for tests)" },
	{ NULL, 0, 0, 0, NULL, NULL },
};
