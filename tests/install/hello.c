/* hello.c — a program built only from the installed headers and library,
 * through pkg-config: proves the install is usable on its own. */
#include <stdio.h>
#include <string.h>

#include <fusekit/fusekit.h>

int main(void)
{
	struct fk_mount_opts mo;
	struct fk_opt_table t = { fk_mount_opt_table, &mo };
	char err[128];
	fk_mount_opts_init(&mo);
	if (fk_opt_parse("allow_other,fsname=hello", &t, 1, err, sizeof err) ||
	    !mo.allow_other || strcmp(mo.fsname, "hello") != 0)
		return 1;
	fk_mount_opts_free(&mo);
	fk_session *se;
	static const struct fk_ops ops = { 0 };
	if (fk_session_new(&se, &ops, sizeof ops, NULL, NULL))
		return 1;
	fk_session_destroy(se);
	printf("fusekit %s installed and usable\n", FUSEKIT_VERSION_STRING);
	return 0;
}
