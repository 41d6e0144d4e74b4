/*
 * jws.h: the cryptography an ACME client needs (RFC 7515, 7518, 7638, 8555),
 * on OpenSSL 3: base64url, P-256 keys, the JWK and its thumbprint, ES256
 * JWS in flattened JSON form, and the PKCS#10 request a finalize carries.
 * Pure functions; every returned string is malloc'd and freed by the caller.
 */
#ifndef FAAS_TLS_JWS_H
#define FAAS_TLS_JWS_H

#include <stddef.h>

#include <openssl/evp.h>

#include "faas/core/error.h"

/** base64url of len bytes, without padding; NULL when out of memory. */
char *faas_jws_b64url(const void *data, size_t len);

/** A new P-256 key; NULL on failure (err says why). */
EVP_PKEY *faas_jws_key_new(faas_error_t *err);

/** The key as unencrypted PKCS#8 PEM; NULL on failure. Wipe it (OPENSSL_cleanse) before freeing. */
char *faas_jws_key_to_pem(EVP_PKEY *key, faas_error_t *err);

/** A P-256 private key from PEM (len bytes); NULL (FAAS_EINVAL) when it is not one or is encrypted. */
EVP_PKEY *faas_jws_key_from_pem(const char *pem, size_t len, faas_error_t *err);

/* jwk, thumbprint and sign take P-256 keys only (FAAS_EINVAL otherwise). */

/** The public JWK in RFC 7638 order, no whitespace: {"crv":"P-256","kty":"EC","x":"..","y":".."}. */
char *faas_jws_jwk(EVP_PKEY *key, faas_error_t *err);

/** The RFC 7638 thumbprint: base64url(SHA-256(jwk)). */
char *faas_jws_thumbprint(EVP_PKEY *key, faas_error_t *err);

/**
 * A flattened JWS {"protected":..,"payload":..,"signature":..} signed with
 * ES256 (raw r||s). The protected header carries "kid" when kid is not NULL,
 * else the "jwk"; then "nonce" and "url". payload "" is a POST-as-GET.
 */
char *faas_jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url, const char *payload,
                    faas_error_t *err);

/**
 * base64url of the DER CSR for host, signed by key with SHA-256: one DNS SAN,
 * and the CN too when host fits in one (64 characters). host: 1..253 of
 * [A-Za-z0-9.*_-], else FAAS_EINVAL.
 */
char *faas_jws_csr(EVP_PKEY *key, const char *host, faas_error_t *err);

#endif
