/*
 * un_branch.c — branch lists as mergerfs takes them, and sizes.
 *
 *   /mnt/disk*=RW:/mnt/ro=RO:/mnt/small=RW,20G
 *
 * Items are split at unescaped colons; within an item, the last
 * unescaped '=' separates the path from MODE[,MINFREESPACE]. A
 * backslash makes the next character plain (':', '=', '\\', or a glob
 * character). A path with glob characters is expanded with glob(3),
 * directories only, in sorted order.
 */
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "un.h"

#ifndef GLOB_ONLYDIR
#define GLOB_ONLYDIR 0 /* macOS: GLOB_MARK tells directories anyway */
#endif

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

const char *fk_un_mode_name(enum fk_un_mode m)
{
	switch (m) {
	case FK_UN_RW:
		return "RW";
	case FK_UN_NC:
		return "NC";
	case FK_UN_RO:
		return "RO";
	}
	return "?";
}

int fk_un_size_parse(const char *s, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	static const char units[] = "BKMGT";
	unsigned shift = 0;
	if (*s) {
		const char *u = strchr(units, *s >= 'a' ? *s - 'a' + 'A' : *s);
		if (!u || s[1])
			return -EINVAL;
		shift = 10 * (unsigned)(u - units);
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

static int add(struct fk_un_branches *b, const char *path, enum fk_un_mode mode,
	       uint64_t minfree, char *err, size_t errlen)
{
	if (b->n == FK_UN_MAX_BRANCHES)
		return fail(err, errlen, -EINVAL, "more than %d branches",
			    FK_UN_MAX_BRANCHES);
	struct fk_un_branch_spec *v = realloc(b->v, (b->n + 1) * sizeof *v);
	if (!v)
		return fail(err, errlen, -ENOMEM, "out of memory");
	b->v = v;
	char *copy = strdup(path);
	if (!copy)
		return fail(err, errlen, -ENOMEM, "out of memory");
	v[b->n++] = (struct fk_un_branch_spec){ copy, mode, minfree };
	return 0;
}

/* Split item[0..len) at its last unescaped '=': *opts is what follows
 * (NULL if there is none), *path the unescaped path before it, and
 * *pattern the same path as a glob pattern (escaped glob characters stay
 * escaped), or NULL when the path has no glob character. The three point
 * into buf (3 * len + 3 bytes). */
static void split_item(const char *item, size_t len, char *buf, char **path,
		       char **pattern, char **opts)
{
	char *plain = buf, *pat = buf + len + 1, *rest = buf + 2 * len + 2;
	size_t o = 0, po = 0, end = len;
	int globby = 0;
	*opts = NULL;
	for (size_t i = 0; i < len; i++) { /* the last unescaped '=' */
		if (item[i] == '\\')
			i++;
		else if (item[i] == '=')
			end = i;
	}
	if (end < len) {
		memcpy(rest, item + end + 1, len - end - 1);
		rest[len - end - 1] = 0;
		*opts = rest;
	}
	for (size_t i = 0; i < end; i++) {
		if (item[i] == '\\' && i + 1 < end) {
			i++;
			if (strchr("*?[\\", item[i]))
				pat[po++] = '\\';
		} else if (strchr("*?[", item[i])) {
			globby = 1;
		}
		plain[o++] = item[i];
		pat[po++] = item[i];
	}
	plain[o] = pat[po] = 0;
	*path = plain;
	*pattern = globby ? pat : NULL;
}

/* "MODE[,MINFREESPACE]" */
static int parse_mode(const char *path, char *opts, enum fk_un_mode *mode,
		      uint64_t *minfree, char *err, size_t errlen)
{
	*mode = FK_UN_RW;
	*minfree = UINT64_MAX;
	if (!opts)
		return 0;
	char *comma = strchr(opts, ',');
	if (comma) {
		*comma = 0;
		if (fk_un_size_parse(comma + 1, minfree))
			return fail(err, errlen, -EINVAL,
				    "branch %s: '%s' is not a size (like 500M, 20G)",
				    path, comma + 1);
	}
	if (strcasecmp(opts, "RW") == 0)
		*mode = FK_UN_RW;
	else if (strcasecmp(opts, "NC") == 0)
		*mode = FK_UN_NC;
	else if (strcasecmp(opts, "RO") == 0)
		*mode = FK_UN_RO;
	else
		return fail(err, errlen, -EINVAL,
			    "branch %s: mode '%s' is not RW, RO or NC", path, opts);
	return 0;
}

static int add_item(struct fk_un_branches *b, const char *item, size_t len,
		    char *err, size_t errlen)
{
	char *buf = malloc(3 * len + 3);
	if (!buf)
		return fail(err, errlen, -ENOMEM, "out of memory");
	char *path, *pattern, *opts;
	split_item(item, len, buf, &path, &pattern, &opts);
	enum fk_un_mode mode;
	uint64_t minfree;
	int rc = 0;
	if (!*path)
		rc = fail(err, errlen, -EINVAL, "a branch with an empty path in '%.*s'",
			  (int)len, item);
	else
		rc = parse_mode(path, opts, &mode, &minfree, err, errlen);
	if (rc == 0 && !pattern) {
		rc = add(b, path, mode, minfree, err, errlen);
	} else if (rc == 0) {
		glob_t g;
		int grc = glob(pattern, GLOB_ONLYDIR | GLOB_MARK, NULL, &g);
		size_t found = 0;
		for (size_t i = 0; grc == 0 && rc == 0 && i < g.gl_pathc; i++) {
			char *p = g.gl_pathv[i];
			size_t pl = strlen(p);
			if (pl < 2 || p[pl - 1] != '/')
				continue; /* not a directory (GLOB_ONLYDIR is a hint) */
			p[pl - 1] = 0;
			rc = add(b, p, mode, minfree, err, errlen);
			found++;
		}
		if (grc == 0)
			globfree(&g);
		if (rc == 0 && grc == GLOB_NOSPACE)
			rc = fail(err, errlen, -ENOMEM, "out of memory");
		else if (rc == 0 && !found)
			rc = fail(err, errlen, -EINVAL,
				  "branch pattern %s matches no directory", path);
	}
	free(buf);
	return rc;
}

int fk_un_branches_parse(const char *spec, struct fk_un_branches *out,
			 char *err, size_t errlen)
{
	if (!spec || !*spec)
		return fail(err, errlen, -EINVAL, "no branches given");
	const char *item = spec;
	for (const char *p = spec;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p != ':' && *p != 0)
			continue;
		int rc = add_item(out, item, (size_t)(p - item), err, errlen);
		if (rc)
			return rc;
		if (!*p)
			return 0;
		item = p + 1;
	}
}

void fk_un_branches_free(struct fk_un_branches *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].path);
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

