/*
 * jws.c (unit): base64url vectors, P-256 keys through PEM (and refusals),
 * the JWK and its thumbprint checked independently, ES256 JWS verified with
 * OpenSSL after converting r||s back to DER, and the CSR parsed back.
 */
#include "faas/tls/jws.h"
#include "testlib.h"

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An independent base64url decoder (no padding accepted); NULL when s is not base64url. */
static unsigned char *b64url_decode(const char *s, size_t *out_len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t len = strlen(s), n = 0;
    unsigned int acc = 0;
    int bits = 0;
    if (len % 4 == 1)
        return NULL;
    unsigned char *out = malloc(len * 3 / 4 + 1);
    for (size_t i = 0; i < len; i++) {
        const char *p = s[i] != '\0' ? strchr(alphabet, s[i]) : NULL;
        if (p == NULL) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned int)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    *out_len = n;
    return out;
}

/* The decoded string of a base64url JSON text, parsed. */
static cJSON *decode_json(const char *b64)
{
    size_t n = 0;
    unsigned char *raw = b64url_decode(b64, &n);
    cJSON *json = raw != NULL ? cJSON_ParseWithLength((const char *)raw, n) : NULL;
    free(raw);
    return json;
}

/* 1 when sig (base64url raw r||s) is a valid ES256 signature of input by key. */
static int verify_es256(EVP_PKEY *key, const char *input, const char *sig_b64)
{
    size_t n = 0;
    unsigned char *raw = b64url_decode(sig_b64, &n), *der = NULL;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = 0, der_len = 0;
    if (raw != NULL && n == 64 && sig != NULL && md != NULL) {
        BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
        if (ECDSA_SIG_set0(sig, r, s) == 1 && (der_len = i2d_ECDSA_SIG(sig, &der)) > 0 &&
            EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1)
            ok = EVP_DigestVerify(md, der, (size_t)der_len, (const unsigned char *)input, strlen(input)) == 1;
    }
    ERR_clear_error();
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    ECDSA_SIG_free(sig);
    free(raw);
    return ok;
}

static void check_b64(const void *data, size_t len, const char *want)
{
    char *got = faas_jws_b64url(data, len);
    CHECK_STR(got, want);
    free(got);
}

TEST(b64url_vectors)
{
    check_b64("", 0, "");
    check_b64("f", 1, "Zg");
    check_b64("fo", 2, "Zm8");
    check_b64("foo", 3, "Zm9v");
    check_b64("foob", 4, "Zm9vYg");
    check_b64("fooba", 5, "Zm9vYmE");
    check_b64("foobar", 6, "Zm9vYmFy");
    check_b64("\xfb\xff", 2, "-_8");
    check_b64("\xfb\xef\xbe", 3, "----");
    check_b64("\xff\xff\xff", 3, "____");
    /* longer than one internal chunk: the join between chunks must not pad */
    size_t big = 200000;
    unsigned char *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    char *enc = faas_jws_b64url(data, big);
    size_t n = 0;
    unsigned char *back = enc != NULL ? b64url_decode(enc, &n) : NULL;
    CHECK(enc != NULL && strchr(enc, '=') == NULL && strchr(enc, '\n') == NULL);
    CHECK_INT(n, big);
    CHECK(back != NULL && n == big && memcmp(back, data, big) == 0);
    free(back);
    free(enc);
    free(data);
}

