/* dataconn.c - PASV/EPSV/PORT/EPRT and the data connection; see dataconn.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "dataconn.h"
#include "ftpcmd.h"
#include "ftpcodes.h"
#include "ftptls.h"
#include "log.h"
#include "privclient.h"
#include "str.h"
#include "sysutil.h"
#include "tlsdata.h"

/* Ports tried (consecutively, from a random start) before PASV gives up. */
#define PASV_TRIES	64
/* Foreign connections refused during one passive wait before giving up. */
#define MAX_REFUSED	64

/* --- pure parsers and checks --- */

/* A decimal number of 1..MAXDIGITS digits at *P, at most MAX; advances *P. */
static int
parse_uint(const char **p, unsigned long max, unsigned int maxdigits,
	   unsigned long *out)
{
	unsigned long v = 0;
	unsigned int n = 0;

	for (; **p >= '0' && **p <= '9' && n < maxdigits; (*p)++, n++)
		v = v * 10 + (unsigned long)(**p - '0');
	if (n == 0 || (**p >= '0' && **p <= '9') || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void
set_port(struct sockaddr_storage *sa, unsigned int port)
{
	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
}

int
data_parse_port(const char *arg, struct sockaddr_storage *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	unsigned long v[6];

	for (int i = 0; i < 6; i++) {
		if (i > 0 && *arg++ != ',')
			return -EINVAL;
		if (parse_uint(&arg, 255, 3, &v[i]) < 0)
			return -EINVAL;
	}
	if (*arg != '\0' || (v[4] == 0 && v[5] == 0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl((uint32_t)(v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3]));
	sin->sin_port = htons((uint16_t)(v[4] << 8 | v[5]));
	return 0;
}

static int
make_addr(int family, const char *text, unsigned long port,
	  struct sockaddr_storage *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
	void *dst = family == AF_INET ? (void *)&sin->sin_addr : (void *)&sin6->sin6_addr;

	memset(out, 0, sizeof(*out));
	if (inet_pton(family, text, dst) != 1)
		return -EINVAL;
	out->ss_family = (sa_family_t)family;
	set_port(out, (unsigned int)port);
	return 0;
}

int
data_parse_eprt(const char *arg, struct sockaddr_storage *out)
{
	char d = arg[0], addr[INET6_ADDRSTRLEN];
	const char *p = arg + 1, *end;
	unsigned long proto, port;
	size_t alen;

	if (d < 33 || d > 126 || (d >= '0' && d <= '9'))
		return -EINVAL;
	if (parse_uint(&p, 255, 3, &proto) < 0 || *p++ != d)
		return -EINVAL;
	end = strchr(p, d);
	if (end == NULL || end == p || (alen = (size_t)(end - p)) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, p, alen);
	addr[alen] = '\0';
	p = end + 1;
	if (parse_uint(&p, 65535, 5, &port) < 0 || port == 0 || *p++ != d || *p != '\0')
		return -EINVAL;
	if (proto != 1 && proto != 2)
		return -EAFNOSUPPORT;
	return make_addr(proto == 1 ? AF_INET : AF_INET6, addr, port, out);
}

int
data_parse_epsv(const char *arg)
{
	static const struct {
		const char *arg;
		int result;
	} args[] = {
		{ "", AF_UNSPEC }, { "1", AF_INET }, { "2", AF_INET6 },
		{ "ALL", DATA_EPSV_ALL },
	};
	unsigned long n;

	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
		if (strcasecmp(arg, args[i].arg) == 0)
			return args[i].result;
	if (parse_uint(&arg, 255, 3, &n) == 0 && *arg == '\0')
		return -EAFNOSUPPORT;
	return -EINVAL;
}

/* The address as 16 bytes, IPv4 in its mapped form. RETURNS false if not IP. */
static bool
addr16(const struct sockaddr_storage *sa, uint8_t out[16])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (sa->ss_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	if (sa->ss_family != AF_INET)
		return false;
	memcpy(out, mapped, 12);
	memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	return true;
}

bool
data_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	uint8_t x[16], y[16];

	return addr16(a, x) && addr16(b, y) && memcmp(x, y, 16) == 0;
}

void
data_unmap(struct sockaddr_storage *sa)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

	if (sa->ss_family != AF_INET6)
		return;
	memcpy(&s6, sa, sizeof(s6));
	if (!IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr))
		return;
	memset(sa, 0, sizeof(*sa));
	s4->sin_family = AF_INET;
	s4->sin_port = s6.sin6_port;
	memcpy(&s4->sin_addr, &s6.sin6_addr.s6_addr[12], 4);
}

