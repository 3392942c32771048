/* log.c - log targets, session events, role prefix, die/bug; see log.h. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "defs.h"
#include "log.h"
#include "sysutil.h"

enum log_target {
	LOG_TO_STDERR,		/* "ident[pid]: message" lines */
	LOG_TO_STDERR_PRIO,	/* "<N>message" lines: stderr is the journal */
	LOG_TO_JOURNAL,		/* native protocol on L.fd */
	LOG_TO_SYSLOG,		/* RFC 3164 datagrams on L.fd */
	LOG_TO_NONE,		/* nowhere to write (inetd without a log socket) */
};

/* A journal record stays well below journald's datagram limit. */
#define LOG_REC_MAX 16384
#define LOG_TEXT_MAX 2048

static struct {
	enum log_target target;
	int fd;				/* connected journal or syslog socket */
	bool stderr_journal;		/* fallback when a send fails */
	char ident[32];
	char prefix[96];
	char journal_path[108];
	char syslog_path[108];
	char addr[64];			/* REMOTE_ADDR ("" until log_set_peer) */
	unsigned int port;
	long session;
	char user[129];			/* FTP_USER ("" until log_set_user) */
	void (*die_hook)(void);
} L = {
	.target = LOG_TO_STDERR,
	.fd = -1,
	.ident = "miniftpd",
	.journal_path = LOG_JOURNAL_SOCKET,
	.syslog_path = LOG_SYSLOG_SOCKET,
};

static const struct {
	const char *name;
	bool transfer;			/* carries FTP_BYTES and FTP_DURATION_MS */
} events[] = {
	[LOG_EV_NONE]		= { NULL, false },
	[LOG_EV_CONNECT]	= { "connect", false },
	[LOG_EV_REFUSED]	= { "refused", false },
	[LOG_EV_LOGIN]		= { "login", false },
	[LOG_EV_LOGIN_FAILED]	= { "login_failed", false },
	[LOG_EV_UPLOAD]		= { "upload", true },
	[LOG_EV_DOWNLOAD]	= { "download", true },
	[LOG_EV_DELETE]		= { "delete", false },
	[LOG_EV_MKDIR]		= { "mkdir", false },
	[LOG_EV_RMDIR]		= { "rmdir", false },
	[LOG_EV_RENAME]		= { "rename", false },
	[LOG_EV_DISCONNECT]	= { "disconnect", false },
	[LOG_EV_ERROR]		= { "error", false },
};

const char *
log_event_name(enum log_event ev)
{
	if ((size_t)ev >= sizeof(events) / sizeof(events[0]))
		return NULL;
	return events[ev].name;
}

/* stderr is the journal when JOURNAL_STREAM names fd 2's device:inode. */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	return sys_fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* Under inetd fd 2 may be the client connection: never write there. */
static bool
stderr_usable(void)
{
	struct stat st;

	if (sys_fstat(STDERR_FILENO, &st) < 0)
		return false;
	return !S_ISSOCK(st.st_mode);
}

/* Connect the log socket to PATH. RETURNS true when it is connected. */
static bool
sink_connect(const char *path)
{
	int fd = sys_unix_connect(path, SOCK_DGRAM);

	if (fd < 0)
		return false;
	sys_close(L.fd);
	L.fd = fd;
	return true;
}

static enum log_target
choose_target(bool force_syslog)
{
	L.stderr_journal = stderr_is_journal();
	if (!force_syslog && L.stderr_journal)
		return sink_connect(L.journal_path) ? LOG_TO_JOURNAL : LOG_TO_STDERR_PRIO;
	if (!force_syslog && stderr_usable())
		return LOG_TO_STDERR;
	if (!force_syslog && sink_connect(L.journal_path))
		return LOG_TO_JOURNAL;
	if (sink_connect(L.syslog_path))
		return LOG_TO_SYSLOG;
	if (L.stderr_journal)
		return LOG_TO_STDERR_PRIO;
	return stderr_usable() ? LOG_TO_STDERR : LOG_TO_NONE;
}

void
log_set_sockets(const char *journal, const char *syslog_path)
{
	if (journal && *journal)
		snprintf(L.journal_path, sizeof(L.journal_path), "%s", journal);
	if (syslog_path && *syslog_path)
		snprintf(L.syslog_path, sizeof(L.syslog_path), "%s", syslog_path);
}

