/*
 * fk_opt.h — "-o name,name=value" option parsing, shared by every fusekit
 * filesystem so that all of them accept and reject options the same way.
 *
 * An option string is split at commas (a backslash escapes the next
 * character, so "fsname=a\,b" is one option). Each option is looked up in a
 * list of tables, each table writing into its own target struct. An option
 * no table knows, a flag given a value, a value option without one, or a
 * number that does not parse is an error whose message names the option.
 */
#ifndef FUSEKIT_FK_OPT_H
#define FUSEKIT_FK_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared here is the library's ABI; the rest is hidden
 * (-fvisibility=hidden, cmake/fusekit.map). */
#pragma GCC visibility push(default)

enum fk_opt_kind {
	FK_OPT_FLAG, /* int = 1; no value */
	FK_OPT_FLAG_OFF, /* int = 0; no value (e.g. "rw" undoing "ro") */
	FK_OPT_BIT_SET, /* uint32 |= bit; no value */
	FK_OPT_BIT_CLEAR, /* uint32 &= ~bit; no value */
	FK_OPT_STR, /* char * = strdup(value) (previous value freed) */
	FK_OPT_U32, /* uint32, decimal or 0x hex */
	FK_OPT_OCTAL, /* uint32 in octal (modes) */
	FK_OPT_DOUBLE, /* double, non-negative (timeouts in seconds) */
	FK_OPT_FUNC, /* fn(target, name, value, err, errlen) decides */
	FK_OPT_CACHE, /* enum fk_cache: never|metadata|auto|always */
};

/** How much the kernel may cache (cache=): the passthrough and overlay
 *  filesystems share the policy. */
enum fk_cache {
	FK_CACHE_NEVER, /* no caching: timeouts 0, direct I/O */
	FK_CACHE_METADATA, /* names and attributes cached, data not kept */
	FK_CACHE_AUTO, /* cached; data dropped when mtime/size change */
	FK_CACHE_ALWAYS, /* everything cached, data kept across opens */
};

/** The entry and attribute timeout a cache mode implies (seconds). */
double fk_cache_timeout(enum fk_cache c);
/** The FK_FOPEN_* flags of an open (is_dir: of an opendir). */
uint32_t fk_cache_open_flags(enum fk_cache c, int is_dir);
/** The FK_CAP_* capabilities to ask for at INIT. */
uint64_t fk_cache_caps(enum fk_cache c);
/** Seconds as the nanoseconds of a reply's validity (0 for <= 0). */
uint64_t fk_timeout_ns(double sec);

struct fk_opt {
	/** Option name. A name ending in '*' matches any option starting
	 *  with the part before it (FK_OPT_FUNC only). */
	const char *name;
	enum fk_opt_kind kind;
	size_t offset; /* into the table's target */
	uint32_t bit; /* FK_OPT_BIT_* */
	int (*fn)(void *target, const char *name, const char *value,
		  char *err, size_t errlen);
	/** One line of --help text; NULL hides the option from help. */
	const char *help;
};

/** A table and the struct its offsets point into. The table ends with an
 *  entry whose name is NULL. */
struct fk_opt_table {
	const struct fk_opt *opts;
	void *target;
};

/**
 * Parse optstr against the tables, in order (the first table that knows a
 * name wins). Items are split at commas, as mount(8) splits them: "\,"
 * is a comma within an item, a double-quoted part may hold commas (its
 * quotes are dropped: context="a:b:s0:c1,c2" gives a:b:s0:c1,c2), and
 * empty items are skipped. Returns 0, or -EINVAL with a message in err
 * (also for an unclosed quote), or -ENOMEM.
 */
int fk_opt_parse(const char *optstr, const struct fk_opt_table *tables,
		 size_t ntables, char *err, size_t errlen);

/** Print "    -o NAME    HELP" lines for the options of a table. */
void fk_opt_print_help(FILE *out, const struct fk_opt *opts);

/** Mount options (target: struct fk_mount_opts). */
extern const struct fk_opt fk_mount_opt_table[];
/** Session options (target: struct fk_session_config): threads=, debug,
 *  trace, max_pages=, cap_NAME, nocap_NAME, dialect=. */
extern const struct fk_opt fk_session_opt_table[];

/** The names of the FK_CAP_* bits as cap_NAME options accept them. */
const char *fk_cap_name(uint64_t cap);
/** Look up a capability by name ("writeback_cache"); 0 if unknown. */
uint64_t fk_cap_from_name(const char *name);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* FUSEKIT_FK_OPT_H */
