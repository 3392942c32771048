/* ftpcmd.c - control channel I/O; see ftpcmd.h. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defs.h"
#include "ftpcmd.h"
#include "ftpcodes.h"
#include "str.h"
#include "sysutil.h"

#define IAC	255
#define IAC_WILL 251
#define IAC_DONT 254

static struct session *die_session;
static volatile sig_atomic_t got_term;
static sigset_t wait_mask;	/* in force while waiting for a command or data */
static bool term_caught;	/* wait_mask is set */
static bool closing;		/* the last reply: a client gone is no error */

static void on_term(int sig) { (void)sig; got_term = 1; }

void
ftp_catch_term(void)
{
	sigset_t set;

	sys_signal(SIGTERM, on_term);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sys_sigmask(SIG_BLOCK, &set, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	term_caught = true;
}

const sigset_t *
ftp_term_mask(void)
{
	return term_caught ? &wait_mask : NULL;
}

bool
ftp_term_requested(void)
{
	return got_term != 0;
}

long long
ftp_term_deadline(const struct session *s)
{
	static long long deadline;	/* set when the signal is first seen */

	if (!got_term)
		return 0;
	if (deadline == 0)
		deadline = sys_now_ms() + (long long)s->cfg->shutdown_timeout * 1000;
	return deadline;
}

static ssize_t
ctl_write(struct session *s, const void *buf, size_t len)
{
	return s->ctl_io ? s->ctl_io->write_full(buf, len) : sys_write_full(s->ctl_fd, buf, len);
}

static ssize_t
ctl_recv(struct session *s, void *buf, size_t len, int flags)
{
	return s->ctl_io ? s->ctl_io->recv(buf, len, flags) : sys_recv(s->ctl_fd, buf, len, flags);
}

void
ftp_end(struct session *s, int status)
{
	if (s->ctl_io)
		s->ctl_io->end();
	sys_exit_session(status);
}

static void
send_421(void)
{
	static const char msg[] = "421 Service not available, closing control connection.\r\n";

	if (die_session)
		(void)ctl_write(die_session, msg, sizeof(msg) - 1);
}

void
ftp_set_session_for_die(struct session *s)
{
	die_session = s;
	log_set_die_hook(send_421);
}

static void NORETURN close_session(struct session *s, const char *reply, const char *why);

void
ftp_write(struct session *s, const char *buf, size_t len)
{
	ssize_t r = ctl_write(s, buf, len);

	if (r < 0) {
		if (closing)	/* e.g. left after a 426: the session ends anyway */
			return;
		if (got_term)	/* it ended a wait for a client that does not read */
			close_session(s, "Server shutting down.", "Shutting down on SIGTERM");
		if (r == -EAGAIN || r == -ETIMEDOUT) {	/* SO_SNDTIMEO, TLS's deadline */
			log_info("The client took no reply for idle_session_timeout, closing");
			exit(0);
		}
		die_session = NULL;
		die("Client connection lost while replying");
	}
}

/* Replies never carry CR or LF from file names into a new line. */
static void
log_reply(const struct session *s, const char *line)
{
	if (s->cfg->log_ftp_protocol)
		log_info("FTP response: \"%s\"", line);
}

void
ftp_reply(struct session *s, int code, const char *fmt, ...)
{
	char text[MAX_CMD_LINE], line[MAX_CMD_LINE + 16];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (char *p = text; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	n = snprintf(line, sizeof(line), "%03d %s", code, text);
	log_reply(s, line);
	if (n > (int)sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	memcpy(line + n, "\r\n", 3);
	ftp_write(s, line, (size_t)n + 2);
}

void
ftp_reply_multi(struct session *s, int code, const char *text)
{
	char line[MAX_CMD_LINE + 16];
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, "\n");
		bool last = p[len] == '\0' || p[len + 1] == '\0';
		bool first = p == text;
		int n;

		if (first || last)
			n = snprintf(line, sizeof(line), "%03d%c%.*s", code,
				     last ? ' ' : '-', (int)len, p);
		else
			n = snprintf(line, sizeof(line), " %.*s", (int)len, p);
		log_reply(s, line);
		if (n > (int)sizeof(line) - 3)
			n = (int)sizeof(line) - 3;
		memcpy(line + n, "\r\n", 3);
		ftp_write(s, line, (size_t)n + 2);
		p += len + (p[len] == '\n');
	}
}

size_t
ftp_text_clean(char *text, size_t len)
{
	size_t o = 0, lines = 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\r')
			continue;
		if (c == '\n' && ++lines > MAX_MSG_LINES)
			break;
		text[o++] = c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f && c != 0xff) ?
			   (char)c : '?';
	}
	while (o > 0 && text[o - 1] == '\n')
		o--;
	text[o] = '\0';
	return o;
}

int
ftp_line_clean(const char *raw, size_t len, char *out)
{
	size_t o = 0;

	while (len && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c != IAC)
			out[o++] = (char)c;
		else if (i + 1 < len && (unsigned char)raw[i + 1] == IAC)
			out[o++] = (char)IAC, i++;		/* escaped 0xff */
		else if (i + 1 < len && (unsigned char)raw[i + 1] >= IAC_WILL &&
			 (unsigned char)raw[i + 1] <= IAC_DONT)
			i += 2;					/* option negotiation */
		else
			i += 1;					/* IP, DM, AO, ... */
	}
	out[o] = '\0';
	return memchr(out, '\0', o) ? -EINVAL : (int)o;
}

