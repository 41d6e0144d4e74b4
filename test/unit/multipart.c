/*
 * multipart.c: unit tests of the multipart/form-data parser: a body captured from curl -F,
 * hand-made bodies byte for byte (quoting, escapes, bare LF, near-boundary binary data, limits),
 * every truncation of a valid body, seeded mutations, and a 10 MB part against the clock.
 * Bodies are copied into buffers of exactly their size, so ASan sees any read past the end.
 * Single-threaded.
 */
#include "faas/api/multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

/* Parses body (len bytes, copied into an exact-size heap buffer) with content type ct. The copy
   is returned in *copy_out (caller frees) when the caller wants to look at parts. */
static faas_err_t parse_exact(const char *ct, const void *body, size_t len, faas_multipart_t **form, char **copy_out,
                              faas_error_t *err)
{
    char *copy = calloc(1, len > 0 ? len : 1); /* calloc: an empty body is still a defined byte */
    if (len > 0)
        memcpy(copy, body, len);
    faas_err_t code = faas_multipart_parse(ct, ct != NULL ? strlen(ct) : 0, copy, len, form, err);
    if (code != FAAS_OK)
        CHECK(*form == NULL);
    if (copy_out != NULL)
        *copy_out = copy;
    else {
        faas_multipart_free(*form);
        *form = NULL;
        free(copy);
    }
    return code;
}

/* Expects parsing to fail with FAAS_EINVAL and a message containing want. */
#define CHECK_FAILS(ct, body, len, want)                                                                               \
    do {                                                                                                               \
        faas_multipart_t *f_ = NULL;                                                                                   \
        faas_error_t e_ = {0};                                                                                         \
        CHECK_INT(parse_exact((ct), (body), (len), &f_, NULL, &e_), FAAS_EINVAL);                                      \
        CHECK_CONTAINS(e_.msg, (want));                                                                                \
    } while (0)

/* The same for a string literal (which may hold NULs). */
#define CHECK_FAILS_LIT(ct, lit, want) CHECK_FAILS(ct, lit, sizeof(lit) - 1, want)

#define S(lit) lit, sizeof(lit) - 1

static int data_is(const faas_multipart_part_t *p, const void *want, size_t len)
{
    return p != NULL && p->len == len && memcmp(p->data, want, len) == 0;
}

/* ---- real bodies ---- */

/* Captured from curl 7.88.1: curl -F name=hello -F tag=v1 -F 'file=@we"ird.zip;type=application/zip'
   -F code=@main.py (curl percent-encodes the quote, as browsers do). */
#define CURL_B "------------------------50ec1c40af5dde24"
static const char curl_ct[] = "multipart/form-data; boundary=" CURL_B;
static const char curl_body[] =
    "--" CURL_B "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nhello\r\n"
    "--" CURL_B "\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\nv1\r\n"
    "--" CURL_B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"we%22ird.zip\"\r\n"
    "Content-Type: application/zip\r\n\r\nPK\x03\x04\x00\r\n--x\x00\xff\r\n"
    "--" CURL_B "\r\nContent-Disposition: form-data; name=\"code\"; filename=\"main.py\"\r\n"
    "Content-Type: application/octet-stream\r\n\r\nprint(\"hi\")\n\r\n"
    "--" CURL_B "--\r\n";

TEST(curl_body_parses)
{
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    char *body = NULL;
    CHECK_INT(parse_exact(curl_ct, S(curl_body), &form, &body, &err), FAAS_OK);
    CHECK_INT(faas_multipart_count(form), 4);
    const faas_multipart_part_t *p = faas_multipart_get(form, "name");
    CHECK(data_is(p, S("hello")));
    CHECK(p != NULL && p->filename == NULL && p->content_type == NULL);
    CHECK(data_is(faas_multipart_get(form, "tag"), S("v1")));
    p = faas_multipart_get(form, "file");
    CHECK(data_is(p, S("PK\x03\x04\x00\r\n--x\x00\xff")));
    CHECK_STR(p != NULL ? p->filename : NULL, "we%22ird.zip");
    CHECK_STR(p != NULL ? p->content_type : NULL, "application/zip");
    CHECK(p != NULL && p->data >= body && p->data + p->len <= body + sizeof(curl_body) - 1); /* in place */
    p = faas_multipart_at(form, 3);
    CHECK_STR(p != NULL ? p->name : NULL, "code");
    CHECK_STR(p != NULL ? p->filename : NULL, "main.py");
    CHECK(data_is(p, S("print(\"hi\")\n")));
    CHECK(faas_multipart_at(form, 4) == NULL);
    CHECK(faas_multipart_get(form, "nope") == NULL);
    faas_multipart_free(form);
    free(body);
    faas_multipart_free(NULL);
    CHECK_INT(faas_multipart_count(NULL), 0);
}

