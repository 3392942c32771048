/*
 * limitclient.h - a session's side of limitd: admission, login, live slot.
 *
 * Called only by the session's helper process (the process that lives
 * for the whole session: root before login, nopriv_user after).  The
 * connection to limitd is held open for the session's whole life; limitd
 * frees the slot when it closes, however the session ends.  When limitd
 * restarts, the connection reports hangup: the helper calls
 * limit_handle(), which reconnects and re-registers (address and user);
 * limitd checks that against the limits like a new session, and when it
 * refuses, limit_handle() ends the process (die): the session ends.
 */
#ifndef MINIFTPD_LIMITCLIENT_H
#define MINIFTPD_LIMITCLIENT_H

#include <sys/socket.h>

#include "config.h"
#include "limitproto.h"

/*
 * limit_admit - ask limitd to admit a session from PEER, before the banner.
 * RETURNS a verdict of LIMIT_VERDICTS (limitproto.h): LIMIT_V_ADMIT to go
 * on (always with limitd_enable=NO, and with limitd unreachable and
 * limitd_fail=open), LIMIT_V_DOWN when it is unreachable and
 * limitd_fail=closed, else limitd's refusal.  Logs refusals and failures.
 */
enum limit_verdict limit_admit(const struct config *cfg,
			       const struct sockaddr_storage *peer);

/*
 * limit_login - report the logged-in USER (max_per_user).  RETURNS
 * LIMIT_V_ADMIT, or limitd's refusal (LIMIT_V_USER, LIMIT_V_BLOCKED), or
 * LIMIT_V_DOWN when limitd cannot be reached and limitd_fail=closed (with
 * open the login is admitted and registered once limitd is back): the
 * session then answers 530.
 */
enum limit_verdict limit_login(const struct config *cfg, const char *user);

/*
 * limit_login_failed - report one failed login from this session's
 * address (max_login_fails_per_ip).  RETURNS LIMIT_V_BLOCKED when
 * limitd now refuses the address (the session then ends), else
 * LIMIT_V_ADMIT (also when limitd is disabled or unreachable).
 */
enum limit_verdict limit_login_failed(const struct config *cfg);

/*
 * limit_fd - descriptor to poll for readability (hangup when limitd
 * went away), or -1 when none is held.
 */
int limit_fd(void);

/*
 * limit_timeout_ms - how long the caller may sleep before calling
 * limit_handle() again (a reconnect is pending), or -1 for no deadline.
 */
int limit_timeout_ms(void);

/*
 * limit_handle - call when limit_fd() is readable or limit_timeout_ms()
 * expired: reads limitd's message or reconnects and re-registers.
 * Does not return when limitd refuses the re-registration.
 */
void limit_handle(const struct config *cfg);

/*
 * limit_forget - close the limitd connection in a freshly forked child
 * (a service process) without telling limitd: the slot stays with the
 * helper, and the child can never speak for the session to limitd.
 */
void limit_forget(void);

#endif
