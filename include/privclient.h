/*
 * privclient.h - the service process's side of the private protocol:
 * one stub per helper request (privproto.h).  The helper's handler for
 * priv_x() is helper_answer_x() in privhelper.c.
 */
#ifndef MINIFTPD_PRIVCLIENT_H
#define MINIFTPD_PRIVCLIENT_H

#include "privproto.h"
#include "session.h"

/*
 * priv_login - ask the helper to check USER / PASS (pre-login process).
 * The helper applies delay_failed_login and max_login_fails.
 * RETURNS the helper's verdict; on PRIV_LOGIN_OK the caller exits and
 * the post-login process takes over the client.  Dies on a bad answer.
 */
enum priv_login_result priv_login(struct session *s, const char *user,
				  const char *pass);

#endif
