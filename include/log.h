/*
 * log.h - logging, session events, and the two ways to die.
 *
 * Every role sets a prefix once ("[helper]", "[session 192.0.2.7]",
 * "[limitd]").  log_open() picks one target for the process and its
 * children:
 *
 *   syslog_enable=YES           syslog (RFC 3164 lines, facility ftp)
 *   stderr is the journal       the journal's native protocol, structured
 *     (JOURNAL_STREAM matches)  fields included; if its socket cannot be
 *                               reached, stderr with <N> priority prefixes
 *   stderr usable (foreground)  plain lines on stderr
 *   stderr unusable (inetd)     the journal's native socket if there is
 *                               one, else syslog
 *
 * The journal and syslog sockets are datagram sockets connected once, in
 * log_open(), before any chroot: a connected socket keeps working inside
 * the empty pre-login root and the user's root.  (libsystemd's
 * sd_journal_send() cannot be used: it names /run/systemd/journal/socket
 * on every send, which does not exist after chroot, and it drops the
 * ENOENT silently.)  Hence the small native-protocol writer in log.c.
 *
 * Text written to stderr or syslog has control characters replaced by
 * '?': file names come from the client.  Used by both binaries.
 */
#ifndef MINIFTPD_LOG_H
#define MINIFTPD_LOG_H

#include <stdbool.h>
#include <stdarg.h>
#include <syslog.h>

#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NORETURN __attribute__((noreturn))

/* Where the journal's native socket and the syslog socket live by default. */
#define LOG_JOURNAL_SOCKET	"/run/systemd/journal/socket"
#define LOG_SYSLOG_SOCKET	"/dev/log"

/*
 * log_set_sockets - use JOURNAL and SYSLOG (datagram UNIX socket paths;
 * NULL or "" keeps the default) for the next log_open().  main() passes the
 * journal_socket and syslog_socket options: a journal namespace, a chroot's
 * syslog socket, or a test's capture socket.
 */
void log_set_sockets(const char *journal, const char *syslog);

/*
 * log_open - choose the log target (see above).  IDENT is the program name
 * (SYSLOG_IDENTIFIER); FORCE_SYSLOG selects syslog even if stderr is
 * usable.  Call once, before chroot and before forking session processes,
 * which inherit the target and its socket.
 */
void log_open(const char *ident, bool force_syslog);

/*
 * log_set_prefix - set the role prefix for every later message of this
 * process ("helper", "session 192.0.2.7").
 */
void log_set_prefix(const char *fmt, ...) PRINTF(1, 2);

/*
 * log_set_peer - the session's client, for every later record of this
 * process and its children: REMOTE_ADDR=ADDR, REMOTE_PORT=PORT, and
 * FTP_SESSION=<pid of the caller>, which all processes of one session
 * share.  Called once by helper_main().
 */
void log_set_peer(const char *addr, unsigned int port);

/*
 * log_set_user - FTP_USER=USER on every later record of this process
 * (NULL: none).  Called by the helper and the post-login service process
 * once the login succeeded.
 */
void log_set_user(const char *user);

/*
 * log_set_die_hook - function die() and bug() call before exiting, once
 * (the service process sends its one fixed 421 line there).
 */
void log_set_die_hook(void (*hook)(void));

/* log_msg - log at syslog priority PRIO (LOG_ERR ... LOG_DEBUG). */
void log_msg(int prio, const char *fmt, ...) PRINTF(2, 3);
void log_vmsg(int prio, const char *fmt, va_list ap) PRINTF(2, 0);

