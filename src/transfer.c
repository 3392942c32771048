/* transfer.c - RETR, STOR, APPE, STOU, REST, ABOR; see transfer.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dataconn.h"
#include "defs.h"
#include "ftpcmd.h"
#include "ftpcodes.h"
#include "ftpfs.h"
#include "log.h"
#include "path.h"
#include "privclient.h"
#include "str.h"
#include "sysutil.h"
#include "tlsdata.h"
#include "transfer.h"
#include "xferlog.h"

/* Block size of buffered transfers; sendfile moves up to SENDFILE_MAX per call. */
#define XFER_BUF	(256 * 1024)
#define SENDFILE_MAX	(4 * 1024 * 1024)
/* Pipe of a binary upload: socket -> pipe -> file, the bytes never copied
 * through the process (splice). */
#define SPLICE_PIPE	(1024 * 1024)
/* Smallest block when a rate is set (a rate / 8 block keeps pacing smooth). */
#define RATE_MIN_BLOCK	4096
/* A file another session has locked is tried again after a pause that
 * doubles from LOCK_PAUSE_MIN to LOCK_PAUSE_MAX milliseconds. */
#define LOCK_PAUSE_MIN	10
#define LOCK_PAUSE_MAX	200
/* STOU tries BASE, BASE.1 ... BASE.(MAX_UNIQUE - 1). */
#define MAX_UNIQUE	100

enum xfer_end {
	XFER_RUNNING,
	XFER_DONE,
	XFER_ABORTED,
	XFER_NET_ERR,
	XFER_TIMEOUT,
	XFER_FILE_ERR,
	XFER_SHUTDOWN,		/* SIGTERM, and shutdown_timeout ran out */
};

struct xfer {
	struct session *s;
	const char *verb;		/* RETR, STOR, APPE, STOU */
	char path[MAX_FTP_PATH];	/* client view */
	int file_fd;
	int data_fd;
	bool upload;
	bool ascii;
	bool cr_pending;		/* ASCII upload: CR at the end of a block */
	bool cr_last;			/* ASCII download: the last byte read was CR */
	bool created;			/* the upload created the file */
	off_t off;			/* sendfile position */
	unsigned long long bytes;	/* over the data connection */
	unsigned long rate;
	size_t block;
	long long start_ms;
	long long progress_ms;		/* last time data moved */
	int pipe_fd[2];			/* spliced upload: [0] read end, [1] write end */
	const char *pend;		/* buffered download: bytes not yet sent */
	size_t pend_len;
	int err;			/* errno behind XFER_FILE_ERR / XFER_NET_ERR */
	bool tls;			/* PROT P: the data connection is TLS */
	enum tlsdata_path tls_path;	/* a TLS download's path (tlsdata.h) */
	enum xfer_end end;
	long long term_deadline_ms;	/* after SIGTERM: end by then (0: none came) */
	void (*step)(struct xfer *x);
};

/* One transfer at a time per process: the buffers are static. */
static char inbuf[XFER_BUF] LARGE_BSS;
static char outbuf[2 * XFER_BUF] LARGE_BSS;

/* --- pure parts --- */

size_t
xfer_lf_to_crlf(bool *prev_cr, const char *in, size_t len, char *out)
{
	bool cr = *prev_cr;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\n' && !cr)
			out[o++] = '\r';
		out[o++] = in[i];
		cr = in[i] == '\r';
	}
	*prev_cr = cr;
	return o;
}

size_t
xfer_crlf_to_lf(bool *cr_pending, const char *in, size_t len, char *out)
{
	size_t o = 0;

	if (*cr_pending && (len == 0 || in[0] != '\n'))
		out[o++] = '\r';
	*cr_pending = false;
	for (size_t i = 0; i < len; i++) {
		if (in[i] != '\r')
			out[o++] = in[i];
		else if (i + 1 == len)
			*cr_pending = true;
		else if (in[i + 1] != '\n')
			out[o++] = '\r';
	}
	return o;
}

