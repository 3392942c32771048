/*
 * limitfail.h - limitd's memory of failed logins per client address.
 *
 * One keyed hash table (hash.h): struct limit_addr -> { failures, time of
 * the last one }.  An address whose failures reached the limit is refused
 * until FORGET seconds after its last failure; an entry older than that
 * is forgotten (on the next touch, or by limit_fails_expire).  Counting
 * spans sessions, so an attacker cannot reset it by reconnecting, and a
 * successful login does not reset it either (one valid account must not
 * buy unlimited guesses at the others).  IPv4-mapped IPv6 counts as IPv4,
 * and an IPv6 address is counted under its first PREFIX6 bits (see
 * limit_addr_mask): a host that owns a /64 cannot start afresh from
 * another address in it.
 * The table is capped: when it is full of live entries new addresses are
 * not tracked (-ENOSPC), which the caller logs.
 *
 * Pure module: returns -errno, never logs, never exits.  Used by limitd
 * (the max_login_fails_per_ip and login_fail_block_time options).
 */
#ifndef MINIFTPD_LIMITFAIL_H
#define MINIFTPD_LIMITFAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "limitproto.h"

/* Addresses tracked at most: about 2.5 MiB of table at 40 bytes a node. */
#define LIMIT_FAILS_MAX	65536

struct limit_fails {
	struct hash tab;
	unsigned int prefix6;	/* IPv6 bits that make an address key */
};

/* The limits in force; max 0 means no tracking at all. */
struct limit_fail_policy {
	unsigned long max;	/* failures that block an address */
	unsigned long forget;	/* seconds after the last failure */
};

/*
 * limit_fails_init - an empty table of at most MAX_ADDRS addresses,
 * keying IPv6 addresses by their first PREFIX6 bits
 * (LIMIT_PREFIX6_MIN..MAX).  RETURNS 0 or -errno (-EINVAL, -ENOMEM).
 */
int limit_fails_init(struct limit_fails *f, size_t max_addrs, unsigned int prefix6);

/*
 * limit_fails_destroy - free the table.
 */
void limit_fails_destroy(struct limit_fails *f);

/*
 * limit_fails_add - count one failed login from ADDR at NOW (seconds).
 * A stale entry (older than P->forget) starts again at 1; a full table is
 * expired first.  RETURNS the failures now counted for ADDR (>= 1),
 * -ENOSPC when the table is full of live entries, -ENOMEM.
 */
long limit_fails_add(struct limit_fails *f, const struct limit_fail_policy *p,
		     const struct limit_addr *addr, int64_t now);

/*
 * limit_fails_blocked - ADDR reached P->max failures and its last one is
 * less than P->forget seconds before NOW.  Always false when P->max is 0.
 */
bool limit_fails_blocked(const struct limit_fails *f,
			 const struct limit_fail_policy *p,
			 const struct limit_addr *addr, int64_t now);

/*
 * limit_fails_expire - forget every address whose last failure is
 * P->forget seconds or more before NOW.  RETURNS how many were forgotten.
 */
size_t limit_fails_expire(struct limit_fails *f, const struct limit_fail_policy *p,
			  int64_t now);

/*
 * limit_fails_count - addresses tracked now.
 */
size_t limit_fails_count(const struct limit_fails *f);

/*
 * With a cluster store (limitcluster.h) the table holds the failures
 * counted while the store was unreachable; a join pushes those it has not
 * pushed yet.  One address's share of a push:
 */
struct limit_fail_push {
	struct limit_addr addr;	/* the address key (masked) */
	uint32_t count;		/* failures counted for it */
	uint32_t fresh;		/* of them, not pushed yet (>= 1) */
	int64_t left;		/* seconds until it is forgotten (>= 1) */
};

/*
 * limit_fails_unpushed - the live addresses (not stale at NOW) with
 * failures not pushed yet, into OUT (MAX at most): those P blocks first,
 * then the others.  *LEFT_OVER: how many more there were.
 * RETURNS how many were stored.
 */
size_t limit_fails_unpushed(const struct limit_fails *f, const struct limit_fail_policy *p,
			    int64_t now, struct limit_fail_push *out, size_t max,
			    size_t *left_over);

/*
 * limit_fails_mark_pushed - X (from limit_fails_unpushed) reached the
 * store: its failures, up to X->count, are not pushed again.  A no-op for
 * an address forgotten or restarted (stale) since.
 */
void limit_fails_mark_pushed(struct limit_fails *f, const struct limit_fail_push *x);

#endif
