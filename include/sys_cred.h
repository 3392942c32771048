/*
 * sys_cred.h - system-call wrappers: identity and privilege.
 * Identity and privilege: users and groups from the name service, the
 * process's ids, what the privilege drop calls (groups, resuid/resgid,
 * chroot, keepcaps, dumpable, rlimits), no_new_privs, seccomp.
 * On failure these leave errno as the call set it: privdrop.c dies with
 * die_errno (%m) right after them.
 * The conventions of sysutil.h hold: EINTR retried, every descriptor
 * close-on-exec, -errno returned (x* functions die instead).
 */
#ifndef MINIFTPD_SYS_CRED_H
#define MINIFTPD_SYS_CRED_H

#include <stdbool.h>
#include <sys/types.h>

struct sock_fprog;

/* sys_no_new_privs - set no_new_privs, once: the flag, like the kernel's,
 * is inherited across fork, so a process whose parent set it makes no
 * second prctl. RETURNS 0 or -errno. */
int sys_no_new_privs(void);

/* sys_seccomp_filter - set no_new_privs and install the BPF program PROG
 * as a seccomp filter of the calling thread. RETURNS 0 or -errno. */
int sys_seccomp_filter(const struct sock_fprog *prog);

/* sys_user_uid - the uid of user NAME. RETURNS 0, -ENOENT, or -errno. */
int sys_user_uid(const char *name, uid_t *uid);

/* sys_user_groups - the groups of user NAME whose primary group is GID
 * (getgrouplist), all of them, into *GROUPS (xmalloc'ed, the caller frees
 * it); just GID when they cannot be read.  RETURNS their number (>= 1),
 * or -E2BIG (nothing allocated) when they are more than the kernel lets a
 * process have (sysconf(_SC_NGROUPS_MAX)). */
int sys_user_groups(const char *name, gid_t gid, gid_t **groups);

/* sys_getuid / sys_geteuid / sys_getegid - the caller's ids. */
uid_t sys_getuid(void);
uid_t sys_geteuid(void);
gid_t sys_getegid(void);
/* sys_setgroups - setgroups(2) to the N GROUPS. RETURNS 0 or -errno. */
int sys_setgroups(int n, const gid_t *groups);
/* sys_setresuid / sys_setresgid - real, effective and saved id all set
 * to ID. RETURN 0 or -errno. */
int sys_setresuid(uid_t id);
int sys_setresgid(gid_t id);
/* sys_getresuid / sys_getresgid - the three ids, read back. RETURN 0 or -errno. */
int sys_getresuid(uid_t *r, uid_t *e, uid_t *s);
int sys_getresgid(gid_t *r, gid_t *e, gid_t *s);
/* sys_chdir / sys_chroot - chdir(2), chroot(2). RETURN 0 or -errno. */
int sys_chdir(const char *path);
int sys_chroot(const char *path);
/* sys_set_keepcaps - PR_SET_KEEPCAPS to ON. RETURNS 0 or -errno. */
int sys_set_keepcaps(bool on);
/* sys_set_dumpable - PR_SET_DUMPABLE to ON. RETURNS 0 or -errno. */
int sys_set_dumpable(bool on);
/* sys_setrlimit - RESOURCE's soft and hard limit both MAX.
 * RETURNS 0 or -errno. */
int sys_setrlimit(int resource, unsigned long max);

#endif
