/*
 * http.c (unit): the pure parts of src/http/: the JSON error body, error
 * codes and their HTTP statuses, message prefixing and truncation, route
 * pattern matching and method bits, the function label of a Host, the
 * request line check, the Rapid Reset budget.
 */
#include "faas/http/hpack_guard.h"
#include "faas/http/reply.h"
#include "faas/http/request.h"
#include "faas/http/router.h"
#include "http/internal.h"
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The error answer's body, as faas_reply_error writes it. */
static char *body_of(int status, const char *message, const char *details)
{
    cJSON *o = faas_reply_error_json(status, message, details);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

TEST(error_body)
{
    char *b = body_of(401, "unauthorized", NULL);
    CHECK_STR(b, "{\"error\":\"unauthorized\",\"code\":401}");
    free(b);
    b = body_of(400, "Bad \"name\"\n", "line1\nline2 \x01 </script>");
    cJSON *o = cJSON_Parse(b);
    CHECK(o != NULL);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "error")), "Bad \"name\"\n");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "details")), "line1\nline2 \x01 </script>");
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "code")), 400);
    CHECK(strchr(b, '\n') == NULL); /* escaped, never raw */
    cJSON_Delete(o);
    free(b);
    b = body_of(404, "Not found", "");
    CHECK_STR(b, "{\"error\":\"Not found\",\"code\":404}"); /* empty details are left out */
    free(b);
}

TEST(error_codes)
{
    static const struct { faas_err_t code; int status; } map[] = {
        {FAAS_EINVAL, 400}, {FAAS_EUNAUTHORIZED, 401}, {FAAS_EFORBIDDEN, 403}, {FAAS_ENOTFOUND, 404},
        {FAAS_ECONFLICT, 409}, {FAAS_ETOOLARGE, 413}, {FAAS_EBUSY, 429}, {FAAS_ESTORE, 500},
        {FAAS_EPOLICY, 500}, {FAAS_EDOCKER, 502}, {FAAS_EUNAVAIL, 503}, {FAAS_ETIMEOUT, 504},
        {FAAS_ENOSPACE, 507},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        CHECK_INT(faas_err_http_status(map[i].code), map[i].status);
        CHECK(strlen(faas_strerror(map[i].code)) > 0);
    }
    CHECK_INT(faas_err_from_errno(ENOSPC, FAAS_EIO), FAAS_ENOSPACE); /* a full disk, whoever meets it */
    CHECK_INT(faas_err_from_errno(EDQUOT, FAAS_ESTORE), FAAS_ENOSPACE);
    CHECK_INT(faas_err_from_errno(EACCES, FAAS_EIO), FAAS_EIO);
    faas_error_t err = {0};
    CHECK_INT(faas_error_set(&err, FAAS_ENOTFOUND, "no function %s", "x"), FAAS_ENOTFOUND);
    CHECK_INT(faas_error_prefix(&err, FAAS_EINVAL, "upload"), FAAS_ENOTFOUND); /* keeps the first code */
    CHECK_STR(err.msg, "upload: no function x");
    char long_text[2000];
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    faas_error_set(&err, FAAS_EINVAL, "%s", long_text);
    CHECK_INT(strlen(err.msg), FAAS_ERROR_MSG_MAX - 1);
    faas_error_prefix(&err, FAAS_EINVAL, "%s", long_text);
    CHECK_INT(strlen(err.msg), FAAS_ERROR_MSG_MAX - 1); /* truncated, never overflowed */
    CHECK_INT(faas_error_set(NULL, FAAS_EIO, "ignored"), FAAS_EIO);
}

static int match(const char *pattern, const char *path, faas_router_params_t *p)
{
    return faas_router_match(pattern, path, strlen(path), p);
}

static int param_is(const faas_router_params_t *p, size_t i, const char *want)
{
    return i < p->n && p->v[i].len == strlen(want) && memcmp(p->v[i].base, want, p->v[i].len) == 0;
}

