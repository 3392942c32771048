/*
 * tlssign.h - the private key: read, checked and used for one signature,
 * in a child process of the caller that exits at once, or in the
 * listener's one signing process.
 *
 * The TLS process's key is delegated (tlsdeleg.h): its one private
 * operation per handshake becomes a PRIV_REQ_TLS_SIGN message to the
 * helper, which answers with tlssign_sign().  Reading the key in a child
 * keeps it out of the helper's memory and so out of every process the
 * helper forks later, the post-login process above all: no freed buffer
 * of OpenSSL's PEM decoder is left behind to be inherited.
 *
 * What is signed is checked first, so that the helper never performs a
 * raw private-key operation for anybody: an ECDSA digest must be as long
 * as a SHA-256/384/512 hash; an RSA block must be an EMSA-PSS encoding
 * (RFC 8017 9.1) with a SHA-256/384/512 hash and a salt as long as it,
 * which is what TLS 1.2 and 1.3 sign with RSA-PSS.
 */
#ifndef MINIFTPD_TLSSIGN_H
#define MINIFTPD_TLSSIGN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/x509.h>

#include "config.h"
#include "privproto.h"
#include "runtime.h"

/* Largest signature: an RSA key of 8192 bits. */
#define TLSSIGN_MAX_SIG		1024

/*
 * tlssign_snapshot - in a child: read the key file (tls_key_path), check
 * that it holds an RSA or ECDSA key that matches CERT, and copy the file's
 * bytes into a new memory file (memfd "miniftpd-key"; never mapped, so
 * the key is in no process's memory, and a renewal that rewrites the file
 * in place does not change it).  RETURNS the memory file's descriptor, or
 * -1 with ERR set (without the option name).  tls_prepare: start-up,
 * -t, SIGHUP.
 */
int tlssign_snapshot(const struct config *cfg, X509 *cert, char *err, size_t errlen);

/*
 * tlssign_sign - through this session's socket to the listener's signing
 * process when there is one (it checks IN as below; the socket is then
 * closed: one signature per connection); when there is none, or it does
 * not answer, in a child: read the key from tls_key_fd(), check that
 * it matches tls_cert() and is of KIND (enum priv_tls_sign_kind), check IN
 * (INLEN bytes) for KIND, sign it into OUT (room for TLSSIGN_MAX_SIG).
 * ECDSA: a DER signature of the digest; RSA: the raw private operation on
 * the PSS block.  RETURNS the signature's length, or -EINVAL (IN
 * refused), -EKEYREJECTED (no key of KIND that matches), or -errno.
 * Helper, before login.
 */
int tlssign_sign(const struct config *cfg, uint32_t kind, const uint8_t *in,
		 size_t inlen, uint8_t *out);

/*
 * The listener's signing process (SECURITY.md, "One signing process per
 * listener"): it decodes the key once, drops to nopriv_user in
 * secure_chroot_dir under the signer seccomp role, and answers one
 * request per socket the listener hands it, then closes that socket.
 *
 * tlssign_service_start - in the listener, after a load that put a key in
 * force (tls_commit): end the signing process of the last load (it serves
 * the sockets it holds, then exits) and fork a new one, which first calls
 * IN_CHILD (the listener's clean-up: its sockets, its signals).  Nothing
 * when no key is loaded.  Failures are logged; tlssign_sign then signs in
 * a child.
 */
void tlssign_service_start(const struct config *cfg, const struct runtime *rt,
			   void (*child_setup)(void));

/*
 * tlssign_service_connect - in the listener, before forking a session:
 * a socketpair, one end handed to the signing process, the other kept
 * for the session (tlssign_forget closes it in the listener after the
 * fork).  Starts a signing process again if the last one ended, at most
 * once a second.  Without one the session signs in a child.
 */
void tlssign_service_connect(const struct config *cfg, const struct runtime *rt,
			     void (*child_setup)(void));

/* tlssign_service_reaped - the listener reaped PID: if it was the signing
 * process, log it and start another with the next connection. */
void tlssign_service_reaped(pid_t pid);

/* tlssign_service_forget - in a child of the listener: close the control
 * socket of the signing process (only the listener and it hold it). */
void tlssign_service_forget(void);

/* tlssign_session_fd - this session's socket to the signing process, or
 * -1 (tests/unit/test_tlssign.c speaks to the signer through it). */
int tlssign_session_fd(void);

/* tlssign_forget - close this session's socket to the signing process:
 * every process of a session but the helper before login (tls_forget_key
 * calls it), the helper after its one signature, the listener after the
 * fork. */
void tlssign_forget(void);

/*
 * tlssign_check_digest - LEN is the length of a SHA-256, SHA-384 or
 * SHA-512 digest.  RETURNS 0 or -EINVAL.  Pure.
 */
int tlssign_check_digest(size_t len);

/*
 * tlssign_check_pss - EM (EMLEN bytes, the RSA modulus's length) is an
 * EMSA-PSS encoding for a key of MODBITS bits: top bits clear, trailer
 * 0xbc, and, for one of SHA-256/384/512 (MGF1 with the same hash), zero
 * padding, the 0x01 separator and a salt as long as the hash.
 * RETURNS 0 or -EINVAL.  Pure.
 */
int tlssign_check_pss(const uint8_t *em, size_t emlen, unsigned int modbits);

#endif
