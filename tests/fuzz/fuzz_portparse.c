/*
 * fuzz_portparse.c - the PORT, EPRT and EPSV argument parsers and the
 * bounce check (dataconn.h).  The input is one argument (a NUL ends it).
 * Whatever a parser accepts must be a usable target (AF_INET/AF_INET6,
 * port 1..65535) that prints back to an argument parsing to the same
 * address; the bounce check must only ever pass the control peer at a
 * port >= 1024 unless promiscuous; an unspecified host becomes the peer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataaddr.h"
#include "sysutil.h"

#define ARG_MAX_LEN 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sockaddr_storage
peer_addr(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(40000);
	s->sin_addr.s_addr = htonl(0x7f000001);
	return ss;
}

static void
check_target(struct sockaddr_storage *sa)
{
	struct sockaddr_storage peer = peer_addr();
	unsigned int port = sys_sockaddr_port(sa);
	int r;

	if ((sa->ss_family != AF_INET && sa->ss_family != AF_INET6) || port == 0 || port > 65535)
		abort();
	if (data_check_target(sa, &peer, true) != 0)
		abort();
	r = data_check_target(sa, &peer, false);
	if (r != 0 && r != -EACCES && r != -EPERM)
		abort();
	if (r == 0 && (!data_same_addr(sa, &peer) || port < 1024))
		abort();
	data_default_host(sa, &peer);
	if (sys_sockaddr_port(sa) != port)
		abort();
}

static void
check_port(const char *arg)
{
	struct sockaddr_storage sa, again;
	const uint8_t *a = (const uint8_t *)&((struct sockaddr_in *)&sa)->sin_addr;
	char text[64];
	unsigned int port;

	if (data_parse_port(arg, &sa) < 0)
		return;
	port = sys_sockaddr_port(&sa);
	snprintf(text, sizeof(text), "%u,%u,%u,%u,%u,%u", a[0], a[1], a[2], a[3],
		 port >> 8, port & 0xff);
	if (data_parse_port(text, &again) < 0 || !data_same_addr(&sa, &again) ||
	    sys_sockaddr_port(&again) != port)
		abort();
	check_target(&sa);
}

static void
check_eprt(const char *arg)
{
	struct sockaddr_storage sa, again;
	char addr[INET6_ADDRSTRLEN], text[128];
	const void *raw;
	int r = data_parse_eprt(arg, &sa);

	if (r != 0 && r != -EINVAL && r != -EAFNOSUPPORT)
		abort();
	if (r < 0)
		return;
	raw = sa.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&sa)->sin_addr :
	      (const void *)&((struct sockaddr_in6 *)&sa)->sin6_addr;
	if (inet_ntop(sa.ss_family, raw, addr, sizeof(addr)) == NULL)
		abort();
	snprintf(text, sizeof(text), "|%d|%s|%u|", sa.ss_family == AF_INET ? 1 : 2, addr,
		 sys_sockaddr_port(&sa));
	if (data_parse_eprt(text, &again) != 0 || !data_same_addr(&sa, &again) ||
	    again.ss_family != sa.ss_family ||
	    sys_sockaddr_port(&again) != sys_sockaddr_port(&sa))
		abort();
	check_target(&sa);
}

static void
check_epsv(const char *arg)
{
	int r = data_parse_epsv(arg);

	if (r != AF_UNSPEC && r != AF_INET && r != AF_INET6 && r != DATA_EPSV_ALL &&
	    r != -EAFNOSUPPORT && r != -EINVAL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg;

	if (size > ARG_MAX_LEN)
		return 0;
	arg = malloc(size + 1);
	if (arg == NULL)
		return 0;
	memcpy(arg, data, size);
	arg[size] = '\0';
	check_port(arg);
	check_eprt(arg);
	check_epsv(arg);
	free(arg);
	return 0;
}
