/*
 * limitcluster.h - limitd's link to the Redis store that the limitd of
 * several hosts share (limitd_cluster=redis://HOST:PORT/DB, or rediss://
 * for TLS).  The design,
 * what the store is trusted with and what a hostile one can do:
 * SECURITY.md, "limitd on several hosts".
 *
 * One store connection per limitd (limitredisio.c: TCP or TLS, every
 * step bounded by LIMIT_REDIS_TIMEOUT_MS, limitredis.h; hiredis for the
 * protocol): admissions, logins, failed
 * logins, releases and the lease's renewal are queued and sent together
 * as one script call, one call in flight at a time: while the store
 * works, limitd goes on accepting and answering, and what it queues
 * meanwhile is the next call.  Only the join (and the questions asked
 * again after one) waits.  Every count is changed by one Lua script run
 * with EVALSHA, atomically in the store:
 *   mftpd:hosts      sorted set: host id -> lease end (store ms)
 *   mftpd:h:ID       hash: that host's counts, fields "n" (sessions),
 *                    "a:KEY" (sessions per address key), "u:USER"
 *   mftpd:g          hash: the same fields summed over live hosts
 *   mftpd:f:KEY      failed logins of an address key, expiring
 *   mftpd:gone       sorted set: hosts whose lease ran out (last 16)
 *   mftpd:o          hash: host id -> the token of the limitd that joined
 *                    as it last (a renewal with another token: two
 *                    limitd with one id, logged; SECURITY.md)
 * The hosts whose lease ran out are forgotten (their counts taken off the
 * sums) at any host's renewal, join or status, and before a limit refuses.
 *
 * The local tables (limittab) stay the truth of what this limitd holds:
 * when the store is unreachable the calls below return -ENOTCONN and
 * limitd counts alone; when it is back (limit_cluster_tick) limitd
 * replaces its host's counts in the store with the local tables' ("join"),
 * and adds the failed logins counted meanwhile (limitfail) to mftpd:f:KEY.
 *
 * The script, the connection and the checked answers are limitredis.c's;
 * --status's farm part is limitclusterstat.c's.  limitd only (logs,
 * never exits); one store per process.
 */
#ifndef MINIFTPD_LIMITCLUSTER_H
#define MINIFTPD_LIMITCLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "limitfail.h"
#include "limitstore.h"
#include "limittab.h"

/* Addresses whose failed logins one join pushes at most (SECURITY.md). */
#define LIMIT_CLUSTER_FAILS_PUSH	1024
/* An unreachable store is tried again at most this often. */
#define LIMIT_CLUSTER_RETRY_MS		1000
/* While a connection is under way, limitd's loop moves it on this often
 * (each step never waits: limitredisio.h, limit_redis_step). */
#define LIMIT_CLUSTER_DIAL_POLL_MS	5

/*
 * limit_cluster_check - read what CFG's cluster options name as
 * limit_cluster_start would (password file, TLS files), keep nothing,
 * connect to nothing: `limitd -t`.
 * RETURNS 0, or -errno with ERR set, as limit_cluster_start.
 */
int limit_cluster_check(const struct config *cfg, char err[CFG_ERR_MAX]);

/*
 * limit_cluster_start - use the store CFG->limitd_cluster (no-op when
 * empty) for the counts of TAB (limitd's local tables, kept by the
 * caller: read on every join), and for the failed logins FAILS counted
 * while the store was unreachable (judged by FPOL; both kept by the
 * caller): every join pushes those not pushed yet
 * (LIMIT_CLUSTER_FAILS_PUSH addresses at most, limit_fails_unpushed) and
 * marks them pushed once the store has answered.  Reads the password
 * file, picks the id (see limit_cluster_id), resolves the store's host name (the only time:
 * never in the event loop; a name that does not resolve leaves the store
 * down until restart), and tries to connect and join once, waiting (before
 * the event loop); a store that does not answer is tried again by
 * limit_cluster_tick.
 * RETURNS 0, or -errno for a configuration that can never work (bad URL
 * or id, unreadable or open password file; for rediss://, a CA file
 * without a certificate, a client key others may read or that does not
 * match its certificate), with ERR (CFG_ERR_MAX) set.
 */
int limit_cluster_start(const struct config *cfg, const struct limit_tab *tab,
			struct limit_fails *fails, const struct limit_fail_policy *fpol,
			char err[CFG_ERR_MAX]);

/*
 * limit_cluster_password - the password in CFG's
 * limitd_cluster_password_file (set), into OUT (OUTSZ bytes), as
 * limit_redis_password reads it.  For limitd and its --status.
 * RETURNS 0, or -errno with ERR naming where the option was set
 * (FILE:LINE, or -oKEY) and the option.
 */
int limit_cluster_password(const struct config *cfg, char *out, size_t outsz,
			   char err[CFG_ERR_MAX]);

/*
 * limit_cluster_enabled - a store is configured.
 * limit_cluster_up - and joined now (the last call reached it).
 */
bool limit_cluster_enabled(void);
bool limit_cluster_up(void);

/*
 * limit_cluster_id - this limitd's host id in the store, into OUT: CFG's
 * limitd_cluster_id, else a default derived from the host, which never
 * fails: "<host name>:<limitd_socket>" when that is a valid id (at most
 * LIMIT_STORE_ID_MAX printable characters), else the host name (cut to 46
 * characters, unprintable ones as '_'), ":#" and 16 hex digits of a fixed-key
 * SipHash of "<host name>:<limitd_socket>".  Either way the same on every
 * start and different for two limitd of one host; never cut, so that two
 * ids never become one.
 * RETURNS 0, or -EINVAL when limitd_cluster_id is set and no valid id.
 */
