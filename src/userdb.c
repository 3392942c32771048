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
	while (len && (line[0] == ' ' || line[0] == '\t'))
		line++, len--;
	if (len == 0 || line[0] == '#')
		return 0;
	if (end[-1] == '\r')
		end--;
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
userdb_find(const char *text, size_t len, const char *name,
	    struct userdb_entry *e, size_t *badline)
{
	size_t pos = 0, lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		int r = userdb_parse_line(text + pos, n, e);

		lineno++;
		pos += n + 1;
		if (r < 0) {
			*badline = lineno;
			return r;
		}
		if (r == 1 && strcmp(e->name, name) == 0)
			return 1;
	}
	return 0;
}
