/* str.c - bounded strings; see str.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "sysutil.h"

static const char empty[1];

void
str_init(struct str *s, size_t max)
{
	s->priv_buf = NULL;
	s->priv_len = 0;
	s->priv_cap = 0;
	s->priv_max = max;
}

void
str_free(struct str *s)
{
	free(s->priv_buf);
	str_init(s, s->priv_max);
}

void
str_clear(struct str *s)
{
	s->priv_len = 0;
	if (s->priv_buf)
		s->priv_buf[0] = '\0';
}

/* Make room for NEED content bytes plus the NUL. */
static int
str_reserve(struct str *s, size_t need)
{
	size_t cap;

	if (need > s->priv_max)
		return -E2BIG;
	if (need < s->priv_cap)
		return 0;
	cap = s->priv_cap ? s->priv_cap : 64;
	while (cap <= need)
		cap = cap > s->priv_max / 2 ? s->priv_max + 1 : cap * 2;
	s->priv_buf = xreallocarray(s->priv_buf, cap, 1);
	s->priv_cap = cap;
	return 0;
}

int
str_append(struct str *s, const void *mem, size_t len)
{
	if (len > s->priv_max - s->priv_len)
		return -E2BIG;
	if (str_reserve(s, s->priv_len + len) < 0)
		return -E2BIG;
	if (len)
		memcpy(s->priv_buf + s->priv_len, mem, len);
	s->priv_len += len;
	s->priv_buf[s->priv_len] = '\0';
	return 0;
}

int
str_append_cstr(struct str *s, const char *cs)
{
	return str_append(s, cs, strlen(cs));
}

int
str_append_byte(struct str *s, char c)
{
	return str_append(s, &c, 1);
}

const char *
str_cstr(const struct str *s)
{
	return s->priv_buf ? s->priv_buf : empty;
}

size_t
str_len(const struct str *s)
{
	return s->priv_len;
}

bool
str_has_nul(const struct str *s)
{
	return s->priv_len && memchr(s->priv_buf, '\0', s->priv_len) != NULL;
}

void
str_truncate(struct str *s, size_t len)
{
	if (len < s->priv_len) {
		s->priv_len = len;
		s->priv_buf[len] = '\0';
	}
}

int
str_copy_out(const struct str *s, char *out, size_t outlen)
{
	if (outlen == 0 || s->priv_len >= outlen)
		return -E2BIG;
	memcpy(out, str_cstr(s), s->priv_len + 1);
	return 0;
}

int
str_lcpy(char *dst, const char *src, size_t dstlen)
{
	size_t n = strlen(src);

	if (dstlen == 0)
		return -E2BIG;
	if (n >= dstlen) {
		memcpy(dst, src, dstlen - 1);
		dst[dstlen - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

int
str_fmt(char *dst, size_t dstlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, dstlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= dstlen)
		return -E2BIG;
	return 0;
}

int
str_to_ulong(const char *s, unsigned long *out)
{
	char *end;

	if (*s == '\0' || strlen(s) > 20)
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == ERANGE ? -ERANGE : 0;
}
