/*
 * tls_certs.c (unit): certificate facts (tls.c) from certificates made here;
 * server contexts from PEM text and from files, checked by real in-memory
 * handshakes (ALPN, chain, TLS 1.2 floor, TLS 1.3 suite order, one session
 * ticket that resumes).
 */
#include "faas/tls/tls.h"
#include "testlib.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char ALPN_H2_H1[] = "\x02h2\x08http/1.1";

/* ---- certificates ----------------------------------------------------------- */

#define NOT_BEFORE 1700000000LL /* 2023-11-14T22:13:20Z */
#define NOT_AFTER 1800000000LL  /* 2027-01-15T08:00:00Z */

static X509_NAME *name_of(const char *field, const char *value)
{
    X509_NAME *n = X509_NAME_new();
    if (n != NULL && value != NULL)
        X509_NAME_add_entry_by_txt(n, field, V_ASN1_UTF8STRING, (const unsigned char *)value, -1, -1, 0); /* no length cap */
    return n;
}

/* A certificate for key, signed by signer, with the given names, subjectAltName (NULL: none) and validity. */
static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *signer, X509_NAME *issuer, X509_NAME *subject, const char *san,
                       long long not_before, long long not_after)
{
    static long serial = 1;
    X509 *x = X509_new();
    int ok = x != NULL && X509_set_version(x, 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) == 1 &&
             X509_set_issuer_name(x, issuer) == 1 && X509_set_subject_name(x, subject) == 1 &&
             ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) != NULL &&
             ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) != NULL && X509_set_pubkey(x, key) == 1;
    if (ok && san != NULL) {
        X509V3_CTX v3;
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
        ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
        X509_EXTENSION_free(ext);
    }
    ok = ok && X509_sign(x, signer, EVP_sha256()) > 0;
    X509_NAME_free(issuer);
    X509_NAME_free(subject);
    if (!ok) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

/* buf when it is NUL-terminated within size bytes, else a marker (so a failed check prints safely) */
static const char *cstr(const char *buf, size_t size)
{
    return memchr(buf, '\0', size) != NULL ? buf : "(not NUL-terminated)";
}

static char *bio_text(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
    if (n > 0)
        memcpy(s, data, (size_t)n);
    s[n > 0 ? n : 0] = '\0';
    BIO_free(bio);
    return s;
}

static char *cert_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (x != NULL)
        PEM_write_bio_X509(bio, x);
    return bio_text(bio);
}

static char *key_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (key != NULL)
        PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    return bio_text(bio);
}

static char *concat(const char *a, const char *b)
{
    char *s = malloc(strlen(a) + strlen(b) + 1);
    strcpy(s, a);
    strcat(s, b);
    return s;
}

/* A CA ("Test Issuer"), a leaf it signed (CN cn.example, SAN DNS:san.example) and a stranger key. */
typedef struct pki {
    EVP_PKEY *ca_key, *leaf_key, *other_key;
    X509 *ca, *leaf;
    char *ca_pem, *leaf_pem, *chain_pem, *leaf_key_pem, *other_key_pem;
} pki_t;

static void pki_new(pki_t *p)
{
    memset(p, 0, sizeof(*p));
    p->ca_key = EVP_EC_gen("P-256");
    p->leaf_key = EVP_EC_gen("P-256");
    p->other_key = EVP_EC_gen("P-256");
    p->ca = make_cert(p->ca_key, p->ca_key, name_of("CN", "Test Issuer"), name_of("CN", "Test Issuer"), NULL,
                      NOT_BEFORE - 86400, NOT_AFTER + 86400);
    p->leaf = make_cert(p->leaf_key, p->ca_key, name_of("CN", "Test Issuer"), name_of("CN", "cn.example"),
                        "DNS:san.example", NOT_BEFORE, NOT_AFTER);
    p->ca_pem = cert_pem(p->ca);
    p->leaf_pem = cert_pem(p->leaf);
    p->chain_pem = concat(p->leaf_pem, p->ca_pem);
    p->leaf_key_pem = key_pem(p->leaf_key);
    p->other_key_pem = key_pem(p->other_key);
    CHECK(p->ca != NULL && p->leaf != NULL && p->other_key != NULL);
    CHECK(strstr(p->chain_pem, "BEGIN CERTIFICATE") != NULL && strstr(p->leaf_key_pem, "BEGIN PRIVATE KEY") != NULL);
    ERR_clear_error();
}

