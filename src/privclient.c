/* privclient.c - service-process stubs of the private protocol; see privclient.h. */
#include <string.h>

#include "buf.h"
#include "defs.h"
#include "log.h"
#include "privclient.h"
#include "privsock.h"

/* Send TYPE with BODY and wait for the answer WANT into BODY; dies otherwise. */
static void
priv_request(struct session *s, uint16_t type, struct buf *body, uint16_t want)
{
	uint16_t got;
	int r = priv_send(s->priv_fd, type, body);

	if (r == 0)
		r = priv_recv(s->priv_fd, &got, body);
	if (r < 0)
		die("Helper request %u failed: %s", type, strerror(-r));
	if (got != want)
		die("Helper answered %u to request %u", got, type);
}

enum priv_login_result
priv_login(struct session *s, const char *user, const char *pass)
{
	struct buf b;
	uint32_t result;

	buf_reset(&b);
	if (strlen(user) > MAX_USER_NAME || strlen(pass) > MAX_PASSWORD)
		user = pass = "";	/* still ask: same reply, same delay */
	if (buf_put_str(&b, user) < 0 || buf_put_str(&b, pass) < 0)
		bug("login request does not fit a message");
	priv_request(s, PRIV_REQ_LOGIN, &b, PRIV_ANS_LOGIN);
	if (buf_get_u32(&b, &result) < 0 || buf_end(&b) < 0 ||
	    result > PRIV_LOGIN_FAIL_LAST)
		die("Malformed login answer from the helper");
	return (enum priv_login_result)result;
}
