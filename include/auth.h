/*
 * auth.h - credential checks, run in the helper before it drops root.
 *
 * Anonymous (USER anonymous or ftp, any password), virtual users
 * (user_db_file) and local users (passwd/shadow, only when privileged;
 * password aging and account expiry as pam_unix applies them; through
 * PAM instead when pam_service_name is set: authpam.h).
 * Exactly one crypt(3) call per attempt: an attempt that has no usable
 * hash (unknown user, locked or system account, any refusal) is checked
 * against a dummy setting of the method and cost a real one would have
 * (auth_init), so that a refusal takes the time of a wrong password.
 */
#ifndef MINIFTPD_AUTH_H
#define MINIFTPD_AUTH_H

#include <shadow.h>
#include <stddef.h>

#include "config.h"
#include "login.h"
#include "runtime.h"

/*
 * auth_init - make the dummy settings of RT (dummy_local, dummy_virtual):
 * crypt_gensalt of libcrypt's default method for local users, the
 * setting of the first usable hash of user_db_file for virtual users.
 * Cheap (no crypt): called by runtime_init, once per process start and on
 * SIGHUP.
 */
void auth_init(const struct config *cfg, struct runtime *rt);

/*
 * auth_check - check USER / PASS from the client at RHOST (its address).
 * With pam_service_name, a local user's password and account go through
 * PAM (authpam.h; RHOST is PAM_RHOST): a successful local login then
 * leaves a PAM handle for authpam_open_session / authpam_abort.
 * RETURNS 0 and fills OUT on success (its groups are allocated: the
 * caller calls auth_release); -EACCES with REASON (for the operator's log
 * only, never the client) on failure, with nothing allocated in OUT.
 */
int auth_check(const struct config *cfg, const struct runtime *rt,
	       const char *user, const char *pass, const char *rhost,
	       struct login *out, char *reason, size_t reasonlen);

/* Largest userlist_file or ftpusers_file read (bytes). */
#define USER_LIST_MAX (1 << 20)

/*
 * auth_check_config - with userlist_enable=YES (chroot_list_enable=YES),
 * whether userlist_file (chroot_list_file) can be read: vsftpd refuses the
 * sessions when it cannot; a user list read as empty would admit everyone
 * under userlist_deny=YES.  For -t, the start and a reload.  RETURNS 0, or
 * -1 with ERR "FILE:LINE: message" naming the line that enables the list.
 */
int auth_check_config(const struct config *cfg, char *err, size_t errlen);

/*
 * auth_apply_user_config - after a user_config_dir file changed GLOBAL
 * into USER for login L (local or virtual; anonymous logins keep their
 * root), move L's root as USER's local_root and chroot_local_user say
 * (virtual users are always chrooted).  Helper only, before the
 * post-login process is forked.  RETURNS NULL, or why L cannot log in.
 */
const char *auth_apply_user_config(const struct config *global,
				   const struct config *user,
				   const struct runtime *rt, struct login *l);

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

/* auth_release - free what auth_check allocated in L (its groups). */
void auth_release(struct login *l);

/* What password aging makes of a local account (auth_shadow_aging). */
enum auth_aging {
	AUTH_AGING_OK,
	AUTH_AGING_ACCOUNT_EXPIRED,	/* sp_expire reached */
	AUTH_AGING_MUST_CHANGE,		/* sp_lstchg 0 (chage -d 0): change now */
	AUTH_AGING_PASSWORD_EXPIRED,	/* past sp_max, within sp_inact: change now */
	AUTH_AGING_INACTIVE,		/* past sp_max + sp_inact */
};

/*
 * auth_shadow_aging - pam_unix's verdict (check_shadow_expiry) on shadow
 * entry SP on day TODAY (days since the epoch); fields of -1 are empty.
 * Anything but AUTH_AGING_OK refuses the login: PAM would ask for a new
 * password, which FTP has no way to give.  Pure; used by auth_check.
 */
enum auth_aging auth_shadow_aging(const struct spwd *sp, long today);

/* auth_is_anonymous - USER names the anonymous account (anonymous, ftp). */
int auth_is_anonymous(const char *user);

#endif
