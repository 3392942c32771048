/* datasetup.c - the PASV port range and pasv_address, read at start; see datasetup.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "dataaddr.h"
#include "datasetup.h"
#include "str.h"
#include "sysutil.h"

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

	if (data_parse_uint(&p, 65535, 5, &lo) < 0 || (*p != ' ' && *p != '\t'))
		return -EINVAL;
	p = skip_blanks(p);
	if (data_parse_uint(&p, 65535, 5, &hi) < 0 || !line_end(skip_blanks(p)) ||
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
		if (data_parse_uint(&p, 65535, 5, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (data_parse_uint(&p, 65535, 5, &hi) < 0 || hi < lo)
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
