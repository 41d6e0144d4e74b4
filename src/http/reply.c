/*
 * api.c: JSON responses, the one error writer, query parameters and
 * deferral of blocking work for the API handlers. Loop threads only
 * (faas_api_error_body is pure and may run anywhere).
 */
#include "faas/http/reply.h"
#include "faas/core/log.h"
#include "faas/api/multipart.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void faas_api_add_cors(h2o_req_t *req)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-origin"), 0, NULL,
                          H2O_STRLIT("*"));
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : "Error";
    }
}

/* Sends len bytes of body (copied) with a content type. */
static int send_body(h2o_req_t *req, int status, const char *type, size_t type_len, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, type_len);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    faas_api_add_cors(req);
    req->res.content_length = len; /* unknown length would make h2o close the connection on errors */
    h2o_send_inline(req, body, len);
    return 0;
}

int faas_api_send_text(h2o_req_t *req, int status, const char *text, size_t len)
{
    return send_body(req, status, H2O_STRLIT("text/plain; charset=utf-8"), text, len);
}

/* Sends text (owned, may be NULL for an empty body) as a JSON answer. */
static int send_text(h2o_req_t *req, int status, char *text)
{
    send_body(req, status, H2O_STRLIT("application/json"), text, text != NULL ? strlen(text) : 0);
    free(text);
    return 0;
}

static char *out_of_memory_body(void)
{
    faas_log_error("api: out of memory building a response");
    return strdup("{\"error\":\"Internal server error\",\"code\":500}");
}

int faas_api_send_json(h2o_req_t *req, int status, cJSON *body)
{
    if (body == NULL)
        return send_text(req, status, NULL);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (text == NULL)
        return send_text(req, 500, out_of_memory_body());
    return send_text(req, status, text);
}

cJSON *faas_api_error_json(int status, const char *message, const char *details)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "error", message != NULL ? message : "error");
    cJSON_AddNumberToObject(o, "code", status);
    if (details != NULL && details[0] != '\0')
        cJSON_AddStringToObject(o, "details", details);
    return o;
}

char *faas_api_error_body(int status, const char *message, const char *details)
{
    cJSON *o = faas_api_error_json(status, message, details);
    if (o == NULL)
        return NULL;
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

int faas_api_send_error(h2o_req_t *req, int status, const char *message, const char *details)
{
    if (status >= 500)
        faas_log_warn("%.*s %.*s -> %d %s%s%s", (int)req->method.len, req->method.base, (int)req->path.len,
                      req->path.base, status, message, details ? ": " : "", details ? details : "");
    char *text = faas_api_error_body(status, message, details);
    if (text == NULL)
        return send_text(req, 500, out_of_memory_body());
    return send_text(req, status, text);
}

int faas_api_send_err_as(h2o_req_t *req, const char *message, const faas_error_t *err)
{
    int status = faas_err_http_status(err->code);
    /* Docker's and a timeout's words hold no secret (see faas_api_send_err); other 5xx stay generic. */
    int shown = status < 500 || err->code == FAAS_EDOCKER || err->code == FAAS_EUNAVAIL || err->code == FAAS_ETIMEOUT;
    if (message != NULL && shown)
        return faas_api_send_error(req, status, message, err->msg);
    return faas_api_send_err(req, err);
}

int faas_api_send_err(h2o_req_t *req, const faas_error_t *err)
{
    int status = faas_err_http_status(err->code);
    if (status < 500)
        return faas_api_send_error(req, status, err->msg, NULL);
    switch (err->code) {
    case FAAS_EDOCKER:
    case FAAS_EUNAVAIL:
    case FAAS_ETIMEOUT:
        /* Docker's own words help the operator; they hold no secret. */
        return faas_api_send_error(req, status, faas_strerror(err->code), err->msg);
    default:
        faas_log_error("%.*s %.*s: %s", (int)req->method.len, req->method.base, (int)req->path.len, req->path.base,
                       err->msg);
        return faas_api_send_error(req, status, "Internal server error", NULL);
    }
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : (isxdigit(c) ? (tolower(c) - 'a' + 10) : -1);
}

int faas_api_query(h2o_req_t *req, const char *name, char *buf, size_t size)
{
    if (req->query_at == SIZE_MAX)
        return -1;
    const char *p = req->path.base + req->query_at + 1, *end = req->path.base + req->path.len;
    size_t nlen = strlen(name);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end, *eq = memchr(p, '=', (size_t)(stop - p));
        const char *key_end = eq ? eq : stop;
        if ((size_t)(key_end - p) == nlen && memcmp(p, name, nlen) == 0) {
            size_t n = 0;
            for (const char *v = eq ? eq + 1 : stop; v < stop; v++) {
                int c = (unsigned char)*v;
                if (c == '+')
                    c = ' ';
                else if (c == '%' && stop - v > 2 && hexval(v[1]) >= 0 && hexval(v[2]) >= 0) {
                    c = hexval(v[1]) * 16 + hexval(v[2]);
                    v += 2;
                }
                if (n + 1 >= size)
                    return -1;
                buf[n++] = (char)c;
            }
            buf[n] = '\0';
            return (int)n;
        }
        p = stop + 1;
    }
    return -1;
}

