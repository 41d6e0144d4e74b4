/*
 * acme.c (fuzz): what faas reads of an ACME CA's answers in src/tls/acme_http.c: problem
 * documents (RFC 8555 section 6.7: "type", "detail") turned into the error faas logs and shows in
 * /tls/certs, and the response headers it keeps (Location, Replay-Nonce, Retry-After). Both are
 * static functions of acme_http.c (problem, on_header), so this target compiles that file into
 * itself: a declaration in src/tls/internal.h (e.g. faas_tls__acme_problem) would let it call
 * them like any other target. Input: one byte choosing the reader; for a problem document two
 * bytes of HTTP status, then the body; for headers, lines as libcurl hands them over (one call
 * each, CRLF kept).
 * Properties: the error names the status and fits its buffer; only a 429 or 5xx is "try again"
 * (FAAS_EUNAVAIL), others are FAAS_EFORBIDDEN; badNonce is found only in its own type; kept
 * headers fit their fields; Retry-After is never negative.
 */
#include "fuzz.h"

#include "../../src/tls/acme_http.c"

FUZZ_QUIET_INIT

static void problem_doc(const uint8_t *p, size_t len)
{
    if (len < 2)
        return;
    acme_resp_t r = {.status = 400 + (p[0] << 8 | p[1]) % 200, .retry_after_s = (p[0] & 1) ? 30 : -1};
    if (faas_buf_add(&r.body, p + 2, len - 2) != 0 || faas_buf_add(&r.body, "", 1) != 0)
        abort(); /* NUL-terminated, as on_body leaves a body */
    faas_error_t err = {0};
    int bad_nonce = problem(&r, "https://ca.test/acme/new-order", &err);
    char status[16];
    snprintf(status, sizeof(status), "(%ld ", r.status);
    FUZZ_CHECK(strlen(err.msg) < sizeof(err.msg) && strstr(err.msg, status) != NULL);
    FUZZ_CHECK(err.code == (r.status == 429 || r.status >= 500 ? FAAS_EUNAVAIL : FAAS_EFORBIDDEN));
    FUZZ_CHECK(!bad_nonce || memmem(r.body.p, r.body.len, "badNonce", 8) != NULL ||
               memchr(r.body.p, '\\', r.body.len) != NULL); /* or written with a JSON escape */
    faas_tls__acme_resp_reset(&r);
}

static void headers(const uint8_t *p, size_t len)
{
    acme_resp_t r = {.retry_after_s = -1};
    fuzz_in_t in = {p, len};
    while (in.len > 0) {
        const uint8_t *line;
        size_t n = fuzz_line(&in, &line);
        char *copy = fuzz_dup(line, n + (in.p > line + n)); /* with its '\n' when it had one */
        size_t got = on_header(copy, 1, n + (in.p > line + n), &r);
        FUZZ_CHECK(got == n + (in.p > line + n));
        free(copy);
    }
    FUZZ_CHECK(strlen(r.location) < sizeof(r.location) && strlen(r.nonce) < sizeof(r.nonce));
    FUZZ_CHECK(r.retry_after_s >= -1);
    faas_tls__acme_resp_reset(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    if (fuzz_byte(&in) & 1)
        headers(in.p, in.len);
    else
        problem_doc(in.p, in.len);
    return 0;
}
