/*
 * router.c (fuzz): what the router reads of any request before the passkey: the path matched
 * against every API route table (faas_router_match), the method (faas_router_method_bit), the
 * function name a Host carries (faas_request_host_label) and the Authorization header
 * (faas_auth_check), the request line check (faas_request_line_error) and the query parameters
 * the API reads (faas_request_query). Input: method '\n' Host '\n' Authorization '\n' path, each
 * handed over as an exact-size heap copy.
 * Properties: parameters lie inside the path, ":name" ones non-empty without '/'; a method bit is
 * one bit; a label is shorter than the output, NUL-terminated, lower case, without '.' or ':',
 * and the Host starts with it; only the key itself, alone or after "Bearer ", passes; a request
 * line let through has a token method and a path without spaces or control bytes; a query value
 * fits its buffer, NUL-terminated.
 */
#include "fuzz.h"
#include "faas/api/api.h"
#include "faas/core/auth.h"
#include "faas/http/request.h"
#include "faas/http/router.h"

#include <ctype.h>

static faas_auth_t auth;
static const char KEY[] = "0b7c6f0e-3c1d-4a8e-9f27-5d2a1c3b4e5f";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    faas_log_set_level(FAAS_LOG_ERROR + 1);
    if (faas_auth_set_key(&auth, KEY, sizeof(KEY) - 1, NULL) != FAAS_OK)
        abort();
    return 0;
}

static const faas_router_route_t *const *tables(size_t *n)
{
    static const faas_router_route_t *const t[] = {faas_api_health_routes, faas_api_functions_routes, faas_api_revisions_routes,
        faas_api_logs_routes,
                                                   faas_api_jobs_routes, faas_api_runtimes_routes, faas_api_tls_routes};
    *n = sizeof(t) / sizeof(t[0]);
    return t;
}

static void check_path(const char *path, size_t len)
{
    size_t nt;
    const faas_router_route_t *const *t = tables(&nt);
    for (size_t i = 0; i < nt; i++)
        for (const faas_router_route_t *r = t[i]; r->pattern != NULL; r++) {
            faas_router_params_t p;
            if (!faas_router_match(r->pattern, path, len, &p))
                continue;
            FUZZ_CHECK(p.n <= FAAS_ROUTER_MAX_PARAMS);
            size_t colons = 0;
            for (const char *c = r->pattern; *c != '\0'; c++)
                colons += *c == ':';
            for (size_t k = 0; k < p.n; k++) {
                FUZZ_CHECK(p.v[k].base >= path && p.v[k].base + p.v[k].len <= path + len);
                if (k < colons) /* ":name" ones first: a "*rest" can only be last */
                    FUZZ_CHECK(p.v[k].len > 0 && memchr(p.v[k].base, '/', p.v[k].len) == NULL);
            }
        }
}

static void check_host(const char *host, size_t len, size_t out_size)
{
    char *out = malloc(out_size);
    size_t n = faas_request_host_label(h2o_iovec_init(host, len), out, out_size);
    if (n > 0) {
        FUZZ_CHECK(n < out_size && out[n] == '\0' && n < len);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(out[i] != '.' && out[i] != ':' && !isupper((unsigned char)out[i]));
            FUZZ_CHECK(tolower((unsigned char)host[i]) == (unsigned char)out[i]);
        }
    }
    free(out);
}

/* A request line faas lets through holds a token method and a path without spaces or controls. */
static void check_line(h2o_iovec_t method, h2o_iovec_t path)
{
    int status = 0;
    if (faas_request_line_error(method, path, &status) != NULL) {
        FUZZ_CHECK(status == 400 || status == 414);
        return;
    }
    FUZZ_CHECK(method.len > 0 && path.len > 0 && path.len <= FAAS_REQUEST_MAX_PATH);
    for (size_t i = 0; i < method.len; i++)
        FUZZ_CHECK(method.base[i] > 0x20 && method.base[i] < 0x7f &&
                   strchr("\"(),/:;<=>?@[\\]{}", method.base[i]) == NULL); /* RFC 9110 delimiters */
    for (size_t i = 0; i < path.len; i++)
        FUZZ_CHECK((unsigned char)path.base[i] > 0x20 && path.base[i] != 0x7f);
}

/* The query parameters the API reads, from the path as libh2o splits it, into small outputs too. */
static void check_query(const char *path, size_t len)
{
    static const char *const names[] = {"functionId", "tail", "source", "limit", "all"};
    static h2o_req_t req; /* only path and query_at are read */
    const char *q = memchr(path, '?', len);
    req.path = h2o_iovec_init(path, len);
    req.query_at = q != NULL ? (size_t)(q - path) : SIZE_MAX;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t size = i == 0 ? 256 : 1 + i * 3;
        char *buf = malloc(size);
        int n = faas_request_query(&req, names[i], buf, size);
        FUZZ_CHECK(n >= -1 && n < (int)size && (n < 0 || buf[n] == '\0'));
        FUZZ_CHECK(n <= 0 || q != NULL);
        free(buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    const uint8_t *line;
    size_t len = fuzz_line(&in, &line);
    size_t method_len = len;
    char *method = fuzz_dup(line, len);
    unsigned bit = faas_router_method_bit(method, len);
    FUZZ_CHECK((bit & (bit - 1)) == 0 && bit <= FAAS_M_OPTIONS);
    free(method);

    len = fuzz_line(&in, &line);
    char *host = fuzz_dup(line, len);
    check_host(host, len, 64);
    check_host(host, len, 1 + len % 16);
    free(host);

    len = fuzz_line(&in, &line);
    char *authz = fuzz_dup(line, len);
    int ok = faas_auth_check(&auth, authz, len);
    int exact = (len == sizeof(KEY) - 1 && memcmp(authz, KEY, len) == 0) ||
                (len == sizeof(KEY) - 1 + 7 && memcmp(authz, "Bearer ", 7) == 0 &&
                 memcmp(authz + 7, KEY, len - 7) == 0);
    FUZZ_CHECK(ok || !exact); /* looser forms (case, spaces) are the module's choice */
    FUZZ_CHECK(!ok || (len >= sizeof(KEY) - 1 && memmem(authz, len, KEY, sizeof(KEY) - 1) != NULL));
    free(authz);

    char *path = fuzz_dup(in.p, in.len);
    check_path(path, in.len);
    check_line(h2o_iovec_init(data, method_len), h2o_iovec_init(path, in.len));
    check_query(path, in.len);
    free(path);
    return 0;
}