static void NORETURN
close_session(struct session *s, const char *reply, const char *why)
{
	log_set_die_hook(NULL);
	closing = true;
	ftp_reply(s, FTP_TOOMANY, "%s", reply);
	log_info("%s, closing", why);
	ftp_end(s, 0);
}

/* Wait for input; deal with the helper's death, the idle timeout and
 * SIGTERM.  Idle for SYS_STACK_IDLE_MS, give the stack back. */
static void
wait_input(struct session *s, long long deadline)
{
	struct pollfd p[2] = {
		{ .fd = s->ctl_fd, .events = POLLIN },
		{ .fd = s->priv_fd, .events = POLLIN },
	};
	bool released = false;

	if (s->ctl_io && s->ctl_io->pending())
		return;
	for (;;) {
		long long left = deadline - sys_now_ms();
		int ms = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		/* SIGTERM may have come already, during a transfer (data_poll) */
		int r = got_term ? 0 : sys_ppoll(p, s->priv_fd >= 0 ? 2 : 1,
				  released || ms < SYS_STACK_IDLE_MS ? ms : SYS_STACK_IDLE_MS,
				  &wait_mask);

		if (got_term)
			close_session(s, "Server shutting down.", "Shutting down on SIGTERM");
		if (r == -EINTR)
			continue;
		if (r < 0)
			die("Failed to poll the control connection: %s", strerror(-r));
		if (r == 0 && !released && ms > 0) {
			sys_stack_release();	/* the last command's frames, while idle */
			released = true;
			continue;
		}
		if (r == 0)
			close_session(s, "Timeout.", "Idle session timeout");
		if (p[1].revents)
			die("Helper process went away");
		if (p[0].revents)
			return;
	}
}

/* Pull bytes up to and including the next LF (never beyond it). */
static bool
fill_line(struct session *s)
{
	char *dst = s->inbuf + (s->discarding ? 0 : s->inlen);
	size_t room = sizeof(s->inbuf) - (s->discarding ? 0 : s->inlen);
	ssize_t n = ctl_recv(s, dst, room, MSG_PEEK);
	char *nl;

	if (n == 0 || n == -ECONNRESET) {
		log_info("Client closed the connection");
		exit(0);
	}
	if (n == -EPROTO)	/* TLS: the client's bad record or alert, logged */
		exit(0);
	/* TLS: waiting for the rest of a record, idle or told to stop */
	if (n == -ETIMEDOUT && s->ctl_io)
		close_session(s, "Timeout.", "Idle session timeout");
	if (n < 0 && got_term)
		close_session(s, "Server shutting down.", "Shutting down on SIGTERM");
	if (n < 0)
		die("Failed to read from the client: %s", strerror((int)-n));
	nl = memchr(dst, '\n', (size_t)n);
	if (nl)
		n = nl - dst + 1;
	if (ctl_recv(s, dst, (size_t)n, 0) != n)
		die("Control connection read failed");
	if (!s->discarding)
		s->inlen += (size_t)n;
	if (!nl && s->inlen == sizeof(s->inbuf)) {
		s->discarding = true;
		s->inlen = 0;
	}
	return nl != NULL;
}

/* The line fill_line() completed, cleaned into LINE.  RETURNS its length,
 * or -EAGAIN after answering an over-long or NUL-carrying line. */
static int
take_line(struct session *s, char *line)
{
	int n;

	if (s->discarding) {
		s->discarding = false;
		ftp_reply(s, FTP_BADCMD, "Input line too long.");
		return -EAGAIN;
	}
	n = ftp_line_clean(s->inbuf, s->inlen, line);
	s->inlen = 0;
	if (n < 0) {
		ftp_reply(s, FTP_BADCMD, "NUL byte in command.");
		return -EAGAIN;
	}
	return n;
}

size_t
ftp_read_line(struct session *s, char *line)
{
	long long deadline = sys_now_ms() + (long long)s->cfg->idle_session_timeout * 1000;

	if (s->nheld > 0) {
		memcpy(line, s->held[s->held_first], sizeof(s->held[0]));
		s->held_first = (s->held_first + 1) % MAX_HELD_LINES;
		s->nheld--;
		return strlen(line);
	}
	for (;;) {
		int n;

		wait_input(s, deadline);
		if (fill_line(s) && (n = take_line(s, line)) >= 0)
			return (size_t)n;
	}
}

int
ftp_poll_line(struct session *s, char *line)
{
	return fill_line(s) ? take_line(s, line) : -EAGAIN;
}

void
ftp_hold_line(struct session *s, const char *line)
{
	if (ftp_hold_full(s))
		bug("ftp_hold_line: %u lines held already", s->nheld);
	str_lcpy(s->held[(s->held_first + s->nheld) % MAX_HELD_LINES], line,
		 sizeof(s->held[0]));
	s->nheld++;
}

bool
ftp_hold_full(const struct session *s)
{
	return s->nheld == MAX_HELD_LINES;
}
