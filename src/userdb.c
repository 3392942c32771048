/* userdb.c - virtual users file parser; see userdb.h. */
#include <errno.h>
#include <string.h>

#include "str.h"
#include "userdb.h"

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
	       c == '-';
}

int
userdb_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > MAX_USER_NAME || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!name_char(name[i]))
			return 0;
	return 1;
}

/* Copy the field [p, end) into OUT of OUTLEN. */
static int
field(const char *p, const char *end, char *out, size_t outlen)
{
	size_t n = (size_t)(end - p);

	if (n >= outlen)
		return -EINVAL;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
userdb_parse_line(const char *line, size_t len, struct userdb_entry *e)
{
	const char *end = line + len, *c1, *c2;

	if (memchr(line, '\0', len))
		return -EINVAL;
	/* a CRLF line end first: a blank line of a CRLF file is blank too */
	if (len && end[-1] == '\r')
		end--, len--;
	while (len && (line[0] == ' ' || line[0] == '\t'))
		line++, len--;
	if (len == 0 || line[0] == '#')
		return 0;
	c1 = memchr(line, ':', (size_t)(end - line));
	if (c1 == NULL || field(line, c1, e->name, sizeof(e->name)) < 0 ||
	    !userdb_valid_name(e->name))
		return -EINVAL;
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (field(c1 + 1, c2 ? c2 : end, e->hash, sizeof(e->hash)) < 0 ||
	    e->hash[0] == '\0')
		return -EINVAL;
	e->home[0] = '\0';
	if (c2 && (field(c2 + 1, end, e->home, sizeof(e->home)) < 0 ||
		   e->home[0] != '/' || strchr(e->home, ':')))
		return -EINVAL;
	return 1;
}

int
userdb_next(const char *text, size_t len, size_t *pos, size_t *lineno,
	    struct userdb_entry *e)
{
	/* a UTF-8 byte-order mark (a Windows editor's) is no part of a name */
	if (*pos == 0 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		*pos = 3;
	while (*pos < len) {
		const char *line = text + *pos;
		const char *nl = memchr(line, '\n', len - *pos);
		size_t n = nl ? (size_t)(nl - line) : len - *pos;
		int r = userdb_parse_line(line, n, e);

		(*lineno)++;
		*pos += n + 1;
		if (r != 0)
			return r;
	}
	return 0;
}

int
userdb_find(const char *text, size_t len, const char *name,
	    struct userdb_entry *e, size_t *badline)
{
	size_t pos = 0, lineno = 0;
	int r;

	while ((r = userdb_next(text, len, &pos, &lineno, e)) == 1)
		if (strcmp(e->name, name) == 0)
			return 1;
	if (r < 0)
		*badline = lineno;
	return r;
}

/* bcrypt ("$2b$NN$" + 22 salt characters + 31 hash characters) has no '$'
 * before its hash; BSDi DES is '_' + 8, traditional DES 2 + 11. */
int
userdb_hash_setting(const char *hash, char *out, size_t outlen)
{
	size_t len = strlen(hash), n;
	const char *last = strrchr(hash, '$');

	if (hash[0] == '$' && hash[1] == '2' && len == 60 && hash[3] == '$')
		n = 29;
	else if (hash[0] == '$' && last > hash + 2)
		n = (size_t)(last - hash);
	else if (hash[0] == '_' && len == 20)
		n = 9;
	else if (hash[0] != '$' && len == 13)
		n = 2;
	else
		return -EINVAL;
	if (n >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, hash, n);
	out[n] = '\0';
	return 0;
}
