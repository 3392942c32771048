/*
 * privproto.h - the private protocol between the service process and the
 * nobody helper: message types and their codec.
 *
 * Wire format.  A SOCK_STREAM socketpair (privsock.c reads and writes
 * it; file descriptors ride beside some messages with SCM_RIGHTS, never
 * inside them).  Every message is the header both private protocols share
 * (frame.h, big-endian):
 *
 *     u32 length   whole message, header included: 8 .. PRIV_MAX_MSG
 *     u16 type     enum priv_type: requests even, answers odd
 *     u16 version  PRIV_PROTO_VERSION (both ends are the same binary:
 *                  anything else is refused)
 *
 * then the body of TYPE, as listed below: u32 big-endian, "bytes" and
 * "str" a u32 length and that many bytes (str: no NUL), nothing after the
 * last field.
 *
 * Each type is declared once: a row of the codec table in privproto.c
 * with its encoder and decoder, the member of struct priv_msg it fills,
 * and its comment below.  Requests are even, answers odd; PRIV_REQ_x is
 * answered by PRIV_ANS_x.  The stub that sends PRIV_REQ_x is priv_x() in
 * privclient.c; the helper's handler is helper_answer_x() in privhelper.c.
 * Both sides build and check bodies only through priv_encode and
 * priv_decode, which tests/fuzz/fuzz_privproto.c drives.
 */
#ifndef MINIFTPD_PRIVPROTO_H
#define MINIFTPD_PRIVPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "defs.h"

/* 1: the header length counted the body only.  2: the whole message
 * (frame.h), as limitd's does. */
#define PRIV_PROTO_VERSION 2

enum priv_type {
	/* PREAUTH, once successful: str user (at most MAX_USER_NAME
	 * bytes), str password (at most MAX_PASSWORD).
	 * Answer: u32 enum priv_login_result. */
	PRIV_REQ_LOGIN		= 2,
	PRIV_ANS_LOGIN		= 3,
	/* POSTAUTH: u32 family (AF_INET/AF_INET6), bytes address (4 or 16),
	 * u32 port.  Answer: i32 -errno or 0; on 0 one fd follows
	 * (SCM_RIGHTS): a TCP socket connected from ftp_data_port.
	 * The port is at most 65535. */
	PRIV_REQ_PORT_SOCK	= 4,
	PRIV_ANS_PORT_SOCK	= 5,
	/* POSTAUTH, anonymous sessions with chown_uploads only: empty body,
	 * then one fd (SCM_RIGHTS), a file the upload just created (regular,
	 * one link, owned by the anonymous user).  Answer: i32 -errno or 0
	 * (the file now belongs to chown_username). */
	PRIV_REQ_CHOWN_UPLOAD	= 6,
	PRIV_ANS_CHOWN_UPLOAD	= 7,
	/* PREAUTH, once successful, ssl_enable=YES (AUTH TLS, or implicit_ssl
	 * at start): empty body.  Answer: i32 -errno or 0; on 0 the session's
	 * ticket key follows (PRIV_TICKET_KEY_LEN bytes), and the helper then
	 * serves TLS_SIGN and TLS_READY on the same socketpair while the
	 * service process runs the handshake (tlsproc.h). */
	PRIV_REQ_START_TLS	= 8,
	PRIV_ANS_START_TLS	= 9,
	/* PREAUTH, after START_TLS: u32 pbsz (0/1), u32 prot_p (0/1), what
	 * PBSZ and PROT set before login, for the post-login process.
	 * Answer: i32 0. */
	PRIV_REQ_TLS_PROT	= 10,
	PRIV_ANS_TLS_PROT	= 11,
	/* From the pre-login process, only while the helper serves
	 * START_TLS; once successful: u32 enum priv_tls_sign_kind,
	 * bytes input (tlssign.h, at most PRIV_SIGN_MAX).  Answer: i32
	 * -errno or 0, bytes signature (at most PRIV_SIGN_MAX; none with
	 * an error). */
	PRIV_REQ_TLS_SIGN	= 12,
	PRIV_ANS_TLS_SIGN	= 13,
	/* From the pre-login process, once, after TLS_SIGN: empty body, the
	 * handshake succeeded.  No answer; a close without it means the
	 * handshake failed. */
	PRIV_REQ_TLS_READY	= 14,
};

