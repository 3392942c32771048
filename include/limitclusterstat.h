/*
 * limitclusterstat.h - `limitd --status`'s farm part (limitd_cluster): the
 * store asked directly by the --status process (never through limitd),
 * its answer checked within bounds, printed as text or as JSON.
 */
#ifndef MINIFTPD_LIMITCLUSTERSTAT_H
#define MINIFTPD_LIMITCLUSTERSTAT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "limitstore.h"

/* Hosts a status lists at most; hosts gone (lease ran out) listed. */
#define LIMIT_CLUSTER_MAX_HOSTS		1024
#define LIMIT_CLUSTER_MAX_GONE		16

struct limit_cluster_host {
	char id[LIMIT_STORE_ID_MAX + 1];
	long long lease_ms;	/* live: ms of lease left; gone: ms since it ran out */
	unsigned long sessions;	/* live hosts only */
};

struct limit_cluster_status {
	unsigned long sessions, addresses, users;	/* the farm's */
	size_t nhosts, ngone;
	struct limit_cluster_host hosts[LIMIT_CLUSTER_MAX_HOSTS];
	struct limit_cluster_host gone[LIMIT_CLUSTER_MAX_GONE];
};

/*
 * limit_cluster_reply_status - decode the status script's answer R:
 *   [now, sessions, addresses, users, nhosts, (id, lease left, sessions)
 *    x nhosts, ngone, (id, ms since) x ngone]
 * checking every type, count and id (limit_store_id_valid) against the
 * bounds above.  RETURNS 0 or -EBADMSG.
 */
int limit_cluster_reply_status(const redisReply *r, struct limit_cluster_status *st);

/*
 * limit_cluster_status_print - ask the store named by CFG for the farm
 * and print it to OUT: text, or with JSON a "cluster" member's value (one
 * object: store, self, reachable, sessions, addresses, users, hosts with
 * their lease, gone).  The store unreachable is shown as such, not an
 * error.  RETURNS 0, or -1 when CFG names no usable store or its password
 * file cannot be read (said on stderr).
 */
int limit_cluster_status_print(const struct config *cfg, bool json, FILE *out);

#endif
