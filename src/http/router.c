/*
 * router.c: the one catch-all handler (see router.h): the Rapid Reset guard
 * on HTTP/2 requests and the request line check for all, front handlers, then
 * CORS preflight, route match, key, method and scope once for every API route.
 * Loop threads only (register: main thread).
 */
#include "internal.h"
#include "faas/http/router.h"
#include "faas/core/clock.h"
#include "faas/core/keys.h"
#include "faas/core/log.h"
#include "faas/http/obs.h"
#include "faas/http/reply.h"
#include "faas/http/request.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct router {
    h2o_handler_t super;     /* first: h2o hands it back to on_req */
    const faas_router_config_t *cfg;
} router_t;

static const struct { const char *name; unsigned bit; } methods[] = {
    {"GET", FAAS_M_GET}, {"HEAD", FAAS_M_HEAD}, {"POST", FAAS_M_POST}, {"PUT", FAAS_M_PUT},
    {"DELETE", FAAS_M_DELETE}, {"PATCH", FAAS_M_PATCH}, {"OPTIONS", FAAS_M_OPTIONS},
};

unsigned faas_router_method_bit(const char *method, size_t len)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strlen(methods[i].name) == len && memcmp(methods[i].name, method, len) == 0)
            return methods[i].bit;
    return 0;
}

int faas_router_match(const char *pattern, const char *path, size_t len, faas_router_params_t *params)
{
    const char *p = pattern, *s = path, *end = path + len;
    params->n = 0;
    while (*p != '\0') {
        if (*p == '*') {
            if (params->n < FAAS_ROUTER_MAX_PARAMS)
                params->v[params->n++] = h2o_iovec_init(s, (size_t)(end - s));
            return 1;
        }
        if (*p == ':') {
            const char *seg_end = memchr(s, '/', (size_t)(end - s));
            if (seg_end == NULL)
                seg_end = end;
            if (seg_end == s || params->n >= FAAS_ROUTER_MAX_PARAMS)
                return 0;
            params->v[params->n++] = h2o_iovec_init(s, (size_t)(seg_end - s));
            s = seg_end;
            while (*p != '\0' && *p != '/')
                p++;
            continue;
        }
        if (s == end || *s != *p)
            return 0;
        p++, s++;
    }
    return s == end;
}

static const faas_router_route_t *find_route(const faas_router_config_t *cfg, h2o_iovec_t path,
                                             faas_router_params_t *params)
{
    for (size_t t = 0; t < cfg->ntables; t++)
        for (const faas_router_route_t *r = cfg->tables[t]; r->pattern != NULL; r++)
            if (faas_router_match(r->pattern, path.base, path.len, params))
                return r;
    return NULL;
}

/* "GET, POST" for the Allow header, and "Only GET and POST requests are accepted" for humans. */
static void describe_methods(unsigned mask, char *allow, size_t asize, char *human, size_t hsize)
{
    size_t n = 0, count = 0, total = 0;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        total += (mask & methods[i].bit) != 0;
    allow[0] = '\0';
    int h = snprintf(human, hsize, "Only ");
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (!(mask & methods[i].bit))
            continue;
        count++;
        n += (size_t)snprintf(allow + n, asize > n ? asize - n : 0, "%s%s", n ? ", " : "", methods[i].name);
        h += snprintf(human + h, hsize > (size_t)h ? hsize - (size_t)h : 0, "%s%s",
                      count == 1 ? "" : (count == total ? " and " : ", "), methods[i].name);
    }
    snprintf(human + h, hsize > (size_t)h ? hsize - (size_t)h : 0, " requests are accepted");
}

static int answer_preflight(h2o_req_t *req)
{
    static const h2o_iovec_t allow_methods = {H2O_STRLIT("GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS")};
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-headers"), -1);
    h2o_iovec_t allow_headers = i >= 0 ? req->headers.entries[i].value : h2o_iovec_init(H2O_STRLIT("*"));
    req->res.status = 204;
    req->res.reason = "No Content";
    faas_reply_add_cors(req);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-methods"), 0, NULL,
                          allow_methods.base, allow_methods.len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-headers"), 0, NULL,
                          allow_headers.base, allow_headers.len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-max-age"), 0, NULL,
                          H2O_STRLIT("600"));
    req->res.content_length = 0;
    h2o_send_inline(req, NULL, 0);
    return 0;
}

static int is_preflight(h2o_req_t *req)
{
    return h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS")) &&
           h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1) >= 0 &&
           h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-method"), -1) >= 0;
}

