/* datacmd.c - PASV, EPSV, PORT, EPRT; see datacmd.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "dataaddr.h"
#include "datacmd.h"
#include "dataconn.h"
#include "datasetup.h"
#include "ftpcmd.h"
#include "ftpcodes.h"
#include "log.h"
#include "sysutil.h"

/* Ports tried (consecutively, from a random start) before PASV gives up. */
#define PASV_TRIES	64

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
	struct sockaddr_storage sa = data_local_addr(s);
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
		data_set_port(&sa, port);
		r = listen_at(&sa);
		if (r != -EADDRINUSE)
			break;
	}
	if (r == -EADDRINUSE && reserved && lo != 0) {	/* our picks were taken */
		data_set_port(&sa, 0);
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
	struct sockaddr_storage sa = data_local_addr(s);
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
	int family = data_local_addr(s).ss_family, want = data_parse_epsv(arg);
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