static void pki_free(pki_t *p)
{
    free(p->ca_pem);
    free(p->leaf_pem);
    free(p->chain_pem);
    free(p->leaf_key_pem);
    free(p->other_key_pem);
    X509_free(p->ca);
    X509_free(p->leaf);
    EVP_PKEY_free(p->ca_key);
    EVP_PKEY_free(p->leaf_key);
    EVP_PKEY_free(p->other_key);
}

TEST(cert_info_reads_the_leaf)
{
    pki_t p;
    pki_new(&p);
    faas_error_t err = {0};
    faas_tls_cert_info_t info;
    CHECK_INT(faas_tls_cert_info(p.leaf_pem, &info, &err), FAAS_OK);
    CHECK_STR(cstr(info.issuer, sizeof(info.issuer)), "Test Issuer");
    CHECK_STR(cstr(info.subject, sizeof(info.subject)), "san.example"); /* the first DNS SAN wins over the CN */
    CHECK_INT(info.not_before_ms, NOT_BEFORE * 1000);
    CHECK_INT(info.not_after_ms, NOT_AFTER * 1000);
    CHECK_INT(ERR_peek_error(), 0);

    /* a chain: the first certificate is the one described */
    memset(&info, 0x33, sizeof(info)); /* every field is written, whatever was there */
    CHECK_INT(faas_tls_cert_info(p.chain_pem, &info, &err), FAAS_OK);
    CHECK_STR(cstr(info.issuer, sizeof(info.issuer)), "Test Issuer");
    CHECK_STR(cstr(info.subject, sizeof(info.subject)), "san.example");
    CHECK_INT(info.not_before_ms, NOT_BEFORE * 1000);
    CHECK_INT(info.not_after_ms, NOT_AFTER * 1000);
    char *reversed = concat(p.ca_pem, p.leaf_pem);
    CHECK_INT(faas_tls_cert_info(reversed, &info, &err), FAAS_OK);
    CHECK_STR(cstr(info.subject, sizeof(info.subject)), "Test Issuer");
    CHECK_INT(info.not_before_ms, (NOT_BEFORE - 86400) * 1000);
    free(reversed);
    /* text before the first certificate (a key, comments) is skipped */
    char *with_key = concat(p.leaf_key_pem, p.chain_pem);
    CHECK_INT(faas_tls_cert_info(with_key, &info, &err), FAAS_OK);
    CHECK_STR(cstr(info.subject, sizeof(info.subject)), "san.example");
    free(with_key);
    CHECK_INT(ERR_peek_error(), 0);
    pki_free(&p);
}

