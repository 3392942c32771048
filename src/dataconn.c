/* dataconn.c - the data connection of a transfer command; see dataconn.h. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <strings.h>

#include "dataaddr.h"
#include "dataconn.h"
#include "ftpcmd.h"
#include "ftpcodes.h"
#include "ftptls.h"
#include "log.h"
#include "privclient.h"
#include "sysutil.h"
#include "tlsdata.h"

/* Foreign connections refused during one passive wait before giving up. */
#define MAX_REFUSED	64

/* --- state and I/O --- */

void
data_session_init(struct session *s)
{
	s->pasv_fd = -1;
	s->have_port = false;
	s->epsv_all = false;
}

void
data_reset(struct session *s)
{
	s->pasv_fd = sys_close(s->pasv_fd);
	s->have_port = false;
}

bool
data_ready(struct session *s)
{
	if (!(s->pasv_fd >= 0 || s->have_port)) {
		ftp_reply(s, FTP_BADSENDCONN, "Use PORT or PASV first.");
		return false;
	}
	return ftptls_data_allowed(s);
}

int
data_start(struct session *s, int fd)
{
	int r = s->prot_p ? tlsdata_accept(s, fd, data_wait) : 0;

	if (r == 0)
		return 0;
	sys_close(fd);
	if (!data_reply_ended(s, r, true))
		ftp_reply(s, FTP_BADPROTO, "TLS data connection refused: it must resume "
			  "the control connection's TLS session.");
	return -1;
}

int
data_flush(struct session *s, int fd)
{
	(void)s;	/* tlsdata waits with data_wait (tlsdata_accept) */
	return tlsdata_flush(fd);
}

int
data_close(int fd)
{
	tlsdata_close(fd);
	return sys_close(fd);
}

ssize_t
data_send(int fd, const void *buf, size_t len)
{
	return tlsdata_active(fd) ? tlsdata_send(fd, buf, len) : sys_send(fd, buf, len, 0);
}

ssize_t
data_recv(int fd, void *buf, size_t len)
{
	return tlsdata_active(fd) ? tlsdata_recv(fd, buf, len) : sys_recv(fd, buf, len, 0);
}

bool
data_is_tls(int fd)
{
	return tlsdata_active(fd);
}

struct sockaddr_storage
data_local_addr(const struct session *s)
{
	struct sockaddr_storage sa = s->local;

	data_unmap(&sa);
	return sa;
}

/* --- opening the connection --- */

int
data_poll(struct session *s, int fd, short events, int timeout_ms)
{
	struct pollfd p[3] = {
		{ .fd = fd, .events = events },
		{ .fd = ftp_hold_full(s) ? -1 : s->ctl_fd, .events = POLLIN },
		{ .fd = s->priv_fd, .events = POLLIN },	/* only ever says EOF here */
	};
	/* bytes OpenSSL already decrypted: poll would not see them */
	bool pending = (events & POLLIN) && tlsdata_pending(fd);
	/* SIGTERM may come in meanwhile: the transfer then has shutdown_timeout */
	int r = sys_ppoll(p, 3, pending ? 0 : timeout_ms, ftp_term_mask());

	if (r < 0 && r != -EINTR)
		die("Failed to poll for the data connection: %s", strerror(-r));
	if (pending && r >= 0)
		p[0].revents |= POLLIN, r++;
	if (r <= 0)
		return 0;
	if (p[2].revents)
		die("Helper process went away during a data command");
	return (p[0].revents ? DATA_READY_FD : 0) | (p[1].revents ? DATA_READY_CTL : 0);
}

int
data_wait(struct session *s, int fd, short events, long long deadline)
{
	for (;;) {
		char line[MAX_CMD_LINE + 1];
		long long now = sys_now_ms(), stop = ftp_term_deadline(s);
		long long left = (stop && stop < deadline ? stop : deadline) - now;
		int ready;

		if (stop && now >= stop)
			return -ESHUTDOWN;
		if (left <= 0)
			return -ETIMEDOUT;
		ready = data_poll(s, fd, events, left > INT_MAX ? INT_MAX : (int)left);
		if ((ready & DATA_READY_CTL) && ftp_poll_line(s, line) >= 0) {
			if (strcasecmp(line, "ABOR") == 0)
				return -ECONNABORTED;
			ftp_hold_line(s, line);	/* answered after this command */
		}
		if (ready & DATA_READY_FD)
			return 1;
	}
}

