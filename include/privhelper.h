/*
 * privhelper.h - the helper: the process of one connection, for its whole
 * life.
 *
 * Every launcher (listen.c's standalone listener after its fork, or main
 * with the connection systemd or inetd passed) calls helper_main().  It
 * asks limitd to admit the client, forks the pre-login service process
 * (prelogin.h), and then serves a fixed, small set of requests from the
 * service process (privproto.h), exiting on anything malformed or not
 * permitted in its current state.
 *
 * Before login it runs as root (it must read shadow); after a successful
 * login it forks the post-login service process (postlogin.h) and drops
 * to nopriv_user with only CAP_NET_BIND_SERVICE.  It holds the session's
 * limitd connection for the session's whole life, and when the service
 * process ends it reaps it and exits: the session is over.
 */
#ifndef MINIFTPD_PRIVHELPER_H
#define MINIFTPD_PRIVHELPER_H

#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "runtime.h"

/*
 * helper_main - serve the client on CTL_FD until it leaves: admission,
 * the pre-login process, then helper_run.  Called by every launcher in a
 * process of its own.  Never returns.
 */
void helper_main(const struct config *cfg, const struct runtime *rt, int ctl_fd)
	__attribute__((noreturn));

/*
 * helper_run - serve requests on FD (the socketpair end) until the
 * service process goes away, then reap it and exit.  Never returns.
 * PEER is the client's address (PORT checks), LOCAL the address the
 * client reached (active data connections leave from it).  Called by
 * helper_main; the unit tests call it on a socketpair of their own.
 */
void helper_run(const struct config *cfg, const struct runtime *rt, int fd,
		const struct sockaddr_storage *peer,
		const struct sockaddr_storage *local) __attribute__((noreturn));

#endif