void
data_default_host(struct sockaddr_storage *target, const struct sockaddr_storage *peer)
{
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t any6[16] = { 0 };
	unsigned int port = sys_sockaddr_port(target);
	uint8_t a[16];

	if (!addr16(target, a) || (memcmp(a, any4, 16) != 0 && memcmp(a, any6, 16) != 0))
		return;
	*target = *peer;
	data_unmap(target);
	set_port(target, port);
}

int
data_check_target(const struct sockaddr_storage *target,
		  const struct sockaddr_storage *peer, bool promiscuous)
{
	if (target->ss_family != AF_INET && target->ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (promiscuous)
		return 0;
	if (!data_same_addr(target, peer))
		return -EACCES;
	if (sys_sockaddr_port(target) < 1024)
		return -EPERM;
	return 0;
}

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The end of a /proc line: an optional newline, then nothing. */
static bool
line_end(const char *p)
{
	return p[*p == '\n'] == '\0';
}

int
data_parse_port_range(const char *text, struct port_ranges *out)
{
	const char *p = skip_blanks(text);
	unsigned long lo, hi;

	if (parse_uint(&p, 65535, 5, &lo) < 0 || (*p != ' ' && *p != '\t'))
		return -EINVAL;
	p = skip_blanks(p);
	if (parse_uint(&p, 65535, 5, &hi) < 0 || !line_end(skip_blanks(p)) ||
	    lo == 0 || lo > hi)
		return -EINVAL;
	out->lo = (unsigned int)lo;
	out->hi = (unsigned int)hi;
	return 0;
}

int
data_parse_reserved_ports(const char *text, struct port_ranges *out)
{
	const char *p = text;
	unsigned long lo, hi;

	out->nreserved = 0;
	if (line_end(p))
		return 0;
	for (;;) {
		if (parse_uint(&p, 65535, 5, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_uint(&p, 65535, 5, &hi) < 0 || hi < lo)
				return -EINVAL;
		}
		if (out->nreserved == MAX_RESERVED_RANGES)
			return -E2BIG;
		out->reserved[out->nreserved].lo = (unsigned int)lo;
		out->reserved[out->nreserved].hi = (unsigned int)hi;
		out->nreserved++;
		if (*p != ',')
			break;
		p++;
	}
	return line_end(p) ? 0 : -EINVAL;
}

bool
data_port_reserved(const struct port_ranges *r, unsigned int port)
{
	for (unsigned int i = 0; i < r->nreserved; i++)
		if (port >= r->reserved[i].lo && port <= r->reserved[i].hi)
			return true;
	return false;
}

/* --- session state --- */

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
	if (!s->prot_p || tlsdata_accept(s, fd) == 0)
		return 0;
	sys_close(fd);
	ftp_reply(s, FTP_BADPROTO, "TLS data connection refused: it must resume "
		  "the control connection's TLS session.");
	return -1;
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

/* The control connection's local address, IPv4-mapped turned to IPv4. */
static struct sockaddr_storage
local_addr(const struct session *s)
{
	struct sockaddr_storage sa = s->local;

	data_unmap(&sa);
	return sa;
}

/* --- passive --- */

static int
listen_at(const struct sockaddr_storage *sa)
{
	int fd = sys_socket(sa->ss_family, SOCK_STREAM, 0), r;

	if (fd < 0)
		return fd;
	r = sys_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (r == 0)
		r = sys_bind(fd, sa);
	if (r == 0)
		r = sys_listen(fd, 1);
	if (r < 0) {
		sys_close(fd);
		return r;
	}
	return fd;
}

/* Ports to try, [*lo, *hi]; 0..0 lets the kernel pick.  Below 1024 is
 * out of reach: the service process holds no capability.  RETURNS the
 * reserved ports to skip (the kernel's, when its range is used), or NULL. */
static const struct port_ranges *
pasv_range(const struct session *s, unsigned int *lo, unsigned int *hi)
{
	const struct config *c = s->cfg;
	const struct port_ranges *k = &s->rt->pasv_ports;

	if (c->pasv_min_port == 0 && c->pasv_max_port == 0) {
		*lo = k->lo;
		*hi = k->hi;
		return k;
	}
	*lo = c->pasv_min_port < 1024 ? 1024 : (unsigned int)c->pasv_min_port;
	*hi = c->pasv_max_port == 0 ? 65535 : (unsigned int)c->pasv_max_port;
	if (*hi < *lo)
		*hi = *lo;
	return NULL;
}

/* A listening socket at the address the client reached us on. */
static int
pasv_listen(struct session *s)
{
	struct sockaddr_storage sa = local_addr(s);
	unsigned int lo, hi, span, port;
	const struct port_ranges *reserved = pasv_range(s, &lo, &hi);
	uint32_t start = 0;
	int r = -EADDRINUSE;

	span = hi - lo + 1;
	(void)sys_random(&start, sizeof(start));
	for (unsigned int i = 0; i < span && i < PASV_TRIES; i++) {
		port = lo + (unsigned int)((start + i) % span);
		if (reserved && data_port_reserved(reserved, port))
			continue;
		set_port(&sa, port);
		r = listen_at(&sa);
		if (r != -EADDRINUSE)
			break;
	}
	if (r == -EADDRINUSE && reserved && lo != 0) {	/* our picks were taken */
		set_port(&sa, 0);
		r = listen_at(&sa);
	}
	return r;
}

/* The refusals shared by PASV and EPSV. RETURNS true when allowed. */
static bool
passive_allowed(struct session *s, bool epsv)
{
	if (!s->cfg->pasv_enable) {
		ftp_reply(s, FTP_BADCMD, "Passive mode is not enabled.");
		return false;
	}
	if (s->epsv_all && !epsv) {
		ftp_reply(s, FTP_BADCMD, "Only EPSV is allowed after EPSV ALL.");
		return false;
	}
	return true;
}

/* Listen for the next data connection. RETURNS its port, 0 after a 425. */
static unsigned int
start_passive(struct session *s)
{
	struct sockaddr_storage sa;
	int fd;

	data_reset(s);
	fd = pasv_listen(s);
	if (fd < 0 || sys_local_addr(fd, &sa) < 0) {
		log_warning("Failed to listen for a passive data connection: %s",
			    strerror(fd < 0 ? -fd : errno));
		sys_close(fd);
		ftp_reply(s, FTP_BADSENDCONN, "Could not listen for a data connection.");
		return 0;
	}
	s->pasv_fd = fd;
	return sys_sockaddr_port(&sa);
}

void
ftp_pasv(struct session *s, const char *arg)
{
	struct sockaddr_storage sa = local_addr(s);
	unsigned int port;
	uint8_t ip[4];

	(void)arg;
	if (!passive_allowed(s, false))
		return;
	if (sa.ss_family != AF_INET) {
		ftp_reply(s, FTP_BADSENDCONN, "PASV is IPv4 only: use EPSV.");
		return;
	}
	port = start_passive(s);
	if (port == 0)
		return;
	memcpy(ip, s->rt->have_pasv_addr ? (const void *)&s->rt->pasv_addr :
	       (const void *)&((struct sockaddr_in *)&sa)->sin_addr, 4);
	ftp_reply(s, FTP_PASVOK, "Entering Passive Mode (%u,%u,%u,%u,%u,%u).",
		  ip[0], ip[1], ip[2], ip[3], port >> 8, port & 0xff);
}

void
ftp_epsv(struct session *s, const char *arg)
{
	int family = local_addr(s).ss_family, want = data_parse_epsv(arg);
	unsigned int port;

	if (want == DATA_EPSV_ALL) {
		s->epsv_all = true;
		ftp_reply(s, FTP_EPSVALLOK, "EPSV ALL ok.");
		return;
	}
	if (!passive_allowed(s, true))
		return;
	if (want == -EINVAL) {
		ftp_reply(s, FTP_BADARGS, "Bad EPSV argument.");
		return;
	}
	if (want != AF_UNSPEC && want != family) {
		ftp_reply(s, FTP_BADPROTO, "Network protocol not supported, use (%d).",
			  family == AF_INET ? 1 : 2);
		return;
	}
	port = start_passive(s);
	if (port)
		ftp_reply(s, FTP_EPSVOK, "Entering Extended Passive Mode (|||%u|).", port);
}

/* --- active --- */

static bool
active_allowed(struct session *s, const char *verb)
{
	if (!s->cfg->port_enable) {
		ftp_reply(s, FTP_BADCMD, "%s is not enabled.", verb);
		return false;
	}
	if (s->epsv_all) {
		ftp_reply(s, FTP_BADCMD, "Only EPSV is allowed after EPSV ALL.");
		return false;
	}
	return true;
}

/* Check and keep TARGET of PORT/EPRT (VERB). */
static void
set_target(struct session *s, struct sockaddr_storage *target, const char *verb)
{
	char addr[INET6_ADDRSTRLEN];
	int r;

	data_default_host(target, &s->peer);
	r = data_check_target(target, &s->peer, s->cfg->port_promiscuous);
	if (r < 0) {
		sys_sockaddr_str(target, addr, sizeof(addr));
		log_warning("Refused %s to %s port %u: %s", verb, addr,
			    sys_sockaddr_port(target),
			    r == -EPERM ? "reserved port" : "not the client's address");
		ftp_reply(s, FTP_BADCMD, "Illegal %s command.", verb);
		return;
	}
	data_unmap(target);
	s->port_addr = *target;
	s->have_port = true;
	ftp_reply(s, FTP_PORTOK, "%s command successful. Consider using PASV.", verb);
}

void
ftp_port(struct session *s, const char *arg)
{
	struct sockaddr_storage sa;

	data_reset(s);
	if (!active_allowed(s, "PORT"))
		return;
	if (data_parse_port(arg, &sa) < 0) {
		ftp_reply(s, FTP_BADARGS, "Syntax error in PORT arguments.");
		return;
	}
	set_target(s, &sa, "PORT");
}

void
ftp_eprt(struct session *s, const char *arg)
{
	struct sockaddr_storage sa;
	int r;

	data_reset(s);
	if (!active_allowed(s, "EPRT"))
		return;
	r = data_parse_eprt(arg, &sa);
	if (r == -EAFNOSUPPORT) {
		ftp_reply(s, FTP_BADPROTO, "Network protocol not supported, use (1,2).");
		return;
	}
	if (r < 0) {
		ftp_reply(s, FTP_BADARGS, "Syntax error in EPRT arguments.");
		return;
	}
	set_target(s, &sa, "EPRT");
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
		long long left = deadline - sys_now_ms();
		int ready;

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
	struct sockaddr_storage local = local_addr(s);
	int r;

	if (s->cfg->connect_from_port_20) {
		*fd = priv_port_sock(s, &s->port_addr);
		r = *fd < 0 ? *fd : sys_set_nonblock(*fd);
		return r < 0 ? r : -EINPROGRESS;	/* connected or not, POLLOUT says */
	}
	*fd = sys_socket(s->port_addr.ss_family, SOCK_STREAM, 0);
	if (*fd < 0)
		return *fd;
	set_port(&local, 0);
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

int
data_open(struct session *s)
{
	bool passive = s->pasv_fd >= 0;
	/* both return a non-blocking socket */
	int r = passive ? pasv_accept(s) : port_connect(s);

	if (r >= 0)
		return r;
	if (r == -ECONNABORTED) {
		data_reply_aborted(s);
		return -1;
	}
	log_info("Failed to %s the data connection: %s",
		 passive ? "accept" : "connect", strerror(-r));
	ftp_reply(s, FTP_BADSENDCONN, "Failed to establish connection.");
	return -1;
}

int
data_write_all(struct session *s, int fd, const void *buf, size_t len)
{
	int timeout = (int)s->cfg->data_connection_timeout * 1000;
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
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
		r = sys_poll(&pf, 1, timeout);
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 && r != -EINTR)
			return r;
	}
	return 0;
}