int
xfer_parse_rest(const char *arg, unsigned long long *out)
{
	unsigned long long v = 0;

	if (*arg == '\0')
		return -EINVAL;
	for (; *arg; arg++) {
		if (*arg < '0' || *arg > '9')
			return -EINVAL;
		if (v > ((unsigned long long)LLONG_MAX - (unsigned long long)(*arg - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long long)(*arg - '0');
	}
	*out = v;
	return 0;
}

unsigned long
xfer_max_rate(const struct config *cfg, bool anon, bool upload)
{
	unsigned long dir = upload ? cfg->upload_max_rate : cfg->download_max_rate;

	if (dir)
		return dir;
	return anon ? cfg->anon_max_rate : cfg->local_max_rate;
}

long long
xfer_pace_ms(unsigned long long bytes, unsigned long rate, long long elapsed_ms)
{
	long long due;

	if (rate == 0)
		return 0;
	due = (long long)(bytes / rate * 1000 + bytes % rate * 1000 / rate);
	return due > elapsed_ms ? due - elapsed_ms : 0;
}

int
xfer_unique_name(const char *base, unsigned int n, char *out, size_t outlen)
{
	if (n == 0)
		return str_lcpy(out, base, outlen);
	return str_fmt(out, outlen, "%s.%u", base, n);
}

/* --- session set-up, REST, ABOR --- */

void
xfer_session_init(struct session *s)
{
	int r;

	data_session_init(s);
	r = sys_setsockopt_int(s->ctl_fd, SOL_SOCKET, SO_OOBINLINE, 1);
	if (r < 0)
		log_warning("Failed to set SO_OOBINLINE: %s, ignoring", strerror(-r));
	/* TCP_NODELAY (150 then 226 back to back) is set by helper_main(),
	 * on the same socket, for every launch mode */
	sys_signal(SIGXFSZ, SIG_IGN);
}

void
ftp_rest(struct session *s, const char *arg)
{
	unsigned long long off;

	if (xfer_parse_rest(arg, &off) < 0) {
		ftp_reply(s, FTP_BADARGS, "Bad REST offset.");
		return;
	}
	s->rest = off;
	ftp_reply(s, FTP_RESTOK, "Restart position accepted (%llu).", off);
}

void
ftp_abor(struct session *s, const char *arg)
{
	(void)arg;
	data_reset(s);
	ftp_reply(s, FTP_ABOR_NOCONN, "No transfer to ABOR.");
}

/* --- the steps: move one block --- */

static bool
is_net_errno(int err)
{
	static const int net[] = {
		EPIPE, ECONNRESET, ECONNABORTED, ETIMEDOUT, ENOTCONN, EHOSTUNREACH,
		ENETUNREACH, ENETDOWN,
	};

	for (size_t i = 0; i < sizeof(net) / sizeof(net[0]); i++)
		if (err == net[i])
			return true;
	return false;
}

static void
fail(struct xfer *x, enum xfer_end end, int err)
{
	x->end = end;
	x->err = err;
}

/* A send failed with ERR: over TLS, its wait for the socket may have
 * ended with an ABOR, SIGTERM's shutdown_timeout or the data timeout. */
static void
send_failed(struct xfer *x, int err)
{
	static const struct {
		int err;
		enum xfer_end end;
	} ends[] = {
		{ ECONNABORTED, XFER_ABORTED }, { ETIMEDOUT, XFER_TIMEOUT },
		{ ESHUTDOWN, XFER_SHUTDOWN },
	};

	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		if (err == ends[i].err) {
			x->end = ends[i].end;
			return;
		}
	fail(x, XFER_NET_ERR, err);
}

static void
progress(struct xfer *x, size_t n)
{
	x->bytes += n;
	x->progress_ms = sys_now_ms();
}

static size_t
block(const struct xfer *x, size_t buf)
{
	return x->block < buf ? x->block : buf;
}

static void step_send_buffered(struct xfer *x);

static void
step_sendfile(struct xfer *x)
{
	ssize_t n = sys_sendfile(x->data_fd, x->file_fd, &x->off, block(x, SENDFILE_MAX));

	if (n > 0)
		progress(x, (size_t)n);
	else if (n == 0)
		x->end = XFER_DONE;
	else if (n == -EINVAL || n == -ENOSYS)	/* a file system without sendfile */
		x->step = step_send_buffered;
	else if (n != -EAGAIN)
		fail(x, is_net_errno((int)-n) ? XFER_NET_ERR : XFER_FILE_ERR, (int)-n);
}

/* A binary download over kernel TLS: the kernel reads the file and
 * encrypts (SSL_sendfile); the file's position is X->off. */
static void
step_tls_sendfile(struct xfer *x)
{
	ssize_t n = tlsdata_sendfile(x->data_fd, x->file_fd, x->off, block(x, SENDFILE_MAX));

	if (n > 0) {
		x->off += n;
		progress(x, (size_t)n);
	} else if (n == 0) {
		x->end = XFER_DONE;
	} else if (n == -EINVAL || n == -ENOSYS) {	/* no sendfile here: SSL_write */
		off_t o = sys_lseek(x->file_fd, x->off, SEEK_SET);

		x->tls_path = TLSDATA_KTLS_WRITE;
		x->step = step_send_buffered;
		if (o < 0)
			fail(x, XFER_FILE_ERR, (int)-o);
	} else if (n != -EAGAIN) {
		fail(x, is_net_errno((int)-n) ? XFER_NET_ERR : XFER_FILE_ERR, (int)-n);
	}
}

/* Read the next block of the file (converted in ASCII). RETURNS false at the end. */
static bool
refill(struct xfer *x)
{
	ssize_t n = sys_read(x->file_fd, inbuf, block(x, x->ascii ? XFER_BUF / 2 : XFER_BUF));

	if (n <= 0) {
		if (n == 0)
			x->end = XFER_DONE;
		else
			fail(x, XFER_FILE_ERR, (int)-n);
		return false;
	}
	x->pend = x->ascii ? outbuf : inbuf;
	x->pend_len = x->ascii ? xfer_lf_to_crlf(&x->cr_last, inbuf, (size_t)n, outbuf) :
		      (size_t)n;
	return true;
}

static void
step_send_buffered(struct xfer *x)
{
	ssize_t n;

	if (x->pend_len == 0 && !refill(x))
		return;
	n = data_send(x->data_fd, x->pend, x->pend_len);
	if (n == -EAGAIN)
		return;
	if (n < 0) {
		send_failed(x, (int)-n);
		return;
	}
	x->pend += n;
	x->pend_len -= (size_t)n;
	progress(x, (size_t)n);
}

static void
step_recv(struct xfer *x)
{
	ssize_t n = data_recv(x->data_fd, inbuf, block(x, XFER_BUF)), w;
	const char *data = inbuf;
	size_t len = n > 0 ? (size_t)n : 0;

	if (n == -EAGAIN)
		return;
	if (n < 0) {
		fail(x, XFER_NET_ERR, (int)-n);
		return;
	}
	if (x->ascii) {
		len = xfer_crlf_to_lf(&x->cr_pending, inbuf, len, outbuf);
		data = outbuf;
	}
	w = len ? sys_write_full(x->file_fd, data, len) : 0;
	if (w < 0)
		fail(x, XFER_FILE_ERR, (int)-w);
	else if (n == 0)
		x->end = XFER_DONE;
	else
		progress(x, (size_t)n);
}

/* Move the LEN bytes in the pipe to the file. RETURNS 0 or -errno. */
static int
drain_pipe(struct xfer *x, size_t len)
{
	while (len) {
		ssize_t w = sys_splice(x->pipe_fd[0], x->file_fd, len, SPLICE_F_MOVE);

		if (w == -EINVAL) {	/* a file system without splice: copy them */
			ssize_t n = sys_read(x->pipe_fd[0], inbuf, len < XFER_BUF ? len : XFER_BUF);

			w = n <= 0 ? (n ? n : -EIO) : sys_write_full(x->file_fd, inbuf, (size_t)n);
			x->step = step_recv;
		}
		if (w < 0)
			return (int)w;
		len -= (size_t)w;
	}
	return 0;
}

/* Binary upload: socket -> pipe -> file; the kernel moves the bytes. */
static void
step_splice_recv(struct xfer *x)
{
	ssize_t n;
	int r;

	if (x->pipe_fd[0] < 0 && sys_pipe(x->pipe_fd, SPLICE_PIPE) < 0) {
		x->step = step_recv;
		return;
	}
	n = sys_splice(x->data_fd, x->pipe_fd[1], block(x, SPLICE_PIPE),
		       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n == -EAGAIN)
		return;
	if (n < 0) {
		fail(x, XFER_NET_ERR, (int)-n);
		return;
	}
	if (n == 0) {
		x->end = XFER_DONE;
		return;
	}
	r = drain_pipe(x, (size_t)n);
	if (r < 0)
		fail(x, XFER_FILE_ERR, -r);
	else
		progress(x, (size_t)n);
}

/* --- the loop --- */

static void
on_abor(struct xfer *x)
{
	x->end = XFER_ABORTED;
}

static void
on_stat(struct xfer *x)
{
	ftp_reply(x->s, FTP_STATXFER, "Status: %llu bytes %s %s.", x->bytes,
		  x->upload ? "received for" : "sent of", x->path);
}

/* A command line that arrived during the transfer. */
static void
control_event(struct xfer *x)
{
	static const struct {
		const char *verb;
		void (*fn)(struct xfer *x);
	} during[] = {
		{ "ABOR", on_abor },
		{ "STAT", on_stat },
	};
	char line[MAX_CMD_LINE + 1];

	if (ftp_poll_line(x->s, line) < 0)
		return;
	for (size_t i = 0; i < sizeof(during) / sizeof(during[0]); i++)
		if (strcasecmp(line, during[i].verb) == 0) {
			during[i].fn(x);
			return;
		}
	ftp_hold_line(x->s, line);	/* answered after the transfer */
}

static int
clamp_ms(long long ms)
{
	return ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * SIGTERM (systemctl stop, the listener's shutdown) lets the transfer go
 * on for shutdown_timeout seconds; then it ends as XFER_SHUTDOWN: the
 * client gets 426 with what it has so far, xferlog an incomplete line.
 */
static void
check_term(struct xfer *x)
{
	long long now;

	if (!ftp_term_requested())
		return;
	now = sys_now_ms();
	/* the session's: a wait for the data connection had some of it */
	x->term_deadline_ms = ftp_term_deadline(x->s);
	if (now >= x->term_deadline_ms)
		x->end = XFER_SHUTDOWN;
}

/* Wait for the data or the control connection, or for the rate pacing.
 * RETURNS DATA_READY_* bits; sets XFER_TIMEOUT when nothing moved for too long. */
static int
wait_ready(struct xfer *x)
{
	long long now = sys_now_ms();
	long long pace = xfer_pace_ms(x->bytes, x->rate, now - x->start_ms);
	long long deadline = x->progress_ms + (long long)x->s->cfg->data_connection_timeout * 1000;
	long long wait = pace > 0 ? pace : deadline - now;
	int ready;

	if (x->term_deadline_ms && x->term_deadline_ms - now < wait)
		wait = x->term_deadline_ms - now;
	ready = data_poll(x->s, pace > 0 ? -1 : x->data_fd, x->upload ? POLLIN : POLLOUT,
			  clamp_ms(wait));

	if (pace > 0)
		x->progress_ms = sys_now_ms();	/* our own wait is not the client's stall */
	else if (ready == 0 && sys_now_ms() >= deadline)
		x->end = XFER_TIMEOUT;
	return ready;
}

static void
run_loop(struct xfer *x)
{
	x->start_ms = x->progress_ms = sys_now_ms();
	while (x->end == XFER_RUNNING) {
		int ready;

		check_term(x);
		if (x->end != XFER_RUNNING)
			break;
		ready = wait_ready(x);
		if (ready & DATA_READY_CTL)
			control_event(x);
		if (x->end == XFER_RUNNING && (ready & DATA_READY_FD))
			x->step(x);
	}
}

/* --- endings --- */

static void
reply_file_error(struct session *s, const struct xfer *x)
{
	static const struct {
		int err;
		int code;
		const char *text;
	} errors[] = {
		{ ENOSPC, FTP_NOSPACE, "Insufficient storage space." },
		{ EDQUOT, FTP_EXCEEDED, "Disk quota exceeded." },
		{ EFBIG, FTP_EXCEEDED, "File too large." },
	};

	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (x->err == errors[i].err) {
			ftp_reply(s, errors[i].code, "%s", errors[i].text);
			return;
		}
	ftp_reply(s, FTP_BADSENDFILE, "Failure %s local file.",
		  x->upload ? "writing" : "reading");
}

static void
reply_end(struct session *s, const struct xfer *x)
{
	static const struct {
		int code;
		const char *down;
		const char *up;
	} endings[] = {
		[XFER_DONE] = { FTP_TRANSFEROK, "Transfer complete.", "Transfer complete." },
		[XFER_ABORTED] = { FTP_BADSENDNET, "Transfer aborted.", "Transfer aborted." },
		[XFER_NET_ERR] = { FTP_BADSENDNET, "Failure writing network stream.",
				   "Failure reading network stream." },
		[XFER_TIMEOUT] = { FTP_BADSENDNET, "Data connection timed out.",
				   "Data connection timed out." },
		[XFER_SHUTDOWN] = { FTP_BADSENDNET, "Server shutting down; transfer aborted.",
				    "Server shutting down; transfer aborted." },
	};

	if (x->end == XFER_FILE_ERR) {
		reply_file_error(s, x);
		return;
	}
	ftp_reply(s, endings[x->end].code, "%s",
		  x->upload ? endings[x->end].up : endings[x->end].down);
	if (x->end == XFER_ABORTED)
		ftp_reply(s, FTP_ABOROK, "ABOR successful.");
}

/* Why X did not complete, for the log (empty when it did). */
static void
end_reason(const struct xfer *x, char *out, size_t outlen)
{
	static const char *const why[] = {
		[XFER_RUNNING] = "", [XFER_DONE] = "",
		[XFER_ABORTED] = "aborted by the client",
		[XFER_NET_ERR] = "data connection failed",
		[XFER_TIMEOUT] = "data connection timed out",
		[XFER_FILE_ERR] = "local file error",
		[XFER_SHUTDOWN] = "server shutting down",
	};

	snprintf(out, outlen, "%s%s%s", why[x->end], x->err ? ": " : "",
		 x->err ? strerror(x->err) : "");
}

static void
log_end(const struct xfer *x)
{
	static const char *const access[] = {
		[LOGIN_LOCAL] = "r", [LOGIN_VIRTUAL] = "g", [LOGIN_ANON] = "a",
	};
	const struct session *s = x->s;
	long long ms = sys_now_ms() - x->start_ms;
	struct xferlog_entry e = {
		.when = sys_time(), .msecs = ms, .host = s->peer_str, .bytes = x->bytes,
		.path = x->path, .ascii = x->ascii, .upload = x->upload,
		.access = access[s->login.kind][0], .user = s->login.user,
		.complete = x->end == XFER_DONE,
	};
	char reason[128], how[64] = "";
	/* a TLS download says who encrypted it (FTP_TLS_SEND) */
	const char *send = x->tls && !x->upload ? tlsdata_path_name(x->tls_path) : NULL;

	end_reason(x, reason, sizeof(reason));
	if (send)
		snprintf(how, sizeof(how), ", TLS send: %s%s", send,
			 x->tls_path == TLSDATA_KTLS_SENDFILE ? " (sendfile)" : "");
	log_event(LOG_INFO, &(struct log_fields){
		  .event = x->upload ? LOG_EV_UPLOAD : LOG_EV_DOWNLOAD,
		  .command = x->verb, .file = x->path, .bytes = x->bytes,
		  .duration_ms = (unsigned long long)ms, .reason = reason[0] ? reason : NULL,
		  .tls_send = send },
		  "%s \"%s\" %llu bytes%s%s%s", x->upload ? "Upload" : "Download", x->path,
		  x->bytes, how, reason[0] ? ", incomplete: " : "", reason);
	xferlog_write(&e);
}

/* An upload that did not complete is removed with delete_failed_uploads,
 * when this upload created the file. */
static void
maybe_delete(const struct xfer *x)
{
	char name[MAX_FTP_PATH];
	int dfd;

	if (!x->upload || x->end == XFER_DONE || !x->created ||
	    !x->s->cfg->delete_failed_uploads)
		return;
	dfd = path_open_parent(x->s->root_fd, x->path, name, sizeof(name));
	if (dfd < 0 || sys_unlinkat(dfd, name, 0) < 0)
		log_warning("Failed to delete the failed upload %s", x->path);
	sys_close(dfd);
}

/* The file is read to its end: what the TLS layer still holds must reach
 * the socket before 226 (ABOR and data_connection_timeout still apply). */
static void
finish_send(struct xfer *x)
{
	int r = data_flush(x->s, x->data_fd);

	if (r < 0)
		send_failed(x, -r);
}

/* Open the data connection, send OPENING, move the data, answer. */
static void
run_transfer(struct xfer *x, const char *opening)
{
	x->data_fd = data_open(x->s);
	if (x->data_fd < 0) {
		x->end = XFER_NET_ERR;
		maybe_delete(x);
		return;
	}
	ftp_reply(x->s, FTP_DATACONN, "%s", opening);
	if (data_start(x->s, x->data_fd) < 0) {
		x->data_fd = -1;
		x->end = XFER_NET_ERR;
		maybe_delete(x);
		return;
	}
	if (data_is_tls(x->data_fd)) {	/* no splice through TLS; sendfile with kTLS */
		x->tls = true;
		x->tls_path = tlsdata_choose_path(tlsdata_ktls_send(x->data_fd), x->ascii,
						  x->s->cfg->use_sendfile);
		x->step = x->upload ? step_recv :
			  x->tls_path == TLSDATA_KTLS_SENDFILE ? step_tls_sendfile :
			  step_send_buffered;
	}
	run_loop(x);
	if (x->end == XFER_DONE && !x->upload)
		finish_send(x);
	x->data_fd = data_close(x->data_fd);
	x->pipe_fd[0] = sys_close(x->pipe_fd[0]);
	x->pipe_fd[1] = sys_close(x->pipe_fd[1]);
	/* the lock goes with the file: release it before the client hears 226 */
	x->file_fd = sys_close(x->file_fd);
	maybe_delete(x);
	reply_end(x->s, x);
	log_end(x);
}

/* --- the verbs --- */

/* Checks shared by every transfer verb; fills X. RETURNS false after a reply. */
static bool
begin(struct session *s, struct xfer *x, const char *verb, const char *arg, bool upload)
{
	const struct config *c = s->cfg;

	memset(x, 0, sizeof(*x));
	x->s = s;
	x->verb = verb;
	x->file_fd = x->data_fd = -1;
	x->upload = upload;
	x->ascii = s->type_ascii && (upload ? c->ascii_upload_enable : c->ascii_download_enable);
	x->rate = xfer_max_rate(c, s->login.kind == LOGIN_ANON, upload);
	x->block = x->rate ? x->rate / 8 : SIZE_MAX;
	if (x->rate && x->block < RATE_MIN_BLOCK)
		x->block = RATE_MIN_BLOCK;
	x->off = (off_t)s->rest;
	x->pipe_fd[0] = x->pipe_fd[1] = -1;
	x->step = upload ? (x->ascii ? step_recv : step_splice_recv) :
		  x->ascii || !x->s->cfg->use_sendfile ? step_send_buffered : step_sendfile;
	if (!data_ready(s))
		return false;
	/* vsftpd's rule for downloads; an upload resumes unless its line ends
	 * are converted (the offset would not be the file's) */
	if (s->rest && (upload ? x->ascii : s->type_ascii)) {
		ftp_reply(s, FTP_FILEFAIL, "No support for resume of ASCII transfer.");
		return false;
	}
	return ftpfs_resolve(s, arg, x->path);
}

/*
 * lock_upload_files: lock FD, and while another session holds a
 * conflicting lock, wait for it (vsftpd waits in F_SETLKW) for up to
 * data_connection_timeout, watching the control connection: ABOR ends
 * the wait, so does the helper's death.  The lock is tried again after
 * each pause: an OFD lock has no waiting form that a timeout or the
 * control connection could end without a signal.  RETURNS 0, -EAGAIN
 * (still locked, or SIGTERM's shutdown_timeout ran out), -ECONNABORTED
 * (ABOR) or -errno.
 */
static int
lock_wait(struct session *s, int fd, bool write)
{
	long long deadline = sys_now_ms() + (long long)s->cfg->data_connection_timeout * 1000;
	long long pause = LOCK_PAUSE_MIN, now;
	int r;

	while ((r = sys_lock_file(fd, write)) == -EAGAIN && (now = sys_now_ms()) < deadline) {
		r = data_wait(s, -1, 0, now + pause < deadline ? now + pause : deadline);
		if (r == -ESHUTDOWN)
			return -EAGAIN;	/* given up: "try again later" */
		if (r != -ETIMEDOUT)
			return r;
		pause = pause * 2 < LOCK_PAUSE_MAX ? pause * 2 : LOCK_PAUSE_MAX;
	}
	return r;
}

/* anon_world_readable_only: an anonymous user downloads only what others
 * may read (vsftpd's rule; uploads stay private until chmod o+r). */
static bool
anon_denied(const struct session *s, const struct stat *st)
{
	return s->login.kind == LOGIN_ANON && s->cfg->anon_world_readable_only &&
	       !(st->st_mode & S_IROTH);
}

/* RETURNS the open file for a download, or -1 after a reply. */
static int
open_download(struct xfer *x, struct stat *st)
{
	struct session *s = x->s;
	int fd = path_open(s->root_fd, x->path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	int r = fd < 0 ? fd : sys_fstat(fd, st), l = 0;
	off_t o;

	if (r == 0 && !S_ISREG(st->st_mode))
		r = -EISDIR;
	if (r == 0 && anon_denied(s, st))
		r = -EACCES;
	if (r == 0 && s->cfg->lock_upload_files)
		l = lock_wait(s, fd, false);
	if (l == -EAGAIN || l == -ECONNABORTED) {
		sys_close(fd);
		if (l == -ECONNABORTED)
			data_reply_aborted(s);
		else
			ftp_reply(s, FTP_FILEBUSY, "File is being uploaded, try again later.");
		return -1;
	}
	if (r == 0 && (o = sys_lseek(fd, x->off, SEEK_SET)) >= 0)
		return fd;
	sys_close(fd);
	ftp_reply(s, FTP_FILEFAIL, "Failed to open file.");
	return -1;
}

void
ftp_retr(struct session *s, const char *arg)
{
	struct xfer x;
	struct stat st;
	char opening[MAX_CMD_LINE];

	if (begin(s, &x, "RETR", arg, false) && (x.file_fd = open_download(&x, &st)) >= 0) {
		snprintf(opening, sizeof(opening),
			 "Opening %s mode data connection for %s (%lld bytes).",
			 x.ascii ? "ASCII" : "BINARY", arg, (long long)st.st_size);
		run_transfer(&x, opening);
		sys_close(x.file_fd);
	}
	data_reset(s);
}

enum upload_kind { UP_STOR, UP_APPE, UP_STOU };

/* Anonymous users may not overwrite, append or resume unless
 * anon_other_write_enable (vsftpd's rule). */
static bool
exclusive_only(const struct session *s)
{
	return s->login.kind == LOGIN_ANON && !s->cfg->anon_other_write_enable;
}

/* Open X->path for writing. RETURNS fd or -errno; sets X->created. */
static int
open_upload_file(struct xfer *x, bool exclusive, bool append)
{
	struct session *s = x->s;
	mode_t mode = (mode_t)s->cfg->file_open_mode & ~s->umask & 07777;
	int flags = O_WRONLY | O_NONBLOCK | O_NOCTTY | (append ? O_APPEND : 0);
	int fd = path_open(s->root_fd, x->path, flags | O_CREAT | O_EXCL, mode);

	x->created = fd >= 0;
	if (fd != -EEXIST || exclusive)
		return fd;
	return path_open(s->root_fd, x->path, flags, 0);
}

/* A regular file, locked, then truncated (a new STOR) or positioned
 * (REST): what was there before the offset stays. RETURNS 0 or -errno. */
static int
prepare_upload(struct xfer *x, int fd, bool append)
{
	struct stat st;
	int r = sys_fstat(fd, &st);
	off_t o;

	if (r == 0 && !S_ISREG(st.st_mode))
		r = -EISDIR;
	if (r == 0 && x->s->cfg->lock_upload_files)
		r = lock_wait(x->s, fd, true);
	if (r < 0 || append)
		return r;
	if (x->off == 0)
		return x->created ? 0 : sys_ftruncate(fd, 0);
	o = sys_lseek(fd, x->off, SEEK_SET);
	return o < 0 ? (int)o : 0;
}

/* chown_uploads: a file an anonymous upload created goes to chown_username
 * (the helper does it: it alone may hold CAP_CHOWN). */
static void
maybe_chown(struct xfer *x)
{
	int r;

	if (!x->created || x->s->login.kind != LOGIN_ANON || !x->s->cfg->chown_uploads)
		return;
	r = priv_chown_upload(x->s, x->file_fd);
	if (r < 0)
		log_warning("Failed to give %s to chown_username: %s, ignoring", x->path,
			    strerror(-r));
}

/* A refused upload leaves nothing behind: the file it created (FD) is
 * removed, if its name still leads to it. */
static void
discard_created(const struct xfer *x, int fd)
{
	char name[MAX_FTP_PATH];
	struct stat mine, now;
	int dfd;

	if (!x->created || sys_fstat(fd, &mine) < 0)
		return;
	dfd = path_open_parent(x->s->root_fd, x->path, name, sizeof(name));
	if (dfd < 0 || sys_fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	    now.st_dev != mine.st_dev || now.st_ino != mine.st_ino ||
	    sys_unlinkat(dfd, name, 0) < 0)
		log_warning("Failed to remove %s after a refused upload", x->path);
	sys_close(dfd);
}

/* Keep FD (R == 0) or answer the failure R. RETURNS true when kept. */
static bool
upload_opened(struct xfer *x, int fd, int r)
{
	if (r == 0) {
		x->file_fd = fd;
		maybe_chown(x);
		return true;
	}
	if (fd >= 0)
		discard_created(x, fd);
	sys_close(fd);
	if (r == -ECONNABORTED)
		data_reply_aborted(x->s);
	else if (r == -EAGAIN)
		ftp_reply(x->s, FTP_FILEBUSY, "File is busy, try again later.");
	else
		ftp_reply(x->s, FTP_BADNAME, "Could not create file.");
	return false;
}

/* Open the upload target; RETURNS false after a reply. */
static bool
open_upload(struct xfer *x, enum upload_kind kind)
{
	bool append = kind == UP_APPE;
	int fd = open_upload_file(x, exclusive_only(x->s), append);

	return upload_opened(x, fd, fd < 0 ? fd : prepare_upload(x, fd, append));
}

static void
upload(struct session *s, const char *arg, enum upload_kind kind)
{
	static const char *const verbs[] = {
		[UP_STOR] = "STOR", [UP_APPE] = "APPE", [UP_STOU] = "STOU",
	};
	struct xfer x;

	if (begin(s, &x, verbs[kind], arg, true)) {
		if ((kind == UP_APPE || s->rest) && exclusive_only(s))
			ftp_reply(s, FTP_NOPERM, "Permission denied.");
		else if (open_upload(&x, kind)) {
			run_transfer(&x, "Ok to send data.");
			sys_close(x.file_fd);
		}
	}
	data_reset(s);
}

void
ftp_stor(struct session *s, const char *arg)
{
	upload(s, arg, UP_STOR);
}

void
ftp_appe(struct session *s, const char *arg)
{
	upload(s, arg, UP_APPE);
}

/* Create the first free name of BASE, BASE.1...  RETURNS false after a reply. */
static bool
open_unique(struct xfer *x, const char *base, char *name, size_t nlen)
{
	int fd = -EEXIST;

	for (unsigned int n = 0; n < MAX_UNIQUE && fd == -EEXIST; n++) {
		if (xfer_unique_name(base, n, name, nlen) < 0 ||
		    path_normalize(x->s->cwd, name, x->path, sizeof(x->path)) < 0)
			fd = -ENAMETOOLONG;
		else
			fd = open_upload_file(x, true, false);
	}
	return upload_opened(x, fd, fd < 0 ? fd : prepare_upload(x, fd, false));
}

void
ftp_stou(struct session *s, const char *arg)
{
	struct xfer x;
	char name[MAX_FTP_PATH], opening[MAX_FTP_PATH + 16];

	if (begin(s, &x, "STOU", *arg ? arg : "STOU", true) &&
	    open_unique(&x, *arg ? arg : "STOU", name, sizeof(name))) {
		snprintf(opening, sizeof(opening), "FILE: %s", name);
		run_transfer(&x, opening);
		sys_close(x.file_fd);
	}
	data_reset(s);
}
