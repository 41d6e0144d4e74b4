/*
 * http.c (unit): the pure parts of src/http/: the JSON error body, error
 * codes and their HTTP statuses, message prefixing and truncation, route
 * pattern matching and method bits, the function label of a Host.
 */
#include "faas/http/reply.h"
#include "faas/http/request.h"
#include "faas/http/router.h"
#include "testlib.h"

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
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        CHECK_INT(faas_err_http_status(map[i].code), map[i].status);
        CHECK(strlen(faas_strerror(map[i].code)) > 0);
    }
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

int main(void)
{
    RUN(error_body);
    RUN(error_codes);
    RUN(route_patterns);
    RUN(method_bits);
    RUN(host_labels);
    return testlib_done();
}

