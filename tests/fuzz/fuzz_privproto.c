/*
 * fuzz_privproto.c - the private-protocol decoder: an 8-byte header for
 * priv_hdr_decode, then a body parsed twice: as the helper parses a
 * login request, and by a getter script taken from the header's type
 * field (two bits per getter).  The read position never passes the end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "defs.h"
#include "privproto.h"
#include "privsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct buf body;

static void
check(const struct buf *b)
{
	if (b->off > b->len || b->len > BUF_MAX)
		abort();
}

static void
parse_login(void)
{
	char user[MAX_USER_NAME + 1], pass[MAX_PASSWORD + 1];

	body.off = 0;
	if (buf_get_str(&body, user, sizeof(user)) == 0 &&
	    (strlen(user) > MAX_USER_NAME))
		abort();
	if (buf_get_str(&body, pass, sizeof(pass)) == 0 && strlen(pass) > MAX_PASSWORD)
		abort();
	(void)buf_end(&body);
	check(&body);
}

static void
run_script(uint32_t script)
{
	uint8_t u8, bytes[64];
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	char s[16];
	size_t n;

	body.off = 0;
	for (int i = 0; i < 16; i++, script >>= 2) {
		switch ((script & 3) + (i & 4)) {
		case 0: (void)buf_get_u8(&body, &u8); break;
		case 1: (void)buf_get_u16(&body, &u16); break;
		case 2: (void)buf_get_u32(&body, &u32); break;
		case 3: (void)buf_get_u64(&body, &u64); break;
		case 4:
			if (buf_get_bytes(&body, bytes, sizeof(bytes), &n) == 0 && n > sizeof(bytes))
				abort();
			break;
		case 5:
			if (buf_get_str(&body, s, sizeof(s)) == 0 && strlen(s) >= sizeof(s))
				abort();
			break;
		case 6: (void)buf_get_str(&body, s, 1); break;
		default: (void)buf_end(&body); break;
		}
		check(&body);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t len, script = 0;
	uint16_t type;
	int r;

	if (size < 8)
		return 0;
	r = priv_hdr_decode(data, &len, &type);
	if (r != 0 && r != -EPROTO)
		abort();
	if (r == 0 && len > PRIV_MAX_MSG)
		abort();
	if (buf_load(&body, data + 8, size - 8) < 0)
		return 0;
	parse_login();
	memcpy(&script, data, 4);
	run_script(script);
	return 0;
}