void
log_open(const char *name, bool force_syslog)
{
	snprintf(L.ident, sizeof(L.ident), "%s", name);
	tzset();	/* syslog time stamps are local time, also after chroot */
	L.target = choose_target(force_syslog);
	if (L.target != LOG_TO_JOURNAL && L.target != LOG_TO_SYSLOG)
		L.fd = sys_close(L.fd);
}

void
log_set_prefix(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(L.prefix, sizeof(L.prefix), fmt, ap);
	va_end(ap);
}

void
log_set_peer(const char *addr, unsigned int port)
{
	snprintf(L.addr, sizeof(L.addr), "%s", addr);
	L.port = port;
	L.session = (long)sys_getpid();
}

void
log_set_user(const char *user)
{
	snprintf(L.user, sizeof(L.user), "%s", user ? user : "");
}

void
log_set_die_hook(void (*hook)(void))
{
	L.die_hook = hook;
}

/* "[prefix] text" with control characters made harmless. */
static void
format_line(char *out, size_t outlen, const char *text)
{
	size_t n;

	snprintf(out, outlen, "%s%s%s%s", L.prefix[0] ? "[" : "", L.prefix,
		 L.prefix[0] ? "] " : "", text);
	n = strlen(out);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
}

/* A journal record being built: KEY=VALUE\n, or KEY\n<le64 size>VALUE\n. */
struct rec {
	char buf[LOG_REC_MAX];
	size_t len;
};

static void
rec_put(struct rec *r, const char *key, const char *val)
{
	size_t klen = strlen(key), vlen = strlen(val);
	bool binary = memchr(val, '\n', vlen) != NULL;
	uint64_t le = htole64((uint64_t)vlen);

	if (klen + vlen + 10 > sizeof(r->buf) - r->len)
		return;		/* leave out what does not fit; MESSAGE comes first */
	memcpy(r->buf + r->len, key, klen);
	r->len += klen;
	if (binary) {
		r->buf[r->len++] = '\n';
		memcpy(r->buf + r->len, &le, sizeof(le));
		r->len += sizeof(le);
	} else {
		r->buf[r->len++] = '=';
	}
	memcpy(r->buf + r->len, val, vlen);
	r->len += vlen;
	r->buf[r->len++] = '\n';
}

static void
rec_put_num(struct rec *r, const char *key, unsigned long long n)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", n);
	rec_put(r, key, num);
}

static void
rec_put_opt(struct rec *r, const char *key, const char *val)
{
	if (val && *val)
		rec_put(r, key, val);
}

static void
rec_put_event(struct rec *r, const struct log_fields *f)
{
	const char *name = log_event_name(f->event);

	if (name == NULL)
		return;
	rec_put(r, "FTP_EVENT", name);
	rec_put_opt(r, "FTP_COMMAND", f->command);
	rec_put_opt(r, "FTP_FILE", f->file);
	rec_put_opt(r, "FTP_FILE_TO", f->file_to);
	rec_put_opt(r, "FTP_REASON", f->reason);
	if (events[f->event].transfer) {
		rec_put_num(r, "FTP_BYTES", f->bytes);
		rec_put_num(r, "FTP_DURATION_MS", f->duration_ms);
	}
}

static void
build_record(struct rec *r, int prio, const struct log_fields *f, const char *line)
{
	r->len = 0;
	rec_put(r, "MESSAGE", line);
	rec_put_num(r, "PRIORITY", (unsigned long long)(prio & LOG_PRIMASK));
	rec_put_num(r, "SYSLOG_FACILITY", LOG_FTP >> 3);
	rec_put(r, "SYSLOG_IDENTIFIER", L.ident);
	if (L.addr[0]) {
		rec_put(r, "REMOTE_ADDR", L.addr);
		rec_put_num(r, "REMOTE_PORT", L.port);
		rec_put_num(r, "FTP_SESSION", (unsigned long long)L.session);
	}
	rec_put_opt(r, "FTP_USER", f && f->user ? f->user : L.user);
	if (f) {
		rec_put_opt(r, "FTP_TLS_VERSION", f->tls_version);
		rec_put_opt(r, "FTP_TLS_CIPHER", f->tls_cipher);
		rec_put_opt(r, "FTP_TLS_SEND", f->tls_send);
		rec_put_event(r, f);
	}
}