/* A browser-style body: WebKit boundary, quoted in the header, preamble and epilogue. */
TEST(quoted_boundary_preamble_epilogue)
{
    static const char ct[] = "Multipart/Form-Data ; charset=\"utf-8\" ;BOUNDARY=\"----WebKit Form:Boundary\\\"7\" ;x=y";
    static const char body[] = "This is a preamble.\r\n--x\r\n\r\n"
                               "------WebKit Form:Boundary\"7\r\n"
                               "content-disposition: FORM-DATA;name=\"a\"\r\n"
                               "X-Other: ignored\r\n\r\n"
                               "1\r\n"
                               "------WebKit Form:Boundary\"7--\r\nepilogue\r\n------WebKit Form:Boundary\"7\r\n";
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    char *copy = NULL;
    CHECK_INT(parse_exact(ct, S(body), &form, &copy, &err), FAAS_OK);
    CHECK_INT(faas_multipart_count(form), 1);
    CHECK(data_is(faas_multipart_get(form, "a"), S("1")));
    faas_multipart_free(form);
    free(copy);
}

TEST(unquoted_tokens_and_escapes)
{
    static const char body[] =
        "--b\r\n"
        "Content-Disposition: form-data; name=plain; filename=x.zip\r\n\r\nA\r\n"
        "--b\r\n"
        "Content-Disposition: form-data ;  name = \"q\\\"u\\\\o\" ; filename=\"a\\\"b\\\\c;d.zip\"; "
        "filename*=UTF-8''ignored.zip\r\n"
        "Content-Type:text/plain ; charset=utf-8  \r\n\r\nB\r\n"
        "--b\t \r\nContent-Disposition: form-data; name=\"plain\"\r\n\r\nsecond\r\n--b--";
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    char *copy = NULL;
    CHECK_INT(parse_exact("multipart/form-data;boundary=b", S(body), &form, &copy, &err), FAAS_OK);
    CHECK_INT(faas_multipart_count(form), 3);
    const faas_multipart_part_t *p = faas_multipart_get(form, "plain"); /* the first of two */
    CHECK(data_is(p, S("A")));
    CHECK_STR(p != NULL ? p->filename : NULL, "x.zip");
    p = faas_multipart_get(form, "q\"u\\o");
    CHECK(data_is(p, S("B")));
    CHECK_STR(p != NULL ? p->filename : NULL, "a\"b\\c;d.zip");
    CHECK_STR(p != NULL ? p->content_type : NULL, "text/plain ; charset=utf-8");
    CHECK(data_is(faas_multipart_at(form, 2), S("second")));
    faas_multipart_free(form);
    free(copy);
}

TEST(bare_lf_between_headers)
{
    static const char body[] = "--b\nContent-Disposition: form-data; name=\"x\"\nContent-Type: a/b\n\nDATA\r\n--b--\n";
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    char *copy = NULL;
    CHECK_INT(parse_exact("multipart/form-data; boundary=b", S(body), &form, &copy, &err), FAAS_OK);
    const faas_multipart_part_t *p = faas_multipart_get(form, "x");
    CHECK(data_is(p, S("DATA")));
    CHECK_STR(p != NULL ? p->content_type : NULL, "a/b");
    faas_multipart_free(form);
    free(copy);
}

/* Data that contains everything short of a real delimiter: the boundary without CRLF, with a bare
   CR or LF, a longer boundary, NULs, a truncated delimiter. */
TEST(binary_data_near_boundary)
{
    static const char data[] = "\x00--bnd\r\n--bn\r\n--bndX\r\n--bnd-x\n--bnd\r\n\r--bnd\r\n\r\n-bnd\x00\xff\r\n";
    char body[512];
    size_t n = 0;
    n += (size_t)sprintf(body + n, "--bnd\r\nContent-Disposition: form-data; name=\"f\"; filename=\"b.bin\"\r\n\r\n");
    memcpy(body + n, data, sizeof(data) - 1);
    n += sizeof(data) - 1;
    n += (size_t)sprintf(body + n, "\r\n--bnd\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n--bnd--");
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    char *copy = NULL;
    CHECK_INT(parse_exact("multipart/form-data; boundary=bnd", body, n, &form, &copy, &err), FAAS_OK);
    CHECK_INT(faas_multipart_count(form), 2);
    CHECK(data_is(faas_multipart_get(form, "f"), data, sizeof(data) - 1));
    const faas_multipart_part_t *e = faas_multipart_get(form, "e");
    CHECK(e != NULL && e->len == 0 && e->data != NULL); /* an empty part */
    faas_multipart_free(form);
    free(copy);
}