TEST(key_pem_round_trip)
{
    faas_error_t err = {0};
    EVP_PKEY *key = faas_jws_key_new(&err);
    CHECK(key != NULL);
    char *pem = faas_jws_key_to_pem(key, &err);
    CHECK(pem != NULL && strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
    EVP_PKEY *back = pem != NULL ? faas_jws_key_from_pem(pem, strlen(pem), &err) : NULL;
    CHECK(back != NULL);
    CHECK_INT(ERR_peek_error(), 0);
    CHECK_INT(EVP_PKEY_eq(key, back), 1);
    char *t1 = faas_jws_thumbprint(key, &err), *t2 = faas_jws_thumbprint(back, &err);
    CHECK(t1 != NULL);
    CHECK_STR(t2, t1);

    /* truncated, garbage, empty: refused and the queue left empty */
    CHECK(faas_jws_key_from_pem(pem, strlen(pem) - 40, &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);
    CHECK_INT(ERR_peek_error(), 0);
    err.code = FAAS_OK;
    CHECK(faas_jws_key_from_pem("garbage\n", 8, &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);
    CHECK_INT(ERR_peek_error(), 0);
    err.code = FAAS_OK;
    CHECK(faas_jws_key_from_pem("", 0, &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);
    CHECK(faas_jws_key_from_pem(NULL, 10, NULL) == NULL); /* err may be NULL */
    free(pem);
    free(t1);
    free(t2);
    EVP_PKEY_free(back);
    EVP_PKEY_free(key);
}

/* A key of another kind, written as PEM, must be refused by key_from_pem. */
static void check_refused_key(EVP_PKEY *other, const char *what)
{
    faas_error_t err = {0};
    char *pem = faas_jws_key_to_pem(other, &err);
    CHECK(pem != NULL);
    EVP_PKEY *k = pem != NULL ? faas_jws_key_from_pem(pem, strlen(pem), &err) : NULL;
    testlib_check(k == NULL && err.code == FAAS_EINVAL, __FILE__, __LINE__, "%s key refused (code %d)", what,
                  err.code);
    CHECK_CONTAINS(err.msg, "P-256");
    CHECK_INT(ERR_peek_error(), 0);
    EVP_PKEY_free(k);
    free(pem);
}

TEST(key_from_pem_refuses_other_keys)
{
    EVP_PKEY *rsa = EVP_RSA_gen(2048), *p384 = EVP_EC_gen("P-384");
    CHECK(rsa != NULL && p384 != NULL);
    check_refused_key(rsa, "RSA");
    check_refused_key(p384, "P-384");

    /* the JWK and a signature need P-256 too */
    faas_error_t err = {0};
    CHECK(faas_jws_jwk(rsa, &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);
    err.code = FAAS_OK;
    CHECK(faas_jws_sign(p384, NULL, "n", "https://ca/x", "", &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);

    /* an encrypted PEM is refused without prompting for a passphrase */
    EVP_PKEY *key = faas_jws_key_new(NULL);
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    CHECK_INT(PEM_write_bio_PrivateKey(bio, key, EVP_aes_256_cbc(), (unsigned char *)"secret", 6, NULL, NULL), 1);
    long n = BIO_get_mem_data(bio, &data);
    err.code = FAAS_OK;
    CHECK(faas_jws_key_from_pem(data, (size_t)n, &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);
    CHECK_INT(ERR_peek_error(), 0);
    BIO_free(bio);
    EVP_PKEY_free(key);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(p384);
}

/* 1 when member is a base64url string decoding to exactly the 32-byte, left-padded coordinate. */
static int coordinate_matches(EVP_PKEY *key, const cJSON *member, const char *param)
{
    const char *s = cJSON_GetStringValue(member);
    size_t n = 0;
    unsigned char *raw = s != NULL ? b64url_decode(s, &n) : NULL, want[32];
    BIGNUM *bn = NULL;
    int ok = raw != NULL && n == 32 && EVP_PKEY_get_bn_param(key, param, &bn) && BN_bn2binpad(bn, want, 32) == 32 &&
             memcmp(raw, want, 32) == 0;
    BN_free(bn);
    free(raw);
    return ok;
}

TEST(jwk_and_thumbprint)
{
    faas_error_t err = {0};
    EVP_PKEY *key = faas_jws_key_new(&err);
    char *jwk = faas_jws_jwk(key, &err);
    cJSON *j = cJSON_Parse(jwk);
    CHECK(j != NULL && cJSON_IsObject(j));
    CHECK_INT(cJSON_GetArraySize(j), 4);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "crv")), "P-256");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "kty")), "EC");
    CHECK(coordinate_matches(key, cJSON_GetObjectItemCaseSensitive(j, "x"), OSSL_PKEY_PARAM_EC_PUB_X));
    CHECK(coordinate_matches(key, cJSON_GetObjectItemCaseSensitive(j, "y"), OSSL_PKEY_PARAM_EC_PUB_Y));

    /* re-built in sorted member order without whitespace, it is the same string */
    cJSON *sorted = cJSON_CreateObject();
    const char *names[] = {"crv", "kty", "x", "y"};
    for (int i = 0; i < 4; i++)
        cJSON_AddStringToObject(sorted, names[i], cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, names[i])));
    char *rebuilt = cJSON_PrintUnformatted(sorted);
    CHECK_STR(jwk, rebuilt);

    /* RFC 7638: base64url(SHA-256(jwk)), 43 characters */
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)jwk, strlen(jwk), md);
    char *want = faas_jws_b64url(md, sizeof(md)), *thumb = faas_jws_thumbprint(key, &err);
    CHECK_STR(thumb, want);
    CHECK_INT(thumb != NULL ? strlen(thumb) : 0, 43);

    CHECK(faas_jws_jwk(NULL, &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);
    free(want);
    free(thumb);
    cJSON_free(rebuilt);
    cJSON_Delete(sorted);
    cJSON_Delete(j);
    free(jwk);
    EVP_PKEY_free(key);
}

/* A flattened JWS taken apart. */
typedef struct {
    cJSON *root;
    const char *protected_b64, *payload_b64, *signature_b64;
    cJSON *header;
    char *input; /* protected "." payload */
} parts_t;

