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
#include "runtime.h"

/*
 * listen_close_inherited - close every descriptor above 2 that whoever
 * started us left open (a shell's 9</etc/shadow, a launcher's leaks:
 * sessions would inherit them), except the ones systemd passes with
 * LISTEN_PID/LISTEN_FDS (fd 3 on); the variables stay for
 * listen_inherited and the standalone listener to take.  fds 0-2 stay:
 * inetd's connection is fd 0.  Called first by main.
 */
void listen_close_inherited(void);

/*
 * listen_inherited - the control connection handed over by systemd or
 * inetd, checked to be a connected stream socket, moved off fds 0-2 (which
 * then point at /dev/null, stderr only if it was the socket).
 * RETURNS the fd, or -1 with ERR set when there is none or it is unusable.
 */
int listen_inherited(char *err, size_t errlen);

/*
 * listen_reload_fn - what the standalone listener calls on SIGHUP: build
 * the configuration again from the same file and -o overrides into CFG
 * and resolve RT for it.  RETURNS 0, or -1 after logging why (CFG and RT
 * are then released by the callee and the listener keeps the old ones).
 */
typedef int listen_reload_fn(struct config *cfg, struct runtime *rt);

/*
 * listen_standalone - bind listen_address:listen_port (or the IPv6
 * address with listen_ipv6=YES, backlog SOMAXCONN), print the bound
 * address, and fork a session per connection, each in a process group
 * of its own, accepting every pending connection at each wakeup.
 * Out of descriptors (EMFILE/ENFILE), a spare descriptor is given up to
 * take the connection off the queue and refuse it with 421; the listener
 * serves again as soon as descriptors free up.
 * SIGHUP: RELOAD; on success *CFG and *RT are replaced and new sessions
 * use them (the listening socket and logging keep their start-up
 * settings), on failure the old configuration stays in force.
 * SIGTERM/SIGINT: close the listening socket, send SIGTERM to every
 * session (each finishes its transfer, then ends with 421), wait up to
 * shutdown_timeout seconds for them, SIGKILL any left, return 0.
 * RETURNS 1 when the socket cannot be set up (logged).  Called by main.
 */
int listen_standalone(struct config *cfg, struct runtime *rt, listen_reload_fn *reload);

#endif
