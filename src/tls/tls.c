/*
 * tls.c: server TLS contexts (one recipe for the static certificate and every
 * ACME one), certificate facts for listings and renewal, and a ClientHello
 * reader that finds the requested server name before OpenSSL sees the bytes,
 * so a certificate can be obtained while the handshake waits.
 */
#include "faas/tls/tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#define HELLO_MAX 16384 /* one record's worth: a ClientHello beyond it is not one we serve */
#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"

/* ALPN, in the server's order of preference: what libh2o serves (it reads the choice back after
 * the handshake). "h2-16" and "h2-14" are the drafts older clients still offer. */
static const unsigned char alpn_protocols[] = "\x02h2\x05h2-16\x05h2-14\x08http/1.1";

static int on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                          unsigned int inlen, void *arg)
{
    (void)ssl, (void)arg;
    unsigned char *chosen = NULL;
    if (SSL_select_next_proto(&chosen, outlen, alpn_protocols, sizeof(alpn_protocols) - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK; /* no protocol in common: the client may still speak HTTP/1.1 */
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

static void openssl_reason(char *out, size_t size)
{
    unsigned long e = ERR_get_error();
    if (e == 0)
        snprintf(out, size, "unknown OpenSSL error");
    else
        ERR_error_string_n(e, out, size);
    ERR_clear_error();
}

SSL_CTX *faas_tls_ctx_new(faas_error_t *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        faas_error_set(err, FAAS_ENOMEM, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
    /* TLS 1.3: AES-128-GCM first (OpenSSL's own order puts AES-256-GCM-SHA384 first, whose SHA-384
     * key schedule costs every full handshake more for no practical gain); ChaCha20 for clients that
     * put it first (no AES hardware: SSL_OP_PRIORITIZE_CHACHA). */
    if (SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) != 1) {
        SSL_CTX_free(ctx);
        faas_error_set(err, FAAS_EINVAL, "cannot set the TLS 1.3 cipher suites");
        return NULL;
    }
    /* Resumption rides on session tickets (stateless); OpenSSL's own server cache would keep up to
     * 20480 sessions per context and sweep them in the handshake path. One ticket per handshake, not
     * OpenSSL's two: a client resumes with one, and each costs both sides an encoding, an encryption
     * and a record on every full handshake. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_set_num_tickets(ctx, 1);
    /* The chain served is the one loaded with the certificate; without this, a leaf loaded alone
     * (a self-signed fallback) would have OpenSSL try to build a chain from the context's store, which
     * faas never fills, on every handshake. */
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn_select, NULL);
    return ctx;
}

SSL_CTX *faas_tls_ctx_from_files(const char *cert_file, const char *key_file, faas_error_t *err)
{
    SSL_CTX *ctx = faas_tls_ctx_new(err);
    if (ctx == NULL)
        return NULL;
    char reason[256];
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        openssl_reason(reason, sizeof(reason));
        faas_error_set(err, FAAS_EINVAL, "tls.cert: cannot load %s: %s", cert_file, reason);
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        openssl_reason(reason, sizeof(reason));
        faas_error_set(err, FAAS_EINVAL, "tls.key: cannot load %s: %s", key_file, reason);
    } else {
        return ctx;
    }
    SSL_CTX_free(ctx);
    return NULL;
}

/* Adds the leaf and the chain certificates of a PEM text to ctx; -1 when there is no leaf. */
static int use_chain(SSL_CTX *ctx, const char *chain_pem)
{
    BIO *bio = BIO_new_mem_buf(chain_pem, -1);
    X509 *leaf = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    int ok = leaf != NULL && SSL_CTX_use_certificate(ctx, leaf) == 1;
    X509_free(leaf);
    for (X509 *ca; ok && (ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL;)
        if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
            X509_free(ca);
            ok = 0;
        }
    BIO_free(bio);
    ERR_clear_error(); /* the end of the PEM text is reported as an error */
    return ok ? 0 : -1;
}

SSL_CTX *faas_tls_ctx_from_pem(const char *key_pem, const char *chain_pem, faas_error_t *err)
{
    SSL_CTX *ctx = faas_tls_ctx_new(err);
    if (ctx == NULL)
        return NULL;
    BIO *bio = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    int ok = key != NULL && use_chain(ctx, chain_pem) == 0 && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
             SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(key);
    if (ok)
        return ctx;
    char reason[256];
    openssl_reason(reason, sizeof(reason));
    faas_error_set(err, FAAS_EINVAL, "certificate and key do not load together: %s", reason);
    SSL_CTX_free(ctx);
    return NULL;
}

static int64_t asn1_time_ms(const ASN1_TIME *t)
{
    struct tm tm = {0};
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm) * 1000;
}

/* The CN of name into out, else its one-line form. */
static void name_text(const X509_NAME *name, char *out, size_t size)
{
    out[0] = '\0';
    if (X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, out, (int)size) < 0)
        X509_NAME_oneline(name, out, (int)size);
}

