/*
 * listen.h - where control connections come from.
 *
 * systemd socket activation (Accept=yes: LISTEN_FDS=1, the connection is
 * fd 3), inetd/xinetd (the connection is fd 0), or the standalone
 * listener (listen=YES) that accepts and forks one session per client.
 */
#ifndef MINIFTPD_LISTEN_H
#define MINIFTPD_LISTEN_H

#include "config.h"
#include "session.h"

/*
 * listen_inherited - the control connection handed over by systemd or
 * inetd, checked to be a connected stream socket, moved off fds 0-2 (which
 * then point at /dev/null, stderr only if it was the socket).
 * RETURNS the fd, or -1 with ERR set when there is none or it is unusable.
 */
int listen_inherited(char *err, size_t errlen);

/*
 * listen_standalone - bind listen_address:listen_port (or the IPv6
 * address with listen_ipv6=YES), print the bound address, accept and fork
 * a session per connection, reap children; return 0 on SIGTERM/SIGINT,
 * 1 when the socket cannot be set up (logged).
 */
int listen_standalone(const struct config *cfg, const struct runtime *rt);

#endif