TEST(cert_info_names_and_times)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    faas_error_t err = {0};
    faas_tls_cert_info_t info;
    struct {
        X509_NAME *issuer, *subject;
        const char *san;
        long long nb, na;
        const char *want_issuer, *want_subject;
    } cases[] = {
        /* no SAN: the CN */
        {name_of("CN", "Test Issuer"), name_of("CN", "cn.example"), NULL, NOT_BEFORE, NOT_AFTER, "Test Issuer",
         "cn.example"},
        /* a SAN without DNS names: the CN */
        {name_of("CN", "Test Issuer"), name_of("CN", "cn.example"), "IP:127.0.0.1, email:a@b.example", NOT_BEFORE,
         NOT_AFTER, "Test Issuer", "cn.example"},
        /* an IP first, then two DNS names: the first DNS name */
        {name_of("CN", "Test Issuer"), name_of("CN", "cn.example"),
         "IP:10.0.0.1, DNS:first.example, DNS:second.example", NOT_BEFORE, NOT_AFTER, "Test Issuer",
         "first.example"},
        /* an issuer without a CN: its one-line name; a subject with neither: its one-line name */
        {name_of("O", "Only Org"), name_of("O", "Leaf Org"), NULL, NOT_BEFORE, NOT_AFTER, "/O=Only Org",
         "/O=Leaf Org"},
        /* GeneralizedTime (2052) and a UTCTime before 1970 (1966) */
        {name_of("CN", "Test Issuer"), name_of("CN", "old.example"), NULL, -100000000LL, 2600000000LL,
         "Test Issuer", "old.example"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        X509 *x = make_cert(key, key, cases[i].issuer, cases[i].subject, cases[i].san, cases[i].nb, cases[i].na);
        CHECK(x != NULL);
        char *pem = cert_pem(x);
        CHECK_INT(faas_tls_cert_info(pem, &info, &err), FAAS_OK);
        CHECK_STR(cstr(info.issuer, sizeof(info.issuer)), cases[i].want_issuer);
        CHECK_STR(cstr(info.subject, sizeof(info.subject)), cases[i].want_subject);
        CHECK_INT(info.not_before_ms, cases[i].nb * 1000);
        CHECK_INT(info.not_after_ms, cases[i].na * 1000);
        free(pem);
        X509_free(x);
    }
    /* a CN longer than the issuer field: cut, still terminated */
    char lng[200];
    memset(lng, 'i', sizeof(lng) - 1);
    lng[sizeof(lng) - 1] = '\0';
    X509 *x = make_cert(key, key, name_of("CN", lng), name_of("CN", "cn.example"), NULL, NOT_BEFORE, NOT_AFTER);
    char *pem = cert_pem(x);
    CHECK_INT(faas_tls_cert_info(pem, &info, &err), FAAS_OK);
    CHECK(memchr(info.issuer, '\0', sizeof(info.issuer)) != NULL);
    CHECK(strncmp(info.issuer, lng, strlen(info.issuer)) == 0 && strlen(info.issuer) >= 100);
    free(pem);
    X509_free(x);
    EVP_PKEY_free(key);
    ERR_clear_error();
}

TEST(cert_info_refuses_garbage)
{
    faas_tls_cert_info_t info;
    const char *garbage[] = {"", "garbage\n", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                             "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        faas_error_t err = {0};
        memset(&info, 0x33, sizeof(info));
        CHECK_INT(faas_tls_cert_info(garbage[i], &info, &err), FAAS_EINVAL);
        CHECK_INT(err.code, FAAS_EINVAL);
        CHECK(err.msg[0] != '\0');
        CHECK_INT(info.not_after_ms, 0);
        CHECK_INT(info.subject[0], 0);
        CHECK_INT(info.issuer[0], 0);
        CHECK_INT(ERR_peek_error(), 0);
    }
    /* a truncated certificate */
    pki_t p;
    pki_new(&p);
    char *cut = strdup(p.leaf_pem);
    cut[strlen(cut) / 2] = '\0';
    CHECK_INT(faas_tls_cert_info(cut, &info, NULL), FAAS_EINVAL);
    CHECK_INT(ERR_peek_error(), 0);
    free(cut);
    pki_free(&p);
}

/* ---- server contexts ------------------------------------------------------- */

/*
 * A whole handshake in memory between a client offering alpn and a server on
 * server_ctx; 1 when it completes. alpn_out receives the selected protocol
 * ("" when none), *chain_len how many certificates the server sent.
 */