TEST(route_patterns)
{
    faas_router_params_t p;
    CHECK(match("/health", "/health", &p) && p.n == 0);
    CHECK(!match("/health", "/health/", &p));
    CHECK(!match("/health", "/healthz", &p));
    CHECK(!match("/health", "/", &p));
    CHECK(match("/runtime/show/:name", "/runtime/show/default", &p) && param_is(&p, 0, "default"));
    CHECK(!match("/runtime/show/:name", "/runtime/show/", &p));
    CHECK(!match("/runtime/show/:name", "/runtime/show/a/b", &p));
    CHECK(match("/api/functions/:id/invocations", "/api/functions/abc/invocations", &p) && param_is(&p, 0, "abc"));
    CHECK(match("/api/functions/*id", "/api/functions/", &p) && param_is(&p, 0, ""));
    CHECK(match("/api/functions/*id", "/api/functions/a/b", &p) && param_is(&p, 0, "a/b"));
    CHECK(match("/a/:x/b/:y", "/a/1/b/2", &p) && param_is(&p, 0, "1") && param_is(&p, 1, "2"));
    CHECK(!match("/a/:x/b/:y", "/a/1/c/2", &p));
}

TEST(method_bits)
{
    CHECK_INT(faas_router_method_bit("GET", 3), FAAS_M_GET);
    CHECK_INT(faas_router_method_bit("DELETE", 6), FAAS_M_DELETE);
    CHECK_INT(faas_router_method_bit("get", 3), 0);
    CHECK_INT(faas_router_method_bit("BREW", 4), 0);
    CHECK_INT(faas_router_method_bit("GETX", 3), FAAS_M_GET); /* length-delimited */
}

static const char *label(const char *host)
{
    static char out[64];
    size_t n = faas_request_host_label(h2o_iovec_init(host, strlen(host)), out, sizeof(out));
    return n > 0 ? out : "";
}

TEST(host_labels)
{
    CHECK_STR(label("fn.example.com"), "fn");
    CHECK_STR(label("Fn.Example.com:8080"), "fn");
    CHECK_STR(label("a-b.localhost"), "a-b");
    CHECK_STR(label("localhost"), "");       /* one label: the API */
    CHECK_STR(label("localhost:8080"), "");
    CHECK_STR(label("127.0.0.1"), "");       /* an IP literal names no function */
    CHECK_STR(label("127.0.0.1:9000"), "");
    CHECK_STR(label("[::1]:8080"), "");
    CHECK_STR(label(".example.com"), "");
    CHECK_STR(label(""), "");
    char long_label[100];
    memset(long_label, 'a', 70);
    strcpy(long_label + 70, ".example.com");
    CHECK_STR(label(long_label), ""); /* longer than a DNS label */
}

static const char *line_error(const char *method, const char *path, int *status)
{
    return faas_request_line_error(h2o_iovec_init(method, strlen(method)), h2o_iovec_init(path, strlen(path)), status);
}

TEST(request_lines)
{
    int status = 0;
    CHECK(line_error("GET", "/", &status) == NULL);
    CHECK(line_error("PURGE", "/a%20b/c?x=1&y=\"2\"#f", &status) == NULL);
    CHECK(line_error("M-SEARCH", "*", &status) == NULL);
    CHECK(line_error("GET", "/caf\xc3\xa9", &status) == NULL); /* raw UTF-8 splits nothing */
    CHECK(line_error("GET", "/echo?smuggled /zzz", &status) != NULL && status == 400);
    CHECK(line_error("GET", "/a\tb", &status) != NULL && status == 400);
    CHECK(line_error("GET", "/a\x7f", &status) != NULL);
    CHECK(line_error("GET", "/a\r\nX: y", &status) != NULL);
    CHECK(line_error("GET", "", &status) != NULL);
    CHECK(line_error("", "/", &status) != NULL);
    CHECK(line_error("GET /x", "/", &status) != NULL);
    CHECK(line_error("G(T", "/", &status) != NULL);
    CHECK(line_error("GET\x01", "/", &status) != NULL);
    CHECK_STR(line_error("G\xc3\x89T", "/", &status), "the method is not a token (RFC 9110)");
    static char path[FAAS_REQUEST_MAX_PATH + 2];
    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[FAAS_REQUEST_MAX_PATH] = '\0';
    CHECK(line_error("GET", path, &status) == NULL);
    path[FAAS_REQUEST_MAX_PATH] = 'a';
    CHECK(line_error("GET", path, &status) != NULL && status == 414);
}

