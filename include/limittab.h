/*
 * limittab.h - limitd's counting tables.
 *
 * Three hash tables (hash.h, keyed, pooled nodes):
 *   addresses  struct limit_addr -> sessions from that address
 *   sessions   session id        -> address, user, pid, uid, since
 *   users      user name         -> sessions logged in as that user
 * A session id is limitd's name for one held connection.  Admission
 * and release are O(1): a few hash lookups, no scan.  IPv4-mapped IPv6
 * addresses are counted as IPv4.
 *
 * Returns -errno for resource failures; calls bug() when the caller
 * breaks an invariant (a session id admitted twice, a release of an
 * unknown id).  Never logs otherwise.  Used by limitd only.
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

struct limit_session {
	struct limit_addr addr;	/* normalised */
	const char *user;	/* the users table's key; NULL before login */
	uint32_t pid, uid;
	int64_t since;		/* seconds since the epoch */
};

struct limit_tab {
	struct hash addrs;
	struct hash users;
	struct hash sessions;
};

/*
 * limit_tab_init - empty tables for at most MAX_SESSIONS sessions
 * (0: no cap).  RETURNS 0 or -errno (-ENOMEM).
 */
int limit_tab_init(struct limit_tab *t, size_t max_sessions);

/*
 * limit_tab_destroy - free everything T holds.
 */
void limit_tab_destroy(struct limit_tab *t);

/*
 * limit_tab_admit - admit session ID from ADDR (peer PID and UID, at
 * SINCE) when LIM allows it, checking the total first, then the address.
 * FORCE counts it even above the limits (a live session re-registering
 * after a limitd restart).
 * RETURNS LIMIT_V_ADMIT (counted), LIMIT_V_TOTAL or LIMIT_V_IP (nothing
 * changed), or -ENOMEM / -ENOSPC (nothing changed).  bug() when ID is
 * already admitted.
 */
int limit_tab_admit(struct limit_tab *t, const struct limit_limits *lim,
		    uint64_t id, const struct limit_addr *addr, uint32_t pid,
		    uint32_t uid, int64_t since, bool force);

/*
 * limit_tab_login - record that session ID logged in as USER (a valid
 * name, see limit_user_valid) when LIM's max_per_user allows it; FORCE
 * as for limit_tab_admit.
 * RETURNS LIMIT_V_ADMIT (counted) or LIMIT_V_USER (nothing changed);
 * -ENOENT when ID is not admitted, -EALREADY when it already logged in,
 * -EINVAL for a bad name, -ENOMEM / -ENOSPC.
 */
int limit_tab_login(struct limit_tab *t, const struct limit_limits *lim,
		    uint64_t id, const char *user, bool force);

/*
 * limit_tab_release - forget session ID and decrement its address and
 * user counts.  bug() when ID is unknown.
 */
void limit_tab_release(struct limit_tab *t, uint64_t id);

/*
 * limit_tab_session - session ID, or NULL.
 */
const struct limit_session *limit_tab_session(const struct limit_tab *t,
					      uint64_t id);

/*
 * Totals: sessions held, distinct addresses, distinct logged-in users.
 */
size_t limit_tab_sessions(const struct limit_tab *t);
size_t limit_tab_addresses(const struct limit_tab *t);
size_t limit_tab_users(const struct limit_tab *t);

/*
 * limit_tab_addr_count / limit_tab_user_count - sessions counted for
 * ADDR (normalised first) / USER; 0 when absent.
 */
uint32_t limit_tab_addr_count(const struct limit_tab *t,
			      const struct limit_addr *addr);
uint32_t limit_tab_user_count(const struct limit_tab *t, const char *user);

/*
 * limit_tab_next_addr / _user / _session - iterate (hash_iter_init the
 * iterator first).  Nothing may be admitted or released meanwhile.
 * RETURN true with the entry stored, false when done.
 */
bool limit_tab_next_addr(const struct limit_tab *t, struct hash_iter *it,
			 const struct limit_addr **addr, uint32_t *count);
bool limit_tab_next_user(const struct limit_tab *t, struct hash_iter *it,
			 const char **user, uint32_t *count);
bool limit_tab_next_session(const struct limit_tab *t, struct hash_iter *it,
			    uint64_t *id, const struct limit_session **s);

/*
 * limit_tab_bytes - heap bytes the three tables hold.
 */
size_t limit_tab_bytes(const struct limit_tab *t);

#endif
