/* ftpproto.c - command table, dispatcher, login and session verbs; see ftpproto.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "datacmd.h"
#include "dataconn.h"
#include "ftpcmd.h"
#include "ftpcodes.h"
#include "ftpfs.h"
#include "ftpproto.h"
#include "ftptls.h"
#include "log.h"
#include "ls.h"
#include "privclient.h"
#include "privproto.h"
#include "str.h"
#include "sysutil.h"
#include "transfer.h"
#include "userdb.h"

static void ftp_user(struct session *s, const char *arg);
static void ftp_pass(struct session *s, const char *arg);
static void ftp_quit(struct session *s, const char *arg);
static void ftp_syst(struct session *s, const char *arg);
static void ftp_feat(struct session *s, const char *arg);
static void ftp_opts(struct session *s, const char *arg);
static void ftp_clnt(struct session *s, const char *arg);
static void ftp_noop(struct session *s, const char *arg);
static void ftp_help(struct session *s, const char *arg);
static void ftp_stat(struct session *s, const char *arg);
static void ftp_type(struct session *s, const char *arg);
static void ftp_mode(struct session *s, const char *arg);
static void ftp_stru(struct session *s, const char *arg);
static void ftp_allo(struct session *s, const char *arg);
static void ftp_http(struct session *s, const char *arg);

#define PRE CMD_PRELOGIN

static const struct ftp_cmd commands[] = {
	/* login and session */
	{ "USER", PRE | CMD_ARG,	ftp_user, NULL },
	{ "PASS", PRE,			ftp_pass, NULL },
	{ "QUIT", PRE,			ftp_quit, NULL },
	{ "SYST", PRE | CMD_NOARG,	ftp_syst, NULL },
	{ "FEAT", PRE | CMD_NOARG,	ftp_feat, NULL },
	{ "OPTS", PRE | CMD_ARG,	ftp_opts, "UTF8" },
	{ "CLNT", PRE,			ftp_clnt, "CLNT" },
	{ "NOOP", PRE | CMD_KEEP_RNFR | CMD_KEEP_REST, ftp_noop, NULL },
	{ "HELP", PRE,			ftp_help, NULL },
	{ "STAT", CMD_KEEP_RNFR | CMD_KEEP_REST, ftp_stat, NULL },
	{ "TYPE", CMD_ARG | CMD_KEEP_RNFR | CMD_KEEP_REST, ftp_type, NULL },
	{ "MODE", CMD_ARG,		ftp_mode, NULL },
	{ "STRU", CMD_ARG,		ftp_stru, NULL },
	{ "ALLO", CMD_KEEP_REST,	ftp_allo, NULL },
	/* FTPS (ftptls.c) */
	{ "AUTH", PRE | CMD_ARG | CMD_TLS, ftp_auth, "AUTH TLS" },
	{ "PBSZ", PRE | CMD_ARG | CMD_TLS | CMD_KEEP_RNFR | CMD_KEEP_REST, ftp_pbsz, "PBSZ" },
	{ "PROT", PRE | CMD_ARG | CMD_TLS | CMD_KEEP_RNFR | CMD_KEEP_REST, ftp_prot, "PROT" },
	{ "CCC",  PRE | CMD_NOARG | CMD_TLS, ftp_ccc, NULL },
	/* file system (ftpfs.c) */
	{ "PWD",  CMD_NOARG,		ftp_pwd, "TVFS" },	/* "/"-separated paths */
	{ "XPWD", CMD_NOARG,		ftp_pwd, NULL },
	{ "CWD",  CMD_ARG,		ftp_cwd, NULL },
	{ "XCWD", CMD_ARG,		ftp_cwd, NULL },
	{ "CDUP", CMD_NOARG,		ftp_cdup, NULL },
	{ "XCUP", CMD_NOARG,		ftp_cdup, NULL },
	{ "MKD",  CMD_ARG | CMD_W_MKDIR, ftp_mkd, NULL },
	{ "XMKD", CMD_ARG | CMD_W_MKDIR, ftp_mkd, NULL },
	{ "RMD",  CMD_ARG | CMD_W_OTHER, ftp_rmd, NULL },
	{ "XRMD", CMD_ARG | CMD_W_OTHER, ftp_rmd, NULL },
	{ "DELE", CMD_ARG | CMD_W_OTHER, ftp_dele, NULL },
	{ "RNFR", CMD_ARG | CMD_W_OTHER, ftp_rnfr, NULL },
	{ "RNTO", CMD_ARG | CMD_W_OTHER | CMD_KEEP_RNFR, ftp_rnto, NULL },
	{ "SIZE", CMD_ARG,		ftp_size, "SIZE" },
	{ "MDTM", CMD_ARG,		ftp_mdtm, "MDTM" },
	{ "SITE", CMD_ARG,		ftp_site, NULL },
	{ "MFMT", CMD_ARG | CMD_W_OTHER, ftp_mfmt, "MFMT" },
	/* data connections (dataconn.c); a pending REST survives them */
	{ "PASV", CMD_NOARG | CMD_KEEP_REST | CMD_TICKET, ftp_pasv, NULL },
	{ "EPSV", CMD_KEEP_REST | CMD_PASSIVE | CMD_TICKET, ftp_epsv, "EPSV" },
	{ "PORT", CMD_ARG | CMD_KEEP_REST | CMD_TICKET, ftp_port, NULL },
	{ "EPRT", CMD_ARG | CMD_KEEP_REST | CMD_ACTIVE | CMD_TICKET, ftp_eprt, "EPRT" },
	/* transfers (transfer.c) */
	{ "REST", CMD_ARG | CMD_KEEP_REST, ftp_rest, "REST STREAM" },
	{ "RETR", CMD_ARG,		ftp_retr, NULL },
	{ "STOR", CMD_ARG | CMD_W_UPLOAD, ftp_stor, NULL },
	{ "APPE", CMD_ARG | CMD_W_UPLOAD, ftp_appe, NULL },
	{ "STOU", CMD_W_UPLOAD,		ftp_stou, NULL },
	{ "ABOR", CMD_NOARG,		ftp_abor, NULL },
	/* listings (ls.c) */
	{ "LIST", 0,			ftp_list, NULL },
	{ "NLST", 0,			ftp_nlst, NULL },
	{ "MLSD", 0,			ftp_mlsd, NULL },
	{ "MLST", 0,			ftp_mlst,
	  "MLST type*;size*;modify*;perm*;unique*;UNIX.mode;" },
	/* HTTP verbs: a browser or proxy tricked into talking to us */
	{ "GET",     PRE | CMD_HTTP,	ftp_http, NULL },
	{ "POST",    PRE | CMD_HTTP,	ftp_http, NULL },
	{ "HEAD",    PRE | CMD_HTTP,	ftp_http, NULL },
	{ "PUT",     PRE | CMD_HTTP,	ftp_http, NULL },
	{ "OPTIONS", PRE | CMD_HTTP,	ftp_http, NULL },
	{ "CONNECT", PRE | CMD_HTTP,	ftp_http, NULL },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct ftp_cmd *
