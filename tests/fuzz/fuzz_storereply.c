/*
 * fuzz_storereply.c - what limitd makes of the bytes a Redis store sends
 * (limitd_cluster): hiredis's reader turns them into a reply, then
 * limit_redis_int and limit_cluster_reply_status must accept it
 * within their bounds or refuse it, never crash; what they accept must be
 * in range.  The input is also tried as a URL and a password file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limitclusterstat.h"
#include "limitproto.h"
#include "limitredis.h"
#include "limitstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_status(const struct limit_cluster_status *st)
{
	if (st->nhosts > LIMIT_CLUSTER_MAX_HOSTS || st->ngone > LIMIT_CLUSTER_MAX_GONE)
		abort();
	for (size_t i = 0; i < st->nhosts; i++)
		if (!limit_store_id_valid(st->hosts[i].id))
			abort();
	for (size_t i = 0; i < st->ngone; i++)
		if (!limit_store_id_valid(st->gone[i].id))
			abort();
}

static void
try_reply(const redisReply *r)
{
	static struct limit_cluster_status st;
	long long v;

	if (limit_redis_int(r, -1, LIMIT_V_COUNT - 1, &v) == 0 &&
	    (v < -1 || v >= LIMIT_V_COUNT))
		abort();
	if (limit_cluster_reply_status(r, &st) == 0)
		check_status(&st);
}

static void
try_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), pass[LIMIT_STORE_PASS_MAX + 1];
	struct limit_store_url u;

	if (s == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (limit_store_parse_url(s, &u) == 0 &&
	    (u.port < 1 || u.port > 65535 || u.db > LIMIT_STORE_DB_MAX || u.host[0] == '\0'))
		abort();
	if (limit_store_password((const char *)data, size, pass, sizeof(pass)) == 0 &&
	    (pass[0] == '\0' || strchr(pass, '\n')))
		abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	redisReader *reader = redisReaderCreate();
	void *reply = NULL;

	if (reader == NULL)
		return 0;
	if (redisReaderFeed(reader, (const char *)data, size) == REDIS_OK)
		for (int i = 0; i < 4 && redisReaderGetReply(reader, &reply) == REDIS_OK && reply; i++) {
			try_reply(reply);
			freeReplyObject(reply);
			reply = NULL;
		}
	redisReaderFree(reader);
	try_text(data, size);
	return 0;
}
