/*
 * jws.c: the ACME client's cryptography on OpenSSL 3, without deprecated
 * APIs: base64url, P-256 keys and their PEM, the RFC 7638 JWK and
 * thumbprint, flattened ES256 JWS (raw r||s signatures) and the CSR a
 * finalize carries. Every failure empties OpenSSL's error queue, so a stale
 * error cannot show up later in unrelated TLS code on the same thread.
 */
#include "faas/tls/jws.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COORD_LEN 32      /* a P-256 coordinate, and each of r and s */
#define DER_SIG_MAX 80    /* a DER ECDSA-Sig-Value for P-256 is at most 72 bytes */
#define HOST_MAX 253      /* the longest DNS name */
#define CN_MAX 64         /* ub-common-name (RFC 5280) */
#define B64_CHUNK 49152   /* EVP_EncodeBlock takes an int; a multiple of 3 keeps chunks padding-free */

/* Records what failed with OpenSSL's last reason, then empties the queue. */
static void *ossl_fail(faas_error_t *err, faas_err_t code, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
    if (e != 0 && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
        code = FAAS_ENOMEM;
    if (reason != NULL)
        faas_error_set(err, code, "%s: %s", what, reason);
    else
        faas_error_set(err, code, "%s", what);
    ERR_clear_error();
    return NULL;
}

/* A malloc'd formatted string; NULL (FAAS_ENOMEM) when out of memory. */
__attribute__((format(printf, 2, 3))) static char *strf(faas_error_t *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s == NULL) {
        faas_error_set(err, FAAS_ENOMEM, "out of memory");
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

char *faas_jws_b64url(const void *data, size_t len)
{
    if (len > SIZE_MAX / 4 * 3 - 3) /* 4 * ceil(len / 3) + 1 must fit */
        return NULL;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *in = data;
    size_t n = 0;
    while (len > 0) {
        int chunk = len > B64_CHUNK ? B64_CHUNK : (int)len;
        n += (size_t)EVP_EncodeBlock((unsigned char *)out + n, in, chunk);
        in += chunk;
        len -= (size_t)chunk;
    }
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    return out;
}

/* 1 when key is an EC key on P-256 (a named group, not explicit parameters). */
static int is_p256(EVP_PKEY *key)
{
    char group[64];
    size_t len = 0;
    if (key == NULL || !EVP_PKEY_is_a(key, "EC"))
        return 0;
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len)) {
        ERR_clear_error();
        return 0;
    }
    return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

static void *not_p256(faas_error_t *err)
{
    faas_error_set(err, FAAS_EINVAL, "the key is not an EC P-256 key");
    return NULL;
}

EVP_PKEY *faas_jws_key_new(faas_error_t *err)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (key == NULL)
        return ossl_fail(err, FAAS_EIO, "cannot generate a P-256 key");
    return key;
}

char *faas_jws_key_to_pem(EVP_PKEY *key, faas_error_t *err)
{
    if (key == NULL) {
        faas_error_set(err, FAAS_EINVAL, "no key");
        return NULL;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return ossl_fail(err, FAAS_ENOMEM, "cannot create a memory BIO");
    char *pem = NULL, *data = NULL;
    if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
        ossl_fail(err, FAAS_EIO, "cannot write the key as PEM");
    } else {
        long n = BIO_get_mem_data(bio, &data);
        if (n <= 0 || n > INT_MAX) {
            ossl_fail(err, FAAS_EIO, "cannot write the key as PEM");
        } else {
            pem = strf(err, "%.*s", (int)n, data);
            OPENSSL_cleanse(data, (size_t)n); /* BIO_free would leave the private key in freed memory */
        }
    }
    BIO_free(bio);
    return pem;
}

