/*
 * limitredisio.h - the byte stream between limitd and its Redis store
 * (limitd_cluster): TCP, or TLS for rediss://, every step bounded in
 * time.  hiredis 0.14 has no TLS, so limitd owns the transport and keeps
 * hiredis for the protocol only (redisFormatCommandArgv, redisReader).
 * The trust placed in the store's certificate: SECURITY.md ("limitd on
 * several hosts", TLS).
 *
 * Used by limitredis.c (AUTH, SELECT, checked commands) and, for a
 * connection made without waiting, limitcluster.c.  Never logs:
 * failures come back as text in WHY or ERR.
 */
#ifndef MINIFTPD_LIMITREDISIO_H
#define MINIFTPD_LIMITREDISIO_H

#include <hiredis/hiredis.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <sys/socket.h>

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

/* The addresses of a store, resolved once (getaddrinfo: no time bound). */
#define LIMIT_REDIS_ADDRS_MAX	8
struct limit_redis_addrs {
	size_t n;
	struct sockaddr_storage sa[LIMIT_REDIS_ADDRS_MAX];
};

/*
 * limit_redis_resolve - U's host and port as addresses, into A (the first
 * LIMIT_REDIS_ADDRS_MAX getaddrinfo gives).  Blocks as long as the
 * resolver does: limitd calls it at start only.
 * RETURNS 0, or -EHOSTUNREACH with WHY set.
 */
int limit_redis_resolve(const struct limit_store_url *u, struct limit_redis_addrs *a,
			char why[LIMIT_REDIS_WHY]);

/*
 * limit_redis_dial - start connecting to A's addresses (in turn) for the
 * store U, never waiting: limit_redis_step goes on.  The phases, each
 * within TIMEOUT_MS: the TCP connection (all addresses together), then,
 * when TLS is not NULL, a TLS handshake that verifies the store's
 * certificate names U's host, then the commands limit_redis_send queued,
 * each reply within TIMEOUT_MS of the one before.  A and U must outlive
 * the dial (until limit_redis_ready).
 * RETURNS the connection under way, or NULL with WHY set.
 */
struct limit_redis *limit_redis_dial(const struct limit_redis_addrs *a,
				     const struct limit_store_url *u, SSL_CTX *tls,
				     int timeout_ms, char why[LIMIT_REDIS_WHY]);

/*
 * limit_redis_format_len, limit_redis_format - ARGC words of ARGV (C
 * strings) as one command in the store's protocol (RESP: "*N", then "$LEN"
 * and the bytes of each word, each line ending in CRLF), written by hand:
 * hiredis's redisFormatCommandArgv formats each length with sprintf and
 * allocates the command, at every batch limitd sends.  The first gives
 * the size in bytes; the second writes it at OUT, which must hold that
 * many.  RETURNS the size; the end of what was written.
 */
size_t limit_redis_format_len(int argc, const char **argv);
char *limit_redis_format(char *out, int argc, const char **argv);

/*
 * limit_redis_send - queue ARGC words of ARGV as one command on C, written
 * by limit_redis_step once connected (several queued: pipelined).  On a
 * connected C with every reply read (idle), the reply's TIMEOUT_MS starts
 * now.  What is written is dropped from C's buffer, so a connection that
 * sends one call after another holds only what is not yet written.
 * RETURNS 0 (out of memory: limitd dies, as in every xmalloc).
 */
int limit_redis_send(struct limit_redis *c, int argc, const char **argv);

/*
 * limit_redis_step - move C on as far as it goes without waiting:
 * connect, handshake, write what is queued, read.
 * RETURNS 1 with *REPLY the next reply to the queued commands (in order;
 * freeReplyObject it, error replies included), 0 to be called again once
 * limit_redis_fd's descriptor is ready or some time passed, or -1 with
 * WHY set (a phase failed or ran out of time: close C).
 */
int limit_redis_step(struct limit_redis *c, redisReply **reply, char why[LIMIT_REDIS_WHY]);

/*
 * limit_redis_idle - C, connected with every reply read, was found
 * readable: read what is there, without waiting.  TLS records that carry
 * no data (session tickets) are fine; the end of the connection, an error,
 * or bytes nobody asked for are not.
 * RETURNS 0 (still usable), or -1 with WHY set (close C).
 */
int limit_redis_idle(struct limit_redis *c, char why[LIMIT_REDIS_WHY]);

/*
 * limit_redis_fd - C's descriptor, the poll EVENTS its last step waits
 * for (0: none) and the DEADLINE (sys_now_ms) of that wait.
 */
int limit_redis_fd(const struct limit_redis *c, short *events, long long *deadline);

/* limit_redis_ready - C is connected and every queued reply was read. */
bool limit_redis_ready(const struct limit_redis *c);

/*
 * limit_redis_connect - limit_redis_resolve, limit_redis_dial and the
 * steps, waiting in between (poll): for one-shot callers (--status).
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
