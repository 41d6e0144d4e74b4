/*
 * tls.c (unit): the ClientHello reader on real hellos made by OpenSSL in
 * process (whole, cut short, split over records, followed by more bytes,
 * corrupted, fuzzed) and on a few built by hand; IP literals; certificate
 * facts from certificates made here; server contexts from PEM text and from
 * files, checked by real in-memory handshakes (ALPN, chain, TLS 1.2 floor).
 *
 * Every parser call goes through sni(), which hands the parser exact-size heap
 * copies of its input and output, so AddressSanitizer and valgrind see any
 * access past either.
 */
#include "faas/tls.h"
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

#define HELLO_CAP 40000

enum { V_DEFAULT, V_TLS12, V_TLS13 };
static const char *const variant_names[] = {"default", "tls1.2-only", "tls1.3-only"};

static const unsigned char ALPN_H2_H1[] = "\x02h2\x08http/1.1";

typedef struct hello {
    uint8_t b[HELLO_CAP];
    size_t len;
} hello_t;

static size_t get16(const uint8_t *p) { return (size_t)p[0] << 8 | p[1]; }
static size_t get24(const uint8_t *p) { return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2]; }
static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put24(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

/* The first flight of an OpenSSL client (one TLS record holding its ClientHello); 0 on success. */
static int make_hello(hello_t *h, const char *host, int variant, const unsigned char *alpn, unsigned alpn_len)
{
    h->len = 0;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return -1;
    if (variant == V_TLS12)
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    else if (variant == V_TLS13)
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL *ssl = SSL_new(ctx);
    BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
    int rc = -1;
    if (ssl != NULL && rbio != NULL && wbio != NULL) {
        SSL_set_bio(ssl, rbio, wbio); /* ssl owns both now */
        rbio = wbio = NULL;
        int ok = host == NULL || SSL_set_tlsext_host_name(ssl, host) == 1;
        ok = ok && (alpn == NULL || SSL_set_alpn_protos(ssl, alpn, alpn_len) == 0); /* 0 is success here */
        if (ok && SSL_connect(ssl) == -1 && SSL_get_error(ssl, -1) == SSL_ERROR_WANT_READ) {
            char *data = NULL;
            long n = BIO_get_mem_data(SSL_get_wbio(ssl), &data);
            if (n > 0 && (size_t)n <= sizeof(h->b)) {
                memcpy(h->b, data, (size_t)n);
                h->len = (size_t)n;
                rc = 0;
            }
        }
    }
    BIO_free(rbio);
    BIO_free(wbio);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

/*
 * The parser on exact-size heap copies of buf and of the output buffer (filled
 * with 0x5a first); the output comes back into out (size bytes) when out is not NULL.
 */
static int sni(const uint8_t *buf, size_t len, char *out, size_t size)
{
    uint8_t *in = malloc(len > 0 ? len : 1);
    char *o = malloc(size > 0 ? size : 1);
    if (len > 0)
        memcpy(in, buf, len);
    memset(o, 0x5a, size > 0 ? size : 1);
    int rc = faas_tls_client_hello_sni(in, len, o, size);
    if (out != NULL && size > 0)
        memcpy(out, o, size);
    free(o);
    free(in);
    return rc;
}

/* Where the fields of a single-record OpenSSL hello are (byte offsets into the record). */
typedef struct layout {
    size_t sid_len;  /* session id length (1 byte) */
    size_t cs_len;   /* cipher suites length (2) */
    size_t comp_len; /* compression methods length (1) */
    size_t ext_len;  /* extensions length (2) */
    size_t sni_ext;  /* server_name extension type (2), its length at +2; 0 when absent */
    size_t sni_list; /* server name list length (2) */
    size_t sni_type; /* first name's type (1), its length at +1, the name at +3 */
} layout_t;

/* An independent walk of h; -1 when h is not exactly one record holding one well-formed ClientHello. */
static int layout_of(const hello_t *h, layout_t *l)
{
    const uint8_t *b = h->b;
    size_t len = h->len;
    memset(l, 0, sizeof(*l));
    if (len < 9 + 35 || b[0] != 0x16 || b[1] != 0x03 || get16(b + 3) + 5 != len || b[5] != 0x01 ||
        get24(b + 6) + 9 != len)
        return -1;
    size_t p = 9 + 34;
    l->sid_len = p;
    p += 1 + b[p];
    if (p + 2 > len)
        return -1;
    l->cs_len = p;
    p += 2 + get16(b + p);
    if (p + 1 > len)
        return -1;
    l->comp_len = p;
    p += 1 + b[p];
    if (p + 2 > len)
        return -1;
    l->ext_len = p;
    size_t end = p + 2 + get16(b + p);
    if (end != len)
        return -1;
    for (p += 2; p + 4 <= end; p += 4 + get16(b + p + 2))
        if (get16(b + p) == 0) {
            l->sni_ext = p;
            l->sni_list = p + 4;
            l->sni_type = p + 6;
            break;
        }
    return 0;
}

/* The single-record hello h re-framed as records whose payloads end at cuts (offsets into the handshake bytes). */
static size_t reframe(const hello_t *h, const size_t *cuts, int ncuts, uint8_t *out)
{
    const uint8_t *payload = h->b + 5;
    size_t plen = h->len - 5, at = 0, n = 0;
    for (int i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : plen;
        out[n++] = 0x16;
        out[n++] = 0x03;
        out[n++] = 0x01;
        put16(out + n, to - at);
        n += 2;
        memcpy(out + n, payload + at, to - at);
        n += to - at;
        at = to;
    }
    return n;
}

/*
 * A hand-made single-record ClientHello: TLS 1.2 version, zero random, no
 * session id, one cipher suite, null compression, then ext (ext_len bytes)
 * behind an extensions length, or no extensions block at all when ext is NULL.
 */
static size_t synth_hello(const uint8_t *ext, size_t ext_len, uint8_t *out)
{
    size_t n = 9;
    out[n++] = 0x03;
    out[n++] = 0x03;
    memset(out + n, 0, 32);
    n += 32;
    out[n++] = 0x00;                                         /* session id */
    memcpy(out + n, "\x00\x02\x13\x01", 4);                  /* cipher suites */
    n += 4;
    out[n++] = 0x01;                                         /* compression methods */
    out[n++] = 0x00;
    if (ext != NULL) {
        put16(out + n, ext_len);
        memcpy(out + n + 2, ext, ext_len);
        n += 2 + ext_len;
    }
    out[0] = 0x16;
    out[1] = 0x03;
    out[2] = 0x01;
    put16(out + 3, n - 5);
    out[5] = 0x01;
    put24(out + 6, n - 9);
    return n;
}

/* 1 when needle (n bytes, lower-case) occurs in hay (len bytes) once hay's ASCII letters are lower-cased. */
static int contains_nocase(const uint8_t *hay, size_t len, const char *needle, size_t n)
{
    for (size_t i = 0; n > 0 && i + n <= len; i++) {
        size_t k = 0;
        for (; k < n; k++) {
            uint8_t c = hay[i + k];
            if (c >= 'A' && c <= 'Z')
                c = (uint8_t)(c + 32);
            if (c != (uint8_t)needle[k])
                break;
        }
        if (k == n)
            return 1;
    }
    return 0;
}

/* 1 when out (size bytes) holds a non-empty NUL-terminated name of [a-z0-9._-] that appears in the input. */
static int name_ok(const char *out, size_t size, const uint8_t *in, size_t len)
{
    const char *nul = memchr(out, '\0', size);
    if (nul == NULL || nul == out)
        return 0;
    for (const char *c = out; c < nul; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_'))
            return 0;
    return contains_nocase(in, len, out, (size_t)(nul - out));
}

/* ---- ClientHello: real hellos --------------------------------------------- */

TEST(hello_sni_real)
{
    for (int v = V_DEFAULT; v <= V_TLS13; v++)
        for (int with_alpn = 0; with_alpn <= 1; with_alpn++) {
            hello_t h;
            layout_t l;
            char out[256];
            CHECK_INT(make_hello(&h, "Fn.Example.TEST", v, with_alpn ? ALPN_H2_H1 : NULL, sizeof(ALPN_H2_H1) - 1), 0);
            CHECK_INT(layout_of(&h, &l), 0);
            CHECK(l.sni_ext != 0);
            int rc = sni(h.b, h.len, out, sizeof(out));
            CHECK_INT(rc, FAAS_TLS_HELLO_SNI);
            CHECK_STR(rc == FAAS_TLS_HELLO_SNI ? out : "(not SNI)", "fn.example.test");
            if (rc != FAAS_TLS_HELLO_SNI || strcmp(out, "fn.example.test") != 0)
                fprintf(stderr, "  variant %s, alpn %d\n", variant_names[v], with_alpn);
        }
    /* the name as it is when it is lower-case already, with digits, '-' and '_' */
    hello_t h;
    char out[64];
    CHECK_INT(make_hello(&h, "my_fn-2.apps.example", V_DEFAULT, NULL, 0), 0);
    CHECK_INT(sni(h.b, h.len, out, sizeof(out)), FAAS_TLS_HELLO_SNI);
    CHECK_STR(out, "my_fn-2.apps.example");
    /* a one-letter name */
    CHECK_INT(make_hello(&h, "X", V_TLS12, NULL, 0), 0);
    CHECK_INT(sni(h.b, h.len, out, sizeof(out)), FAAS_TLS_HELLO_SNI);
    CHECK_STR(out, "x");
}

TEST(hello_without_sni)
{
    for (int v = V_DEFAULT; v <= V_TLS13; v++) {
        hello_t h;
        layout_t l;
        char out[256];
        CHECK_INT(make_hello(&h, NULL, v, ALPN_H2_H1, sizeof(ALPN_H2_H1) - 1), 0);
        CHECK_INT(layout_of(&h, &l), 0);
        CHECK_INT(l.sni_ext, 0); /* OpenSSL really sent no server_name */
        CHECK_INT(sni(h.b, h.len, out, sizeof(out)), FAAS_TLS_HELLO_NONE);
    }
}

TEST(hello_prefixes_need_more)
{
    for (int v = V_DEFAULT; v <= V_TLS13; v++) {
        hello_t h;
        char out[256];
        CHECK_INT(make_hello(&h, "fn.example.test", v, ALPN_H2_H1, sizeof(ALPN_H2_H1) - 1), 0);
        CHECK(h.len > 100 && h.len < 4096);
        int wrong = 0;
        for (size_t n = 0; n < h.len && n < 4096; n++) {
            int rc = sni(h.b, n, out, sizeof(out));
            if (rc != FAAS_TLS_HELLO_MORE) {
                if (wrong++ < 3)
                    fprintf(stderr, "  %s: prefix of %zu/%zu bytes -> %d\n", variant_names[v], n, h.len, rc);
            }
        }
        CHECK_INT(wrong, 0);
        CHECK_INT(sni(h.b, h.len, out, sizeof(out)), FAAS_TLS_HELLO_SNI);
    }
}

TEST(hello_over_several_records)
{
    hello_t h;
    CHECK_INT(make_hello(&h, "Fn.Example.TEST", V_DEFAULT, ALPN_H2_H1, sizeof(ALPN_H2_H1) - 1), 0);
    size_t plen = h.len - 5;
    /* cuts inside the handshake header (1, 2, 3 bytes in), just after it, mid-body, one byte before the end */
    const size_t cut_sets[][2] = {{1, 0}, {2, 0}, {3, 0}, {4, 0}, {40, 0}, {0, plen - 1}, {2, 100}, {5, 60}, {90, plen - 1}};
    const int cut_counts[] = {1, 1, 1, 1, 1, 1, 2, 2, 2};
    static uint8_t buf[HELLO_CAP];
    for (size_t s = 0; s < sizeof(cut_counts) / sizeof(cut_counts[0]); s++) {
        size_t cuts[2];
        int nc = 0;
        for (int i = 0; i < 2; i++)
            if (cut_sets[s][i] != 0)
                cuts[nc++] = cut_sets[s][i];
        CHECK_INT(nc, cut_counts[s]);
        size_t n = reframe(&h, cuts, nc, buf);
        CHECK_INT(n, h.len + 5 * (size_t)nc);
        char out[256];
        int rc = sni(buf, n, out, sizeof(out));
        CHECK_INT(rc, FAAS_TLS_HELLO_SNI);
        CHECK_STR(rc == FAAS_TLS_HELLO_SNI ? out : "(not SNI)", "fn.example.test");
        int wrong = 0;
        for (size_t k = 0; k < n; k++)
            wrong += sni(buf, k, out, sizeof(out)) != FAAS_TLS_HELLO_MORE;
        CHECK_INT(wrong, 0);
        if (rc != FAAS_TLS_HELLO_SNI || wrong != 0)
            fprintf(stderr, "  cut set %zu (%zu records)\n", s, (size_t)nc + 1);
        /* a later record of another content type in the middle of the hello */
        buf[5 + cuts[0]] = 0x17;
        CHECK_INT(sni(buf, n, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    }

    /* the hello spread over 3 records, then the third one announced as empty */
    size_t cuts[2] = {7, 50};
    size_t n = reframe(&h, cuts, 2, buf);
    char out[256];
    CHECK_INT(sni(buf, n, out, sizeof(out)), FAAS_TLS_HELLO_SNI);
    size_t third = 5 + 7 + 5 + 43;
    CHECK_INT(buf[third], 0x16);
    put16(buf + third + 3, 0);
    CHECK_INT(sni(buf, n, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
}

TEST(hello_with_trailing_bytes)
{
    hello_t h, other;
    char out[256];
    static uint8_t buf[2 * HELLO_CAP];
    CHECK_INT(make_hello(&h, "First.Example", V_DEFAULT, NULL, 0), 0);
    CHECK_INT(make_hello(&other, "second.example", V_TLS12, NULL, 0), 0);
    const char *tails[] = {"\x17", "\x17\x03\x03\x00\x20", "\x16\x03\x01\x02\x00\x01", "GET / HTTP/1.1\r\n"};
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        memcpy(buf, h.b, h.len);
        memcpy(buf + h.len, tails[i], strlen(tails[i]));
        int rc = sni(buf, h.len + strlen(tails[i]), out, sizeof(out));
        CHECK_INT(rc, FAAS_TLS_HELLO_SNI);
        CHECK_STR(rc == FAAS_TLS_HELLO_SNI ? out : "", "first.example");
    }
    /* a whole second hello behind the first: the first one speaks */
    memcpy(buf, h.b, h.len);
    memcpy(buf + h.len, other.b, other.len);
    CHECK_INT(sni(buf, h.len + other.len, out, sizeof(out)), FAAS_TLS_HELLO_SNI);
    CHECK_STR(out, "first.example");
    CHECK_INT(sni(other.b, other.len, out, sizeof(out)), FAAS_TLS_HELLO_SNI);
    CHECK_STR(out, "second.example");

    /* one more handshake message in the same record, after the ClientHello */
    memcpy(buf, h.b, h.len);
    memcpy(buf + h.len, "\x0b\x00\x00\x00", 4);
    put16(buf + 3, h.len - 5 + 4);
    CHECK_INT(sni(buf, h.len + 4, out, sizeof(out)), FAAS_TLS_HELLO_SNI);
    CHECK_STR(out, "first.example");
}

TEST(hello_garbage_is_bad)
{
    char out[256];
    const char *http = "GET / HTTP/1.1\r\nHost: fn.example.test\r\n\r\n";
    CHECK_INT(sni((const uint8_t *)http, strlen(http), out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    CHECK_INT(sni((const uint8_t *)"PRI * HTTP/2.0\r\n", 16, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    CHECK_INT(sni((const uint8_t *)"\0\0\0\0\0\0\0\0", 8, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    /* an alert record, an SSLv2-style hello */
    CHECK_INT(sni((const uint8_t *)"\x15\x03\x03\x00\x02\x02\x28", 7, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    CHECK_INT(sni((const uint8_t *)"\x80\x2e\x01\x03\x01\x00\x15", 7, out, sizeof(out)), FAAS_TLS_HELLO_BAD);

    hello_t h;
    CHECK_INT(make_hello(&h, "fn.example.test", V_DEFAULT, NULL, 0), 0);
    static uint8_t buf[HELLO_CAP];

    /* application data instead of handshake */
    memcpy(buf, h.b, h.len);
    buf[0] = 0x17;
    CHECK_INT(sni(buf, h.len, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    /* a record version that is not 3.x */
    memcpy(buf, h.b, h.len);
    buf[1] = 0x02;
    CHECK_INT(sni(buf, h.len, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    /* a handshake message that is not a ClientHello (ServerHello, Certificate) */
    memcpy(buf, h.b, h.len);
    buf[5] = 0x02;
    CHECK_INT(sni(buf, h.len, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    buf[5] = 0x0b;
    CHECK_INT(sni(buf, h.len, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    /* ... also when only its first byte has arrived, in a record of its own */
    size_t cut = 1;
    size_t n = reframe(&h, &cut, 1, buf);
    buf[5] = 0x02;
    CHECK_INT(sni(buf, n, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    CHECK_INT(sni(buf, 6, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    /* an empty record, alone or before the real hello */
    CHECK_INT(sni((const uint8_t *)"\x16\x03\x01\x00\x00", 5, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    memcpy(buf, "\x16\x03\x01\x00\x00", 5);
    memcpy(buf + 5, h.b, h.len);
    CHECK_INT(sni(buf, h.len + 5, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    /* a record longer than 16384 bytes: refused from its header alone, and with its bytes */
    CHECK_INT(sni((const uint8_t *)"\x16\x03\x01\x40\x01", 5, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    CHECK_INT(sni((const uint8_t *)"\x16\x03\x01\xff\xff", 5, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    memset(buf, 0, 5 + 16385);
    memcpy(buf, "\x16\x03\x01\x40\x01\x01\x00\x3f\xfd", 9);
    CHECK_INT(sni(buf, 5 + 16385, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    /* a hello spread over records whose handshake bytes pass 16384 together */
    memset(buf, 0, sizeof(buf));
    memcpy(buf, "\x16\x03\x01\x40\x00\x01\x00\x4e\x20", 9); /* a full 16384-byte record, hello of 20000 */
    memcpy(buf + 5 + 16384, "\x16\x03\x01\x00\x10", 5);
    CHECK_INT(sni(buf, 5 + 16384 + 5 + 16, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    memcpy(buf, "\x16\x03\x01\x20\x00\x01\x00\x4e\x20", 9); /* 8192 + 8193 */
    memcpy(buf + 5 + 8192, "\x16\x03\x01\x20\x01", 5);
    CHECK_INT(sni(buf, 5 + 8192 + 5 + 8193, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    /* exactly 16384 handshake bytes over two records is a whole hello (zero-filled: empty lists, no extensions) */
    memset(buf, 0, sizeof(buf));
    memcpy(buf, "\x16\x03\x01\x20\x00\x01\x00\x3f\xfc", 9); /* 8192 + 8192, hello body 16380 */
    memcpy(buf + 5 + 8192, "\x16\x03\x01\x20\x00", 5);
    CHECK_INT(sni(buf, 5 + 8192 + 5 + 8192, out, sizeof(out)), FAAS_TLS_HELLO_NONE);
}

TEST(hello_corrupt_lengths)
{
    for (int v = V_DEFAULT; v <= V_TLS12; v++) {
        hello_t h;
        layout_t l;
        char out[256];
        static uint8_t b[HELLO_CAP];
        CHECK_INT(make_hello(&h, "fn.example.test", v, ALPN_H2_H1, sizeof(ALPN_H2_H1) - 1), 0);
        CHECK_INT(layout_of(&h, &l), 0);
        CHECK(l.sni_ext != 0);
        int rc;
#define PATCHED(stmt)                                                                                   \
    (memcpy(b, h.b, h.len), (stmt), rc = sni(b, h.len, out, sizeof(out)))
#define BAD_OR_NONE(r) ((r) == FAAS_TLS_HELLO_BAD || (r) == FAAS_TLS_HELLO_NONE)

        /* session id length */
        PATCHED(b[l.sid_len] = 255);
        CHECK(BAD_OR_NONE(rc));
        PATCHED(b[l.sid_len] = (uint8_t)(b[l.sid_len] + 1));
        CHECK(BAD_OR_NONE(rc));
        /* cipher suites length */
        PATCHED(put16(b + l.cs_len, 0xffff));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put16(b + l.cs_len, h.len - l.cs_len - 2));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD); /* nothing left for the compression methods */
        PATCHED(put16(b + l.cs_len, h.len - l.cs_len - 1));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        /* compression methods length */
        PATCHED(b[l.comp_len] = (uint8_t)(h.len - l.comp_len));
        CHECK(BAD_OR_NONE(rc));
        /* extensions length */
        PATCHED(put16(b + l.ext_len, 0xffff));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put16(b + l.ext_len, get16(b + l.ext_len) + 1));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        /* extensions that end before the server_name one: none */
        PATCHED(put16(b + l.ext_len, l.sni_ext - l.ext_len - 2));
        CHECK_INT(rc, FAAS_TLS_HELLO_NONE);
        /* the server_name extension's own length */
        PATCHED(put16(b + l.sni_ext + 2, 0xffff));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put16(b + l.sni_ext + 2, 1));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD); /* too short for its list length */
        /* the server name list length */
        PATCHED(put16(b + l.sni_list, 0xffff));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put16(b + l.sni_list, get16(b + l.sni_list) + 1));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        /* the name's length */
        PATCHED(put16(b + l.sni_type + 1, 0xffff));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put16(b + l.sni_type + 1, get16(b + l.sni_type + 1) + 1));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put16(b + l.sni_type + 1, 0));
        CHECK(BAD_OR_NONE(rc));
        /* a name type that is not host_name (RFC 6066: 0) is skipped */
        PATCHED(b[l.sni_type] = 1);
        CHECK_INT(rc, FAAS_TLS_HELLO_NONE);
        /* the handshake length: ending right after the compression methods means no extensions */
        PATCHED(put24(b + 6, l.ext_len - 9));
        CHECK_INT(rc, FAAS_TLS_HELLO_NONE);
        PATCHED(put24(b + 6, l.ext_len + 1 - 9)); /* one stray byte where the extensions length would be */
        CHECK(BAD_OR_NONE(rc));
        PATCHED(put24(b + 6, l.ext_len + 2 - 9)); /* the extensions length then points past the message */
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put24(b + 6, 34));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD); /* too short to hold a session id length */
        PATCHED(put24(b + 6, 0));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        /* a handshake length beyond the record waits for the next record, then reads on */
        PATCHED(put24(b + 6, get24(b + 6) + 1));
        CHECK_INT(rc, FAAS_TLS_HELLO_MORE);
        memcpy(b + h.len, "\x16\x03\x01\x00\x01\x00", 6);
        rc = sni(b, h.len + 6, out, sizeof(out));
        CHECK_INT(rc, FAAS_TLS_HELLO_SNI);
        CHECK_STR(rc == FAAS_TLS_HELLO_SNI ? out : "", "fn.example.test");
        /* a record length shorter than the handshake inside it: the rest is expected in another record */
        memcpy(b, h.b, h.len);
        put16(b + 3, h.len - 5 - 10);
        CHECK_INT(sni(b, h.len - 10, out, sizeof(out)), FAAS_TLS_HELLO_MORE);
#undef PATCHED
#undef BAD_OR_NONE
    }
}

TEST(hello_name_rules)
{
    hello_t h;
    layout_t l;
    static uint8_t b[HELLO_CAP];
    char out[256];
    CHECK_INT(make_hello(&h, "fn.example.test", V_DEFAULT, NULL, 0), 0);
    CHECK_INT(layout_of(&h, &l), 0);
    size_t name = l.sni_type + 3;
    CHECK(memcmp(h.b + name, "fn.example.test", 15) == 0);

    /* characters a certificate name cannot have */
    const uint8_t bad[] = {'/', ' ', '\0', ':', '*', '@', '\\', 0x7f, 0xc3, 0xe9, 0xff, '\n'};
    for (size_t i = 0; i < sizeof(bad); i++)
        for (size_t at = 0; at < 15; at += 7) { /* first, middle and last byte */
            memcpy(b, h.b, h.len);
            b[name + at] = bad[i];
            int rc = sni(b, h.len, out, sizeof(out));
            CHECK_INT(rc, FAAS_TLS_HELLO_NONE);
            if (rc != FAAS_TLS_HELLO_NONE)
                fprintf(stderr, "  byte 0x%02x at %zu\n", bad[i], at);
        }

    /* out too small: never SNI, never a byte past size */
    char canary[64];
    memset(canary, 0x5a, sizeof(canary));
    for (size_t size = 0; size <= 15; size++) {
        CHECK_INT(sni(h.b, h.len, out, size), FAAS_TLS_HELLO_NONE);
        memset(canary, 0x5a, sizeof(canary));
        CHECK_INT(faas_tls_client_hello_sni(h.b, h.len, canary, size), FAAS_TLS_HELLO_NONE);
        size_t untouched = size;
        while (untouched < sizeof(canary) && canary[untouched] == 0x5a)
            untouched++;
        CHECK_INT(untouched, sizeof(canary));
    }
    CHECK_INT(sni(h.b, h.len, out, 16), FAAS_TLS_HELLO_SNI);
    CHECK_STR(out, "fn.example.test");

    /* the longest DNS name: 253 characters */
    char longest[254];
    memset(longest, 'a', 253);
    longest[253] = '\0';
    longest[63] = longest[127] = longest[191] = '.'; /* labels of 63, 63, 63 and 61 */
    longest[0] = 'A';
    longest[252] = 'Z';
    hello_t big;
    CHECK_INT(make_hello(&big, longest, V_DEFAULT, ALPN_H2_H1, sizeof(ALPN_H2_H1) - 1), 0);
    longest[0] = 'a';
    longest[252] = 'z';
    int rc = sni(big.b, big.len, out, sizeof(out));
    CHECK_INT(rc, FAAS_TLS_HELLO_SNI);
    CHECK_INT(strlen(out), 253);
    CHECK_STR(rc == FAAS_TLS_HELLO_SNI ? out : "", longest);
    rc = sni(big.b, big.len, out, 254);
    CHECK_INT(rc, FAAS_TLS_HELLO_SNI);
    CHECK_STR(rc == FAAS_TLS_HELLO_SNI ? out : "", longest);
    CHECK_INT(sni(big.b, big.len, out, 253), FAAS_TLS_HELLO_NONE);
}

TEST(hello_handmade_extensions)
{
    static uint8_t b[4096];
    char out[256];
    size_t n;
    /* no extensions block at all; an empty one */
    n = synth_hello(NULL, 0, b);
    CHECK_INT(sni(b, n, out, sizeof(out)), FAAS_TLS_HELLO_NONE);
    n = synth_hello((const uint8_t *)"", 0, b);
    CHECK_INT(sni(b, n, out, sizeof(out)), FAAS_TLS_HELLO_NONE);
    /* another extension first, then server_name */
    const uint8_t alpn_then_sni[] = {0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 'h', '2',          /* ALPN */
                                     0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x07,       /* SNI */
                                     'A', '.', 'e', 'x', 'a', 'm', 'p'};
    n = synth_hello(alpn_then_sni, sizeof(alpn_then_sni), b);
    CHECK_INT(sni(b, n, out, sizeof(out)), FAAS_TLS_HELLO_SNI);
    CHECK_STR(out, "a.examp");
    /* a name of another type, then an empty host_name, then the real one: the real one */
    const uint8_t list[] = {0x00, 0x00, 0x00, 0x13, 0x00, 0x11, 0x07, 0x00, 0x02, 'x', 'y',
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 'g', 'o', 'o', 'd', '.', 't'};
    n = synth_hello(list, sizeof(list), b);
    CHECK_INT(sni(b, n, out, sizeof(out)), FAAS_TLS_HELLO_SNI);
    CHECK_STR(out, "good.t");
    /* only names of other types */
    const uint8_t others[] = {0x00, 0x00, 0x00, 0x07, 0x00, 0x05, 0x01, 0x00, 0x02, 'x', 'y'};
    n = synth_hello(others, sizeof(others), b);
    CHECK_INT(sni(b, n, out, sizeof(out)), FAAS_TLS_HELLO_NONE);
    /* an empty server_name extension (what a server sends back) and one with an empty list */
    const uint8_t empty_ext[] = {0x00, 0x00, 0x00, 0x00};
    n = synth_hello(empty_ext, sizeof(empty_ext), b);
    int rc = sni(b, n, out, sizeof(out));
    CHECK(rc == FAAS_TLS_HELLO_NONE || rc == FAAS_TLS_HELLO_BAD);
    const uint8_t empty_list[] = {0x00, 0x00, 0x00, 0x02, 0x00, 0x00};
    n = synth_hello(empty_list, sizeof(empty_list), b);
    CHECK_INT(sni(b, n, out, sizeof(out)), FAAS_TLS_HELLO_NONE);
    /* an extension header cut short at the end of the block (fewer than 4 bytes) */
    const uint8_t stub[] = {0x00, 0x17, 0x00, 0x00, 0x00, 0x00};
    n = synth_hello(stub, sizeof(stub), b);
    CHECK_INT(sni(b, n, out, sizeof(out)), FAAS_TLS_HELLO_NONE);
    /* server_name that runs past the extensions block (but not past the message) */
    const uint8_t past[] = {0x00, 0x00, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e'};
    n = synth_hello(past, sizeof(past), b);
    put16(b + n - sizeof(past) - 2, sizeof(past) - 2);
    CHECK_INT(sni(b, n, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
}

TEST(hello_fuzz)
{
    static hello_t base[3];
    CHECK_INT(make_hello(&base[0], "Fn.Example.TEST", V_DEFAULT, ALPN_H2_H1, sizeof(ALPN_H2_H1) - 1), 0);
    CHECK_INT(make_hello(&base[1], "mixed-Case_1.example", V_TLS12, NULL, 0), 0);
    hello_t one;
    CHECK_INT(make_hello(&one, "split.example.test", V_TLS13, ALPN_H2_H1, sizeof(ALPN_H2_H1) - 1), 0);
    size_t cuts[2] = {3, 60};
    base[2].len = reframe(&one, cuts, 2, base[2].b);

    srand(20240611);
    int wrong = 0, counts[4] = {0};
    static uint8_t buf[HELLO_CAP];
    for (int i = 0; i < 2000; i++) {
        const hello_t *h = &base[i % 3];
        memcpy(buf, h->b, h->len);
        int flips = 1 + rand() % 3;
        for (int f = 0; f < flips; f++)
            buf[(size_t)rand() % h->len] ^= (uint8_t)(1 + rand() % 255);
        char out[256];
        int rc = sni(buf, h->len, out, sizeof(out));
        if (rc < FAAS_TLS_HELLO_BAD || rc > FAAS_TLS_HELLO_SNI) {
            if (wrong++ < 5)
                fprintf(stderr, "  iteration %d: result %d\n", i, rc);
            continue;
        }
        counts[rc - FAAS_TLS_HELLO_BAD]++;
        if (rc == FAAS_TLS_HELLO_SNI && !name_ok(out, sizeof(out), buf, h->len)) {
            if (wrong++ < 5)
                fprintf(stderr, "  iteration %d: SNI with a bad name \"%.40s\"\n", i,
                        memchr(out, 0, sizeof(out)) ? out : "(no NUL)");
        }
    }
    CHECK_INT(wrong, 0);
    /* the corpus did reach both ends: names found and hellos refused */
    CHECK(counts[FAAS_TLS_HELLO_SNI - FAAS_TLS_HELLO_BAD] > 500);
    CHECK(counts[FAAS_TLS_HELLO_BAD - FAAS_TLS_HELLO_BAD] > 0);
    fprintf(stderr, "  2000 mutations: %d SNI, %d NONE, %d MORE, %d BAD\n", counts[3], counts[2], counts[1], counts[0]);
}

/* ---- IP literals ------------------------------------------------------------ */

TEST(ip_literals)
{
    const char *yes[] = {"127.0.0.1", "::1", "[::1]", "2001:db8::1", "[2001:db8::1]", "0.0.0.0",
                         "255.255.255.255", "::ffff:10.0.0.1", "fe80::1"};
    const char *no[] = {"example.com", "1.2.3", "256.1.1.1", "", "[example]", "[]", "[", "]", "1.2.3.4.5",
                        "1.2.3.4 ", " 1.2.3.4", "[::1", "::1]", "fn.127.0.0.1.nip.io", "2001:db8::g", "localhost",
                        "[[::1]]"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        int got = faas_tls_is_ip_literal(yes[i]);
        CHECK_INT(got, 1);
        if (got != 1)
            fprintf(stderr, "  \"%s\"\n", yes[i]);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        int got = faas_tls_is_ip_literal(no[i]);
        CHECK_INT(got, 0);
        if (got != 0)
            fprintf(stderr, "  \"%s\"\n", no[i]);
    }
    /* a bracketed text too long to be an address */
    char lng[200];
    memset(lng, ':', sizeof(lng));
    lng[0] = '[';
    lng[198] = ']';
    lng[199] = '\0';
    CHECK_INT(faas_tls_is_ip_literal(lng), 0);
}

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
    CHECK_STR(info.issuer, "Test Issuer");
    CHECK_STR(info.subject, "san.example"); /* the first DNS SAN wins over the CN */
    CHECK_INT(info.not_before_ms, NOT_BEFORE * 1000);
    CHECK_INT(info.not_after_ms, NOT_AFTER * 1000);
    CHECK_INT(ERR_peek_error(), 0);

    /* a chain: the first certificate is the one described */
    memset(&info, 0x33, sizeof(info));
    CHECK_INT(faas_tls_cert_info(p.chain_pem, &info, &err), FAAS_OK);
    CHECK_STR(info.subject, "san.example");
    CHECK_INT(info.not_before_ms, NOT_BEFORE * 1000);
    CHECK_INT(info.not_after_ms, NOT_AFTER * 1000);
    char *reversed = concat(p.ca_pem, p.leaf_pem);
    CHECK_INT(faas_tls_cert_info(reversed, &info, &err), FAAS_OK);
    CHECK_STR(info.subject, "Test Issuer");
    CHECK_INT(info.not_before_ms, (NOT_BEFORE - 86400) * 1000);
    free(reversed);
    /* text before the first certificate (a key, comments) is skipped */
    char *with_key = concat(p.leaf_key_pem, p.chain_pem);
    CHECK_INT(faas_tls_cert_info(with_key, &info, &err), FAAS_OK);
    CHECK_STR(info.subject, "san.example");
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
        CHECK_STR(info.issuer, cases[i].want_issuer);
        CHECK_STR(info.subject, cases[i].want_subject);
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
        CHECK_STR(info.subject, "");
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
    SSL_CTX_free(ctx);
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
    RUN(hello_sni_real);
    RUN(hello_without_sni);
    RUN(hello_prefixes_need_more);
    RUN(hello_over_several_records);
    RUN(hello_with_trailing_bytes);
    RUN(hello_garbage_is_bad);
    RUN(hello_corrupt_lengths);
    RUN(hello_name_rules);
    RUN(hello_handmade_extensions);
    RUN(hello_fuzz);
    RUN(ip_literals);
    RUN(cert_info_reads_the_leaf);
    RUN(cert_info_names_and_times);
    RUN(cert_info_refuses_garbage);
    RUN(ctx_new_settings);
    RUN(ctx_from_pem_serves_the_chain);
    RUN(ctx_from_pem_refusals);
    RUN(ctx_from_files);
    return testlib_done();
}