/* Read a small /proc file (whose size stat does not tell) into BUF. */
static int
read_proc(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = sys_open(path, O_RDONLY, 0);

	if (fd < 0)
		return fd;
	n = sys_read(fd, buf, size - 1);
	sys_close(fd);
	if (n < 0)
		return (int)n;
	if ((size_t)n == size - 1)
		return -E2BIG;
	buf[n] = '\0';
	return 0;
}

void
data_load_pasv_ports(struct port_ranges *out)
{
	char text[4096];

	memset(out, 0, sizeof(*out));
	if (read_proc("/proc/sys/net/ipv4/ip_local_port_range", text, sizeof(text)) < 0 ||
	    data_parse_port_range(text, out) < 0 || out->hi < 1024 ||
	    read_proc("/proc/sys/net/ipv4/ip_local_reserved_ports", text, sizeof(text)) < 0 ||
	    data_parse_reserved_ports(text, out) < 0) {
		memset(out, 0, sizeof(*out));
		return;
	}
	if (out->lo < 1024)
		out->lo = 1024;
}

int
data_resolve_pasv_address(const char *name, struct in_addr *out, char *err,
			  size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	int r = getaddrinfo(name, NULL, &hints, &res);

	if (r != 0) {
		str_fmt(err, errlen, "pasv_address %s: cannot resolve to an IPv4 address: %s",
			name, gai_strerror(r));
		return -1;
	}
	*out = ((const struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}
