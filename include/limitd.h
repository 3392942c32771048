/*
 * limitd.h - what limitd's three files share: the daemon's one state
 * (D), the per-connection client record, and the calls between them.
 *
 *   limitd.c           argv, setup, reload, the epoll loop, main
 *   limitd_clients.c   accepting, the client record, its answer queue,
 *                      reading a request, dropping a client
 *   limitd_handlers.c  the request table and the handlers (ADMIT, LOGIN,
 *                      LOGIN_FAIL, STATUS)
 *
 * Counting lives in limittab.c and limitfail.c, the wire format in
 * limitproto.c, --status in limitstat.c.  limitd only; not a library
 * (every function here may exit or log).  See man/limitd.8.
 */
#ifndef MINIFTPD_LIMITD_H
#define MINIFTPD_LIMITD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "limitcluster.h"
#include "limitfail.h"
#include "limitproto.h"
#include "limittab.h"
#include "log.h"
#include "mempool.h"

enum { PERM_SESSION = 1, PERM_STATUS = 2 };
enum { CL_ADMITTED = 1, CL_LOGGED_IN = 2, CL_WAITING = 4 /* for the store */ };

struct outmsg {
	struct outmsg *next;
	size_t len;
	uint8_t data[LIMIT_MAX_MSG];
};

/*
 * What a client waits for the store to judge (limitd_cluster only).  Kept
 * apart from struct client, from D.waits, for the round trip alone, so
 * that a held session does not carry a user name's room all its life.
 */
struct client_wait {
	struct limit_addr addr;	/* an ADMIT: the address it asked for */
	char user[MAX_USER_NAME + 1];	/* a LOGIN: the user */
	bool again;		/* the ADMIT or LOGIN was a re-registration */
};

/* One connection; the session record is limittab's while admitted. */
struct client {
	struct limit_session sess;
	struct outmsg *out_head, *out_tail;
	int fd;
	pid_t pid;		/* the peer's, from SO_PEERCRED */
	uid_t uid;
	uint32_t out_count;	/* messages queued */
	uint8_t perm;		/* PERM_*, from the peer's uid */
	uint8_t state;		/* CL_* */
	struct client_wait *wait;	/* CL_WAITING for an ADMIT or LOGIN, else NULL */
};

/*
 * One held session costs limitd this record, its table entries and its
 * answer queue; bench's "limitd bytes per held session" (target 256) went
 * to 321 when the store's questions were kept here.  What only a round
 * trip to the store needs belongs in struct client_wait.
 */
_Static_assert(sizeof(struct client) <= 104, "struct client grew: see struct client_wait");

/* The daemon's state; one instance, D, defined in limitd.c. */
struct limitd_state {
	struct config cfg;
	struct limit_limits lim;
	struct limit_tab tab;
	struct limit_fails fails;	/* failed logins per address */
	struct limit_fail_policy fpol;
	long long fails_full_logged;	/* when "table full" was last logged */
	struct pool clients, outq, waits;
	int ep, listen_fd;
	/* The store connection as last armed in ep (watch_store). */
	bool store_armed;
	unsigned long store_serial;
	unsigned int store_ev;
	bool paused;
	long long resume_at;	/* LLONG_MAX: when a client goes */
	long nofile;
	size_t nclients;
	uid_t self_uid, nopriv_uid;
	bool have_nopriv;
	long long started;
	char *own_socket;	/* the path we bound, to unlink at exit */
	sigset_t waitmask;	/* signals deliverable while waiting */
};

extern struct limitd_state D;

/* --- limitd_clients.c --- */

/*
 * set_listening - watch the listening socket for connections (ON) or
 * stop (a descriptor shortage); dies when epoll refuses.
 */
void set_listening(bool on);

/*
 * listener_ready - accept what is pending (a bounded number per wakeup),
 * pausing when descriptors run short.
 */
void listener_ready(void);

/*
 * client_event - handle epoll EVENTS for C: flush its queue, read and
 * answer one request, or close it.
 */
void client_event(struct client *c, unsigned int events);

/*
 * client_send - send M to C now, or queue it behind what is queued.
 * RETURNS 0, or -1 when C is gone (closed, its storage freed).
 */
int client_send(struct client *c, const struct limit_msg *m);

/*
 * client_fail - tell C why with a FAIL message CODE (best effort, never
 * blocks), log it (rate-limited), and close C.  RETURNS -1.
 */
int PRINTF(3, 4) client_fail(struct client *c, uint32_t code, const char *fmt, ...);

/*
 * client_close - release C's session if admitted, close its descriptor,
 * free its queue and record; listen again if we paused for descriptors.
 */
void client_close(struct client *c);

/* --- limitd_handlers.c --- */

/*
 * dispatch - decode the LEN bytes at PKT (one packet from C), check the
 * request against C's permissions and state, and answer it.
 * RETURNS 0, or -1 when C is gone.
 */
int dispatch(struct client *c, const uint8_t *pkt, size_t len);

/*
 * store_answered - the store's answer to C's queued question OP (see
 * limit_cluster_on_answer; -ENOTCONN: decide alone); C gets its verdict.
 * Given to limit_cluster_on_answer.
 */
void store_answered(void *c, enum limit_q op, long answer);

#endif