ftp_find_cmd(const char *verb)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcasecmp(commands[i].verb, verb) == 0)
			return &commands[i];
	return NULL;
}

static void
log_command(const struct session *s, const char *verb, const char *arg)
{
	if (!s->cfg->log_ftp_protocol)
		return;
	if (strcasecmp(verb, "PASS") == 0)
		log_info("FTP command: \"PASS <password>\"");
	else
		log_info("FTP command: \"%s%s%s\"", verb, *arg ? " " : "", arg);
}

/* Flag checks shared by every verb. RETURNS true when the handler may run. */
static bool
permitted(struct session *s, const struct ftp_cmd *c, const char *arg)
{
	if (!s->logged_in && !(c->flags & CMD_PRELOGIN)) {
		ftp_reply(s, FTP_LOGINERR, "Please login with USER and PASS.");
		return false;
	}
	if ((c->flags & CMD_ARG) && *arg == '\0') {
		ftp_reply(s, FTP_BADARGS, "%s needs an argument.", c->verb);
		return false;
	}
	if ((c->flags & CMD_NOARG) && *arg != '\0') {
		ftp_reply(s, FTP_BADARGS, "%s takes no argument.", c->verb);
		return false;
	}
	if ((c->flags & (CMD_W_UPLOAD | CMD_W_MKDIR | CMD_W_OTHER)) &&
	    !ftpfs_may_write(s, c->flags)) {
		ftp_reply(s, FTP_NOPERM, "Permission denied.");
		return false;
	}
	return true;
}

static void
unknown_command(struct session *s)
{
	ftp_reply(s, FTP_BADCMD, "Unknown command.");
	if (!s->logged_in && ++s->unknown_cmds >= MAX_PRELOGIN_UNKNOWN) {
		log_info("Too many unknown commands before login, closing");
		ftp_end(s, 0);
	}
}