int limit_cluster_id(const struct config *cfg, char out[LIMIT_STORE_ID_MAX + 1]);

/*
 * The questions queued for the store: the first three have an asker
 * waiting for the answer, the others none.
 */
enum limit_q {
	LIMIT_Q_ADMIT, LIMIT_Q_LOGIN, LIMIT_Q_FAIL, LIMIT_Q_RELEASE, LIMIT_Q_RENEW
};

/*
 * limit_cluster_on_answer - who gets the answers to the queued questions:
 * DONE(COOKIE, OP, ANSWER), ANSWER a LIMIT_V_* verdict (ADMIT, LOGIN), a
 * count of failures >= 1 (FAIL), or -ENOTCONN (the store was lost
 * meanwhile: decide alone).  Each answer is handed over once, in the
 * order asked, when its call's reply is read: by limit_cluster_flush at
 * the end of a turn of the event loop (or before a join).  The questions
 * queued while a call is in flight share the next round trip.
 */
void limit_cluster_on_answer(void (*done)(void *cookie, enum limit_q op, long answer));

/*
 * limit_cluster_admit_queue - ask the store to count one more session from
 * address key KEY in the farm when LIM and the failed-login ban (FAIL_MAX,
 * 0: none) allow; the answer goes to COOKIE.
 * RETURNS 0 (queued), or -ENOTCONN (store down: nothing queued).
 */
int limit_cluster_admit_queue(const struct limit_addr *key, const struct limit_limits *lim,
			      unsigned long fail_max, void *cookie);

/*
 * limit_cluster_login_queue - ask to count a login as USER for a session
 * from KEY (already admitted through the store), when LIM's max_per_user
 * and the ban allow.  RETURNS as limit_cluster_admit_queue.
 */
int limit_cluster_login_queue(const struct limit_addr *key, const char *user,
			      const struct limit_limits *lim, unsigned long fail_max,
			      void *cookie);

/*
 * limit_cluster_fail_queue - one failed login from KEY, forgotten FORGET
 * seconds after the last; the answer (the failures the farm counts for
 * KEY) goes to COOKIE.  RETURNS as limit_cluster_admit_queue.
 */
int limit_cluster_fail_queue(const struct limit_addr *key, unsigned long forget, void *cookie);

/*
 * limit_cluster_forget - nobody waits for COOKIE's queued question any
 * more (its client went): an admission or a login the store grants is
 * taken back.
 */
void limit_cluster_forget(const void *cookie);

/*
 * limit_cluster_flush - never waiting: read the reply to the call in
 * flight if it came (its answers handed over), then send what is queued
 * as the next call.  The event loop calls it at the end of each turn.
 * A reply later than LIMIT_REDIS_TIMEOUT_MS loses the store.
 */
void limit_cluster_flush(void);

/*
 * limit_cluster_fd - while the store is up, its connection's descriptor
 * and the poll EVENTS to watch: with a call in flight what its reply waits
 * for (POLLIN, or POLLOUT while the call is not all written; the turn's
 * limit_cluster_flush reads), else POLLIN (the store closing the idle
 * connection: limit_cluster_readable); *SERIAL tells one connection from
 * the next (a descriptor number comes back).  The event loop watches it.
 * RETURNS the descriptor, or -1 (store down: nothing to watch).
 */
int limit_cluster_fd(short *events, unsigned long *serial);

/*
 * limit_cluster_readable - the event loop found limit_cluster_fd's
 * descriptor ready.  With no call in flight, the store closed the idle
 * connection (its timeout for idle clients, a restart): hang up and
 * connect again at once, as limit_cluster_tick would after
 * LIMIT_CLUSTER_RETRY_MS, so that the next question finds a connection;
 * logged at info level, and only a store that does not answer is lost.
 * Does nothing while a call is in flight.
 */
void limit_cluster_readable(void);

/*
 * limit_cluster_release - take a session from KEY (logged in as USER, or
 * NULL) off the farm's counts: queued, nobody waits for the answer.
 * Silent when the store is down (the next join carries the local tables).
 */
void limit_cluster_release(const struct limit_addr *key, const char *user);

/*
 * limit_cluster_tick - queue the lease's renewal when due (sent with the
 * turn's other questions), or try an unreachable store again (at most
 * every LIMIT_CLUSTER_RETRY_MS), never waiting: the connection, TLS
 * handshake and greeting (AUTH, SELECT, SCRIPT LOAD) go on in steps, one
 * per call, while questions get -ENOTCONN; once greeted, limitd joins.
 * Call it from the event loop at least every limit_cluster_next_ms().
 */
void limit_cluster_tick(void);

/*
 * limit_cluster_next_ms - milliseconds until limit_cluster_tick or
 * limit_cluster_flush has something to do (0: now; with a call in flight,
 * when its reply's time runs out); -1 without a store.
 */
int limit_cluster_next_ms(void);

/*
 * limit_cluster_stop - hang up (the lease runs out on its own: a stopped
 * limitd's sessions are gone with it, and a restart joins afresh).
 */
void limit_cluster_stop(void);

#endif
