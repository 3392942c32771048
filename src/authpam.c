/* authpam.c - local users through PAM; see authpam.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "authpam.h"
#include "config.h"
#include "log.h"
#include "str.h"
#include "sysutil.h"

static struct {
	pam_handle_t *h;
	bool session;		/* pam_open_session succeeded */
	pid_t keeper;
	int pipe_w;		/* the helper's end: closed, the keeper ends the session */
	/* the conversation's: static, since the handle keeps a pointer to it
	 * for as long as it lives (the keeper's pam_close_session too) */
	struct authpam_talk talk;
} pam = { .keeper = -1, .pipe_w = -1 };

/* Why a step refused, in the words of the shadow path where they exist. */
static const struct {
	int code;
	const char *what;
} refusals[] = {
	{ PAM_AUTH_ERR, AUTHPAM_WRONG_PASSWORD },
	{ PAM_USER_UNKNOWN, "unknown user" },
	{ PAM_MAXTRIES, AUTHPAM_WRONG_PASSWORD },
	{ PAM_CRED_INSUFFICIENT, AUTHPAM_WRONG_PASSWORD },
	{ PAM_NEW_AUTHTOK_REQD, "password must be changed, which FTP cannot do" },
	{ PAM_AUTHTOK_EXPIRED, "password expired (a change is required, which FTP cannot do)" },
	{ PAM_ACCT_EXPIRED, "account expired" },
	{ PAM_PERM_DENIED, "account refused" },
};

/* Keep MSG's text in TALK when it is a module's error or info text: an
 * error text replaces an earlier one, an info text fills only an empty
 * slot.  Line ends and tabs become spaces, the end is trimmed. */
static void
note_text(struct authpam_talk *talk, const struct pam_message *msg)
{
	size_t n = 0;

	if (msg->msg == NULL || (msg->msg_style != PAM_ERROR_MSG &&
				 (msg->msg_style != PAM_TEXT_INFO || talk->said[0])))
		return;
	for (const char *p = msg->msg; *p && n + 1 < sizeof(talk->said); p++)
		talk->said[n++] = *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p;
	while (n > 0 && talk->said[n - 1] == ' ')
		n--;
	talk->said[n] = '\0';
}

int
authpam_conv(int n, const struct pam_message **msg, struct pam_response **resp,
	     void *appdata)
{
	struct authpam_talk *talk = appdata;
	struct pam_response *r;

	*resp = NULL;
	if (n <= 0 || n > PAM_MAX_NUM_MSG || talk == NULL)
		return PAM_CONV_ERR;
	for (int i = 0; i < n; i++)
		note_text(talk, msg[i]);
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF || talk->pass == NULL)
			return PAM_CONV_ERR;
	r = xcalloc((size_t)n, sizeof(*r));
	for (int i = 0; i < n; i++)
		r[i].resp = xstrdup(talk->pass);
	*resp = r;
	return PAM_SUCCESS;
}

/* libpam's directories of services, in its order (pam_handlers.c): the
 * admin's, then the vendor's. */
static const char *const service_dirs[] = { "/etc/pam.d", "/usr/lib/pam.d" };

static bool
is_dir(const char *path)
{
	mode_t mode;

	return sys_lstat_mode(path, &mode) == 0 && S_ISDIR(mode);
}

/* SERVICE has a file in one of service_dirs (those that exist), or none
 * exists (then /etc/pam.conf decides).  RETURNS 0, or -1 with PROBLEM. */
static int
service_ok(const char *service, char *problem, size_t len)
{
	char path[2][256];
	bool dirs = false;
	mode_t mode;

	if (strchr(service, '/') || strcmp(service, ".") == 0 || strcmp(service, "..") == 0)
		return str_fmt(problem, len, "\"%s\" is not a PAM service name", service), -1;
	for (size_t i = 0; i < 2; i++) {
		if (str_fmt(path[i], sizeof(path[i]), "%s/%s", service_dirs[i], service) < 0)
			return str_fmt(problem, len, "\"%s\" is not a PAM service name",
				       service), -1;
		if (!is_dir(service_dirs[i]))
			continue;
		dirs = true;
		if (sys_lstat_mode(path[i], &mode) == 0)
			return 0;
	}
	if (!dirs)
		return 0;
	return str_fmt(problem, len, "no PAM service %s (nor %s; PAM would use its "
		       "\"other\" service instead)", path[0], path[1]), -1;
}

int
authpam_check_config(const struct config *cfg, char *err, size_t errlen)
{
	char where[CFG_ERR_MAX], problem[CFG_ERR_MAX];

	if (!cfg->local_enable || !cfg->pam_service_name[0] ||
	    service_ok(cfg->pam_service_name, problem, sizeof(problem)) == 0)
		return 0;
	cfg_origin("pam_service_name", where, sizeof(where));
	return str_fmt(err, errlen, "%s: pam_service_name: %s", where, problem), -1;
}

/* PAM_FAIL_DELAY: no delay of the stack's own (delay_failed_login is ours). */
static void
no_fail_delay(int retval, unsigned usec, void *appdata)
{
	(void)retval, (void)usec, (void)appdata;
}

/* REASON for STEP's result R (and what a module said, when one did: its
 * text is the reason then, rather than a guessed "wrong password");
 * ends the handle. RETURNS -EACCES. */