TEST(empty_form_and_empty_parts)
{
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    char *copy = NULL;
    CHECK_INT(parse_exact("multipart/form-data; boundary=b", S("--b--\r\n"), &form, &copy, &err), FAAS_OK);
    CHECK_INT(faas_multipart_count(form), 0);
    faas_multipart_free(form);
    free(copy);
    static const char two[] = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n"
                              "--b\r\nContent-Disposition: form-data; name=b; filename=\"\"\r\n\r\n\r\n--b--";
    CHECK_INT(parse_exact("multipart/form-data; boundary=b", S(two), &form, &copy, &err), FAAS_OK);
    CHECK_INT(faas_multipart_count(form), 2);
    const faas_multipart_part_t *p = faas_multipart_get(form, "b");
    CHECK(p != NULL && p->len == 0);
    CHECK_STR(p != NULL ? p->filename : NULL, "");
    faas_multipart_free(form);
    free(copy);
}

/* ---- refusals ---- */

TEST(bad_content_types)
{
    const char *body = "--b--";
    CHECK_FAILS(NULL, body, 5, "not multipart/form-data");
    CHECK_FAILS("", body, 5, "not multipart/form-data");
    CHECK_FAILS("application/json", body, 5, "not multipart/form-data");
    CHECK_FAILS("multipart/mixed; boundary=b", body, 5, "not multipart/form-data");
    CHECK_FAILS("multipart/form-datax; boundary=b", body, 5, "not multipart/form-data");
    CHECK_FAILS("multipart/form-data", body, 5, "no boundary");
    CHECK_FAILS("multipart/form-data; charset=utf-8", body, 5, "no boundary");
    CHECK_FAILS("multipart/form-data; boundary=", body, 5, "1 to 70 characters");
    CHECK_FAILS("multipart/form-data; boundary=\"\"", body, 5, "1 to 70 characters");
    CHECK_FAILS("multipart/form-data; boundary=\"b", body, 5, "malformed Content-Type");
    CHECK_FAILS("multipart/form-data; boundary", body, 5, "malformed Content-Type");
    CHECK_FAILS("multipart/form-data; boundary=b c", body, 5, "malformed Content-Type");
    /* a content type with a NUL in it, passed with its length */
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    static const char nul_ct[] = "multipart/form-data; boundary=\"a\0b\"";
    CHECK_INT(faas_multipart_parse(nul_ct, sizeof(nul_ct) - 1, "--a--", 5, &form, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "1 to 70 characters");
    /* only content_type_len bytes count */
    CHECK_INT(faas_multipart_parse("multipart/form-data; boundary=bX", 31, "--b--", 5, &form, &err), FAAS_OK);
    faas_multipart_free(form);
}

TEST(boundary_length_limit)
{
    char ct[160], body[200];
    char b[72];
    memset(b, 'q', 70);
    b[70] = '\0';
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b);
    int n = snprintf(body, sizeof(body), "--%s\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--%s--", b, b);
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    char *copy = NULL;
    CHECK_INT(parse_exact(ct, body, (size_t)n, &form, &copy, &err), FAAS_OK);
    CHECK(data_is(faas_multipart_get(form, "a"), S("v")));
    faas_multipart_free(form);
    free(copy);
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=\"%sq\"", b);
    CHECK_FAILS(ct, body, (size_t)n, "the multipart boundary must be 1 to 70 characters");
}

