/*
 * prelogin.h - the pre-login service process: its whole life.
 *
 * The helper forks it once per connection (after limitd admitted the
 * client) and it runs as nopriv_user in secure_chroot_dir under the
 * pre-login seccomp policy.  It greets the client and serves it until a
 * login succeeds (the helper answers PRIV_LOGIN_OK, this process exits and
 * the helper forks the post-login process; in an FTPS session it stays, as
 * the TLS process's pump: ftptls_become_pump) or the client leaves.  It
 * reads the client, never a password file: USER/PASS go to the helper
 * (privclient.h).
 */
#ifndef MINIFTPD_PRELOGIN_H
#define MINIFTPD_PRELOGIN_H

#include "session.h"

/*
 * prelogin_main - the child side of the helper's first fork: take PRIV_FD
 * (this process's end of the socketpair to the helper), drop to
 * nopriv_user in secure_chroot_dir, enter the sandbox and serve the client
 * (ftp_prelogin).  S is the session the helper filled (configuration,
 * control connection, addresses), used in place: after the fork it is
 * this process's own.  Never returns.
 */
void prelogin_main(struct session *s, int priv_fd) __attribute__((noreturn));

#endif
