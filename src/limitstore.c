/* limitstore.c - limitd's cluster option text; see limitstore.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "limitstore.h"

#define SCHEME		"redis://"
#define SCHEME_TLS	"rediss://"

/* A decimal number of at most 5 digits in [MIN, MAX], the whole of S..END. */
static int
parse_small(const char *s, const char *end, unsigned int min, unsigned int max,
	    unsigned int *out)
{
	unsigned long v = 0;

	if (s == end || end - s > 5)
		return -EINVAL;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

/* HOST from S up to the port or path; RETURNS where it ends, NULL if bad. */
static const char *
parse_host(const char *s, struct limit_store_url *out)
{
	const char *end;
	size_t n;

	if (*s == '[') {
		end = strchr(++s, ']');
		if (end == NULL || strspn(s, "0123456789abcdefABCDEF:.") != (size_t)(end - s))
			return NULL;
	} else
		for (end = s; host_char(*end); end++)
			;
	n = (size_t)(end - s);
	if (n == 0 || n > LIMIT_STORE_HOST_MAX)
		return NULL;
	memcpy(out->host, s, n);
	out->host[n] = '\0';
	return *end == ']' ? end + 1 : end;
}

int
limit_store_parse_url(const char *url, struct limit_store_url *out)
{
	const char *p, *slash;

	memset(out, 0, sizeof(*out));
	out->port = LIMIT_STORE_PORT;
	out->tls = strncmp(url, SCHEME_TLS, strlen(SCHEME_TLS)) == 0;
	p = out->tls ? url + strlen(SCHEME_TLS) : url + strlen(SCHEME);
	if (!out->tls && strncmp(url, SCHEME, strlen(SCHEME)) != 0)
		return -EINVAL;
	p = parse_host(p, out);
	if (p == NULL)
		return -EINVAL;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	if (*p == ':') {
		if (parse_small(p + 1, slash, 1, 65535, &out->port) < 0)
			return -EINVAL;
	} else if (p != slash)
		return -EINVAL;
	snprintf(out->where, sizeof(out->where), strchr(out->host, ':') ? "[%s]:%u" : "%s:%u",
		 out->host, out->port);
	if (*slash == '\0' || slash[1] == '\0')
		return 0;
	return parse_small(slash + 1, slash + strlen(slash), 0, LIMIT_STORE_DB_MAX, &out->db);
}

int
limit_store_password(const char *data, size_t len, char *out, size_t outsz)
{
	size_t n;

	if (len > LIMIT_STORE_PASS_MAX)
		return -E2BIG;
	if (memchr(data, '\0', len))
		return -EINVAL;
	for (n = 0; n < len && data[n] != '\n'; n++)
		;
	if (n > 0 && data[n - 1] == '\r')
		n--;
	if (n == 0)
		return -EINVAL;
	if (n >= outsz)
		return -E2BIG;
	memcpy(out, data, n);
	out[n] = '\0';
	return 0;
}

bool
limit_store_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > LIMIT_STORE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~' || id[i] == '"' || id[i] == '\\')
			return false;
	return true;
}
