/*
 * login.h - who logged in and where they live: struct login, filled by
 * the helper (auth_check) and copied into the post-login process.
 */
#ifndef MINIFTPD_LOGIN_H
#define MINIFTPD_LOGIN_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "defs.h"

enum login_kind { LOGIN_LOCAL, LOGIN_VIRTUAL, LOGIN_ANON };

/* Who logged in and where they live; filled by auth_check() in the helper. */
struct login {
	char user[MAX_USER_NAME + 1];
	enum login_kind kind;
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* supplementary groups, xmalloc'ed (auth_release) */
	int ngroups;		/* up to NGROUPS_MAX */
	char root[PATH_MAX];	/* directory that is "/" for the client */
	char home[MAX_FTP_PATH];/* first working directory, client view */
	bool chroot;		/* chroot(root) (privileged only) */
};

#endif