static int handshake(SSL_CTX *server_ctx, SSL_CTX *client_ctx, const unsigned char *alpn, unsigned alpn_len,
                     char *alpn_out, size_t alpn_size, X509 **peer, int *chain_len)
{
    SSL *c = SSL_new(client_ctx), *s = SSL_new(server_ctx);
    BIO *bc = NULL, *bs = NULL;
    int done = 0;
    if (c != NULL && s != NULL && BIO_new_bio_pair(&bc, 0, &bs, 0) == 1) {
        SSL_set_bio(c, bc, bc);
        SSL_set_bio(s, bs, bs);
        SSL_set_tlsext_host_name(c, "san.example");
        if (alpn != NULL)
            SSL_set_alpn_protos(c, alpn, alpn_len);
        SSL_set_connect_state(c);
        SSL_set_accept_state(s);
        int cdone = 0, sdone = 0, failed = 0;
        for (int round = 0; round < 50 && !(cdone && sdone) && !failed; round++) {
            if (!cdone) {
                int r = SSL_do_handshake(c);
                cdone = r == 1;
                failed |= r <= 0 && SSL_get_error(c, r) != SSL_ERROR_WANT_READ && SSL_get_error(c, r) != SSL_ERROR_WANT_WRITE;
            }
            if (!sdone) {
                int r = SSL_do_handshake(s);
                sdone = r == 1;
                failed |= r <= 0 && SSL_get_error(s, r) != SSL_ERROR_WANT_READ && SSL_get_error(s, r) != SSL_ERROR_WANT_WRITE;
            }
        }
        done = cdone && sdone;
        if (done) {
            const unsigned char *sel = NULL;
            unsigned sel_len = 0;
            SSL_get0_alpn_selected(c, &sel, &sel_len);
            snprintf(alpn_out, alpn_size, "%.*s", (int)sel_len, sel != NULL ? (const char *)sel : "");
            if (peer != NULL)
                *peer = SSL_get1_peer_certificate(c);
            STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c);
            if (chain_len != NULL)
                *chain_len = chain != NULL ? sk_X509_num(chain) : -1;
            done = SSL_version(c) >= TLS1_2_VERSION ? 1 : 2;
        }
    } else {
        BIO_free(bc);
        BIO_free(bs);
    }
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
    return done;
}

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    return ctx;
}

TEST(ctx_new_settings)
{
    faas_error_t err = {0};
    SSL_CTX *ctx = faas_tls_ctx_new(&err);
    CHECK(ctx != NULL);
    if (ctx == NULL)
        return;
    CHECK_INT(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    CHECK((SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION) != 0);
    CHECK((SSL_CTX_get_options(ctx) & SSL_OP_CIPHER_SERVER_PREFERENCE) != 0);
    CHECK((SSL_CTX_get_options(ctx) & SSL_OP_PRIORITIZE_CHACHA) != 0);
    CHECK_INT((int)SSL_CTX_get_num_tickets(ctx), 1);
    CHECK((SSL_CTX_get_mode(ctx) & SSL_MODE_NO_AUTO_CHAIN) != 0);
    SSL_CTX_free(ctx);
}

/* The sessions a client was given (TLS 1.3 tickets), the last one kept. */
static int tickets_seen;
static SSL_SESSION *last_ticket;

static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    (void)ssl;
    tickets_seen++;
    SSL_SESSION_free(last_ticket);
    last_ticket = sess;
    return 1; /* kept: freed by the next one or the test */
}

/*
 * A handshake in memory (resuming sess unless NULL), then the client reads what followed it (the
 * server's tickets). The suite's name into suite; 1 if the session was resumed, 0 if not, -1 if
 * the handshake failed.
 */
static int exchange(SSL_CTX *server_ctx, SSL_CTX *client_ctx, SSL_SESSION *sess, char *suite, size_t size)
{
    SSL *c = SSL_new(client_ctx), *s = SSL_new(server_ctx);
    BIO *bc = NULL, *bs = NULL;
    int rc = -1;
    suite[0] = '\0';
    if (c != NULL && s != NULL && BIO_new_bio_pair(&bc, 0, &bs, 0) == 1) {
        SSL_set_bio(c, bc, bc);
        SSL_set_bio(s, bs, bs);
        SSL_set_tlsext_host_name(c, "san.example");
        if (sess != NULL)
            SSL_set_session(c, sess);
        SSL_set_connect_state(c);
        SSL_set_accept_state(s);
        int cdone = 0, sdone = 0;
        for (int round = 0; round < 50 && !(cdone && sdone); round++) {
            cdone = cdone || SSL_do_handshake(c) == 1;
            sdone = sdone || SSL_do_handshake(s) == 1;
        }
        if (cdone && sdone) {
            char byte;
            CHECK(SSL_read(c, &byte, 1) <= 0); /* no data: only the tickets, which the callback counts */
            snprintf(suite, size, "%s", SSL_CIPHER_get_name(SSL_get_current_cipher(c)));
            rc = SSL_session_reused(c);
            SSL_shutdown(c); /* closed cleanly: a session dropped without close_notify would not resume */
        }
    } else {
        BIO_free(bc);
        BIO_free(bs);
    }
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
    return rc;
}

