/*
 * limitstore.h - the text limitd's cluster options carry: the store URL
 * (limitd_cluster), the password file's content
 * (limitd_cluster_password_file) and a host id (limitd_cluster_id).
 *
 * Pure module: returns -errno, never logs, never exits.  Used by
 * config.c (cfg_check refuses a bad URL or id, so `miniftpd -t` does too)
 * and by limitd's limitcluster.c and limitredis.c.
 */
#ifndef MINIFTPD_LIMITSTORE_H
#define MINIFTPD_LIMITSTORE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest host name in a URL, longest id, longest password. */
#define LIMIT_STORE_HOST_MAX	255
#define LIMIT_STORE_ID_MAX	64
#define LIMIT_STORE_PASS_MAX	512
#define LIMIT_STORE_PORT	6379	/* when the URL names none */
#define LIMIT_STORE_DB_MAX	65535

struct limit_store_url {
	char host[LIMIT_STORE_HOST_MAX + 1];	/* name, IPv4, or IPv6 without [] */
	/* HOST:PORT for people (logs, --status), an IPv6 HOST in []. */
	char where[LIMIT_STORE_HOST_MAX + 3 + 6 + 1];
	unsigned int port;	/* 1..65535 */
	unsigned int db;	/* 0..LIMIT_STORE_DB_MAX */
	bool tls;		/* rediss:// */
};

/*
 * limit_store_parse_url - parse URL, "redis://HOST[:PORT][/DB]" or
 * "rediss://..." (TLS: OUT->tls), HOST a name, an IPv4 address or
 * "[IPv6]", into OUT (OUT->where: "HOST:PORT", "[IPv6]:PORT").
 * RETURNS 0; -EINVAL for anything malformed, including a
 * password in the URL ("redis://:pw@host": use the password file), a
 * port out of 1..65535 or a DB above LIMIT_STORE_DB_MAX.
 */
int limit_store_parse_url(const char *url, struct limit_store_url *out);

/*
 * limit_store_password - the password in the LEN bytes at DATA (a
 * password file's content): its first line, without the line end (LF or
 * CRLF), into OUT (OUTSZ bytes, NUL-terminated).
 * RETURNS 0; -EINVAL when DATA holds a NUL or the line is empty; -E2BIG
 * when DATA is longer than LIMIT_STORE_PASS_MAX or the line does not fit
 * OUT.
 */
int limit_store_password(const char *data, size_t len, char *out, size_t outsz);

/*
 * limit_store_id_valid - ID may name a host in the store and be printed:
 * 1..LIMIT_STORE_ID_MAX bytes, printable ASCII, no space, no '"' or '\\'
 * (so it goes into JSON as it is).
 */
bool limit_store_id_valid(const char *id);

#endif
