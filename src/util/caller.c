/*
 * caller.c — a request's caller's supplementary groups and CAP_FSETID,
 * from /proc/<pid>/status (fk_caller.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fk_caller.h"

#define CAP_FSETID_BIT 4 /* <linux/capability.h>, the same on every arch */

int fk_caller_parse_status(const char *text, uint32_t gid, int *in_group,
			   int *fsetid)
{
	const char *groups = strstr(text, "\nGroups:");
	const char *caps = strstr(text, "\nCapEff:");
	if (!groups || !caps)
		return -EINVAL;
	char *end;
	unsigned long long eff = strtoull(caps + 8, &end, 16);
	*fsetid = (int)((eff >> CAP_FSETID_BIT) & 1);
	*in_group = 0;
	const char *p = groups + 8;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			break; /* the line's end */
		unsigned long g = strtoul(p, &end, 10);
		if (g == gid)
			*in_group = 1;
		p = end;
	}
	return 0;
}

/* The caller's status, parsed: 0, or -errno when /proc cannot say. */
static int caller_status(const struct fk_ctx *ctx, uint32_t gid, int *in_group,
			 int *fsetid)
{
	if (ctx->pid == 0)
		return -ESRCH; /* another pid namespace's */
	char path[48];
	(void)snprintf(path, sizeof path, "/proc/%u/status", ctx->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Groups and CapEff come well within the first 4 KiB; a caller
	 * with more groups than fit is judged by what was read. */
	char text[4096];
	ssize_t n = read(fd, text, sizeof text - 1);
	int e = errno;
	(void)close(fd); /* read-only: nothing to lose */
	if (n < 0)
		return -e;
	text[n] = '\0';
	return fk_caller_parse_status(text, gid, in_group, fsetid);
}

int fk_caller_in_group(const struct fk_ctx *ctx, uint32_t gid)
{
	if (ctx->gid == gid)
		return 1;
	int in_group, fsetid;
	if (caller_status(ctx, gid, &in_group, &fsetid) < 0)
		return 0;
	return in_group || fsetid;
}

int fk_caller_has_fsetid(const struct fk_ctx *ctx)
{
	int in_group, fsetid;
	if (caller_status(ctx, ctx->gid, &in_group, &fsetid) < 0)
		return ctx->uid == 0;
	return fsetid;
}