/* Never prompt on the terminal for an encrypted PEM: refuse it. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

EVP_PKEY *faas_jws_key_from_pem(const char *pem, size_t len, faas_error_t *err)
{
    if (pem == NULL || len == 0 || len > INT_MAX) {
        faas_error_set(err, FAAS_EINVAL, "not a PEM private key");
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return ossl_fail(err, FAAS_ENOMEM, "cannot create a memory BIO");
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (key == NULL)
        return ossl_fail(err, FAAS_EINVAL, "not a PEM private key");
    ERR_clear_error(); /* the decoders may queue errors from formats they tried first */
    if (!is_p256(key)) {
        EVP_PKEY_free(key);
        return not_p256(err);
    }
    return key;
}

/* One public coordinate as base64url of exactly 32 bytes (left-padded). */
static char *coordinate(EVP_PKEY *key, const char *param, faas_error_t *err)
{
    BIGNUM *bn = NULL;
    unsigned char buf[COORD_LEN];
    int ok = EVP_PKEY_get_bn_param(key, param, &bn) && BN_bn2binpad(bn, buf, COORD_LEN) == COORD_LEN;
    BN_free(bn);
    if (!ok)
        return ossl_fail(err, FAAS_EIO, "cannot read the public key");
    char *s = faas_jws_b64url(buf, COORD_LEN);
    if (s == NULL)
        faas_error_set(err, FAAS_ENOMEM, "out of memory");
    return s;
}

char *faas_jws_jwk(EVP_PKEY *key, faas_error_t *err)
{
    if (!is_p256(key))
        return not_p256(err);
    char *x = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X, err);
    char *y = x != NULL ? coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y, err) : NULL;
    char *jwk = NULL;
    if (y != NULL) /* x and y are base64url: nothing to escape */
        jwk = strf(err, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
    free(x);
    free(y);
    return jwk;
}

char *faas_jws_thumbprint(EVP_PKEY *key, faas_error_t *err)
{
    char *jwk = faas_jws_jwk(key, err);
    if (jwk == NULL)
        return NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int ok = EVP_Digest(jwk, strlen(jwk), md, &md_len, EVP_sha256(), NULL);
    free(jwk);
    if (!ok)
        return ossl_fail(err, FAAS_EIO, "cannot hash the JWK");
    char *s = faas_jws_b64url(md, md_len);
    if (s == NULL)
        faas_error_set(err, FAAS_ENOMEM, "out of memory");
    return s;
}

/* base64url of the protected header {"alg","kid"|"jwk","nonce","url"}. */
static char *protected_header(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
                              faas_error_t *err)
{
    char *jwk = NULL, *json = NULL, *b64 = NULL;
    if (kid == NULL && (jwk = faas_jws_jwk(key, err)) == NULL)
        return NULL;
    cJSON *h = cJSON_CreateObject();
    int ok = h != NULL && cJSON_AddStringToObject(h, "alg", "ES256") != NULL &&
             (kid != NULL ? cJSON_AddStringToObject(h, "kid", kid) != NULL
                          : cJSON_AddRawToObject(h, "jwk", jwk) != NULL) &&
             cJSON_AddStringToObject(h, "nonce", nonce) != NULL && cJSON_AddStringToObject(h, "url", url) != NULL;
    if (ok && (json = cJSON_PrintUnformatted(h)) != NULL)
        b64 = faas_jws_b64url(json, strlen(json));
    if (b64 == NULL)
        faas_error_set(err, FAAS_ENOMEM, "out of memory building the JWS header");
    cJSON_free(json);
    cJSON_Delete(h);
    free(jwk);
    return b64;
}

/* ES256 over input. OpenSSL gives a DER ECDSA-Sig-Value; JWS wants raw r||s (RFC 7518 3.4). */
static char *es256(EVP_PKEY *key, const char *input, faas_error_t *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ECDSA_SIG *sig = NULL;
    const BIGNUM *r = NULL, *s = NULL;
    unsigned char der[DER_SIG_MAX], raw[2 * COORD_LEN];
    const unsigned char *p = der;
    size_t der_len = sizeof(der);
    char *out = NULL;
    if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, der, &der_len, (const unsigned char *)input, strlen(input)) != 1 ||
        (sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL) {
        ossl_fail(err, FAAS_EIO, "cannot sign the JWS");
        goto done;
    }
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, raw, COORD_LEN) != COORD_LEN || BN_bn2binpad(s, raw + COORD_LEN, COORD_LEN) != COORD_LEN) {
        ossl_fail(err, FAAS_EIO, "the ECDSA signature does not fit 64 bytes");
        goto done;
    }
    if ((out = faas_jws_b64url(raw, sizeof(raw))) == NULL)
        faas_error_set(err, FAAS_ENOMEM, "out of memory");
