/*
 * un_cow.c — copy-on-write over read-only branches (-o cow), as
 * unionfs-fuse does it, on the overlay's copy-up.
 *
 * A change to an object shown from an RO branch first copies it to a
 * writable branch above that one, the one the create policy (its non-ep
 * form) picks: a file through that branch's work directory (the
 * overlay's fk_ovl_copy_one: built there with data, holes, owner, mode,
 * xattrs and times, then renamed into place, so the name shows the old
 * file or the whole copy); a directory is made there as a copy of the
 * one shown (fk_un_clone_dir), its parents first. Removing a name that
 * keeps a copy on an RO branch leaves a whiteout above it (un_write.c).
 *
 * Each writable branch has its work directory in its root, named
 * ".wh..wh.fusekit" (FK_UN_WORK_NAME): a marker name, which the union
 * never shows, as aufs keeps ".wh..wh.orph" in its branches.
 *
 * Without -o cow, the same request gets EROFS.
 */
#include <assert.h>
#include <errno.h>
#include <sys/stat.h>

#include "un.h"

int fk_un_cow_target(struct fk_ovl *ovl, const struct fk_ovl_node *dir,
		     unsigned below)
{
	enum fk_un_policy p = ovl->un->create;
	if (fk_un_policy_ep(p))
		p = (enum fk_un_policy)(p - 1); /* the path is made where needed */
	int t = fk_un_choose(ovl, p, dir, -1, 0, below);
	return t == -ENOENT ? -EROFS : t;
}

int fk_un_copy_up(struct fk_ovl *ovl, fk_session *se, struct fk_ovl_node *n,
		  unsigned flags)
{
	assert(fk_ovl_tree_held() == FK_OVL_TREE_NONE);
	struct fk_un *un = ovl->un;
	int rc = -EAGAIN;
	for (int tries = 0; rc == -EAGAIN && tries < FK_OVL_COPY_TRIES; tries++) {
		fk_ovl_tree_write(ovl);
		unsigned cur = n->stack[0].layer;
		if (fk_un_branch_writable(ovl, cur)) {
			fk_ovl_tree_unlock(ovl);
			return 0;
		}
		struct fk_ovl_node *dir = n->type == S_IFDIR ? n : n->parent;
		int t = !un->cow ? -EROFS : !dir ? -EROFS /* unnamed */
						 : fk_un_cow_target(ovl, dir, cur);
		int at = t < 0 ? t : fk_un_clone_dir(ovl, dir, (unsigned)t);
		struct fk_ovl_dest to = { t < 0 ? 0 : (unsigned)t,
					  t < 0 ? NULL : un->b[t].work };
		fk_ovl_tree_unlock(ovl);
		if (at < 0)
			return at;
		if (n->type == S_IFDIR) {
			/* Merged with a writable copy on top now: the kernel's
			 * cached attributes (nlink) go. Failing, it does not
			 * know the node. */
			(void)fk_notify_inval_inode(se, n->tn.nodeid, -1, 0);
			return 0;
		}
		rc = to.work ? fk_ovl_copy_one(ovl, n, flags, &to) : -EROFS;
	}
	return rc;
}
