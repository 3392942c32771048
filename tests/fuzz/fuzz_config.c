/*
 * fuzz_config.c - the configuration parser: key=value text of any shape.
 * Checks that a refusal always carries "NAME:LINE: " and that the
 * effective configuration can still be dumped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char err[CFG_ERR_MAX];
	FILE *null;

	if (size > (1 << 16))
		return 0;
	cfg_defaults(&cfg);
	err[0] = '\0';
	if (cfg_parse_text(&cfg, "fuzz.conf", (const char *)data, size, err) < 0) {
		if (strncmp(err, "fuzz.conf:", 10) != 0 || memchr(err, '\0', CFG_ERR_MAX) == NULL)
			abort();
	} else {
		(void)cfg_check(&cfg, err);
	}
	null = fopen("/dev/null", "w");
	if (null) {
		cfg_dump(&cfg, null);
		fclose(null);
	}
	cfg_free(&cfg);
	return 0;
}
