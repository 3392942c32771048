/*
 * privhelper.h - the nobody helper: serves a fixed, small set of
 * requests from the service process (privproto.h) and exits on anything
 * malformed or not permitted in its current state.
 *
 * Before login it runs as root (it must read shadow); after a successful
 * login it forks the post-login service process and drops to
 * nopriv_user with only CAP_NET_BIND_SERVICE.  It holds the session's
 * limitd connection for the session's whole life.
 */
#ifndef MINIFTPD_PRIVHELPER_H
#define MINIFTPD_PRIVHELPER_H

#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "runtime.h"

/*
 * helper_run - serve requests on FD (the socketpair end) until the
 * service process goes away, then reap it and exit.  Never returns.
 * PEER is the client's address (PORT checks), LOCAL the address the
 * client reached (active data connections leave from it).
 */
void helper_run(const struct config *cfg, const struct runtime *rt, int fd,
		const struct sockaddr_storage *peer,
		const struct sockaddr_storage *local) __attribute__((noreturn));

#endif