void
ftp_dispatch(struct session *s, const char *line)
{
	char verb[16];
	size_t vlen = strcspn(line, " ");
	const char *arg = line[vlen] ? line + vlen + 1 : line + vlen;
	const struct ftp_cmd *c = NULL;

	if (vlen > 0 && vlen < sizeof(verb)) {
		memcpy(verb, line, vlen);
		verb[vlen] = '\0';
		c = ftp_find_cmd(verb);
	}
	if (c && (c->flags & CMD_TLS) && !s->cfg->ssl_enable)
		c = NULL;
	log_command(s, c ? c->verb : "(unknown)", c ? arg : "");
	if (c == NULL) {
		unknown_command(s);
		return;
	}
	if (!(c->flags & CMD_KEEP_RNFR))
		s->have_rnfr = false;
	if (permitted(s, c, arg)) {
		if (c->flags & CMD_TICKET)
			ftptls_fresh_ticket(s);
		c->handler(s, arg);
	}
	if (!(c->flags & CMD_KEEP_REST))
		s->rest = 0;
}

static void
ftp_user(struct session *s, const char *arg)
{
	if (s->logged_in) {
		ftp_reply(s, FTP_LOGINERR, "Can't change to another user.");
		return;
	}
	if (!ftptls_user_allowed(s, arg))
		return;
	/* kept even when invalid: the answer comes after PASS, like any other;
	 * a name too long to keep whole must not become its prefix, a real user */
	if (str_lcpy(s->user, arg, sizeof(s->user)) < 0)
		s->user[0] = '\0';
	s->have_user = true;
	ftp_reply(s, FTP_GIVEPWORD, "Please specify the password.");
}

static void
ftp_pass(struct session *s, const char *arg)
{
	enum priv_login_result r;

	if (s->logged_in) {
		ftp_reply(s, FTP_LOGINOK, "Already logged in.");
		return;
	}
	if (!s->have_user) {
		ftp_reply(s, FTP_NEEDUSER, "Login with USER first.");
		return;
	}
	s->have_user = false;
	r = priv_login(s, s->user, arg);
	if (r == PRIV_LOGIN_OK) {	/* the post-login process greets the client */
		if (s->tls)
			ftptls_become_pump(s);
		sys_exit_session(0);
	}
	if (r == PRIV_LOGIN_USER_CONFIG) {
		ftp_reply(s, FTP_LOGINERR, "Login refused: this user's configuration file is "
			  "invalid (see the server log).");
		ftp_end(s, 0);
	}
	ftp_reply(s, FTP_LOGINERR, "Login incorrect.");
	if (r == PRIV_LOGIN_FAIL_LAST)
		ftp_end(s, 0);
}

static void
ftp_quit(struct session *s, const char *arg)
{
	(void)arg;
	ftp_reply(s, FTP_GOODBYE, "Goodbye.");
	s->quit = true;
}

static void
ftp_syst(struct session *s, const char *arg)
{
	(void)arg;
	ftp_reply(s, FTP_SYSTOK, "UNIX Type: L8");
}

/* A feature is advertised only when it works with this configuration. */
static bool
feat_enabled(const struct session *s, const struct ftp_cmd *c)
{
	if (c->flags & CMD_PASSIVE)
		return s->cfg->pasv_enable;
	if (c->flags & CMD_ACTIVE)
		return s->cfg->port_enable;
	if (c->flags & CMD_TLS)
		return s->cfg->ssl_enable;
	return true;
}

static void
ftp_feat(struct session *s, const char *arg)
{
	struct str text;

	(void)arg;
	str_init(&text, 4096);
	str_append_cstr(&text, "Features:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].feat && feat_enabled(s, &commands[i])) {
			str_append_cstr(&text, commands[i].feat);
			str_append_byte(&text, '\n');
		}
	str_append_cstr(&text, "End\n");
	ftp_reply_multi(s, FTP_FEAT, str_cstr(&text));
	str_free(&text);
}

static void
ftp_opts(struct session *s, const char *arg)
{
	if (strcasecmp(arg, "UTF8 ON") == 0 || strcasecmp(arg, "UTF8") == 0) {
		s->utf8 = true;
		ftp_reply(s, FTP_OPTSOK, "Always in UTF8 mode.");
	} else if (strcasecmp(arg, "UTF8 OFF") == 0) {
		/* names are bytes on disk, sent as they are: there is no other mode */
		ftp_reply(s, FTP_BADPARAM, "UTF8 cannot be turned off: always in UTF8 mode.");
	} else if (strncasecmp(arg, "MLST", 4) == 0 && (arg[4] == ' ' || arg[4] == '\0')) {
		ls_opts_mlst(s, arg[4] ? arg + 5 : "");
	} else {
		ftp_reply(s, FTP_BADARGS, "Option not understood.");
	}
}

static void
ftp_clnt(struct session *s, const char *arg)
{
	(void)arg;
	ftp_reply(s, FTP_NOOPOK, "Noted.");
}

static void
ftp_noop(struct session *s, const char *arg)
{
	(void)arg;
	ftp_reply(s, FTP_NOOPOK, "NOOP ok.");
}

