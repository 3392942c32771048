/*
 * tlssign.h - the private key: read, checked and used for one signature,
 * always in a child process of the caller that exits at once.
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

#include <openssl/x509.h>

#include "config.h"
#include "privproto.h"

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
 * tlssign_sign - in a child: read the key from tls_key_fd(), check that
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