faas_err_t faas_tls_cert_info(const char *chain_pem, faas_tls_cert_info_t *info, faas_error_t *err)
{
    memset(info, 0, sizeof(*info));
    BIO *bio = BIO_new_mem_buf(chain_pem, -1);
    X509 *leaf = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    if (leaf == NULL)
        return faas_error_set(err, FAAS_EINVAL, "no certificate in the chain");
    info->not_before_ms = asn1_time_ms(X509_get0_notBefore(leaf));
    info->not_after_ms = asn1_time_ms(X509_get0_notAfter(leaf));
    name_text(X509_get_issuer_name(leaf), info->issuer, sizeof(info->issuer));
    GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; i < sk_GENERAL_NAME_num(sans) && info->subject[0] == '\0'; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
        if (gn->type == GEN_DNS)
            snprintf(info->subject, sizeof(info->subject), "%.*s", ASN1_STRING_length(gn->d.dNSName),
                     (const char *)ASN1_STRING_get0_data(gn->d.dNSName));
    }
    GENERAL_NAMES_free(sans);
    if (info->subject[0] == '\0')
        name_text(X509_get_subject_name(leaf), info->subject, sizeof(info->subject));
    X509_free(leaf);
    return FAAS_OK;
}

int faas_tls_is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    char bare[64];
    size_t len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof(bare)) {
        memcpy(bare, host + 1, len - 2);
        bare[len - 2] = '\0';
        host = bare;
    }
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* ---- ClientHello ----------------------------------------------------------- */

static size_t be16(const uint8_t *p) { return (size_t)p[0] << 8 | p[1]; }
static size_t be24(const uint8_t *p) { return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2]; }

/* Joins the handshake-record payloads at the start of buf into msg (at most HELLO_MAX bytes). */
static int gather_handshake(const uint8_t *buf, size_t len, uint8_t *msg, size_t *msg_len)
{
    size_t at = 0, n = 0;
    for (;;) {
        if (n >= 4 && n >= 4 + be24(msg + 1))
            break; /* the whole handshake message is in */
        if (len - at < 5)
            return FAAS_TLS_HELLO_MORE;
        const uint8_t *rec = buf + at;
        if (rec[0] != 0x16 || rec[1] != 0x03)
            return FAAS_TLS_HELLO_BAD;
        size_t rlen = be16(rec + 3);
        if (rlen == 0 || n + rlen > HELLO_MAX)
            return FAAS_TLS_HELLO_BAD;
        if (len - at - 5 < rlen)
            return FAAS_TLS_HELLO_MORE;
        memcpy(msg + n, rec + 5, rlen);
        n += rlen;
        at += 5 + rlen;
        if (msg[0] != 0x01)
            return FAAS_TLS_HELLO_BAD; /* not a ClientHello */
    }
    *msg_len = n;
    return FAAS_TLS_HELLO_SNI;
}

/* Reads a host_name entry of a server_name extension (RFC 6066 section 3) into out. */
static int read_server_name(const uint8_t *p, size_t len, char *out, size_t size)
{
    if (len < 2 || be16(p) + 2 > len)
        return FAAS_TLS_HELLO_BAD;
    const uint8_t *end = p + 2 + be16(p);
    for (p += 2; end - p >= 3;) {
        size_t nlen = be16(p + 1);
        if ((size_t)(end - p - 3) < nlen)
            return FAAS_TLS_HELLO_BAD;
        if (p[0] == 0 && nlen > 0 && nlen < size) {
            for (size_t i = 0; i < nlen; i++) {
                unsigned char c = p[3 + i];
                if (!isalnum(c) && c != '-' && c != '.' && c != '_')
                    return FAAS_TLS_HELLO_NONE; /* not a DNS name we could hold a certificate for */
                out[i] = (char)tolower(c);
            }
            out[nlen] = '\0';
            return FAAS_TLS_HELLO_SNI;
        }
        p += 3 + nlen;
    }
    return FAAS_TLS_HELLO_NONE;
}

int faas_tls_client_hello_sni(const uint8_t *buf, size_t len, char *out, size_t size)
{
    uint8_t msg[HELLO_MAX + 4];
    size_t n = 0;
    int rc = gather_handshake(buf, len, msg, &n);
    if (rc != FAAS_TLS_HELLO_SNI)
        return rc;
    const uint8_t *p = msg + 4, *end = msg + 4 + be24(msg + 1);
    /* client_version, random, then session id, cipher suites and compression methods, each length-prefixed */
    if (end - p < 35)
        return FAAS_TLS_HELLO_BAD;
    p += 34;
    if ((size_t)(end - p) < 1 + (size_t)p[0])
        return FAAS_TLS_HELLO_BAD;
    p += 1 + p[0];
    if (end - p < 2 || (size_t)(end - p) < 2 + be16(p))
        return FAAS_TLS_HELLO_BAD;
    p += 2 + be16(p);
    if (end - p < 1 || (size_t)(end - p) < 1 + (size_t)p[0])
        return FAAS_TLS_HELLO_BAD;
    p += 1 + p[0];
    if (end - p < 2)
        return FAAS_TLS_HELLO_NONE; /* no extensions at all */
    const uint8_t *ext_end = p + 2 + be16(p);
    if (ext_end > end)
        return FAAS_TLS_HELLO_BAD;
    for (p += 2; ext_end - p >= 4;) {
        size_t type = be16(p), elen = be16(p + 2);
        if ((size_t)(ext_end - p - 4) < elen)
            return FAAS_TLS_HELLO_BAD;
        if (type == 0)
            return read_server_name(p + 4, elen, out, size);
        p += 4 + elen;
    }
    return FAAS_TLS_HELLO_NONE;
}
