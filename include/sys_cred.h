/*
 * sys_cred.h - system-call wrappers: identity and privilege.
 * Identity and privilege: users and groups from the name service,
 * no_new_privs, seccomp.
 * The conventions of sysutil.h hold: EINTR retried, every descriptor
 * close-on-exec, -errno returned (x* functions die instead).
 */
#ifndef MINIFTPD_SYS_CRED_H
#define MINIFTPD_SYS_CRED_H

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

#endif