faas_scope_t faas_router_scope_needed(const faas_router_route_t *route, unsigned method)
{
    if ((route->flags & FAAS_ROUTE_READ_GET) && (method & (FAAS_M_GET | FAAS_M_HEAD)))
        return FAAS_SCOPE_READ;
    return route->scope;
}

/* Whether req presents a known key (the passkey or a named one, its use noted), and its scope. */
static int authorized(faas_loop_t *loop, h2o_req_t *req, faas_scope_t *scope)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    faas_key_info_t who;
    if (i < 0 || !faas_keys_check(loop->app->keys, req->headers.entries[i].value.base,
                                  req->headers.entries[i].value.len, faas_clock_now_ms(), &who))
        return 0;
    *scope = who.scope;
    return 1;
}

static int forbidden(h2o_req_t *req, faas_scope_t have, faas_scope_t need)
{
    char details[96];
    snprintf(details, sizeof(details), "this key has scope %s; %s needed", faas_scope_name(have),
             faas_scope_name(need));
    return faas_reply_error(req, 403, "forbidden", details);
}

static int serve_api(const faas_router_config_t *cfg, faas_loop_t *loop, h2o_req_t *req)
{
    faas_router_params_t params;
    const faas_router_route_t *route = find_route(cfg, req->path_normalized, &params);
    char label[64];
    faas_scope_t scope = FAAS_SCOPE_ADMIN;
    if (route == NULL && faas_request_host_label(req->authority, label, sizeof(label)) > 0)
        return faas_reply_error(req, 404, "Function not found", NULL); /* <name>.<domain> with no such function */
    if ((route == NULL || !(route->flags & FAAS_ROUTE_PUBLIC)) && !authorized(loop, req, &scope))
        return faas_reply_error(req, 401, "unauthorized", NULL);
    if (route == NULL) {
        char details[160];
        snprintf(details, sizeof(details), "no route for %.*s %.*s", (int)req->method.len, req->method.base,
                 (int)(req->path_normalized.len > 100 ? 100 : req->path_normalized.len), req->path_normalized.base);
        return faas_reply_error(req, 404, "Not found", details);
    }
    unsigned bit = faas_router_method_bit(req->method.base, req->method.len);
    unsigned accepted = route->methods | ((route->methods & FAAS_M_GET) ? FAAS_M_HEAD : 0);
    if (!(bit & accepted)) {
        char allow[96], human[128];
        describe_methods(route->methods, allow, sizeof(allow), human, sizeof(human));
        h2o_iovec_t value = h2o_strdup(&req->pool, allow, strlen(allow)); /* headers keep the pointer */
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, value.base, value.len);
        return faas_reply_error(req, 405, "Method not allowed", human);
    }
    faas_scope_t need = faas_router_scope_needed(route, bit);
    if (!(route->flags & (FAAS_ROUTE_PUBLIC | FAAS_ROUTE_ANY_KEY)) && !faas_scope_grants(scope, need))
        return forbidden(req, scope, need);
    return route->handler(loop, req, &params);
}

static int dispatch(const faas_router_config_t *cfg, faas_loop_t *loop, h2o_req_t *req)
{
    faas_log_debug("loop %zu: %.*s %.*s%.*s (HTTP/%d)", loop->index, (int)(req->method.len > 32 ? 32 : req->method.len),
                   req->method.base, (int)(req->authority.len > 200 ? 200 : req->authority.len), req->authority.base,
                   (int)(req->path.len > 200 ? 200 : req->path.len), req->path.base, req->version >> 8);
    if (req->version >= 0x200)
        faas_http__resets_watch(req);
    /* Before anything reads the path: whatever is routed or proxied is written on as a request line. */
    int status;
    const char *why = faas_request_line_error(req->method, req->path, &status);
    if (why != NULL)
        return faas_reply_error(req, status, status == 414 ? "URI too long" : "Bad request", why);
    for (size_t i = 0; i < FAAS_ROUTER_MAX_FRONT && cfg->front[i] != NULL; i++)
        if (cfg->front[i](loop, req) == 0)
            return 0; /* function traffic answers its own CORS */
    if (is_preflight(req))
        return answer_preflight(req);
    return serve_api(cfg, loop, req);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    faas_loop_t *loop = faas_loop_of(req);
    faas_obs_begin(loop, req); /* counted and logged when req is freed (http/obs.h) */
    int rc = dispatch(((router_t *)self)->cfg, loop, req);
    faas_obs_end_dispatch(loop);
    return rc;
}

void faas_router_register(h2o_pathconf_t *path, const faas_router_config_t *cfg)
{
    router_t *router = (router_t *)h2o_create_handler(path, sizeof(*router));
    router->super.on_req = on_req;
    router->cfg = cfg;
}
