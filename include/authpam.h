/*
 * authpam.h - local users through PAM (pam_service_name), in the helper
 * before it drops root.  See SECURITY.md, "PAM".
 *
 * One attempt: authpam_check (pam_start, PAM_RHOST, PAM_TTY "ftp",
 * pam_authenticate, pam_acct_mgmt).  A login that goes on: then
 * authpam_open_session (pam_setcred, pam_open_session) and, while the
 * helper is still root and after the post-login process is forked,
 * authpam_keep_session, which forks the session keeper: a root child that
 * holds the handle and closes the PAM session when the helper's pipe to it
 * closes.  A login refused after authpam_check (limitd's max_per_user):
 * authpam_abort.
 *
 * One handle per helper at a time (a login succeeds once per session).
 */
#ifndef MINIFTPD_AUTHPAM_H
#define MINIFTPD_AUTHPAM_H

#include <stddef.h>
#include <sys/types.h>

#include <security/pam_appl.h>

/* What the conversation answers with, and what it was told. */
struct authpam_talk {
	const char *pass;	/* the password; NULL after pam_authenticate */
	char said[128];		/* a module's error (else info) text, for the log */
};

/*
 * authpam_conv - the conversation, APPDATA a struct authpam_talk: every
 * message must be a PAM_PROMPT_ECHO_OFF prompt, answered with its pass;
 * anything else (echo-on prompts, info and error texts), no password
 * (pass NULL) or a count outside 1..PAM_MAX_NUM_MSG fails the whole
 * conversation with PAM_CONV_ERR and *RESP NULL.  Whatever it answers, an
 * error text (PAM_ERROR_MSG: pam_nologin's file, pam_faillock's "account
 * is locked") is kept in said, replacing an earlier one; an info text
 * only when said is empty; bounded, line ends as spaces.  On PAM_SUCCESS
 * *RESP is N malloc'ed responses (the caller, libpam, frees them).  Pure.
 */
int authpam_conv(int n, const struct pam_message **msg, struct pam_response **resp,
		 void *appdata);

/* The reason a refusal that PAM's result alone cannot tell apart from a
 * wrong password begins with (pam_unix's PAM_AUTH_ERR: also a locked
 * account, which auth.c then names as the shadow path does). */
#define AUTHPAM_WRONG_PASSWORD "wrong password"

struct config;

/*
 * authpam_check_config - with local_enable=YES and pam_service_name set:
 * the name is a plain name with a file in /etc/pam.d or /usr/lib/pam.d
 * (libpam's vendor directory, read after /etc/pam.d), checked where
 * either directory exists: without one, PAM would silently use its
 * "other" service.  RETURNS 0, or -1 with ERR "FILE:LINE: pam_service_name:
 * problem" (cfg_origin), a configuration error.  Main: -t, start-up and
 * the listener's reload, before anything is built.
 */
int authpam_check_config(const struct config *cfg, char *err, size_t errlen);

/*
 * authpam_check - authenticate USER with PASS through SERVICE, from RHOST
 * (the client's address), then account management (expired, locked, aged
 * passwords).  PAM's own failure delay is disabled: delay_failed_login is
 * the one delay.  RETURNS 0 (the handle is kept for authpam_open_session
 * or authpam_abort), or -EACCES with REASON for the log (no handle left):
 * the step, PAM's error and, when a module sent one, its text (the reason
 * then, not "wrong password": pam_nologin refuses the right password).
 */
int authpam_check(const char *service, const char *user, const char *pass,
		  const char *rhost, char *reason, size_t reasonlen);

/*
 * authpam_open_session - pam_setcred(PAM_ESTABLISH_CRED) and
 * pam_open_session on the handle authpam_check kept.  RETURNS 0 (also
 * when no handle is kept: not a PAM login), or -EACCES with REASON (the
 * handle ended).
 */
int authpam_open_session(char *reason, size_t reasonlen);

/* authpam_abort - a login refused after authpam_check: close the PAM
 * session if one is open, end the kept handle. */
void authpam_abort(void);

/*
 * authpam_keep_session - when a PAM session is open, fork the session
 * keeper: it closes CLOSE_FDS (the helper's descriptors it must not hold;
 * negative entries skipped), ignores SIGTERM, SIGINT and SIGHUP, waits
 * for end of file on a pipe from the helper, then pam_close_session,
 * pam_setcred(PAM_DELETE_CRED), pam_end, and exits.  The helper keeps the
 * pipe's write end and drops its own copy of the handle
 * (pam_end(PAM_DATA_SILENT)).  Call as root, before the drop.  No PAM
 * session: nothing.
 */
void authpam_keep_session(const int *close_fds, size_t nfds);

/* authpam_keeper - the keeper's pid, or -1 (no PAM session). */
pid_t authpam_keeper(void);

/* authpam_end_session - the helper's side of the session's end: close the
 * pipe, so the keeper closes the PAM session (the caller then reaps it). */
void authpam_end_session(void);

#endif
