/*
 * limittab.h - limitd's counting tables.
 *
 * Two hash tables (hash.h, keyed, pooled nodes):
 *   addresses  struct limit_addr -> sessions from that address
 *   users      user name         -> sessions logged in as that user
 * and the held sessions themselves, in storage the caller owns (limitd
 * keeps each in its client record: one allocation per connection, no
 * session-id table to hash on every admission and release), linked in a
 * list for --status.  Admission and release are O(1): one hash lookup
 * each for the address (and user), no scan.  IPv4-mapped IPv6 addresses
 * are counted as IPv4; an IPv6 address is counted under its first
 * PREFIX6 bits (max_per_ip_prefix6, fixed for the tables' life), so one
 * /64 is one address for max_per_ip.
 *
 * Returns -errno for resource failures; calls bug() when the caller
 * breaks an invariant (a session admitted twice, a release of a session
 * that is not held).  Never logs otherwise.  Used by limitd only.
 */
#ifndef MINIFTPD_LIMITTAB_H
#define MINIFTPD_LIMITTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "limitproto.h"

/* The limits in force; 0 means no limit.  Changed by a reload. */
struct limit_limits {
	unsigned long max_clients;
	unsigned long max_per_ip;
	unsigned long max_per_user;
};

/*
 * One held session.  The caller provides the storage, zero-filled before
 * its first admission; limittab fills it in and links it while it is held.
 */
struct limit_session {
	const struct limit_addr *addr;	/* the addresses table's key (normalised) */
	const char *user;	/* the users table's key; NULL before login */
	uint32_t pid, uid;
	int64_t since;		/* seconds since the epoch */
	struct limit_session *prev, *next;	/* held sessions, newest first */
	bool held;		/* admitted and not released */
};

struct limit_tab {
	struct hash addrs;
	struct hash users;
	struct limit_session *head;	/* held sessions */
	size_t nsessions, max_sessions;
	unsigned int prefix6;	/* IPv6 bits that make an address key */
};

/*
 * limit_tab_init - empty tables for at most MAX_SESSIONS sessions
 * (0: no cap), keying IPv6 addresses by their first PREFIX6 bits
 * (LIMIT_PREFIX6_MIN..MAX).  RETURNS 0 or -errno (-ENOMEM, -EINVAL).
 */
int limit_tab_init(struct limit_tab *t, size_t max_sessions, unsigned int prefix6);

/*
 * limit_tab_destroy - free everything T holds.
 */
void limit_tab_destroy(struct limit_tab *t);

/*
 * limit_tab_admit - admit session S from ADDR (peer PID and UID, at
 * SINCE) when LIM allows it, checking the total first, then the address
 * (its key: see limit_addr_mask).  A live session re-registering after a
 * limitd restart is admitted the same way: no path passes a limit.
 * RETURNS LIMIT_V_ADMIT (counted, S held), LIMIT_V_TOTAL or LIMIT_V_IP
 * (nothing changed), or -ENOMEM / -ENOSPC (nothing changed).  bug() when
 * S is already held.
 */
int limit_tab_admit(struct limit_tab *t, const struct limit_limits *lim,
		    struct limit_session *s, const struct limit_addr *addr,
		    uint32_t pid, uint32_t uid, int64_t since);

/*
 * limit_tab_login - record that session S logged in as USER (a valid
 * name, see limit_user_valid) when LIM's max_per_user allows it.
 * RETURNS LIMIT_V_ADMIT (counted) or LIMIT_V_USER (nothing changed);
 * -ENOENT when S is not held, -EALREADY when it already logged in,
 * -EINVAL for a bad name, -ENOMEM / -ENOSPC.
 */
int limit_tab_login(struct limit_tab *t, const struct limit_limits *lim,
		    struct limit_session *s, const char *user);

/*
 * limit_tab_release - forget session S (its storage is the caller's
 * again) and decrement its address and user counts.  bug() when S is not
 * held.
 */
void limit_tab_release(struct limit_tab *t, struct limit_session *s);

/*
 * Totals: sessions held, distinct addresses, distinct logged-in users.
 */
size_t limit_tab_sessions(const struct limit_tab *t);
size_t limit_tab_addresses(const struct limit_tab *t);
size_t limit_tab_users(const struct limit_tab *t);

/*
 * limit_tab_addr_count / limit_tab_user_count - sessions counted for
 * ADDR (its key: masked first) / USER; 0 when absent.
 */
uint32_t limit_tab_addr_count(const struct limit_tab *t,
			      const struct limit_addr *addr);
uint32_t limit_tab_user_count(const struct limit_tab *t, const char *user);

/*
 * limit_tab_next_addr / _user - iterate (hash_iter_init the iterator
 * first).  Nothing may be admitted or released meanwhile.
 * RETURN true with the entry stored, false when done.
 */
bool limit_tab_next_addr(const struct limit_tab *t, struct hash_iter *it,
			 const struct limit_addr **addr, uint32_t *count);
bool limit_tab_next_user(const struct limit_tab *t, struct hash_iter *it,
			 const char **user, uint32_t *count);

/*
 * limit_tab_next_session - the held session after S, or the first one
 * when S is NULL; NULL when done.  Nothing may be released meanwhile.
 */
const struct limit_session *limit_tab_next_session(const struct limit_tab *t,
						   const struct limit_session *s);

/*
 * limit_tab_bytes - heap bytes the two tables hold (not the sessions,
 * which are the caller's).
 */
size_t limit_tab_bytes(const struct limit_tab *t);

#endif
