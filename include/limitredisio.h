/*
 * limitredisio.h - the byte stream between limitd and its Redis store
 * (limitd_cluster): TCP, or TLS for rediss://, every step bounded in
 * time.  hiredis 0.14 has no TLS, so limitd owns the transport and keeps
 * hiredis for the protocol only (redisFormatCommandArgv, redisReader).
 * The trust placed in the store's certificate: SECURITY.md ("limitd on
 * several hosts", TLS).
 *
 * Used by limitredis.c (AUTH, SELECT, checked commands).  Never logs:
 * failures come back as text in WHY or ERR.
 */
#ifndef MINIFTPD_LIMITREDISIO_H
#define MINIFTPD_LIMITREDISIO_H

#include <hiredis/hiredis.h>
#include <openssl/ssl.h>

#include "config.h"
#include "limitstore.h"

/* Room for the reason a call failed. */
#define LIMIT_REDIS_WHY		128
/* Largest client key file limitd reads. */
#define LIMIT_REDIS_KEY_MAX	(64 * 1024)

/* One connection to the store: a descriptor, TLS on it or not, a reader. */
struct limit_redis;

/*
 * limit_redis_tls_ctx - for a rediss:// CFG->limitd_cluster, the client
 * context: TLS 1.2 or later, the peer verified against
 * limitd_cluster_tls_ca_file, limitd_cluster_tls_cert_file and its key
 * when set (the key file read with limit_redis_read_private's rule, and
 * checked against the certificate).  *OUT is NULL for redis://.
 * RETURNS 0, or -errno with ERR set (naming the option and the file).
 */
int limit_redis_tls_ctx(const struct config *cfg, SSL_CTX **out, char err[CFG_ERR_MAX]);

/*
 * limit_redis_read_private - the file at PATH (a regular file, not a
 * symbolic link, that others cannot read) into BUF (at most BUFSZ bytes;
 * *LEN the count).  A file of BUFSZ bytes or more is -E2BIG.
 * RETURNS 0, or -errno with ERR set.
 */
int limit_redis_read_private(const char *path, char *buf, size_t bufsz, size_t *len,
			     char err[CFG_ERR_MAX]);

/*
 * limit_redis_connect - a TCP connection to U's host and port (each
 * address getaddrinfo gives, all within TIMEOUT_MS), then, when TLS is not
 * NULL, a TLS handshake (within TIMEOUT_MS more) that verifies the store's
 * certificate names U's host.
 * RETURNS the connection, or NULL with WHY set.
 */
struct limit_redis *limit_redis_connect(const struct limit_store_url *u, SSL_CTX *tls,
					int timeout_ms, char why[LIMIT_REDIS_WHY]);

/*
 * limit_redis_roundtrip - ARGC words of ARGV as one command on C, written
 * whole within TIMEOUT_MS, then its one reply read within TIMEOUT_MS.
 * RETURNS the reply (freeReplyObject it, error replies included), or NULL
 * with WHY set: C is then unusable (close it).
 */
redisReply *limit_redis_roundtrip(struct limit_redis *c, int argc, const char **argv,
				  int timeout_ms, char why[LIMIT_REDIS_WHY]);

/* limit_redis_close - end C (a TLS close_notify first, not waited for). */
void limit_redis_close(struct limit_redis *c);

#endif