static void
ftp_help(struct session *s, const char *arg)
{
	struct str text;
	int col = 0;

	if (strncasecmp(arg, "SITE", 4) == 0 && (arg[4] == '\0' || arg[4] == ' ')) {
		ftpfs_site_help(s);
		return;
	}
	str_init(&text, 4096);
	str_append_cstr(&text, "The following commands are recognized.\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if ((commands[i].flags & CMD_HTTP) ||
		    ((commands[i].flags & CMD_TLS) && !s->cfg->ssl_enable))
			continue;
		str_append_cstr(&text, " ");
		str_append_cstr(&text, commands[i].verb);
		if (++col == 12 || i + 1 == NCOMMANDS) {
			str_append_byte(&text, '\n');
			col = 0;
		}
	}
	str_append_cstr(&text, "\nHelp OK.\n");
	ftp_reply_multi(s, FTP_HELP, str_cstr(&text));
	str_free(&text);
}

static void
ftp_stat(struct session *s, const char *arg)
{
	char text[1024];

	if (*arg) {
		ls_stat_path(s, arg);
		return;
	}
	snprintf(text, sizeof(text),
		 "FTP server status:\n"
		 "Connected to %s\n"
		 "Logged in as %s\n"
		 "TYPE: %s\n"
		 "Session timeout in seconds is %lu\n"
		 "miniftpd %s - secure, fast, stable\n"
		 "End of status\n",
		 s->peer_str, s->login.user, s->type_ascii ? "ASCII" : "BINARY",
		 s->cfg->idle_session_timeout, MINIFTPD_VERSION);
	ftp_reply_multi(s, FTP_STATOK, text);
}

static void
ftp_type(struct session *s, const char *arg)
{
	static const struct {
		const char *arg;
		bool ascii;
	} types[] = {
		{ "A", true }, { "A N", true }, { "I", false }, { "L 8", false },
		{ "L8", false },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(arg, types[i].arg) == 0) {
			s->type_ascii = types[i].ascii;
			ftp_reply(s, FTP_TYPEOK, "Switching to %s mode.",
				  types[i].ascii ? "ASCII" : "Binary");
			return;
		}
	ftp_reply(s, FTP_BADPARAM, "Unrecognised TYPE command.");
}

static void
ftp_mode(struct session *s, const char *arg)
{
	if (strcasecmp(arg, "S") == 0)
		ftp_reply(s, FTP_NOOPOK, "Mode set to S.");
	else
		ftp_reply(s, FTP_BADPARAM, "Bad MODE command.");
}

static void
ftp_stru(struct session *s, const char *arg)
{
	if (strcasecmp(arg, "F") == 0)
		ftp_reply(s, FTP_NOOPOK, "Structure set to F.");
	else
		ftp_reply(s, FTP_BADPARAM, "Bad STRU command.");
}

static void
ftp_allo(struct session *s, const char *arg)
{
	(void)arg;
	ftp_reply(s, FTP_ALLOOK, "ALLO command ignored.");
}

static void
ftp_http(struct session *s, const char *arg)
{
	(void)arg;
	if (s->logged_in) {
		unknown_command(s);
		return;
	}
	log_info("HTTP request on the FTP port, closing");
	exit(0);
}

static void
banner(struct session *s)
{
	if (s->rt->banner[0])
		ftp_reply_multi(s, FTP_GREET, s->rt->banner);
	else if (s->cfg->ftpd_banner[0])
		ftp_reply(s, FTP_GREET, "%s", s->cfg->ftpd_banner);
	else
		ftp_reply(s, FTP_GREET, "(miniftpd %s)", MINIFTPD_VERSION);
}

static void NORETURN
serve(struct session *s)
{
	char line[MAX_CMD_LINE + 1];

	while (!s->quit) {
		ftp_read_line(s, line);
		ftp_dispatch(s, line);
	}
	ftp_end(s, 0);
}

void
ftp_prelogin(struct session *s)
{
	if (s->cfg->ssl_enable && s->cfg->implicit_ssl)
		ftptls_implicit(s);
	banner(s);
	serve(s);
}

void
ftp_postlogin(struct session *s)
{
	s->logged_in = true;
	s->umask = (mode_t)(s->login.kind == LOGIN_ANON ? s->cfg->anon_umask :
			    s->cfg->local_umask);
	sys_umask(0);	/* s->umask is applied explicitly to every creation */
	s->type_ascii = true;	/* RFC 959 3.1.1.5: TYPE A N until the client says otherwise */
	ftpfs_enter_root(s);
	xfer_session_init(s);
	ftptls_import_session(s);
	ftp_reply(s, FTP_LOGINOK, "Login successful.");
	serve(s);
}
