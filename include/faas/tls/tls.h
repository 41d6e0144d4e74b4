/*
 * tls.h: TLS building blocks for the HTTPS listener: server contexts set up
 * the same way everywhere (TLS 1.2+, ALPN h2 and http/1.1), what a
 * certificate chain says about itself, and the server name a client asks for
 * in its ClientHello, read before the handshake starts.
 */
#ifndef FAAS_TLS_TLS_H
#define FAAS_TLS_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "faas/core/error.h"

/** A server context with faas's protocol settings and ALPN, without a certificate; NULL on failure. */
SSL_CTX *faas_tls_ctx_new(faas_error_t *err);

/** A server context serving the chain and key of two PEM files (tls.cert, tls.key). */
SSL_CTX *faas_tls_ctx_from_files(const char *cert_file, const char *key_file, faas_error_t *err);

/** A server context serving chain_pem (leaf first) with key_pem. FAAS_EINVAL when they do not match. */
SSL_CTX *faas_tls_ctx_from_pem(const char *key_pem, const char *chain_pem, faas_error_t *err);

typedef struct faas_tls_cert_info {
    int64_t not_before_ms, not_after_ms; /* Unix ms */
    char issuer[128];                    /* the issuer's CN, else its one-line name */
    char subject[256];                   /* the leaf's first DNS name, else its CN */
} faas_tls_cert_info_t;

/** Reads the leaf (first certificate) of chain_pem. FAAS_EINVAL when there is none. */
faas_err_t faas_tls_cert_info(const char *chain_pem, faas_tls_cert_info_t *info, faas_error_t *err);

/** 1 when host is an IPv4 or IPv6 literal (never given a certificate). */
int faas_tls_is_ip_literal(const char *host);

enum {
    FAAS_TLS_HELLO_SNI = 1,   /* a host name was found (lower-cased into out) */
    FAAS_TLS_HELLO_NONE = 0,  /* a complete ClientHello without a usable host name */
    FAAS_TLS_HELLO_MORE = -1, /* incomplete: read more bytes */
    FAAS_TLS_HELLO_BAD = -2,  /* not a TLS ClientHello */
};

/** Finds the server_name of the ClientHello at the start of buf (TLS records, possibly several). */
int faas_tls_client_hello_sni(const uint8_t *buf, size_t len, char *out, size_t size);

#endif