TEST(ctx_suites_and_tickets)
{
    pki_t p;
    pki_new(&p);
    SSL_CTX *ctx = faas_tls_ctx_from_pem(p.leaf_key_pem, p.chain_pem, NULL);
    SSL_CTX *cctx = client_ctx();
    CHECK(ctx != NULL && cctx != NULL);
    if (ctx == NULL || cctx == NULL)
        goto out;
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(cctx, on_new_session);
    char suite[64];
    /* OpenSSL's client lists AES-256-GCM first: the server's order wins */
    tickets_seen = 0;
    CHECK_INT(exchange(ctx, cctx, NULL, suite, sizeof(suite)), 0);
    CHECK_STR(suite, "TLS_AES_128_GCM_SHA256");
    CHECK_INT(tickets_seen, 1); /* one ticket, not OpenSSL's two */
    CHECK(last_ticket != NULL);
    /* and it resumes */
    SSL_SESSION *ticket = last_ticket;
    last_ticket = NULL;
    CHECK_INT(exchange(ctx, cctx, ticket, suite, sizeof(suite)), 1);
    CHECK_STR(suite, "TLS_AES_128_GCM_SHA256");
    SSL_SESSION_free(ticket);
    /* a client that puts ChaCha20 first (no AES hardware) gets it */
    SSL_CTX_set_ciphersuites(cctx, "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256");
    CHECK_INT(exchange(ctx, cctx, NULL, suite, sizeof(suite)), 0);
    CHECK_STR(suite, "TLS_CHACHA20_POLY1305_SHA256");
    /* AES-256-GCM is still served to a client offering only that */
    SSL_CTX_set_ciphersuites(cctx, "TLS_AES_256_GCM_SHA384");
    CHECK_INT(exchange(ctx, cctx, NULL, suite, sizeof(suite)), 0);
    CHECK_STR(suite, "TLS_AES_256_GCM_SHA384");
out:
    SSL_SESSION_free(last_ticket);
    last_ticket = NULL;
    SSL_CTX_free(cctx);
    SSL_CTX_free(ctx);
    pki_free(&p);
}