static void split(const char *jws, parts_t *p)
{
    memset(p, 0, sizeof(*p));
    p->root = cJSON_Parse(jws);
    CHECK_INT(cJSON_GetArraySize(p->root), 3);
    p->protected_b64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p->root, "protected"));
    p->payload_b64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p->root, "payload"));
    p->signature_b64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p->root, "signature"));
    CHECK(p->protected_b64 != NULL && p->payload_b64 != NULL && p->signature_b64 != NULL);
    if (p->protected_b64 == NULL || p->payload_b64 == NULL)
        return;
    p->header = decode_json(p->protected_b64);
    CHECK(cJSON_IsObject(p->header));
    size_t n = strlen(p->protected_b64) + strlen(p->payload_b64) + 2;
    p->input = malloc(n);
    snprintf(p->input, n, "%s.%s", p->protected_b64, p->payload_b64);
}

static void split_free(parts_t *p)
{
    cJSON_Delete(p->header);
    cJSON_Delete(p->root);
    free(p->input);
}

static const char *header_str(const parts_t *p, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p->header, name));
}

TEST(sign_with_kid)
{
    faas_error_t err = {0};
    EVP_PKEY *key = faas_jws_key_new(&err);
    const char *url = "https://ca.test/acme/order/1?q=\"a\\b\"";
    char *jws = faas_jws_sign(key, "https://ca.test/acme/acct/7", "nonce-123_x", url, "{\"csr\":\"abc\"}", &err);
    CHECK(jws != NULL);
    parts_t p;
    split(jws, &p);
    CHECK_STR(header_str(&p, "alg"), "ES256");
    CHECK_STR(header_str(&p, "kid"), "https://ca.test/acme/acct/7");
    CHECK(cJSON_GetObjectItemCaseSensitive(p.header, "jwk") == NULL);
    CHECK_STR(header_str(&p, "nonce"), "nonce-123_x");
    CHECK_STR(header_str(&p, "url"), url); /* the quote and backslash survived escaping */
    CHECK_INT(cJSON_GetArraySize(p.header), 4);
    cJSON *payload = p.payload_b64 != NULL ? decode_json(p.payload_b64) : NULL;
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "csr")), "abc");
    size_t n = 0;
    unsigned char *sig = p.signature_b64 != NULL ? b64url_decode(p.signature_b64, &n) : NULL;
    CHECK_INT(n, 64);
    CHECK(p.input != NULL && verify_es256(key, p.input, p.signature_b64));

    /* one changed payload character and the signature no longer verifies */
    if (p.input != NULL) {
        char *last = p.input + strlen(p.input) - 1;
        *last = *last == 'A' ? 'B' : 'A';
        CHECK(!verify_es256(key, p.input, p.signature_b64));
    }
    /* nor does it verify with another key */
    EVP_PKEY *other = faas_jws_key_new(&err);
    CHECK(p.input != NULL && !verify_es256(other, p.input, p.signature_b64));
    EVP_PKEY_free(other);
    free(sig);
    cJSON_Delete(payload);
    split_free(&p);
    free(jws);
    EVP_PKEY_free(key);
}

TEST(sign_with_jwk_post_as_get)
{
    faas_error_t err = {0};
    EVP_PKEY *key = faas_jws_key_new(&err);
    char *jws = faas_jws_sign(key, NULL, "n0", "https://ca.test/acme/new-acct", "", &err);
    CHECK(jws != NULL);
    CHECK_CONTAINS(jws, "\"payload\":\"\"");
    parts_t p;
    split(jws, &p);
    CHECK_STR(p.payload_b64, "");
    CHECK_STR(header_str(&p, "alg"), "ES256");
    CHECK(cJSON_GetObjectItemCaseSensitive(p.header, "kid") == NULL);
    cJSON *jwk = cJSON_GetObjectItemCaseSensitive(p.header, "jwk");
    CHECK(cJSON_IsObject(jwk));
    char *printed = cJSON_PrintUnformatted(jwk), *want = faas_jws_jwk(key, &err);
    CHECK_STR(printed, want);
    CHECK_STR(header_str(&p, "nonce"), "n0");
    CHECK_STR(header_str(&p, "url"), "https://ca.test/acme/new-acct");
    CHECK(p.input != NULL && verify_es256(key, p.input, p.signature_b64));

    /* missing nonce, url or payload: refused */
    err.code = FAAS_OK;
    CHECK(faas_jws_sign(key, NULL, NULL, "https://ca.test/x", "", &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);
    err.code = FAAS_OK;
    CHECK(faas_jws_sign(key, "kid", "n", "https://ca.test/x", NULL, &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);
    cJSON_free(printed);
    free(want);
    split_free(&p);
    free(jws);
    EVP_PKEY_free(key);
}

/* The CSR parsed back; NULL when it does not decode. */
static X509_REQ *csr_parse(const char *b64)
{
    size_t n = 0;
    unsigned char *der = b64url_decode(b64, &n);
    const unsigned char *p = der;
    X509_REQ *req = der != NULL ? d2i_X509_REQ(NULL, &p, (long)n) : NULL;
    free(der);
    return req;
}

/* The CSR's subjectAltName when it is exactly one dNSName; else NULL. */
static char *csr_single_dns(X509_REQ *req)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *names = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
    char *dns = NULL;
    if (names != NULL && sk_GENERAL_NAME_num(names) == 1) {
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, 0);
        if (gn->type == GEN_DNS)
            dns = strndup((const char *)ASN1_STRING_get0_data(gn->d.dNSName), ASN1_STRING_length(gn->d.dNSName));
    }
    GENERAL_NAMES_free(names);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return dns;
}

