/*
 * postlogin.h - the post-login service process: its whole life.
 *
 * The helper forks it after a successful login (the pre-login process has
 * exited by then: one reader of the client at a time).  It runs as the
 * user who logged in, chrooted to their root when they are chrooted,
 * under the post-login seccomp policy, and serves them until QUIT or the
 * connection ends.  What it may not do itself (a data connection from
 * port 20, chown of an anonymous upload) it asks of the helper.
 */
#ifndef MINIFTPD_POSTLOGIN_H
#define MINIFTPD_POSTLOGIN_H

#include "session.h"

/*
 * postlogin_main - the child side of the helper's fork after a login:
 * take PRIV_FD (the new socketpair to the helper) and S->login (the
 * helper's login, filled in place), refresh the name cache of listings
 * while NSS is in reach, drop to the user (and their root), enter the
 * sandbox and serve the client (ftp_postlogin).  S is the helper's
 * session, used in place.  Never returns.
 */
void postlogin_main(struct session *s, int priv_fd) __attribute__((noreturn));

#endif
