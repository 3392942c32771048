/* privclient.c - service-process stubs of the private protocol; see privclient.h. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "defs.h"
#include "log.h"
#include "privclient.h"
#include "privsock.h"
#include "sysutil.h"

/* Send TYPE with BODY (and FD when >= 0) and wait for the answer WANT
 * into BODY; dies otherwise. */
static void
priv_request_fd(struct session *s, uint16_t type, struct buf *body, int fd,
		uint16_t want)
{
	uint16_t got;
	int r = priv_send(s->priv_fd, type, body);

	if (r == 0 && fd >= 0)
		r = sys_send_fd(s->priv_fd, fd);
	if (r == 0)
		r = priv_recv(s->priv_fd, &got, body);
	if (r < 0)
		die("Helper request %u failed: %s", type, strerror(-r));
	if (got != want)
		die("Helper answered %u to request %u", got, type);
}

static void
priv_request(struct session *s, uint16_t type, struct buf *body, uint16_t want)
{
	priv_request_fd(s, type, body, -1, want);
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
	    result > PRIV_LOGIN_USER_CONFIG)
		die("Malformed login answer from the helper");
	return (enum priv_login_result)result;
}

/* The i32 -errno-or-0 answer in B. */
static int
get_result(struct buf *b, const char *what)
{
	uint32_t result;

	if (buf_get_u32(b, &result) < 0 || buf_end(b) < 0 ||
	    (int32_t)result > 0 || (int32_t)result < -4095)
		die("Malformed %s answer from the helper", what);
	return (int32_t)result;
}

/* TARGET as u32 family, bytes address, u32 port (privproto.h). */
static void
put_target(struct buf *b, const struct sockaddr_storage *target)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)target;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)target;
	bool v4 = target->ss_family == AF_INET;

	if ((!v4 && target->ss_family != AF_INET6) ||
	    buf_put_u32(b, target->ss_family) < 0 ||
	    buf_put_bytes(b, v4 ? (const void *)&s4->sin_addr : (const void *)&s6->sin6_addr,
			  v4 ? 4 : 16) < 0 ||
	    buf_put_u32(b, sys_sockaddr_port(target)) < 0)
		bug("port request does not fit a message");
}

int
priv_port_sock(struct session *s, const struct sockaddr_storage *target)
{
	struct buf b;
	int fd, r;

	buf_reset(&b);
	put_target(&b, target);
	priv_request(s, PRIV_REQ_PORT_SOCK, &b, PRIV_ANS_PORT_SOCK);
	r = get_result(&b, "port");
	if (r < 0)
		return r;
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
	struct buf b;

	buf_reset(&b);
	priv_request_fd(s, PRIV_REQ_CHOWN_UPLOAD, &b, fd, PRIV_ANS_CHOWN_UPLOAD);
	return get_result(&b, "chown");
}

int
priv_start_tls(struct session *s)
{
	struct buf b;
	struct stat st;
	int fd, r;

	buf_reset(&b);
	priv_request(s, PRIV_REQ_START_TLS, &b, PRIV_ANS_START_TLS);
	r = get_result(&b, "start TLS");
	if (r < 0)
		return r;
	fd = sys_recv_fd(s->priv_fd);
	if (fd < 0)
		die("Failed to receive the TLS process's socket: %s", strerror(-fd));
	/* fstat: the pre-login sandbox has no getsockopt for sys_is_stream_socket */
	if (sys_fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		die("The helper passed something that is not a socket");
	return fd;
}

void
priv_tls_prot(struct session *s)
{
	struct buf b;

	buf_reset(&b);
	if (buf_put_u32(&b, s->pbsz) < 0 || buf_put_u32(&b, s->prot_p) < 0)
		bug("PROT request does not fit a message");
	priv_request(s, PRIV_REQ_TLS_PROT, &b, PRIV_ANS_TLS_PROT);
	if (get_result(&b, "PROT") != 0)
		die("The helper refused the PROT state");
}