TEST(reset_budget)
{
    faas_http__reset_budget_t b;
    faas_http__reset_budget_init(&b, 1000);
    int taken = 0;
    while (taken < 1000 && faas_http__reset_budget_take(&b, 1000) == 0)
        taken++;
    CHECK_INT(taken, FAAS_HTTP__RESET_BURST);
    CHECK_INT(faas_http__reset_budget_take(&b, 1099), -1); /* 99 ms: not one stream back yet */
    CHECK_INT(faas_http__reset_budget_take(&b, 1100), 0);  /* 100 ms at 10/s: one */
    CHECK_INT(faas_http__reset_budget_take(&b, 1100), -1);
    CHECK_INT(faas_http__reset_budget_take(&b, 900), -1);  /* a clock that goes back refills nothing */
    taken = 0;
    while (taken < 1000 && faas_http__reset_budget_take(&b, 1000000) == 0)
        taken++;
    CHECK_INT(taken, FAAS_HTTP__RESET_BURST); /* full again, never above */
}

/* The guard in front of libh2o's HPACK decoder counts fields without decoding them (RFC 7541). */
TEST(hpack_field_count)
{
    static const uint8_t indexed[] = {0x82, 0x86, 0x84};                   /* :method GET, :scheme http, :path / */
    static const uint8_t literals[] = {0x41, 0x03, 'a', '.', 'b',          /* :authority a.b, indexed name */
                                       0x40, 0x01, 'x', 0x01, 'y',          /* x: y, new name, added to the table */
                                       0x00, 0x01, 'z', 0x81, 0xff,         /* z: (1 Huffman byte), not added */
                                       0x10, 0x01, 'q', 0x00,               /* q: (empty), never indexed */
                                       0x3f, 0xe1, 0x1f,                    /* table size update 4096: no field */
                                       0xbe};                               /* the first dynamic entry */
    static const uint8_t cut[] = {0x40, 0x05, 'a'};                         /* a name literal cut short */
    static const uint8_t long_int[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}; /* an index past 2^28 */
    CHECK_INT(faas_hpack_guard_count_fields(indexed, sizeof(indexed)), 3);
    CHECK_INT(faas_hpack_guard_count_fields(literals, sizeof(literals)), 5);
    CHECK_INT(faas_hpack_guard_count_fields(literals, 0), 0);
    CHECK_INT(faas_hpack_guard_count_fields(cut, sizeof(cut)), -1);
    CHECK_INT(faas_hpack_guard_count_fields(long_int, sizeof(long_int)), -1);
    uint8_t refs[100000];
    memset(refs, 0xbe, sizeof(refs)); /* one byte per copy of a table entry: the amplification */
    CHECK_INT(faas_hpack_guard_count_fields(refs, sizeof(refs)), 100000);
    CHECK(faas_hpack_guard_count_fields(refs, sizeof(refs)) > faas_hpack_guard_max_fields());
}

int main(void)
{
    RUN(error_body);
    RUN(error_codes);
    RUN(route_patterns);
    RUN(method_bits);
    RUN(host_labels);
    RUN(hpack_field_count);
    RUN(request_lines);
    RUN(reset_budget);
    return testlib_done();
}