TEST(ctx_from_pem_serves_the_chain)
{
    pki_t p;
    pki_new(&p);
    faas_error_t err = {0};
    SSL_CTX *ctx = faas_tls_ctx_from_pem(p.leaf_key_pem, p.chain_pem, &err);
    CHECK(ctx != NULL);
    CHECK_INT(err.code, FAAS_OK);
    CHECK_INT(ERR_peek_error(), 0);
    if (ctx != NULL) {
        STACK_OF(X509) *extra = NULL;
        CHECK_INT(SSL_CTX_get0_chain_certs(ctx, &extra), 1);
        CHECK_INT(extra != NULL ? sk_X509_num(extra) : 0, 1);
        CHECK(extra != NULL && sk_X509_num(extra) == 1 && X509_cmp(sk_X509_value(extra, 0), p.ca) == 0);
        CHECK(SSL_CTX_get0_certificate(ctx) != NULL && X509_cmp(SSL_CTX_get0_certificate(ctx), p.leaf) == 0);

        SSL_CTX *cctx = client_ctx();
        char alpn[32];
        X509 *peer = NULL;
        int chain_len = 0;
        /* h2 preferred by the server even when the client lists http/1.1 first */
        CHECK_INT(handshake(ctx, cctx, (const unsigned char *)"\x08http/1.1\x02h2", 12, alpn, sizeof(alpn), &peer,
                            &chain_len),
                  1);
        CHECK_STR(alpn, "h2");
        CHECK(peer != NULL && X509_cmp(peer, p.leaf) == 0);
        CHECK_INT(chain_len, 2);
        X509_free(peer);
        CHECK_INT(handshake(ctx, cctx, (const unsigned char *)"\x08http/1.1", 9, alpn, sizeof(alpn), NULL, NULL), 1);
        CHECK_STR(alpn, "http/1.1");
        CHECK_INT(handshake(ctx, cctx, NULL, 0, alpn, sizeof(alpn), NULL, NULL), 1);
        CHECK_STR(alpn, "");
        /* TLS 1.2 clients are served */
        SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
        CHECK_INT(handshake(ctx, cctx, ALPN_H2_H1, sizeof(ALPN_H2_H1) - 1, alpn, sizeof(alpn), NULL, NULL), 1);
        CHECK_STR(alpn, "h2");
        SSL_CTX_free(cctx);

        /* TLS 1.1 is not, even with every other setting lowered (a plain server context does serve it) */
        cctx = client_ctx();
        SSL_CTX_set_security_level(cctx, 0);
        SSL_CTX_set_min_proto_version(cctx, TLS1_VERSION);
        SSL_CTX_set_max_proto_version(cctx, TLS1_1_VERSION);
        SSL_CTX_set_cipher_list(cctx, "DEFAULT:@SECLEVEL=0");
        SSL_CTX *plain = SSL_CTX_new(TLS_server_method());
        SSL_CTX_set_security_level(plain, 0);
        SSL_CTX_set_min_proto_version(plain, TLS1_VERSION);
        SSL_CTX_set_cipher_list(plain, "DEFAULT:@SECLEVEL=0");
        SSL_CTX_use_certificate(plain, p.leaf);
        SSL_CTX_use_PrivateKey(plain, p.leaf_key);
        CHECK_INT(handshake(plain, cctx, NULL, 0, alpn, sizeof(alpn), NULL, NULL), 2); /* done, below TLS 1.2 */
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
        CHECK_INT(handshake(ctx, cctx, NULL, 0, alpn, sizeof(alpn), NULL, NULL), 0);
        SSL_CTX_free(plain);
        SSL_CTX_free(cctx);
        SSL_CTX_free(ctx);
    }
    /* the leaf alone (no chain certificates) */
    ctx = faas_tls_ctx_from_pem(p.leaf_key_pem, p.leaf_pem, &err);
    CHECK(ctx != NULL);
    if (ctx != NULL) {
        STACK_OF(X509) *extra = NULL;
        SSL_CTX_get0_chain_certs(ctx, &extra);
        CHECK_INT(extra != NULL ? sk_X509_num(extra) : 0, 0);
        SSL_CTX_free(ctx);
    }
    CHECK_INT(ERR_peek_error(), 0);
    pki_free(&p);
}

