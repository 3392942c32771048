/* dataaddr.c - PORT/EPRT/EPSV parsers and the bounce check; see dataaddr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "dataaddr.h"
#include "sysutil.h"

int
data_parse_uint(const char **p, unsigned long max, unsigned int maxdigits,
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

void
data_set_port(struct sockaddr_storage *sa, unsigned int port)
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
		if (data_parse_uint(&arg, 255, 3, &v[i]) < 0)
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
	data_set_port(out, (unsigned int)port);
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
	if (data_parse_uint(&p, 255, 3, &proto) < 0 || *p++ != d)
		return -EINVAL;
	end = strchr(p, d);
	if (end == NULL || end == p || (alen = (size_t)(end - p)) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, p, alen);
	addr[alen] = '\0';
	p = end + 1;
	if (data_parse_uint(&p, 65535, 5, &port) < 0 || port == 0 || *p++ != d || *p != '\0')
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
	if (data_parse_uint(&arg, 255, 3, &n) == 0 && *arg == '\0')
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
	data_set_port(target, port);
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
