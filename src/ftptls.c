/* ftptls.c - the FTPS verbs and policies; see ftptls.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "ftpcmd.h"
#include "ftpcodes.h"
#include "ftptls.h"
#include "log.h"
#include "privclient.h"
#include "sysutil.h"
#include "tlsdata.h"
#include "tlsproc.h"

/* TLS on the control connection, in this process; pre-login. */
static void
start_tls(struct session *s)
{
	uint8_t key[PRIV_TICKET_KEY_LEN];
	int r = priv_start_tls(s, key);

	if (r < 0) {
		log_info("TLS did not start (%s), closing", strerror(-r));
		exit(0);
	}
	log_set_die_hook(NULL);		/* no clear-text 421 inside a handshake */
	r = tlsproc_handshake(s->cfg, s->ctl_fd, s->priv_fd, key);
	explicit_bzero(key, sizeof(key));
	if (r < 0)
		exit(0);	/* logged; the helper ends the session */
	s->ctl_io = tlsproc_ctl_io();
	s->tls = true;
	ftp_set_session_for_die(s);	/* a 421 goes through TLS from now on */
}

void
ftptls_become_pump(struct session *s)
{
	int plain, ctl;

	priv_take_tls_ends(s, &plain, &ctl);
	s->priv_fd = sys_close(s->priv_fd);
	log_set_die_hook(NULL);		/* no more FTP replies from here */
	log_set_prefix("tls %s", s->peer_str);
	tlsproc_pump(s->cfg, plain, ctl);
}

void
ftptls_implicit(struct session *s)
{
	start_tls(s);
}

void
ftp_auth(struct session *s, const char *arg)
{
	static const char *const kinds[] = { "TLS", "TLS-C", "SSL", "TLS-P" };

	if (s->tls || s->logged_in) {
		ftp_reply(s, FTP_BADSEQ, s->tls ? "Already using TLS." :
			  "AUTH TLS must come before login.");
		return;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcasecmp(arg, kinds[i]) == 0) {
			/* RFC 2228: an accepted AUTH makes the client give USER
			 * again; a name sent (or injected) in clear text is not
			 * the one a PASS inside TLS logs in */
			s->have_user = false;
			s->user[0] = '\0';
			ftp_reply(s, FTP_AUTHOK, "Proceed with negotiation.");
			start_tls(s);
			return;
		}
	ftp_reply(s, FTP_BADPARAM, "Unknown AUTH type: use AUTH TLS.");
}

/* Before login the helper keeps PBSZ and PROT for the post-login process. */
static void
remember(struct session *s)
{
	if (!s->logged_in)
		priv_tls_prot(s);
}

void
ftp_pbsz(struct session *s, const char *arg)
{
	if (!s->tls) {
		ftp_reply(s, FTP_BADSEQ, "PBSZ needs AUTH TLS first.");
		return;
	}
	if (strspn(arg, "0123456789") != strlen(arg)) {
		ftp_reply(s, FTP_BADARGS, "Bad PBSZ value.");
		return;
	}
	s->pbsz = true;
	remember(s);
	ftp_reply(s, FTP_PBSZOK, "PBSZ=0");
}

/* The session's data connections must be encrypted. */
static bool
data_forced(const struct session *s)
{
	const struct config *c = s->cfg;

	if (!c->ssl_enable)
		return false;
	if (s->login.kind == LOGIN_ANON)
		return c->allow_anon_ssl && c->force_anon_data_ssl;
	return c->force_local_data_ssl;
}

void
ftp_prot(struct session *s, const char *arg)
{
	if (!s->tls || !s->pbsz) {
		ftp_reply(s, FTP_BADSEQ, "PROT needs %s first.", s->tls ? "PBSZ" : "AUTH TLS");
		return;
	}
	if (strcasecmp(arg, "S") == 0 || strcasecmp(arg, "E") == 0) {
		ftp_reply(s, FTP_NOPROTLEVEL, "PROT %s is not supported.", arg);
		return;
	}
	if (strcasecmp(arg, "P") != 0 && strcasecmp(arg, "C") != 0) {
		ftp_reply(s, FTP_BADPARAM, "Unknown PROT level.");
		return;
	}
	if (strcasecmp(arg, "C") == 0 && s->logged_in && data_forced(s)) {
		ftp_reply(s, FTP_TLSPOLICY, "PROT C refused: data connections must be encrypted.");
		return;
	}
	s->prot_p = strcasecmp(arg, "P") == 0;
	remember(s);
	ftp_reply(s, FTP_PROTOK, "PROT now %s.", s->prot_p ? "Private" : "Clear");
}

