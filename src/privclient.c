/* privclient.c - service-process stubs of the private protocol; see privclient.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "defs.h"
#include "log.h"
#include "privclient.h"
#include "privsock.h"
#include "sysutil.h"

/* Send REQ (and FD when >= 0) and wait for its answer, of type WANT, into
 * ANS; dies otherwise (WHAT names the request in the log). */
static void
priv_request_fd(struct session *s, const struct priv_msg *req, int fd, uint16_t want,
		struct priv_msg *ans, const char *what)
{
	int r = priv_send_msg(s->priv_fd, req);

	if (r == -EINVAL || r == -E2BIG)
		bug("%s request does not fit a message", what);
	if (r == 0 && fd >= 0)
		r = sys_send_fd(s->priv_fd, fd);
	if (r == 0)
		r = priv_recv_msg(s->priv_fd, want, ans);
	if (r == -EBADMSG)
		die("Malformed %s answer from the helper", what);
	if (r == -ENOMSG)
		die("Helper answered another type than %u to request %u", want, req->type);
	if (r < 0)
		die("Helper request %u failed: %s", req->type, strerror(-r));
}

static void
priv_request(struct session *s, const struct priv_msg *req, uint16_t want,
	     struct priv_msg *ans, const char *what)
{
	priv_request_fd(s, req, -1, want, ans, what);
}

enum priv_login_result
priv_login(struct session *s, const char *user, const char *pass)
{
	struct priv_msg req = { .type = PRIV_REQ_LOGIN }, ans;

	if (strlen(user) > MAX_USER_NAME || strlen(pass) > MAX_PASSWORD)
		user = pass = "";	/* still ask: same reply, same delay */
	snprintf(req.u.login.user, sizeof(req.u.login.user), "%s", user);
	snprintf(req.u.login.pass, sizeof(req.u.login.pass), "%s", pass);
	priv_request(s, &req, PRIV_ANS_LOGIN, &ans, "login");
	explicit_bzero(req.u.login.pass, sizeof(req.u.login.pass));
	return ans.u.login_result;
}

int
priv_port_sock(struct session *s, const struct sockaddr_storage *target)
{
	struct priv_msg req = { .type = PRIV_REQ_PORT_SOCK, .u.target = *target }, ans;
	int fd;

	priv_request(s, &req, PRIV_ANS_PORT_SOCK, &ans, "port");
	if (ans.u.result < 0)
		return ans.u.result;
	fd = sys_recv_fd(s->priv_fd);
	if (fd < 0)
		die("Failed to receive the data socket from the helper: %s", strerror(-fd));
	if (!sys_is_stream_socket(fd, false))	/* connecting: no peer yet */
		die("The helper passed something that is not a stream socket");
	return fd;
}

int
priv_chown_upload(struct session *s, int fd)
{
	struct priv_msg req = { .type = PRIV_REQ_CHOWN_UPLOAD }, ans;

	priv_request_fd(s, &req, fd, PRIV_ANS_CHOWN_UPLOAD, &ans, "chown");
	return ans.u.result;
}

int
priv_start_tls(struct session *s, uint8_t key[PRIV_TICKET_KEY_LEN])
{
	struct priv_msg req = { .type = PRIV_REQ_START_TLS }, ans;
	int r;

	priv_request(s, &req, PRIV_ANS_START_TLS, &ans, "start TLS");
	r = ans.u.start_tls.result;
	if (r == 0)
		memcpy(key, ans.u.start_tls.ticket_key, PRIV_TICKET_KEY_LEN);
	explicit_bzero(&ans, sizeof(ans));
	return r;
}

/* One socket the helper passed on S's socketpair (WHAT names it). */
static int
take_socket(struct session *s, const char *what)
{
	struct stat st;
	int fd = sys_recv_fd(s->priv_fd);

	if (fd < 0)
		die("Failed to receive the %s: %s", what, strerror(-fd));
	/* fstat: the pre-login sandbox has no getsockopt for sys_is_stream_socket */
	if (sys_fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		die("The helper passed something that is not a socket");
	return fd;
}

void
priv_take_tls_ends(struct session *s, int *plain, int *ctl)
{
	*plain = take_socket(s, "plain end");
	*ctl = take_socket(s, "TLS control channel");
}

void
priv_tls_prot(struct session *s)
{
	struct priv_msg req = { .type = PRIV_REQ_TLS_PROT,
				.u.tls_prot = { .pbsz = s->pbsz, .prot_p = s->prot_p } }, ans;

	priv_request(s, &req, PRIV_ANS_TLS_PROT, &ans, "PROT");
	if (ans.u.result != 0)
		die("The helper refused the PROT state");
}