TEST(malformed_parts)
{
    static const char ct[] = "multipart/form-data; boundary=b";
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--"), "part 1 has no name");
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--b--"), "part 1 has no name");
    CHECK_FAILS_LIT(ct,
                    ("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n"
                     "--b\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\nx\r\n--b--"),
                    "part 2 has no name");
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"), "part 1 has no Content-Disposition");
    CHECK_FAILS_LIT(ct, ("--b\r\n\r\nx\r\n--b--"), "part 1 has no Content-Disposition");
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--"),
                    "part 1 is not form-data");
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--"),
                    "part 1 has a malformed Content-Disposition");
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data; name=a b\r\n\r\nx\r\n--b--"),
                    "part 1 has a malformed Content-Disposition");
    CHECK_FAILS_LIT(ct,
                    ("--b\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\n"
                     "x\r\n--b--"),
                    "part 1 has two Content-Disposition headers");
    CHECK_FAILS_LIT(
        ct, ("--b\r\nContent-Disposition: form-data; name=a\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n--b--"),
        "two Content-Type headers");
    CHECK_FAILS_LIT(ct, ("--b\r\nno colon here\r\n\r\nx\r\n--b--"), "part 1 has a malformed header line");
    CHECK_FAILS_LIT(ct, ("--b\r\n: empty name\r\n\r\nx\r\n--b--"), "part 1 has a malformed header line");
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data; name=a\r\n folded\r\n\r\nx\r\n--b--"),
                    "part 1 has a malformed header line");
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\nx\r\n--b--"), "NUL byte");
}

TEST(missing_closing_boundary_and_garbage)
{
    static const char ct[] = "multipart/form-data; boundary=b";
    static const char *const want = "body ends before the closing boundary";
    CHECK_FAILS_LIT(ct, (""), want);
    CHECK_FAILS_LIT(ct, ("garbage"), want);
    CHECK_FAILS_LIT(ct, ("\x00\xff\x01--\r\n"), want);
    CHECK_FAILS_LIT(ct, ("--bb\r\n"), want); /* a longer boundary is no boundary */
    CHECK_FAILS_LIT(ct, ("x--b--"), want);   /* not at a line start */
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue"), want);
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue\r\n--b"), want);
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue\r\n--b\r\n"),
                    "body ends inside the headers of part 2");
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue\n--b--"), want);
    CHECK_FAILS_LIT(ct, ("--b\r\nContent-Disposition: form-data; name=a"), "body ends inside the headers of part 1");
}

TEST(part_count_limit)
{
    static const char one[] = "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n";
    size_t cap = (FAAS_MULTIPART_MAX_PARTS + 1) * (sizeof(one) - 1) + 16;
    char *body = malloc(cap);
    for (int parts = FAAS_MULTIPART_MAX_PARTS; parts <= FAAS_MULTIPART_MAX_PARTS + 1; parts++) {
        size_t n = 0;
        for (int i = 0; i < parts; i++) {
            memcpy(body + n, one, sizeof(one) - 1);
            n += sizeof(one) - 1;
        }
        memcpy(body + n, "--b--", 5);
        n += 5;
        faas_multipart_t *form = NULL;
        faas_error_t err = {0};
        faas_err_t code = parse_exact("multipart/form-data; boundary=b", body, n, &form, NULL, &err);
        if (parts == FAAS_MULTIPART_MAX_PARTS) {
            CHECK_INT(code, FAAS_OK);
        } else {
            CHECK_INT(code, FAAS_EINVAL);
            CHECK_CONTAINS(err.msg, "more than 64 parts");
        }
    }
    free(body);
}

/* One part with hlen bytes of header block (the blank line included). */
static size_t header_body(char *body, size_t hlen)
{
    static const char cd[] = "Content-Disposition: form-data; name=a\r\nX-Pad: ";
    size_t n = (size_t)sprintf(body, "--b\r\n%s", cd);
    size_t pad = hlen - (sizeof(cd) - 1) - 4;
    memset(body + n, 'p', pad);
    n += pad;
    n += (size_t)sprintf(body + n, "\r\n\r\nv\r\n--b--");
    return n;
}