#define log_err(...)	 log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	 log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	 log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	 log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Session events.  Each has a name, carried in the journal as FTP_EVENT=,
 * so that `journalctl FTP_EVENT=upload` finds every upload.  Who logs it:
 *
 *   LOG_EV_CONNECT       helper, helper_main(): a client connected
 *   LOG_EV_REFUSED       helper: limitd refused admission (reason)
 *   LOG_EV_LOGIN         helper: a login succeeded (user)
 *   LOG_EV_LOGIN_FAILED  helper: a login failed (user, reason)
 *   LOG_EV_UPLOAD        service: STOR/APPE/STOU ended, complete or not
 *                        (command, file, bytes, duration_ms; reason when
 *                        it did not complete)
 *   LOG_EV_DOWNLOAD      service: RETR ended (same fields)
 *   LOG_EV_DELETE        service: DELE (command, file)
 *   LOG_EV_MKDIR         service: MKD (command, file)
 *   LOG_EV_RMDIR         service: RMD (command, file)
 *   LOG_EV_RENAME        service: RNTO (command, file, file_to)
 *   LOG_EV_DISCONNECT    helper: the session ended
 *   LOG_EV_ERROR         die(), die_errno(), bug(): the session ends on it
 */
enum log_event {
	LOG_EV_NONE,		/* a plain message: no FTP_EVENT field */
	LOG_EV_CONNECT,
	LOG_EV_REFUSED,
	LOG_EV_LOGIN,
	LOG_EV_LOGIN_FAILED,
	LOG_EV_UPLOAD,
	LOG_EV_DOWNLOAD,
	LOG_EV_DELETE,
	LOG_EV_MKDIR,
	LOG_EV_RMDIR,
	LOG_EV_RENAME,
	LOG_EV_DISCONNECT,
	LOG_EV_ERROR,
};

/*
 * One event's fields; NULL strings are left out.  The TLS fields are
 * written even without an event (the TLS process's "TLS session" line).  BYTES and DURATION_MS
 * are written only for uploads and downloads (where 0 is a real value).
 */
struct log_fields {
	enum log_event event;		/* FTP_EVENT */
	const char *user;		/* FTP_USER for this record (NULL: log_set_user's) */
	const char *command;		/* FTP_COMMAND: the verb, "RETR" */
	const char *file;		/* FTP_FILE: path as the client sees it */
	const char *file_to;		/* FTP_FILE_TO: the new name of a rename */
	const char *reason;		/* FTP_REASON: why it failed or was refused */
	unsigned long long bytes;	/* FTP_BYTES: bytes transferred */
	unsigned long long duration_ms;	/* FTP_DURATION_MS: transfer time */
	const char *tls_version;	/* FTP_TLS_VERSION: "TLSv1.3" (any event, or none) */
	const char *tls_cipher;		/* FTP_TLS_CIPHER: OpenSSL's cipher name */
	const char *tls_send;		/* FTP_TLS_SEND: a TLS download's encryption,
					 * "ktls" (the kernel) or "userspace" (OpenSSL) */
};

/*
 * log_event - log one session event at PRIO with the message FMT (which
 * should itself name what the fields say: stderr and syslog get only the
 * message).  The journal record carries MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER, SYSLOG_FACILITY, REMOTE_ADDR, REMOTE_PORT,
 * FTP_SESSION, FTP_USER and F's fields.  Example, after a download:
 *
 *	log_event(LOG_INFO, &(struct log_fields){ .event = LOG_EV_DOWNLOAD,
 *		  .command = "RETR", .file = path, .bytes = n, .duration_ms = ms },
 *		  "Download \"%s\" %llu bytes", path, n);
 *
 * Any process of either binary may call it.
 */
void log_event(int prio, const struct log_fields *f, const char *fmt, ...) PRINTF(3, 4);

/* log_event_name - "upload" for LOG_EV_UPLOAD, NULL for LOG_EV_NONE. */
const char *log_event_name(enum log_event ev);

/* die - abnormal but possible event (peer gone, malformed message): log, exit 1. */
void die(const char *fmt, ...) PRINTF(1, 2) NORETURN;
/* die_errno - like die, with ": strerror(errno)" appended. */
void die_errno(const char *fmt, ...) PRINTF(1, 2) NORETURN;
/* bug - a broken invariant: log "BUG: ..." and abort(). */
void bug(const char *fmt, ...) PRINTF(1, 2) NORETURN;

#endif
