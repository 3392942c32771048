/*
 * fuzz_path.c - the path normaliser.  Input: "CWD\0ARG" (without a NUL
 * byte, the whole input is ARG seen from "/").  The result must be
 * absolute and clean: no empty, "." or ".." component, no trailing '/'.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

#define OUT_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_clean(const char *p, size_t outlen)
{
	size_t len = strlen(p);

	if (p[0] != '/' || len >= outlen || (len > 1 && p[len - 1] == '/'))
		abort();
	for (const char *c = p + 1; len > 1 && *c; ) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		c += n + (c[n] == '/');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, cwd[OUT_MAX], out[OUT_MAX], parent[OUT_MAX], name[OUT_MAX];
	const char *arg;
	size_t outlen;
	int r;

	if (size > 4 * OUT_MAX)
		return 0;
	in = malloc(size + 1);
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	arg = memchr(in, '\0', size) ? in + strlen(in) + 1 : in;
	if (arg == in)
		strcpy(cwd, "/");
	else if (path_normalize("/", in, cwd, sizeof(cwd)) < 0)
		goto out;
	/* a small output buffer too, chosen by the input, for the length checks */
	outlen = size ? 2 + data[0] % (OUT_MAX - 2) : OUT_MAX;
	r = path_normalize(cwd, arg, out, outlen);
	if (r == 0) {
		check_clean(out, outlen);
		r = path_split(out, parent, sizeof(parent), name, sizeof(name));
		if ((r == 0) != (strcmp(out, "/") != 0))
			abort();
		if (r == 0 && (strchr(name, '/') || name[0] == '\0'))
			abort();
		if (r == 0)
			check_clean(parent, sizeof(parent));
	} else if (r != -ENAMETOOLONG) {
		abort();
	}
out:
	free(in);
	return 0;
}
