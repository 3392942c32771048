/*
 * tlsdeleg.h - the TLS process's delegated key: the certificate's public
 * key dressed as a private key whose one private operation is a
 * PRIV_REQ_TLS_SIGN message to the helper (which signs with tlssign.h).
 *
 * OpenSSL 3.0 calls it once per full handshake: an EC_KEY_METHOD sign
 * (ECDSA, the digest) or an RSA_METHOD priv_enc (RSA-PSS, the padded
 * block with RSA_NO_PADDING).  Both method types are deprecated in
 * OpenSSL 3; src/tlsdeleg.c, the one file that uses them, is compiled
 * with OPENSSL_API_COMPAT 1.1.1.  A key-management and signature provider
 * is the replacement if a later OpenSSL removes them.  TLS process only:
 * the pre-login process, during its handshake at AUTH TLS.
 */
#ifndef MINIFTPD_TLSDELEG_H
#define MINIFTPD_TLSDELEG_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * tlsdeleg_key - a key for SSL_CTX_use_PrivateKey() with CERT's public
 * key (RSA or EC), signing through the helper on SIGN_FD.  RETURNS the
 * key, or NULL for another key type or on allocation failure.
 */
EVP_PKEY *tlsdeleg_key(X509 *cert, int sign_fd);

/*
 * tlsdeleg_prepare - build CERT's delegated key once, where CERT becomes
 * the current certificate (tls_commit, in the listener), so that the TLS
 * processes inherit it: the key methods, OpenSSL's legacy copy of CERT's
 * public key (converting it walks OpenSSL's whole name map), the key
 * itself, checked against CERT as SSL_use_PrivateKey checks it (which
 * caches its export in the key).  tlsdeleg_key(CERT, fd) then returns a
 * reference to it.  No secret is involved: the signing socket is set by
 * tlsdeleg_key only.  CERT NULL forgets the prepared key.
 */
void tlsdeleg_prepare(X509 *cert);

/*
 * tlsdeleg_forget - the handshake is over: no more signatures (the
 * socket is the caller's to close).  A later private operation fails.
 */
void tlsdeleg_forget(void);

#endif
