/*
 * fuzz_userdb.c - the virtual users file parser: a whole file, looked up
 * for "demo", and every line parsed on its own.  An accepted entry must
 * satisfy what userdb.h promises.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "userdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_entry(const struct userdb_entry *e)
{
	if (!userdb_valid_name(e->name) || e->hash[0] == '\0' ||
	    strchr(e->hash, ':') || (e->home[0] && e->home[0] != '/') ||
	    strchr(e->home, ':'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct userdb_entry e;
	size_t bad = 0, pos = 0;
	int r;

	if (size > (1 << 16))
		return 0;
	r = userdb_find(text, size, "demo", &e, &bad);
	if (r == 1 && (strcmp(e.name, "demo") != 0))
		abort();
	if (r == 1)
		check_entry(&e);
	if (r < 0 && (r != -EINVAL || bad == 0))
		abort();
	while (pos < size) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : size - pos;

		r = userdb_parse_line(text + pos, n, &e);
		if (r == 1)
			check_entry(&e);
		else if (r != 0 && r != -EINVAL)
			abort();
		pos += n + 1;
	}
	return 0;
}
