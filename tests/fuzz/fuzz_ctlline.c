/*
 * fuzz_ctlline.c - the control-line cleaner and the command lookup, as
 * ftp_read_line and ftp_dispatch use them.  A cleaned line never holds a
 * NUL or more bytes than came in, nor a LF when the raw line had a LF at
 * its end only (the shape ftp_read_line delivers).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "defs.h"
#include "ftpcmd.h"
#include "ftpproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out, verb[16];
	const struct ftp_cmd *c;
	size_t vlen;
	int n;

	if (size > MAX_CMD_LINE)
		return 0;
	out = malloc(size + 1);
	if (out == NULL)
		return 0;
	n = ftp_line_clean((const char *)data, size, out);
	if (n == -EINVAL)
		goto done;
	if (n < 0 || (size_t)n > size || strlen(out) != (size_t)n)
		abort();
	/* as ftp_read_line delivers them (one LF, at the end): no LF survives */
	if (size && !memchr(data, '\n', size - 1) && memchr(out, '\n', (size_t)n))
		abort();
	vlen = strcspn(out, " ");
	if (vlen > 0 && vlen < sizeof(verb)) {
		memcpy(verb, out, vlen);
		verb[vlen] = '\0';
		c = ftp_find_cmd(verb);
		if (c && (c->handler == NULL || strcasecmp(c->verb, verb) != 0))
			abort();
	}
done:
	free(out);
	return 0;
}