enum priv_tls_sign_kind {
	PRIV_TLS_SIGN_ECDSA	= 1,	/* a digest; answer: DER ECDSA-Sig-Value */
	PRIV_TLS_SIGN_RSA_PSS	= 2,	/* an EMSA-PSS block of the modulus's length */
};

enum priv_login_result {
	PRIV_LOGIN_OK		= 0,	/* the post-login process takes over */
	PRIV_LOGIN_FAIL		= 1,	/* 530, try again */
	PRIV_LOGIN_FAIL_LAST	= 2,	/* 530, then close: max_login_fails */
	PRIV_LOGIN_USER_CONFIG	= 3,	/* 530 (the user's user_config_dir file
					 * was refused, logged), then close */
};

/* The session ticket key of ANS_START_TLS (tls.h's TLS_TICKET_KEY_LEN). */
#define PRIV_TICKET_KEY_LEN	80

/* Longest input or signature of TLS_SIGN (at least TLSSIGN_MAX_SIG: the
 * helper checks it at compile time). */
#define PRIV_SIGN_MAX	1024

/* Most negative -errno an answer may carry (the kernel's MAX_ERRNO). */
#define PRIV_ERRNO_MAX	4095

/*
 * A decoded message: TYPE selects the member of U.  Types with an empty
 * body use none.  The i32 "-errno or 0" answers all use RESULT.
 */
struct priv_msg {
	uint16_t type;
	union {
		struct {
			char user[MAX_USER_NAME + 1];
			char pass[MAX_PASSWORD + 1];
		} login;			/* REQ_LOGIN */
		enum priv_login_result login_result;	/* ANS_LOGIN */
		struct sockaddr_storage target;	/* REQ_PORT_SOCK: AF_INET/AF_INET6,
						 * address and port */
		int32_t result;			/* ANS_PORT_SOCK, ANS_CHOWN_UPLOAD,
						 * ANS_TLS_PROT */
		struct {
			int32_t result;
			uint8_t ticket_key[PRIV_TICKET_KEY_LEN];	/* with 0 */
		} start_tls;			/* ANS_START_TLS */
		struct {
			uint32_t pbsz, prot_p;	/* 0 or 1 each */
		} tls_prot;			/* REQ_TLS_PROT */
		struct {
			uint32_t kind;		/* enum priv_tls_sign_kind: the
						 * helper checks it */
			uint8_t in[PRIV_SIGN_MAX];
			size_t len;
		} sign;				/* REQ_TLS_SIGN */
		struct {
			int32_t result;
			uint8_t sig[PRIV_SIGN_MAX];
			size_t len;		/* 0 unless RESULT is 0 */
		} sign_ans;			/* ANS_TLS_SIGN */
	} u;
};

/*
 * priv_encode - the body of M (M->type selects it) into BODY, reset first.
 * RETURNS 0, -EINVAL for an unknown type or a field out of range (a
 * family other than AF_INET/AF_INET6, a user or password too long, an
 * answer that is not -errno or 0...), or -E2BIG.  Both sides; a failure is
 * the caller's bug.
 */
int priv_encode(const struct priv_msg *m, struct buf *body);

/*
 * priv_decode - parse BODY (as priv_recv left it, read from its start) as
 * a message of TYPE into M.  Checks every length and range listed above,
 * and that nothing follows the last field.
 * RETURNS 0, -ENOMSG for an unknown type, or -EBADMSG when malformed.
 * Both sides: the helper decodes requests, the service process answers.  A caller ends the session on
 * anything but 0.  Pure.
 */
int priv_decode(uint16_t type, struct buf *body, struct priv_msg *m);

#endif
