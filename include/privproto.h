/*
 * privproto.h - message types of the private protocol between the
 * service process and the nobody helper.
 *
 * Requests are even, answers odd; PRIV_REQ_x is answered by PRIV_ANS_x.
 * Every message carries PRIV_PROTO_VERSION in its header (privsock.h).
 * The stub that sends PRIV_REQ_x is priv_x() in privclient.c; the helper's
 * handler is helper_answer_x() in privhelper.c.
 */
#ifndef MINIFTPD_PRIVPROTO_H
#define MINIFTPD_PRIVPROTO_H

#define PRIV_PROTO_VERSION 1

enum priv_type {
	/* PREAUTH, once successful: str user, str password.
	 * Answer: u32 enum priv_login_result. */
	PRIV_REQ_LOGIN		= 2,
	PRIV_ANS_LOGIN		= 3,
	/* POSTAUTH: u32 family (AF_INET/AF_INET6), bytes address (4 or 16),
	 * u32 port.  Answer: i32 -errno or 0; on 0 one fd follows
	 * (SCM_RIGHTS): a TCP socket connected from ftp_data_port. */
	PRIV_REQ_PORT_SOCK	= 4,
	PRIV_ANS_PORT_SOCK	= 5,
	/* POSTAUTH, anonymous sessions with chown_uploads only: empty body,
	 * then one fd (SCM_RIGHTS), a file the upload just created (regular,
	 * one link, owned by the anonymous user).  Answer: i32 -errno or 0
	 * (the file now belongs to chown_username). */
	PRIV_REQ_CHOWN_UPLOAD	= 6,
	PRIV_ANS_CHOWN_UPLOAD	= 7,
	/* PREAUTH, once successful, ssl_enable=YES (AUTH TLS, or implicit_ssl
	 * at start): empty body.  The helper starts the TLS process
	 * (tlsproc.h) on the control connection and answers once the
	 * handshake is over: i32 -errno or 0; on 0 one fd follows, the plain
	 * end that replaces the control connection. */
	PRIV_REQ_START_TLS	= 8,
	PRIV_ANS_START_TLS	= 9,
	/* PREAUTH, after START_TLS: u32 pbsz (0/1), u32 prot_p (0/1), what
	 * PBSZ and PROT set before login, for the post-login process.
	 * Answer: i32 0. */
	PRIV_REQ_TLS_PROT	= 10,
	PRIV_ANS_TLS_PROT	= 11,
	/* From the TLS process, on its own socketpair, only while the helper
	 * serves START_TLS; once successful: u32 enum priv_tls_sign_kind,
	 * bytes input (tlssign.h).  Answer: i32 -errno or 0, bytes signature. */
	PRIV_REQ_TLS_SIGN	= 12,
	PRIV_ANS_TLS_SIGN	= 13,
	/* From the TLS process, same socketpair, once: empty body, the
	 * handshake succeeded.  No answer: the TLS process closes the
	 * socketpair after it, and a close without it means the handshake
	 * failed. */
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

#endif
