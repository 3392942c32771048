/*
 * auth.h - credential checks, run in the helper before it drops root.
 *
 * Anonymous (USER anonymous or ftp, any password), virtual users
 * (user_db_file) and local users (passwd/shadow, only when privileged).
 * Exactly one crypt(3) call per attempt, also for unknown users (against
 * a fixed dummy hash), so unknown user and wrong password take the same time.
 */
#ifndef MINIFTPD_AUTH_H
#define MINIFTPD_AUTH_H

#include <stddef.h>

#include "config.h"
#include "session.h"

/*
 * auth_check - check USER / PASS.
 * RETURNS 0 and fills OUT on success; -EACCES with REASON (for the
 * operator's log only, never the client) on failure.
 */
int auth_check(const struct config *cfg, const struct runtime *rt,
	       const char *user, const char *pass, struct login *out,
	       char *reason, size_t reasonlen);

/*
 * auth_cache_anon - resolve ftp_username (ids, groups, home) into RT->anon
 * once, so that anonymous logins need no name service lookup: the
 * standalone listener calls it at start and on SIGHUP, as it resolves
 * nopriv_user; getpwnam and getgrouplist were an eighth of the CPU of an
 * anonymous session.  Without it (socket activation, inetd) every
 * anonymous login looks the user up.  RETURNS 0, or -ENOENT when the
 * user does not exist.
 */
int auth_cache_anon(const struct config *cfg, struct runtime *rt);

/* auth_is_anonymous - USER names the anonymous account (anonymous, ftp). */
int auth_is_anonymous(const char *user);

#endif