TEST(ctx_from_pem_refusals)
{
    pki_t p;
    pki_new(&p);
    struct {
        const char *key, *chain, *why;
    } cases[] = {
        {p.other_key_pem, p.chain_pem, "mismatched key"},
        {p.other_key_pem, p.leaf_pem, "mismatched key, leaf alone"},
        {"garbage\n", p.chain_pem, "garbage key"},
        {"", p.chain_pem, "empty key"},
        {p.leaf_key_pem, "garbage\n", "garbage chain"},
        {p.leaf_key_pem, "", "empty chain"},
        {p.leaf_pem, p.chain_pem, "a certificate as the key"},
        {p.leaf_key_pem, p.leaf_key_pem, "a key as the chain"},
        {p.other_key_pem, p.ca_pem, "the CA alone with a stranger key"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        faas_error_t err = {0};
        SSL_CTX *ctx = faas_tls_ctx_from_pem(cases[i].key, cases[i].chain, &err);
        CHECK(ctx == NULL);
        CHECK_INT(err.code, FAAS_EINVAL);
        CHECK(err.msg[0] != '\0');
        CHECK_INT(ERR_peek_error(), 0);
        if (ctx != NULL || err.code != FAAS_EINVAL || ERR_peek_error() != 0)
            fprintf(stderr, "  case: %s (%s)\n", cases[i].why, err.msg);
        SSL_CTX_free(ctx);
        ERR_clear_error();
    }
    /* err may be NULL */
    CHECK(faas_tls_ctx_from_pem(p.other_key_pem, p.chain_pem, NULL) == NULL);
    CHECK_INT(ERR_peek_error(), 0);
    pki_free(&p);
}

TEST(ctx_from_files)
{
    pki_t p;
    pki_new(&p);
    char dir[256], cert[320], key[320], other[320], junk[320], missing[320];
    testlib_tmpdir(dir, sizeof(dir));
    snprintf(cert, sizeof(cert), "%s/tls.crt", dir);
    snprintf(key, sizeof(key), "%s/tls.key", dir);
    snprintf(other, sizeof(other), "%s/other.key", dir);
    snprintf(junk, sizeof(junk), "%s/junk.pem", dir);
    snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
    CHECK_INT(testlib_write_file(cert, p.chain_pem), 0);
    CHECK_INT(testlib_write_file(key, p.leaf_key_pem), 0);
    CHECK_INT(testlib_write_file(other, p.other_key_pem), 0);
    CHECK_INT(testlib_write_file(junk, "not a certificate\n"), 0);

    faas_error_t err = {0};
    SSL_CTX *ctx = faas_tls_ctx_from_files(cert, key, &err);
    CHECK(ctx != NULL);
    CHECK_INT(err.code, FAAS_OK);
    CHECK_INT(ERR_peek_error(), 0);
    if (ctx != NULL) {
        STACK_OF(X509) *extra = NULL;
        SSL_CTX_get0_chain_certs(ctx, &extra);
        CHECK_INT(extra != NULL ? sk_X509_num(extra) : 0, 1);
        SSL_CTX *cctx = client_ctx();
        char alpn[32];
        X509 *peer = NULL;
        int chain_len = 0;
        CHECK_INT(handshake(ctx, cctx, ALPN_H2_H1, sizeof(ALPN_H2_H1) - 1, alpn, sizeof(alpn), &peer, &chain_len), 1);
        CHECK_STR(alpn, "h2");
        CHECK(peer != NULL && X509_cmp(peer, p.leaf) == 0);
        CHECK_INT(chain_len, 2);
        X509_free(peer);
        SSL_CTX_free(cctx);
        SSL_CTX_free(ctx);
    }

    struct {
        const char *cert, *key, *names, *path;
    } cases[] = {
        {missing, key, "tls.cert", missing},
        {junk, key, "tls.cert", junk},
        {cert, missing, "tls.key", missing},
        {cert, other, "tls.key", other},
        {cert, junk, "tls.key", junk},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&err, 0, sizeof(err));
        ctx = faas_tls_ctx_from_files(cases[i].cert, cases[i].key, &err);
        CHECK(ctx == NULL);
        CHECK_INT(err.code, FAAS_EINVAL);
        CHECK_CONTAINS(err.msg, cases[i].names);
        CHECK_CONTAINS(err.msg, cases[i].path);
        CHECK_INT(ERR_peek_error(), 0);
        SSL_CTX_free(ctx);
        ERR_clear_error();
    }
    pki_free(&p);
}

int main(void)
{
    RUN(cert_info_reads_the_leaf);
    RUN(cert_info_names_and_times);
    RUN(cert_info_refuses_garbage);
    RUN(ctx_new_settings);
    RUN(ctx_suites_and_tickets);
    RUN(ctx_from_pem_serves_the_chain);
    RUN(ctx_from_pem_refusals);
    RUN(ctx_from_files);
    return testlib_done();
}