/* CCC (RFC 4217 section 6): the control connection back in clear text
 * after login, when ssl_allow_ccc allows it; data connections keep their
 * PROT level.  The TLS process hands over the TCP socket and exits. */
void
ftp_ccc(struct session *s, const char *arg)
{
	int fd;

	(void)arg;
	if (!s->tls) {
		ftp_reply(s, FTP_BADSEQ, "CCC needs AUTH TLS first.");
		return;
	}
	if (!s->cfg->ssl_allow_ccc || !s->logged_in || s->tlsctl_fd < 0) {
		ftp_reply(s, FTP_TLSPOLICY, "CCC refused: %s", !s->cfg->ssl_allow_ccc ?
			  "the control connection stays encrypted." : s->logged_in ?
			  "the control connection is in clear text already." :
			  "log in first.");
		return;
	}
	ftp_reply(s, FTP_CCCOK, "Control connection in clear text from now on.");
	fd = tlsproc_ccc(s->tlsctl_fd);
	if (fd < 0)
		die("CCC failed: %s", strerror(-fd));
	sys_close(s->ctl_fd);
	s->ctl_fd = fd;
	s->tlsctl_fd = sys_close(s->tlsctl_fd);
	log_info("CCC: the control connection is in clear text");
}

bool
ftptls_user_allowed(struct session *s, const char *name)
{
	const struct config *c = s->cfg;
	bool anon = c->anonymous_enable && auth_is_anonymous(name);
	const char *why = NULL;

	if (!c->ssl_enable)
		return true;
	if (anon && s->tls && !c->allow_anon_ssl)
		why = "Anonymous sessions may not use encryption.";
	else if (anon && !s->tls && c->allow_anon_ssl && c->force_anon_logins_ssl)
		why = "Anonymous sessions must use encryption.";
	else if (!anon && !s->tls && c->force_local_logins_ssl)
		why = "Non-anonymous sessions must use encryption.";
	if (why == NULL)
		return true;
	s->have_user = false;
	ftp_reply(s, FTP_LOGINERR, "%s", why);
	return false;
}

bool
ftptls_data_allowed(struct session *s)
{
	if (s->prot_p || !data_forced(s))
		return true;
	ftp_reply(s, FTP_BADPROTO, "Data connections must be encrypted: use PROT P.");
	return false;
}

/* The TLS process did not answer (R): it ends when the client goes (a
 * signal that killed it the helper logs), so the session is over. */
static void NORETURN
tls_process_gone(int r)
{
	if (r == -EPIPE || r == -ECONNRESET) {
		log_info("Client closed the connection");
		exit(0);
	}
	die("The TLS process did not answer: %s", strerror(-r));
}

void
ftptls_fresh_ticket(struct session *s)
{
	int r;

	if (!s->tls || s->tlsctl_fd < 0)
		return;
	r = tlsproc_new_ticket(s->tlsctl_fd);
	if (r < 0)
		tls_process_gone(r);
}

void
ftptls_import_session(struct session *s)
{
	struct tlsctl_ans ans;	/* on the stack: given back while idle */
	int r;

	if (!s->tls || s->tlsctl_fd < 0)
		return;
	r = tlsproc_get_session(s->tlsctl_fd, &ans);
	if (r < 0)
		tls_process_gone(r);
	if (ans.session_len && (r = tlsdata_add_session(ans.session, ans.session_len)) < 0)
		log_warning("Cannot cache the control connection's TLS session: %s",
			    strerror(-r));
	OPENSSL_cleanse(&ans, sizeof(ans));
}