/* Send one datagram; a restarted log daemon gets one reconnect (outside chroot). */
static bool
sink_send(const void *buf, size_t len)
{
	ssize_t r = sys_send(L.fd, buf, len, 0);

	if (r == -ECONNREFUSED || r == -ENOTCONN) {
		int fd = sys_unix_connect(L.target == LOG_TO_JOURNAL ? L.journal_path :
					  L.syslog_path, SOCK_DGRAM);

		if (fd >= 0 && sys_dup_to(fd, L.fd) >= 0)
			r = sys_send(L.fd, buf, len, 0);
		sys_close(fd);
	}
	return r >= 0;
}

static void
send_syslog(int prio, const char *line)
{
	char msg[LOG_TEXT_MAX + 256], stamp[32];
	time_t now = (time_t)sys_time();
	struct tm tm;
	int n;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(msg, sizeof(msg), "<%d>%s %s[%d]: %s", LOG_FTP | (prio & LOG_PRIMASK),
		     stamp, L.ident, (int)sys_getpid(), line);
	if (n > 0)
		sink_send(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

/*
 * One line to stderr in one write(2).  Not dprintf: glibc's stdio asks
 * isatty() (ioctl TCGETS) of a character device such as /dev/null, a
 * system call no sandboxed role may make.
 */
static void PRINTF(1, 2)
stderr_line(const char *fmt, ...)
{
	char out[LOG_TEXT_MAX + 192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(out)) {
		n = (int)sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	(void)sys_write_full(STDERR_FILENO, out, (size_t)n);
}

static void
emit(int prio, const struct log_fields *f, const char *text)
{
	static struct rec rec LARGE_BSS;
	char line[LOG_TEXT_MAX + 128];
	int saved = errno;

	format_line(line, sizeof(line), text);
	switch (L.target) {
	case LOG_TO_JOURNAL:
		build_record(&rec, prio, f, line);
		/* journald gone for good: its stream on stderr may still be there */
		if (!sink_send(rec.buf, rec.len) && L.stderr_journal)
			stderr_line("<%d>%s\n", prio & LOG_PRIMASK, line);
		break;
	case LOG_TO_STDERR_PRIO:
		stderr_line("<%d>%s\n", prio & LOG_PRIMASK, line);
		break;
	case LOG_TO_SYSLOG:
		send_syslog(prio, line);
		break;
	case LOG_TO_STDERR:
		stderr_line("%s[%d]: %s\n", L.ident, (int)sys_getpid(), line);
		break;
	case LOG_TO_NONE:
		break;
	}
	errno = saved;
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	char text[LOG_TEXT_MAX];
	int saved = errno;

	vsnprintf(text, sizeof(text), fmt, ap);
	errno = saved;
	emit(prio, NULL, text);
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

void
log_event(int prio, const struct log_fields *f, const char *fmt, ...)
{
	char text[LOG_TEXT_MAX];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	errno = saved;
	emit(prio, f, text);
}

static void NORETURN
run_hook_and_exit(int status)
{
	void (*hook)(void) = L.die_hook;

	L.die_hook = NULL;	/* a die() inside the hook must not loop */
	if (hook)
		hook();
	sys_exit_now(status);
}

static void
log_error_event(const char *text)
{
	emit(LOG_ERR, &(struct log_fields){ .event = LOG_EV_ERROR }, text);
}

void
die(const char *fmt, ...)
{
	char msg[LOG_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error_event(msg);
	run_hook_and_exit(EXIT_FAILURE);
}

void
die_errno(const char *fmt, ...)
{
	char msg[LOG_TEXT_MAX], full[LOG_TEXT_MAX + 64];
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s: %s", msg, strerror(e));
	log_error_event(full);
	run_hook_and_exit(EXIT_FAILURE);
}

void
bug(const char *fmt, ...)
{
	char msg[LOG_TEXT_MAX], full[LOG_TEXT_MAX + 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "BUG: %s", msg);
	log_error_event(full);
	if (L.die_hook)
		L.die_hook();
	abort();
}