TEST(header_size_limit)
{
    char *body = malloc(20000);
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    size_t n = header_body(body, 8192);
    CHECK_INT(parse_exact("multipart/form-data; boundary=b", body, n, &form, NULL, &err), FAAS_OK);
    n = header_body(body, 8193);
    CHECK_FAILS("multipart/form-data; boundary=b", body, n, "part 1 has more than 8192 bytes of headers");
    n = header_body(body, 16000);
    CHECK_FAILS("multipart/form-data; boundary=b", body, n, "more than 8192 bytes of headers");
    free(body);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 10 MB of data full of "\r\n--" false starts, plus a small field after it. */
TEST(ten_megabyte_part_is_fast)
{
    static const char head[] =
        "--" CURL_B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.zip\"\r\n\r\n";
    static const char tail[] =
        "\r\n--" CURL_B "\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nx\r\n--" CURL_B "--\r\n";
    size_t data_len = 10u << 20;
    size_t len = sizeof(head) - 1 + data_len + sizeof(tail) - 1;
    char *body = malloc(len);
    memcpy(body, head, sizeof(head) - 1);
    char *data = body + sizeof(head) - 1;
    unsigned x = 12345;
    for (size_t i = 0; i < data_len; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (char)(x >> 24);
    }
    for (size_t i = 0; i + 64 < data_len; i += 4096) /* near misses: the boundary minus its last byte */
        memcpy(data + i, "\r\n--" CURL_B, 4 + sizeof(CURL_B) - 2);
    memcpy(data + data_len, tail, sizeof(tail) - 1);
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    double t0 = now_ms();
    CHECK_INT(faas_multipart_parse(curl_ct, sizeof(curl_ct) - 1, body, len, &form, &err), FAAS_OK);
    double ms = now_ms() - t0;
    const faas_multipart_part_t *p = faas_multipart_get(form, "file");
    CHECK(p != NULL && p->data == data && p->len == data_len);
    CHECK(data_is(faas_multipart_get(form, "n"), S("x")));
    fprintf(stderr, "  10 MB part parsed in %.1f ms\n", ms);
    CHECK(ms < 2000); /* milliseconds natively; generous for valgrind */
    faas_multipart_free(form);
    free(body);
}

/* Every proper prefix of a valid body fails cleanly; once the closing delimiter is in, it parses. */
TEST(every_truncation_fails_cleanly)
{
    static const char last[] = "\r\n--" CURL_B "--";
    const char *close = memmem(curl_body, sizeof(curl_body) - 1, last, sizeof(last) - 1); /* the body has NULs */
    CHECK(close != NULL);
    size_t complete = (size_t)(close - curl_body) + sizeof(last) - 1;
    for (size_t n = 0; n < sizeof(curl_body) - 1; n++) {
        faas_multipart_t *form = NULL;
        faas_error_t err = {0};
        faas_err_t code = parse_exact(curl_ct, curl_body, n, &form, NULL, &err);
        if (n < complete) {
            CHECK_INT(code, FAAS_EINVAL);
            CHECK(err.msg[0] != '\0');
        } else {
            CHECK_INT(code, FAAS_OK);
        }
    }
}

/* Seeded byte mutations: whatever happens, no crash, and every part lies inside the body. */
TEST(mutations_stay_in_bounds)
{
    size_t len = sizeof(curl_body) - 1;
    char *body = malloc(len);
    unsigned x = 7;
    static const char pool[] = "\r\n-\"\\;=: \x00";
    for (int round = 0; round < 20000; round++) {
        memcpy(body, curl_body, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            x = x * 1103515245u + 12345u;
            size_t at = (x >> 8) % len;
            x = x * 1103515245u + 12345u;
            body[at] = (x & 1) ? pool[(x >> 8) % (sizeof(pool) - 1)] : (char)(x >> 16);
        }
        x = x * 1103515245u + 12345u;
        size_t n = len - (round % 3 == 0 ? (x >> 8) % 40 : 0);
        faas_multipart_t *form = NULL;
        faas_error_t err = {0};
        char *copy = NULL;
        faas_err_t code = parse_exact(curl_ct, body, n, &form, &copy, &err);
        CHECK(code == FAAS_OK || code == FAAS_EINVAL);
        for (size_t i = 0; i < faas_multipart_count(form); i++) {
            const faas_multipart_part_t *p = faas_multipart_at(form, i);
            CHECK(p->data >= copy && p->data + p->len <= copy + n && p->name[0] != '\0');
        }
        faas_multipart_free(form);
        free(copy);
    }
    free(body);
}

int main(void)
{
    RUN(curl_body_parses);
    RUN(quoted_boundary_preamble_epilogue);
    RUN(unquoted_tokens_and_escapes);
    RUN(bare_lf_between_headers);
    RUN(binary_data_near_boundary);
    RUN(empty_form_and_empty_parts);
    RUN(bad_content_types);
    RUN(boundary_length_limit);
    RUN(malformed_parts);
    RUN(missing_closing_boundary_and_garbage);
    RUN(part_count_limit);
    RUN(header_size_limit);
    RUN(ten_megabyte_part_is_fast);
    RUN(every_truncation_fails_cleanly);
    RUN(mutations_stay_in_bounds);
    return testlib_done();
}
