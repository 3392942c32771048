/*
 * ftpcmd.h - the control connection: one bounded line reader, the reply
 * writers.  Service process only.
 */
#ifndef MINIFTPD_FTPCMD_H
#define MINIFTPD_FTPCMD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "session.h"

/*
 * How the service process reads and writes S->ctl_fd: plainly when
 * S->ctl_io is NULL, else through these calls (the pre-login process
 * with TLS: tlsproc.c).  RECV and WRITE_FULL work as sys_recv (FLAGS 0
 * or MSG_PEEK) and sys_write_full; PENDING says input is buffered inside
 * (no need to poll); END runs before the process exits.
 */
struct ftp_ctl_io {
	ssize_t (*recv)(void *buf, size_t len, int flags);
	ssize_t (*write_full)(const void *buf, size_t len);
	bool (*pending)(void);
	void (*end)(void);
};

/*
 * ftp_end - end the service process with STATUS after S's last reply
 * (END of its ctl_io first).
 */
void ftp_end(struct session *s, int status) NORETURN;

/*
 * ftp_read_line - the next command line, CR/LF removed and Telnet
 * sequences (IAC ...) stripped, into LINE (MAX_CMD_LINE bytes).
 * Over-long lines are answered "500 Input line too long." and skipped;
 * lines with NUL bytes "500 NUL byte in command." and skipped.  Does not
 * return when the client leaves (exit 0), stays silent for
 * idle_session_timeout (421 Timeout., exit), the helper dies (421) or
 * SIGTERM has come (421, exit: see ftp_catch_term).
 * RETURNS the line length.
 */
size_t ftp_read_line(struct session *s, char *line);

/*
 * ftp_poll_line - during a transfer, when the control connection is
 * readable: take what is there without waiting for more.  RETURNS the
 * length of a complete line now in LINE (as ftp_read_line), or -EAGAIN
 * when no whole line has arrived yet.  Exits like ftp_read_line when
 * the client leaves.
 */
int ftp_poll_line(struct session *s, char *line);

/*
 * ftp_hold_line - keep LINE (a command that arrived during a transfer)
 * for ftp_read_line(), which returns the held lines, oldest first, before
 * reading more.  At most MAX_HELD_LINES: the caller checks ftp_hold_full
 * first (and stops reading the control connection while it is true).
 */
void ftp_hold_line(struct session *s, const char *line);

/* ftp_hold_full - MAX_HELD_LINES lines are held: read no more for now. */
bool ftp_hold_full(const struct session *s);

/*
 * ftp_line_clean - the pure part of ftp_read_line: strip the line end
 * and Telnet sequences from RAW (LEN bytes, may hold NUL) into OUT
 * (size >= LEN + 1).  RETURNS the cleaned length, or -EINVAL when a NUL
 * byte remains.  Fuzzed.
 */
int ftp_line_clean(const char *raw, size_t len, char *out);

/* ftp_reply - send "CODE text\r\n". */
void ftp_reply(struct session *s, int code, const char *fmt, ...) PRINTF(3, 4);

/*
 * ftp_reply_multi - a multi-line reply: "CODE-first", " middle"...,
 * "CODE last".  TEXT holds the lines separated by '\n'; the last line
 * closes the reply.
 */
void ftp_reply_multi(struct session *s, int code, const char *text);

/*
 * ftp_text_clean - make TEXT (LEN bytes of a banner or message file, not
 * NUL-terminated) fit for ftp_reply_multi, in place: CR dropped, other
 * control bytes but TAB (and DEL, 0xff) shown as '?', at most MAX_MSG_LINES lines, no
 * trailing newline.  RETURNS the new length (TEXT is NUL-terminated
 * there; it needs room for LEN + 1 bytes).  Pure.
 */
size_t ftp_text_clean(char *text, size_t len);

/* ftp_write - raw bytes to the client; dies when the connection is gone. */
void ftp_write(struct session *s, const char *buf, size_t len);

/*
 * ftp_catch_term - make SIGTERM end the session between commands: it is
 * blocked from now on except while ftp_read_line() waits, so a transfer
 * in progress finishes first; then the client gets "421 Server shutting
 * down." and the process exits.  Called once by helper_main() before it
 * forks; the service processes inherit it (the helper never waits in
 * ftp_read_line, so there the signal stays pending and the helper ends
 * with its service process).  A transfer in progress sees it through
 * data_poll (ftp_term_mask) and goes on for at most shutdown_timeout
 * seconds (ftp_term_deadline: transfer.c, and data_wait for listings and
 * the waits for a data connection, a TLS handshake or a lock).
 */
void ftp_catch_term(void);

/* ftp_term_mask - the signal mask to wait with (ppoll) so that SIGTERM is
 * delivered during the wait; NULL before ftp_catch_term(). */
const sigset_t *ftp_term_mask(void);

/* ftp_term_requested - SIGTERM came (it ends the session; see above). */
bool ftp_term_requested(void);

/*
 * ftp_term_deadline - when what the session is doing for a command
 * (a transfer, a listing, the wait for a data connection or a lock) must
 * stop: shutdown_timeout after SIGTERM was first seen (sys_now_ms() time),
 * the same for every wait of the session; 0 before SIGTERM.
 */
long long ftp_term_deadline(const struct session *s);

/*
 * ftp_set_session_for_die - after die(), send "421 Service not available,
 * closing control connection." to this session's client.
 */
void ftp_set_session_for_die(struct session *s);

#endif
