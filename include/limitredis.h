/*
 * limitredis.h - the Redis store as limitd talks to it (limitd_cluster):
 * the one Lua script every count goes through, a connection with AUTH and
 * SELECT and a hard timeout, one command, an integer answer checked in
 * range, the password file (the bytes on the wire, TCP or TLS:
 * limitredisio.h).  The keys and what the script does with them:
 * limitcluster.h; the trust placed in the store: SECURITY.md.
 *
 * Used by limitd's limitcluster.c (the daemon) and limitclusterstat.c
 * (--status).  Never logs: failures come back as text in WHY or ERR.
 */
#ifndef MINIFTPD_LIMITREDIS_H
#define MINIFTPD_LIMITREDIS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "limitredisio.h"
#include "limitstore.h"

/* Connect, the TLS handshake, sending a command and its reply: each at
 * most this long. */
#define LIMIT_REDIS_TIMEOUT_MS	100

/*
 * limit_redis_script - the Lua script (ARGV: op, host id, lease ms, then
 * per op: batch (the limits, then questions: admit, login, release, fail,
 * renew, answered as an array), join, status), loaded with SCRIPT LOAD and
 * run with EVALSHA (status: EVAL).
 */
extern const char limit_redis_script[];

/*
 * limit_redis_open - connect to U (limit_redis_connect: TLS with TLS
 * unless NULL, at most LIMIT_REDIS_TIMEOUT_MS per step), AUTH with PASS
 * unless NULL, SELECT U's db.
 * RETURNS the connection (limit_redis_close it), or NULL with WHY set.
 */
struct limit_redis *limit_redis_open(const struct limit_store_url *u, SSL_CTX *tls,
				     const char *pass, char why[LIMIT_REDIS_WHY]);

/*
 * limit_redis_command - ARGC words of ARGV as one command on C, waiting
 * for its answer.  RETURNS the reply (freeReplyObject it), or NULL with WHY
 * set: no answer (C is then unusable) or an error reply.
 */
redisReply *limit_redis_command(struct limit_redis *c, int argc, const char **argv,
				char why[LIMIT_REDIS_WHY]);

/*
 * limit_redis_noscript - R is the store's NOSCRIPT error: it has no
 * script of that SHA1 (SCRIPT FLUSH, or a store that lost its script
 * cache and kept the connection), so the call did not run at all.
 */
bool limit_redis_noscript(const redisReply *r);

/*
 * limit_redis_script_call - ARGC words of ARGV, "EVALSHA" and the SHA1 of
 * limit_redis_script first, as limit_redis_command; a NOSCRIPT answer
 * (the script did not run) sends the same call once more as "EVAL" with
 * the script itself, which the store caches again.  ARGV is left as given.
 * RETURNS as limit_redis_command.
 */
redisReply *limit_redis_script_call(struct limit_redis *c, int argc, const char **argv,
				    char why[LIMIT_REDIS_WHY]);

/*
 * limit_redis_int - R is an integer reply in [MIN, MAX]: store it in *OUT.
 * RETURNS 0, or -EBADMSG (NULL, another type, or out of range).
 */
int limit_redis_int(const redisReply *r, long long min, long long max, long long *out);

/*
 * limit_redis_password - the password in the file at PATH (its first
 * line, see limit_store_password) into OUT (OUTSZ bytes).  The file must
 * be a regular file, not a symbolic link, that others cannot read
 * (limit_redis_read_private).
 * RETURNS 0, or -errno with ERR set (the password never in it).
 */
int limit_redis_password(const char *path, char *out, size_t outsz, char err[CFG_ERR_MAX]);

#endif