static int
refuse(const char *step, int r, char *reason, size_t reasonlen)
{
	const char *what = "refused";
	const char *said = pam.talk.said;

	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].code == r)
			what = refusals[i].what;
	if (said[0] && strcmp(what, AUTHPAM_WRONG_PASSWORD) == 0)
		what = "refused";
	str_fmt(reason, reasonlen, "%s (PAM %s: %s%s%s%s)", what, step,
		pam.h ? pam_strerror(pam.h, r) : "no handle",
		said[0] ? "; the module said \"" : "", said, said[0] ? "\"" : "");
	if (pam.h)
		pam_end(pam.h, r);
	pam.h = NULL;
	pam.session = false;
	return -EACCES;
}

int
authpam_check(const char *service, const char *user, const char *pass,
	      const char *rhost, char *reason, size_t reasonlen)
{
	/* libpam copies the structure; the password pointer goes at once */
	struct pam_conv conv = { authpam_conv, &pam.talk };
	const void *item = NULL;
	int r;

	if (pam.h)
		bug("authpam_check with a handle kept");
	pam.talk.pass = pass;
	pam.talk.said[0] = '\0';
	r = pam_start(service, user, &conv, &pam.h);
	if (r == PAM_SUCCESS)
		r = pam_set_item(pam.h, PAM_RHOST, rhost);
	if (r == PAM_SUCCESS)
		r = pam_set_item(pam.h, PAM_TTY, "ftp");
	if (r == PAM_SUCCESS)
		r = pam_set_item(pam.h, PAM_FAIL_DELAY, (const void *)no_fail_delay);
	if (r != PAM_SUCCESS) {
		pam.talk.pass = NULL;
		return refuse("pam_start", r, reason, reasonlen);
	}
	r = pam_authenticate(pam.h, PAM_DISALLOW_NULL_AUTHTOK);
	/* later prompts (account, session modules) get no password */
	pam.talk.pass = NULL;
	if (r != PAM_SUCCESS)
		return refuse("pam_authenticate", r, reason, reasonlen);
	if (pam_get_item(pam.h, PAM_USER, &item) != PAM_SUCCESS || item == NULL ||
	    strcmp(item, user) != 0)
		return refuse("pam_authenticate", PAM_USER_UNKNOWN, reason, reasonlen);
	pam.talk.said[0] = '\0';	/* a refusal quotes its own step's text */
	r = pam_acct_mgmt(pam.h, PAM_DISALLOW_NULL_AUTHTOK);
	if (r != PAM_SUCCESS)
		return refuse("pam_acct_mgmt", r, reason, reasonlen);
	return 0;
}

int
authpam_open_session(char *reason, size_t reasonlen)
{
	int r;

	if (pam.h == NULL)
		return 0;
	pam.talk.said[0] = '\0';
	r = pam_setcred(pam.h, PAM_ESTABLISH_CRED);
	if (r != PAM_SUCCESS)
		return refuse("pam_setcred", r, reason, reasonlen);
	r = pam_open_session(pam.h, 0);
	if (r != PAM_SUCCESS) {
		(void)pam_setcred(pam.h, PAM_DELETE_CRED);
		return refuse("pam_open_session", r, reason, reasonlen);
	}
	pam.session = true;
	return 0;
}

/* Close the open PAM session of the kept handle and end the handle. */
static void
close_session(void)
{
	int r = pam_close_session(pam.h, 0);

	if (r != PAM_SUCCESS)
		log_warning("Failed to close the PAM session: %s", pam_strerror(pam.h, r));
	r = pam_setcred(pam.h, PAM_DELETE_CRED);
	if (r != PAM_SUCCESS)
		log_warning("Failed to delete the PAM credentials: %s", pam_strerror(pam.h, r));
	pam_end(pam.h, r);
	pam.h = NULL;
	pam.session = false;
}

void
authpam_abort(void)
{
	if (pam.session)
		close_session();
	if (pam.h)
		pam_end(pam.h, PAM_ABORT);
	pam.h = NULL;
	pam.session = false;
}

/* The keeper: wait for the helper's end of the session, then close it. */
static void NORETURN
keeper_main(int pipe_r)
{
	char c;
	ssize_t n;

	sys_signal(SIGTERM, SIG_IGN);
	sys_signal(SIGINT, SIG_IGN);
	sys_signal(SIGHUP, SIG_IGN);
	log_set_prefix("pam session");
	do
		n = sys_read(pipe_r, &c, 1);
	while (n > 0 || n == -EINTR);
	close_session();
	sys_exit_session(0);
}

void
authpam_keep_session(const int *close_fds, size_t nfds)
{
	int fds[2], r;

	if (!pam.session)
		return;
	r = sys_pipe(fds, 4096);
	if (r < 0)
		die("Failed to create the PAM session keeper's pipe: %s", strerror(-r));
	pam.keeper = xfork();
	if (pam.keeper == 0) {
		sys_close(fds[1]);
		for (size_t i = 0; i < nfds; i++)
			if (close_fds[i] >= 0)
				sys_close(close_fds[i]);
		keeper_main(fds[0]);
	}
	sys_close(fds[0]);
	pam.pipe_w = fds[1];
	/* the keeper's modules' state is its own: leave it untouched */
	pam_end(pam.h, PAM_SUCCESS | PAM_DATA_SILENT);
	pam.h = NULL;
	pam.session = false;
}

pid_t
authpam_keeper(void)
{
	return pam.keeper;
}

void
authpam_end_session(void)
{
	pam.pipe_w = sys_close(pam.pipe_w);
}
