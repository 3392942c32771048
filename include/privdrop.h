/*
 * privdrop.h - dropping privilege: one audited function, then proof.
 */
#ifndef MINIFTPD_PRIVDROP_H
#define MINIFTPD_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

struct drop_spec {
	bool change_ids;	/* false: keep the launching user (unprivileged mode) */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;	/* supplementary groups (resolved before chroot) */
	int ngroups;
	const char *chroot_dir;	/* NULL: no chroot */
	bool keep_net_bind;	/* keep CAP_NET_BIND_SERVICE */
	bool keep_chown;	/* keep CAP_CHOWN (helper of an anonymous session
				 * with chown_uploads) */
};

/*
 * drop_to - setgroups, chroot, setresgid, setresuid, capabilities reduced
 * to exactly the kept ones (CAP_NET_BIND_SERVICE, CAP_CHOWN) or nothing, PR_SET_NO_NEW_PRIVS,
 * not dumpable (when ids change), then verify with
 * getresuid/getresgid/cap_get_proc; last the resource limits, soft and
 * hard: RLIMIT_CORE 0, RLIMIT_NPROC 0 (the process can no longer fork),
 * RLIMIT_NOFILE SESSION_MAX_FDS.  Only for processes that never fork
 * again: the pre-login and post-login service processes, the helper
 * after it forked the post-login process.
 * Dies on any failure: a process that cannot drop must not go on.
 * Called by the service processes and the helper.
 */
void drop_to(const struct drop_spec *spec);

#endif
