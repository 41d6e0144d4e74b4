/*
 * ui.c: the dashboard: GET /ui/ (index.html) and GET /ui/<file>, the files of ui/ compiled into
 * the binary (cmake/embed.cmake), and /ui redirected to /ui/. Public routes: the files hold no
 * data; every call the page makes for data carries the key the operator typed.
 *
 * Static files get their own headers rather than reply.c's: a cache that revalidates (an ETag of
 * the bytes, 304 on a match), no CORS (nothing here is for other origins), and the browser
 * hardening a page that holds an API key in sessionStorage needs: a Content-Security-Policy that
 * allows only this origin's own script and style (no inline script, no CDN), nosniff, no framing
 * and no referrer. Unknown files are the usual JSON 404. Loop thread.
 */
#include "faas/api/api.h"
#include "faas/http/reply.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The table cmake/embed.cmake generates: one entry per file of ui/, NULL-name terminated. */
extern const struct faas_ui_file {
    const char *name;
    const char *data;
    size_t len;
} faas_ui_files[];

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                          "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                          "frame-ancestors 'none'";

static const struct faas_ui_file *find_file(const char *name, size_t len)
{
    for (const struct faas_ui_file *f = faas_ui_files; f->name != NULL; f++)
        if (strlen(f->name) == len && memcmp(f->name, name, len) == 0)
            return f;
    return NULL;
}

static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot != NULL && strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (dot != NULL && strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (dot != NULL && strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    return "application/octet-stream";
}

/* "\"<16 hex digits>\"": FNV-1a of the bytes, so a new binary's files are fetched again. */
static void etag_of(const struct faas_ui_file *f, char *out, size_t size)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < f->len; i++)
        h = (h ^ (unsigned char)f->data[i]) * 1099511628211ULL;
    snprintf(out, size, "\"%016llx\"", (unsigned long long)h);
}

static void add_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value, strlen(value));
}

static int send_file(h2o_req_t *req, const struct faas_ui_file *f)
{
    char etag[24];
    etag_of(f, etag, sizeof(etag));
    h2o_iovec_t tag = h2o_strdup(&req->pool, etag, strlen(etag)); /* headers keep the pointer */
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL, tag.base, tag.len);
    add_header(req, "cache-control", "no-cache");
    add_header(req, "content-security-policy", csp);
    add_header(req, "x-content-type-options", "nosniff");
    add_header(req, "x-frame-options", "DENY");
    add_header(req, "referrer-policy", "no-referrer");
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
    if (i >= 0 && h2o_memis(req->headers.entries[i].value.base, req->headers.entries[i].value.len, tag.base, tag.len)) {
        req->res.status = 304;
        req->res.reason = "Not Modified";
        h2o_send_inline(req, NULL, 0);
        return 0;
    }
    const char *type = content_type(f->name);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = f->len;
    h2o_send_inline(req, f->data, f->len);
    return 0;
}

static int on_get_file(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)loop;
    h2o_iovec_t name = params->v[0];
    if (name.len == 0)
        name = h2o_iovec_init(H2O_STRLIT("index.html"));
    const struct faas_ui_file *f = find_file(name.base, name.len);
    if (f == NULL) {
        char details[160];
        snprintf(details, sizeof(details), "the dashboard has no file %.*s", (int)(name.len > 100 ? 100 : name.len),
                 name.base);
        return faas_reply_error(req, 404, "Not found", details);
    }
    return send_file(req, f);
}

/* /ui -> /ui/: the page's relative links (app.css, app.js) resolve against the folder. */
static int on_get_root(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)loop;
    (void)params;
    h2o_send_redirect(req, 301, "Moved Permanently", H2O_STRLIT("/ui/"));
    return 0;
}

const faas_router_route_t faas_api_ui_routes[] = {
    {"/ui", FAAS_M_GET, FAAS_ROUTE_PUBLIC, on_get_root, FAAS_SCOPE_READ},
    {"/ui/*file", FAAS_M_GET, FAAS_ROUTE_PUBLIC, on_get_file, FAAS_SCOPE_READ},
    {NULL, 0, 0, NULL, 0},
};
