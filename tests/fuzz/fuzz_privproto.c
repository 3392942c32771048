/*
 * fuzz_privproto.c - the helper protocol's real decoders, as both sides
 * run them on what arrives on the socketpair: priv_hdr_decode (priv_recv's
 * header check), then priv_decode of the body it frames, read as a stream
 * holds them (one message after another until the input ends).
 *
 * Each body is decoded as the type its header names (requests as the
 * helper's handlers decode them, answers as privclient.c and the TLS
 * process do) and then as every other type of the codec, so that every
 * input reaches every decoder.  Checked: the read position never passes
 * the end, and what decodes re-encodes (priv_encode) to exactly the
 * bytes it came from (the encoding is canonical), so a decoder that lets
 * a field out of range or drops a byte aborts here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "privproto.h"
#include "privsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every type of the codec table, requests and answers. */
static const uint16_t types[] = {
	PRIV_REQ_LOGIN, PRIV_ANS_LOGIN, PRIV_REQ_PORT_SOCK, PRIV_ANS_PORT_SOCK,
	PRIV_REQ_CHOWN_UPLOAD, PRIV_ANS_CHOWN_UPLOAD, PRIV_REQ_START_TLS,
	PRIV_ANS_START_TLS, PRIV_REQ_TLS_PROT, PRIV_ANS_TLS_PROT,
	PRIV_REQ_TLS_SIGN, PRIV_ANS_TLS_SIGN, PRIV_REQ_TLS_READY,
};

static struct buf body, again;
static struct priv_msg msg;

static bool
known(uint16_t type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i] == type)
			return true;
	return false;
}

/* Decode BODY as TYPE; what decodes must encode back to the same bytes. */
static void
decode_as(uint16_t type)
{
	int r = priv_decode(type, &body, &msg);

	if (body.off > body.len || body.len > BUF_MAX)
		abort();
	if (r == -ENOMSG && !known(type))
		return;
	if (r == -EBADMSG)
		return;
	if (r != 0 || msg.type != type)
		abort();
	if (priv_encode(&msg, &again) != 0 || again.len != body.len ||
	    memcmp(again.data, body.data, body.len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t len;
	uint16_t type;

	/* at most a few messages: a stream after a bad one is never read */
	for (int n = 0; n < 8 && size >= FRAME_HDR_SIZE; n++) {
		if (priv_hdr_decode(data, &len, &type) < 0)
			return 0;	/* priv_recv: -EPROTO, the session ends */
		if (len > PRIV_MAX_MSG - FRAME_HDR_SIZE)
			abort();
		if (len > size - FRAME_HDR_SIZE)
			return 0;	/* priv_recv would wait for the rest */
		if (buf_load(&body, data + FRAME_HDR_SIZE, len) < 0)
			abort();
		decode_as(type);
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			decode_as(types[i]);
		data += FRAME_HDR_SIZE + len;
		size -= FRAME_HDR_SIZE + len;
	}
	return 0;
}
