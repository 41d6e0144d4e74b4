/*
 * tls_hello.c (unit): the ClientHello reader of tls.c on real hellos made by
 * OpenSSL in process (whole, cut short, split over records, followed by more
 * bytes, corrupted, fuzzed) and on a few built by hand; IP literals.
 *
 * Every parser call goes through sni(), which hands the parser exact-size heap
 * copies of its input and output, so AddressSanitizer and valgrind see any
 * access past either.
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
 * with 0x5a first). On SNI the output comes back into out (size bytes); on any
 * other answer out becomes "" (what the parser left there is unspecified).
 */
static int sni(const uint8_t *buf, size_t len, char *out, size_t size)
{
    uint8_t *in = malloc(len > 0 ? len : 1);
    char *o = malloc(size > 0 ? size : 1);
    if (len > 0)
        memcpy(in, buf, len);
    memset(o, 0x5a, size > 0 ? size : 1);
    int rc = faas_tls_client_hello_sni(in, len, o, size);
    if (out != NULL && size > 0) {
        if (rc == FAAS_TLS_HELLO_SNI)
            memcpy(out, o, size);
        else
            out[0] = '\0';
    }
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

    size_t n;
    char out[256];
    /* an empty record between two fragments of the hello (RFC 8446 5.1: never sent) */
    size_t one_cut = 7;
    n = reframe(&h, &one_cut, 1, buf);
    memmove(buf + 12 + 5, buf + 12, n - 12);
    memcpy(buf + 12, "\x16\x03\x01\x00\x00", 5);
    CHECK_INT(sni(buf, n + 5, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    CHECK_INT(sni(buf, 12 + 5, out, sizeof(out)), FAAS_TLS_HELLO_BAD);

    /* the hello spread over 3 records, then the third one announced as empty */
    size_t cuts[2] = {7, 50};
    n = reframe(&h, cuts, 2, buf);
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
    /* a handshake length that no record limit can hold: never a name (waiting is bounded by the caller) */
    int rc = sni((const uint8_t *)"\x16\x03\x01\x00\x04\x01\xff\xff\xff", 9, out, sizeof(out));
    CHECK(rc == FAAS_TLS_HELLO_MORE || rc == FAAS_TLS_HELLO_BAD);
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
        /* compression methods length: past the end of the message */
        PATCHED(b[l.comp_len] = (uint8_t)(h.len - l.comp_len));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        /* messages that end inside the session id, the cipher suites, the compression methods */
        PATCHED(put24(b + 6, l.sid_len + 1 - 9));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put24(b + 6, l.sid_len + b[l.sid_len] - 9));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put24(b + 6, l.cs_len + 1 - 9));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put24(b + 6, l.cs_len + 2 + get16(b + l.cs_len) - 1 - 9));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put24(b + 6, l.comp_len - 9));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
        PATCHED(put24(b + 6, l.comp_len + b[l.comp_len] - 9));
        CHECK_INT(rc, FAAS_TLS_HELLO_BAD);
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
    /* a message of 34 body bytes (version and random only) that fills its record exactly */
    memcpy(b, "\x16\x03\x01\x00\x26\x01\x00\x00\x22\x03\x03", 11);
    memset(b + 11, 0x07, 32);
    CHECK_INT(sni(b, 43, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
    b[8] = 0x23; /* and with one more byte: an empty session id, then nothing */
    b[4] = 0x27;
    b[43] = 0x00;
    CHECK_INT(sni(b, 44, out, sizeof(out)), FAAS_TLS_HELLO_BAD);
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
    return testlib_done();
}