/* Wait for the client's connection; others are closed and the wait goes on. */
static int
pasv_accept(struct session *s)
{
	long long deadline = sys_now_ms() + (long long)s->cfg->accept_timeout * 1000;
	char addr[INET6_ADDRSTRLEN];

	for (int refused = 0; refused < MAX_REFUSED; ) {
		struct sockaddr_storage peer;
		socklen_t len;
		int fd, r = data_wait(s, s->pasv_fd, POLLIN, deadline);

		if (r < 0)
			return r;
		fd = sys_accept(s->pasv_fd, &peer, &len, SOCK_NONBLOCK);
		if (fd < 0)
			continue;	/* EINTR, or the client gave up (ECONNABORTED) */
		if (s->cfg->pasv_promiscuous || data_same_addr(&peer, &s->peer))
			return fd;
		sys_sockaddr_str(&peer, addr, sizeof(addr));
		log_warning("Refused a passive data connection from %s: not the client's address",
			    addr);
		sys_close(fd);
		refused++;
	}
	return -ECONNREFUSED;
}

/* Start connecting *FD to the PORT/EPRT target: from ftp_data_port by the
 * helper, else from the control connection's address.  RETURNS 0
 * (connected), -EINPROGRESS (wait for POLLOUT) or -errno. */
static int
port_start(struct session *s, int *fd)
{
	struct sockaddr_storage local = data_local_addr(s);
	int r;

	if (s->cfg->connect_from_port_20) {
		*fd = priv_port_sock(s, &s->port_addr);
		r = *fd < 0 ? *fd : sys_set_nonblock(*fd);
		return r < 0 ? r : -EINPROGRESS;	/* connected or not, POLLOUT says */
	}
	*fd = sys_socket(s->port_addr.ss_family, SOCK_STREAM, 0);
	if (*fd < 0)
		return *fd;
	data_set_port(&local, 0);
	if (local.ss_family == s->port_addr.ss_family)
		(void)sys_bind(*fd, &local);	/* best effort: the kernel picks otherwise */
	return sys_connect_start(*fd, &s->port_addr);
}

/* Connect to the PORT/EPRT target, for at most connect_timeout. */
static int
port_connect(struct session *s)
{
	long long deadline = sys_now_ms() + (long long)s->cfg->connect_timeout * 1000;
	int fd = -1, r = port_start(s, &fd);

	if (r == -EINPROGRESS) {
		r = data_wait(s, fd, POLLOUT, deadline);
		if (r > 0)
			r = sys_connect_result(fd);
	}
	if (r < 0) {
		sys_close(fd);
		return r;
	}
	return fd;
}

void
data_reply_aborted(struct session *s)
{
	ftp_reply(s, FTP_BADSENDNET, "Connection closed; transfer aborted.");
	ftp_reply(s, FTP_ABOROK, "ABOR successful.");
}

void
data_reply_shutdown(struct session *s, bool opened)
{
	if (opened)
		ftp_reply(s, FTP_BADSENDNET, "Server shutting down; transfer aborted.");
	else
		ftp_reply(s, FTP_BADSENDCONN, "Server shutting down.");
}

bool
data_reply_ended(struct session *s, int r, bool opened)
{
	if (r == -ECONNABORTED)
		data_reply_aborted(s);
	else if (r == -ESHUTDOWN)
		data_reply_shutdown(s, opened);
	return r == -ECONNABORTED || r == -ESHUTDOWN;
}

int
data_open(struct session *s)
{
	bool passive = s->pasv_fd >= 0;
	/* both return a non-blocking socket */
	int r = passive ? pasv_accept(s) : port_connect(s);

	if (r >= 0)
		return r;
	if (data_reply_ended(s, r, false))
		return -1;
	log_info("Failed to %s the data connection: %s",
		 passive ? "accept" : "connect", strerror(-r));
	ftp_reply(s, FTP_BADSENDCONN, "Failed to establish connection.");
	return -1;
}

int
data_write_all(struct session *s, int fd, const void *buf, size_t len)
{
	long long idle = (long long)s->cfg->data_connection_timeout * 1000;
	const char *p = buf;

	while (len > 0) {
		ssize_t n = data_send(fd, p, len);
		int r;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n != -EAGAIN)
			return n == 0 ? -EPIPE : (int)n;
		/* the control connection too: ABOR ends a listing nobody reads */
		r = data_wait(s, fd, POLLOUT, sys_now_ms() + idle);
		if (r < 0)
			return r;
	}
	return 0;
}
