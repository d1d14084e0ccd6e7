/*
 * errno_map.c — a reply's errno in the numbering of the kernel that reads
 * it.
 *
 * Handlers answer with the host's errno values. macFUSE's kernel reads
 * macOS's (xnu bsd/sys/errno.h), Linux's its own (asm-generic/errno*.h):
 * where the dialect is not the host's own (the macFUSE dialect on Linux,
 * as the unit tests' fake kernel speaks it; the Linux dialect on a Mac),
 * every number is translated, and one unknown there becomes EIO.
 *
 * Two meanings are settled for the macFUSE dialect on every host:
 *   - a missing extended attribute is ENOATTR (93). fusekit's code says
 *     ENODATA for it, as Linux does (its ENOATTR is ENODATA; darwin.c
 *     turns the Mac's ENOATTR into ENODATA for that code), but macOS's
 *     ENODATA (96) means "no message available on STREAM";
 *   - "not supported" is ENOTSUP (45), never EOPNOTSUPP (102, "not
 *     supported on socket"): xnu falls back to AppleDouble files for
 *     xattrs only on ENOTSUP (bsd/vfs/vfs_xattr.c).
 */
#include <errno.h>

#include "fk_proto.h"

/* The two numberings, where they differ (1-10, 12-34 are the same). */
static const struct {
	unsigned char linux_no, darwin_no;
} pairs[] = {
	{ 11, 35 },   /* EAGAIN */
	{ 35, 11 },   /* EDEADLK */
	{ 36, 63 },   /* ENAMETOOLONG */
	{ 37, 77 },   /* ENOLCK */
	{ 38, 78 },   /* ENOSYS */
	{ 39, 66 },   /* ENOTEMPTY */
	{ 40, 62 },   /* ELOOP */
	{ 42, 91 },   /* ENOMSG */
	{ 43, 90 },   /* EIDRM */
	{ 60, 99 },   /* ENOSTR */
	{ 61, 93 },   /* ENODATA, Linux's ENOATTR: macOS's ENOATTR */
	{ 62, 101 },  /* ETIME */
	{ 63, 98 },   /* ENOSR */
	{ 66, 71 },   /* EREMOTE */
	{ 67, 97 },   /* ENOLINK */
	{ 71, 100 },  /* EPROTO */
	{ 72, 95 },   /* EMULTIHOP */
	{ 74, 94 },   /* EBADMSG */
	{ 75, 84 },   /* EOVERFLOW */
	{ 84, 92 },   /* EILSEQ */
	{ 87, 68 },   /* EUSERS */
	{ 88, 38 },   /* ENOTSOCK */
	{ 89, 39 },   /* EDESTADDRREQ */
	{ 90, 40 },   /* EMSGSIZE */
	{ 91, 41 },   /* EPROTOTYPE */
	{ 92, 42 },   /* ENOPROTOOPT */
	{ 93, 43 },   /* EPROTONOSUPPORT */
	{ 94, 44 },   /* ESOCKTNOSUPPORT */
	{ 95, 45 },   /* EOPNOTSUPP = ENOTSUP on Linux: macOS's ENOTSUP */
	{ 96, 46 },   /* EPFNOSUPPORT */
	{ 97, 47 },   /* EAFNOSUPPORT */
	{ 98, 48 },   /* EADDRINUSE */
	{ 99, 49 },   /* EADDRNOTAVAIL */
	{ 100, 50 },  /* ENETDOWN */
	{ 101, 51 },  /* ENETUNREACH */
	{ 102, 52 },  /* ENETRESET */
	{ 103, 53 },  /* ECONNABORTED */
	{ 104, 54 },  /* ECONNRESET */
	{ 105, 55 },  /* ENOBUFS */
	{ 106, 56 },  /* EISCONN */
	{ 107, 57 },  /* ENOTCONN */
	{ 108, 58 },  /* ESHUTDOWN */
	{ 109, 59 },  /* ETOOMANYREFS */
	{ 110, 60 },  /* ETIMEDOUT */
	{ 111, 61 },  /* ECONNREFUSED */
	{ 112, 64 },  /* EHOSTDOWN */
	{ 113, 65 },  /* EHOSTUNREACH */
	{ 114, 37 },  /* EALREADY */
	{ 115, 36 },  /* EINPROGRESS */
	{ 116, 70 },  /* ESTALE */
	{ 122, 69 },  /* EDQUOT */
	{ 125, 89 },  /* ECANCELED */
	{ 130, 105 }, /* EOWNERDEAD */
	{ 131, 104 }, /* ENOTRECOVERABLE */
};

/* The same in both below 35 but for these. */
static int same_below_35(int e)
{
	return e >= 1 && e <= 34 && e != 11;
}

/* e (Linux's numbering) in macOS's; 0 if it has none. */
static int to_darwin(int e)
{
	if (same_below_35(e))
		return e;
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		if (pairs[i].linux_no == e)
			return pairs[i].darwin_no;
	return 0;
}

/* e (macOS's numbering) in Linux's; 0 if it has none. */
static int to_linux(int e)
{
	if (same_below_35(e))
		return e;
	if (e == 96) /* macOS's ENODATA: what fusekit says for ENOATTR */
		return 61;
	if (e == 102) /* macOS's EOPNOTSUPP */
		return 95;
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		if (pairs[i].darwin_no == e)
			return pairs[i].linux_no;
	return 0;
}

int32_t fk_proto_errno_convert(enum fk_dialect from, enum fk_dialect to,
			       int32_t err)
{
	if (err >= 0)
		return err;
	int e = -err, w;
	if (from == FK_DIALECT_LINUX)
		w = to == FK_DIALECT_LINUX ? e : to_darwin(e);
	else if (to == FK_DIALECT_MACFUSE) /* ENOATTR, ENOTSUP */
		w = e == 96 ? 93 : e == 102 ? 45 : e;
	else
		w = to_linux(e);
	return -(w ? w : 5); /* EIO: the same in both */
}

int32_t fk_proto_wire_errno(enum fk_dialect wire, int32_t err)
{
#ifdef __APPLE__
	return fk_proto_errno_convert(FK_DIALECT_MACFUSE, wire, err);
#else
	return fk_proto_errno_convert(FK_DIALECT_LINUX, wire, err);
#endif
}
