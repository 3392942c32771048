/* sys_cred.c - system-call wrappers: identity and privilege; see sys_cred.h. */
#include <errno.h>
#include <sys/resource.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sysutil.h"

int
sys_seccomp_filter(const struct sock_fprog *prog)
{
	/* no_new_privs first, as libseccomp's own loader does */
	int r = sys_no_new_privs();

	if (r < 0)
		return r;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return -errno;
	return 0;
}

int
sys_no_new_privs(void)
{
	static bool set;	/* inherited by fork, as the kernel's flag is */

	if (set)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	set = true;
	return 0;
}

int
sys_user_uid(const char *name, uid_t *uid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL)
		return errno ? -errno : -ENOENT;
	*uid = pw->pw_uid;
	return 0;
}

int
sys_user_groups(const char *name, gid_t gid, gid_t **groups)
{
	long max = sysconf(_SC_NGROUPS_MAX);
	int n = 64, want;
	gid_t *g = xreallocarray(NULL, (size_t)n, sizeof(*g));

	/* a few rounds: the group file may grow between two calls */
	for (int round = 0; round < 4; round++) {
		want = n;
		if (getgrouplist(name, gid, g, &want) >= 0 && want >= 1) {
			*groups = g;
			return want;
		}
		if (want <= n)
			break;			/* not a matter of room */
		if (max > 0 && want > max) {
			free(g);
			return -E2BIG;
		}
		n = want;
		g = xreallocarray(g, (size_t)n, sizeof(*g));
	}
	g[0] = gid;
	*groups = g;
	return 1;
}

uid_t
sys_getuid(void)
{
	return getuid();
}

uid_t
sys_geteuid(void)
{
	return geteuid();
}

gid_t
sys_getegid(void)
{
	return getegid();
}

int
sys_setgroups(int n, const gid_t *groups)
{
	return setgroups((size_t)n, groups) < 0 ? -errno : 0;
}

int
sys_setresuid(uid_t id)
{
	return setresuid(id, id, id) < 0 ? -errno : 0;
}

int
sys_setresgid(gid_t id)
{
	return setresgid(id, id, id) < 0 ? -errno : 0;
}

int
sys_getresuid(uid_t *r, uid_t *e, uid_t *s)
{
	return getresuid(r, e, s) < 0 ? -errno : 0;
}

int
sys_getresgid(gid_t *r, gid_t *e, gid_t *s)
{
	return getresgid(r, e, s) < 0 ? -errno : 0;
}

int
sys_chdir(const char *path)
{
	return chdir(path) < 0 ? -errno : 0;
}

int
sys_chroot(const char *path)
{
	return chroot(path) < 0 ? -errno : 0;
}

int
sys_set_keepcaps(bool on)
{
	return prctl(PR_SET_KEEPCAPS, on ? 1 : 0, 0, 0, 0) < 0 ? -errno : 0;
}

int
sys_set_dumpable(bool on)
{
	return prctl(PR_SET_DUMPABLE, on ? 1 : 0, 0, 0, 0) < 0 ? -errno : 0;
}

int
sys_setrlimit(int resource, unsigned long max)
{
	struct rlimit rl = { (rlim_t)max, (rlim_t)max };

	return setrlimit(resource, &rl) < 0 ? -errno : 0;
}