done:
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(md);
    return out;
}

char *faas_jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url, const char *payload,
                    faas_error_t *err)
{
    if (!is_p256(key))
        return not_p256(err);
    if (nonce == NULL || url == NULL || payload == NULL) {
        faas_error_set(err, FAAS_EINVAL, "a JWS needs a nonce, a url and a payload");
        return NULL;
    }
    char *prot = protected_header(key, kid, nonce, url, err);
    char *body = prot != NULL ? faas_jws_b64url(payload, strlen(payload)) : NULL;
    char *input = NULL, *sig = NULL, *jws = NULL;
    if (prot != NULL && body == NULL)
        faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (body != NULL)
        input = strf(err, "%s.%s", prot, body);
    if (input != NULL)
        sig = es256(key, input, err);
    if (sig != NULL) /* every member is base64url: nothing to escape */
        jws = strf(err, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}", prot, body, sig);
    free(prot);
    free(body);
    free(input);
    free(sig);
    return jws;
}

/* A DNS name (or wildcard) of 1..253 characters; no commas, spaces or controls. */
static int valid_host(const char *host)
{
    size_t len = host != NULL ? strnlen(host, HOST_MAX + 1) : 0;
    if (len == 0 || len > HOST_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)host[i]) && strchr("-.*_", host[i]) == NULL)
            return 0;
    return 1;
}

/* CN=host, unless host is longer than a CN may be: then the SAN alone names it. */
static int set_subject(X509_REQ *req, const char *host)
{
    if (strlen(host) > CN_MAX)
        return 1;
    return X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
                                      (const unsigned char *)host, -1, -1, 0);
}

/* subjectAltName with one dNSName, built directly rather than from a "DNS:..." config string. */
static int add_san(X509_REQ *req, const char *host)
{
    GENERAL_NAMES *names = GENERAL_NAMES_new();
    GENERAL_NAME *name = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
    STACK_OF(X509_EXTENSION) *exts = NULL;
    int ok = 0;
    if (names == NULL || name == NULL || ia5 == NULL || !ASN1_STRING_set(ia5, host, -1))
        goto done;
    GENERAL_NAME_set0_value(name, GEN_DNS, ia5);
    ia5 = NULL;
    if (!sk_GENERAL_NAME_push(names, name))
        goto done;
    name = NULL;
    ok = X509V3_add1_i2d(&exts, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1 &&
         X509_REQ_add_extensions(req, exts) == 1;
done:
    ASN1_IA5STRING_free(ia5);
    GENERAL_NAME_free(name);
    GENERAL_NAMES_free(names);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return ok;
}

char *faas_jws_csr(EVP_PKEY *key, const char *host, faas_error_t *err)
{
    if (key == NULL || !valid_host(host)) {
        faas_error_set(err, FAAS_EINVAL, "%s", key == NULL ? "no key" : "not a valid host name for a certificate");
        return NULL;
    }
    X509_REQ *req = X509_REQ_new();
    unsigned char *der = NULL;
    char *out = NULL;
    int len = 0;
    if (req == NULL || !X509_REQ_set_version(req, X509_REQ_VERSION_1) || !set_subject(req, host) ||
        !add_san(req, host) || !X509_REQ_set_pubkey(req, key) || X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
        (len = i2d_X509_REQ(req, &der)) <= 0)
        ossl_fail(err, FAAS_EIO, "cannot build the CSR");
    else if ((out = faas_jws_b64url(der, (size_t)len)) == NULL)
        faas_error_set(err, FAAS_ENOMEM, "out of memory");
    OPENSSL_free(der);
    X509_REQ_free(req);
    return out;
}