/* ---- deferral ------------------------------------------------------------ */

typedef struct deferred deferred_t;

typedef struct guard {
    deferred_t *d;
} guard_t;

struct deferred {
    h2o_req_t *req;   /* NULL once the request is gone */
    guard_t *guard;
    faas_jobs_work_cb work;
    faas_api_done_cb done;
    void *data;
};

/* Runs when the request's pool is freed (client gone, h2 stream reset, or after the answer). */
static void on_guard_dispose(void *p)
{
    guard_t *g = p;
    if (g->d != NULL)
        g->d->req = NULL;
}

static void on_deferred_work(void *p)
{
    deferred_t *d = p;
    d->work(d->data);
}

static void on_deferred_done(void *p)
{
    deferred_t *d = p;
    h2o_req_t *req = d->req;
    if (req != NULL)
        d->guard->d = NULL;
    d->done(req, d->data);
    free(d);
}

int faas_api_defer(faas_loop_t *loop, h2o_req_t *req, faas_jobs_work_cb work, faas_api_done_cb done, void *data)
{
    deferred_t *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        done(NULL, data);
        return faas_api_send_error(req, 500, "Internal server error", NULL);
    }
    *d = (deferred_t){.req = req, .work = work, .done = done, .data = data};
    d->guard = h2o_mem_alloc_shared(&req->pool, sizeof(guard_t), on_guard_dispose);
    d->guard->d = d;
    if (faas_jobs_submit(loop->app->jobs, loop->jobs, on_deferred_work, on_deferred_done, d) != 0) {
        d->guard->d = NULL;
        free(d);
        done(NULL, data);
        return faas_api_send_error(req, 503, "Service unavailable", "the server is shutting down");
    }
    return 0;
}

/* ---- running work and answering with its result ---- */

typedef struct run {
    faas_api_work_cb work;
    void *data;
    void (*free_data)(void *);
    faas_api_result_t res;
} run_t;

static void on_run_work(void *p)
{
    run_t *r = p;
    r->work(r->data, &r->res);
}

static void on_run_done(h2o_req_t *req, void *p)
{
    run_t *r = p;
    if (req != NULL) {
        if (r->res.rc != FAAS_OK && r->res.error_status != 0)
            faas_api_send_error(req, r->res.error_status, r->res.message, r->res.err.msg);
        else if (r->res.rc != FAAS_OK)
            faas_api_send_err_as(req, r->res.message, &r->res.err);
        else if (r->res.text != NULL)
            faas_api_send_text(req, r->res.status ? r->res.status : 200, r->res.text, r->res.text_len);
        else if (r->res.json == NULL)
            faas_api_send_error(req, 500, "Internal server error", "out of memory"); /* never an empty 200 */
        else {
            faas_api_send_json(req, r->res.status ? r->res.status : 200, r->res.json); /* consumes it */
            r->res.json = NULL;
        }
    }
    cJSON_Delete(r->res.json);
    free(r->res.text);
    if (r->free_data != NULL)
        r->free_data(r->data);
    else
        free(r->data);
    free(r);
}

int faas_api_run(faas_loop_t *loop, h2o_req_t *req, faas_api_work_cb work, void *data, void (*free_data)(void *))
{
    run_t *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        if (free_data != NULL)
            free_data(data);
        else
            free(data);
        return faas_api_send_error(req, 500, "Internal server error", NULL);
    }
    *r = (run_t){.work = work, .data = data, .free_data = free_data};
    return faas_api_defer(loop, req, on_run_work, on_run_done, r);
}

int faas_api_form_or_reply(h2o_req_t *req, struct faas_multipart **form)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    h2o_iovec_t type = i >= 0 ? req->headers.entries[i].value : h2o_iovec_init(H2O_STRLIT(""));
    faas_error_t err = {0};
    if (faas_multipart_parse(type.base, type.len, req->entity.base, req->entity.len, form, &err) != FAAS_OK) {
        faas_api_send_error(req, 400, "Invalid form", err.msg);
        return -1;
    }
    return 0;
}
