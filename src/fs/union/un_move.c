/*
 * un_move.c — moveonenospc: a file whose branch is full moves to a branch
 * with room, and the write that failed is tried again there.
 *
 * As mergerfs does it: a branch is picked by the moveonenospc policy
 * (mfs by default) among the RW branches with room for the whole file
 * and minfreespace; the file is copied there under a staging name in the
 * same directory (its parent made there first where missing), with its
 * data, holes, owner, mode, xattrs and times; the copy is renamed over
 * the name and the old one is unlinked. The open file's descriptor is
 * pointed at the new copy (dup2 onto the same number, so a read or write
 * racing with the move uses one file or the other, whole).
 *
 * Only a file open once is moved: another open of it would keep writing
 * to the old, unlinked copy. Kernel passthrough is off for such mounts
 * (writes must reach the daemon to be seen failing).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "un.h"
#include "../../platform/fk_platform.h"

/* The copy of file h (layer lc, attributes st) as tmp in directory P of
 * layer lb: *out, *ost. 0 or -errno (then nothing is left there). */
static int copy_file(struct fk_ovl *ovl, struct fk_layer *lc,
		     struct fk_layer_node *h, const struct fk_layer_stat *st,
		     struct fk_layer *lb, struct fk_layer_node *P, const char *tmp,
		     struct fk_layer_node **out, struct fk_layer_stat *ost)
{
	const struct fk_layer_cred cred = { .uid = st->attr.uid, .gid = st->attr.gid };
	int src = lc->ops->open(lc, h, O_RDONLY);
	if (src < 0)
		return src;
	int dst = lb->ops->create(lb, P, tmp, O_RDWR, st->attr.mode & 07777, &cred,
				  out, ost);
	int rc = dst < 0 ? dst : fk_ovl_copy_data(ovl, src, dst, st->attr.size, 0);
	if (rc == 0)
		rc = fk_ovl_copy_xattrs(lc, h, lb, *out);
	if (rc == 0) {
		/* Times last: the copy's writes changed them. */
		struct fk_setattr_in in = { .valid = FK_SET_ATIME | FK_SET_MTIME,
					    .atime = st->attr.atime,
					    .mtime = st->attr.mtime };
		rc = lb->ops->setattr(lb, *out, &in, ost);
	}
	close(src);
	if (dst >= 0)
		close(dst);
	if (rc && dst >= 0) {
		fk_layer_put(lb, *out);
		(void)lb->ops->unlink(lb, P, tmp); /* failing: a stray copy */
	}
	return rc;
}

int fk_un_move_on_enospc(struct fk_ovl *ovl, const struct ovl_file *f,
			 uint64_t need)
{
	int saved = errno;
	struct fk_un *un = ovl->un;
	struct fk_ovl_node *n = f->node;
	/* The new stack is made first: once the file moved, nothing may
	 * fail to say so. */
	struct fk_ovl_layer_ref *stack = atomic_load(&un->moveonenospc) ? malloc(sizeof *stack) : NULL;
	if (!stack)
		return -ENOSPC;
	fk_ovl_tree_write(ovl);
	struct fk_ovl_node *parent = n->parent;
	unsigned cur = n->stack[0].layer;
	struct fk_layer *lc = ovl->layers[cur];
	struct fk_layer_stat st;
	int rc = n->type != S_IFREG || !parent || !n->name ? -ENOSPC
		 : atomic_load(&n->opens) != 1		  ? -ENOSPC
							  : lc->ops->getattr(lc, n->stack[0].h, &st);
	int b = rc ? rc
		      : fk_un_choose(ovl, un->move_policy, parent, (int)cur,
				     need > st.attr.size ? need : st.attr.size,
				     FK_UN_NO_LAYER);
	int at = b < 0 ? b : fk_un_clone_dir(ovl, parent, (unsigned)b);
	int pc = -1;
	for (unsigned k = 0; k < parent->depth; k++)
		if (parent->stack[k].layer == cur)
			pc = (int)k;
	if (at >= 0 && pc < 0)
		at = -ENOENT; /* the host moved it: not here any more */
	struct fk_layer *lb = at < 0 ? NULL : ovl->layers[b];
	struct fk_layer_node *h = NULL;
	struct fk_layer_stat nst;
	char tmp[FK_LAYER_STAGE_NAME_MAX];
	if (at >= 0) {
		fk_layer_stage_name(lb, tmp);
		rc = copy_file(ovl, lc, n->stack[0].h, &st, lb, parent->stack[at].h,
			       tmp, &h, &nst);
	} else {
		rc = at;
	}
	if (rc == 0) {
		rc = lb->ops->rename(lb, parent->stack[at].h, tmp, parent->stack[at].h,
				     n->name, 0);
		if (rc) {
			fk_layer_put(lb, h);
			(void)lb->ops->unlink(lb, parent->stack[at].h, tmp); /* stray */
		}
	}
	int fd = -1;
	if (rc == 0) {
		int fl = fcntl(f->fd, F_GETFL);
		fd = fl < 0 ? -errno
			    : lb->ops->open(lb, h, fl & (O_ACCMODE | O_APPEND | FK_O_DIRECT |
							O_SYNC | O_DSYNC | FK_O_NOATIME));
		if (fd >= 0 && dup2(fd, f->fd) < 0)
			rc = -errno;
		else if (fd < 0)
			rc = fd;
		if (fd >= 0)
			close(fd);
		if (rc) {
			/* The copy stands under the name beside the old one,
			 * which the open file still writes: remove the copy. */
			fk_layer_put(lb, h);
			(void)lb->ops->unlink(lb, parent->stack[at].h, n->name);
		}
	}
	if (rc == 0) {
		/* Failing, the old copy stays hidden below the new one, or
		 * shows above it, with the data as it was. */
		(void)lc->ops->unlink(lc, parent->stack[pc].h, n->name);
		if (!n->origin_ino) /* the number shown stays */
			n->origin_ino = fk_ovl_shown_ino(ovl, cur, n->key_ino);
		stack[0] = (struct fk_ovl_layer_ref){ (unsigned)b, h };
		fk_ovl_node_restack(ovl, n, stack, 1, nst.dev, nst.attr.ino);
		stack = NULL;
		fk_ovl_dircache_drop(ovl, parent);
	}
	fk_ovl_tree_unlock(ovl);
	free(stack);
	errno = saved;
	return rc;
}