static void check_csr(EVP_PKEY *key, const char *host, int want_cn)
{
    faas_error_t err = {0};
    char *csr = faas_jws_csr(key, host, &err);
    CHECK(csr != NULL);
    X509_REQ *req = csr != NULL ? csr_parse(csr) : NULL;
    CHECK(req != NULL);
    if (req == NULL) {
        free(csr);
        return;
    }
    CHECK_INT(X509_REQ_verify(req, key), 1);
    CHECK_INT(X509_REQ_get_version(req), 0);
    CHECK_INT(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), key), 1);
    char cn[256] = "";
    int len = X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof(cn));
    if (want_cn)
        CHECK_STR(cn, host);
    else
        CHECK_INT(len, -1);
    char *dns = csr_single_dns(req);
    CHECK_STR(dns, host);
    free(dns);
    X509_REQ_free(req);
    free(csr);
}

TEST(csr)
{
    faas_error_t err = {0};
    EVP_PKEY *key = faas_jws_key_new(&err);
    check_csr(key, "fn.example.com", 1);
    /* longer than a CN may be (64): the SAN alone carries it */
    char longhost[254];
    memset(longhost, 'a', 253);
    for (int i = 60; i < 253; i += 61)
        longhost[i] = '.';
    longhost[253] = '\0';
    check_csr(key, longhost, 0);

    const char *bad[] = {"", "a,DNS:evil.com", "has space.com", "tab\t.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.code = FAAS_OK;
        char *csr = faas_jws_csr(key, bad[i], &err);
        testlib_check(csr == NULL && err.code == FAAS_EINVAL, __FILE__, __LINE__, "host \"%s\" refused", bad[i]);
        free(csr);
    }
    char toolong[300];
    memset(toolong, 'a', 254);
    toolong[254] = '\0';
    err.code = FAAS_OK;
    CHECK(faas_jws_csr(key, toolong, &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);
    err.code = FAAS_OK;
    CHECK(faas_jws_csr(key, NULL, &err) == NULL);
    CHECK_INT(err.code, FAAS_EINVAL);
    EVP_PKEY_free(key);
}

/* A coordinate with a leading zero byte (about 1 key in 128) must still be 32 bytes, left-padded. */
TEST(coordinates_always_32_bytes)
{
    int bad = 0, keys = 0, short_seen = 0;
    for (; keys < 300 && bad == 0; keys++) {
        EVP_PKEY *key = faas_jws_key_new(NULL);
        char *jwk = faas_jws_jwk(key, NULL);
        cJSON *j = cJSON_Parse(jwk);
        BIGNUM *x = NULL, *y = NULL;
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x);
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
        short_seen += x != NULL && y != NULL && (BN_num_bytes(x) < 32 || BN_num_bytes(y) < 32);
        bad += !coordinate_matches(key, cJSON_GetObjectItemCaseSensitive(j, "x"), OSSL_PKEY_PARAM_EC_PUB_X) ||
               !coordinate_matches(key, cJSON_GetObjectItemCaseSensitive(j, "y"), OSSL_PKEY_PARAM_EC_PUB_Y);
        BN_free(x);
        BN_free(y);
        cJSON_Delete(j);
        free(jwk);
        EVP_PKEY_free(key);
    }
    CHECK_INT(bad, 0);
    fprintf(stderr, "  %d keys, %d with a coordinate shorter than 32 bytes\n", keys, short_seen);
}

int main(void)
{
    RUN(b64url_vectors);
    RUN(key_pem_round_trip);
    RUN(key_from_pem_refuses_other_keys);
    RUN(jwk_and_thumbprint);
    RUN(sign_with_kid);
    RUN(sign_with_jwk_post_as_get);
    RUN(csr);
    RUN(coordinates_always_32_bytes);
    return testlib_done();
}
