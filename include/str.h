/*
 * str.h - the bounded string that client bytes land in.
 *
 * The fields are private to str.c: everything else goes through these
 * functions, so every length check (with overflow guard) lives in one
 * place.  A str has a hard maximum; appends beyond it fail with -E2BIG
 * and leave the string unchanged.  The buffer is always NUL-terminated,
 * but may contain inner NUL bytes (str_has_nul tells).  Pure module.
 */
#ifndef MINIFTPD_STR_H
#define MINIFTPD_STR_H

#include <stdbool.h>
#include <stddef.h>

struct str {
	char *priv_buf;		/* hands off: use str_cstr() */
	size_t priv_len;	/* hands off: use str_len() */
	size_t priv_cap;
	size_t priv_max;
};

/* str_init - empty string that may grow to MAX bytes (content, without NUL). */
void str_init(struct str *s, size_t max);
/* str_free - release the buffer; S is then empty and reusable. */
void str_free(struct str *s);
/* str_clear - make S empty, keeping its buffer. */
void str_clear(struct str *s);
/* str_append - append LEN bytes. RETURNS 0 or -E2BIG (over max). */
int str_append(struct str *s, const void *mem, size_t len);
/* str_append_cstr - append a C string. RETURNS 0 or -E2BIG. */
int str_append_cstr(struct str *s, const char *cs);
/* str_append_byte - append one byte. RETURNS 0 or -E2BIG. */
int str_append_byte(struct str *s, char c);
/* str_cstr - the content, NUL-terminated (never NULL). */
const char *str_cstr(const struct str *s);
/* str_len - content length in bytes. */
size_t str_len(const struct str *s);
/* str_has_nul - true when the content holds a NUL byte. */
bool str_has_nul(const struct str *s);
/* str_truncate - shorten to LEN bytes (no-op when already shorter). */
void str_truncate(struct str *s, size_t len);
/* str_copy_out - copy into a fixed buffer with NUL. RETURNS 0 or -E2BIG. */
int str_copy_out(const struct str *s, char *out, size_t outlen);

/* strlcpy-like: copy SRC into DST of DSTLEN. RETURNS 0 or -E2BIG (truncated). */
int str_lcpy(char *dst, const char *src, size_t dstlen);
/* snprintf with a truncation check. RETURNS 0 or -E2BIG. */
int str_fmt(char *dst, size_t dstlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* str_to_ulong - S in decimal, digits only (no sign, no spaces, which
 * strtoul alone accepts). RETURNS 0, -EINVAL or -ERANGE. */
int str_to_ulong(const char *s, unsigned long *out);

#endif