/* Copy cur[from..to) onto the end of out. */
static int append_copies(struct fk_un_branches *out,
			 const struct fk_un_branches *cur, size_t from, size_t to,
			 char *err, size_t errlen)
{
	int rc = 0;
	for (size_t i = from; rc == 0 && i < to; i++)
		rc = add(out, cur->v[i].path, cur->v[i].mode,
			 cur->v[i].minfreespace, err, errlen);
	return rc;
}

int fk_un_branches_edit(const struct fk_un_branches *cur, const char *value,
			struct fk_un_branches *out, char *err, size_t errlen)
{
	int rc;
	if (!strcmp(value, "-<") || !strcmp(value, "->")) {
		rc = cur->n < 2 ? fail(err, errlen, -EINVAL, "a union keeps one "
							      "branch at least")
		     : value[1] == '<' ? append_copies(out, cur, 1, cur->n, err, errlen)
				       : append_copies(out, cur, 0, cur->n - 1, err,
						       errlen);
	} else if (value[0] == '-') {
		/* Every branch of that path goes (a list may name one twice
		 * only by mistake). */
		size_t kept = 0;
		rc = 0;
		for (size_t i = 0; rc == 0 && i < cur->n; i++) {
			if (!strcmp(cur->v[i].path, value + 1))
				continue;
			kept++;
			rc = append_copies(out, cur, i, i + 1, err, errlen);
		}
		if (rc == 0 && kept == cur->n)
			rc = fail(err, errlen, -EINVAL, "%s is not a branch",
				  value + 1);
		else if (rc == 0 && kept == 0)
			rc = fail(err, errlen, -EINVAL, "a union keeps one "
							"branch at least");
	} else if (value[0] == '+') {
		const char *spec = value + 1 + (value[1] == '<' || value[1] == '>');
		if (value[1] == '<') {
			rc = fk_un_branches_parse(spec, out, err, errlen);
			if (rc == 0)
				rc = append_copies(out, cur, 0, cur->n, err, errlen);
		} else {
			rc = append_copies(out, cur, 0, cur->n, err, errlen);
			if (rc == 0)
				rc = fk_un_branches_parse(spec, out, err, errlen);
		}
	} else {
		rc = fk_un_branches_parse(value, out, err, errlen);
	}
	/* One branch per path: a second would be the same files twice. */
	for (size_t i = 0; rc == 0 && i < out->n; i++)
		for (size_t j = 0; rc == 0 && j < i; j++)
			if (!strcmp(out->v[i].path, out->v[j].path))
				rc = fail(err, errlen, -EINVAL,
					  "%s is a branch twice", out->v[i].path);
	if (rc)
		fk_un_branches_free(out);
	return rc;
}
