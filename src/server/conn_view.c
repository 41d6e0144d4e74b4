/*
 * conn_view.c: what a loop's HTTP/1 and HTTP/2 requests are doing, read from libh2o 2.2.5
 * through its public interface, the one file that knows how: each protocol's foreach_request
 * (HTTP/1: the one request a connection holds, even between requests; HTTP/2: its streams),
 * the request's own fields, its socket's input buffer and the bytes written to it (libh2o
 * 2.2's bytes_read is the last read's, not a total). libh2o's HTTP/2 connection and
 * stream structures are out of reach (Debian ships h2o/http2_internal.h without the khash.h
 * it needs), so an HTTP/2 stream is reported once its header block is parsed, without the
 * size of its body. Nothing is changed here. Loop thread.
 */
#include "internal.h"
#include "faas/core/clock.h"

typedef struct walk {
    void (*cb)(void *data, const server_req_view_t *view);
    void *data;
    int http2;
    int64_t now_ms; /* wall clock, as libh2o's timestamps */
} walk_t;

static int64_t age_since(struct timeval *tv, int64_t now_ms)
{
    if (h2o_timeval_is_null(tv))
        return -1;
    int64_t at = (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000;
    return now_ms > at ? now_ms - at : 0;
}

/* HTTP/1: the connection's one request, even between requests. */
static void view_http1(walk_t *w, h2o_req_t *req, h2o_socket_t *sock)
{
    size_t buffered = sock->input->size;
    server_req_view_t view = {.sock = sock, .req = req, .request_age_ms = -1,
                              .first_request = sock->bytes_written == 0}; /* nothing answered yet */
    if (req->input.method.len == 0)
        view.phase = buffered != 0 ? SERVER_CONN_HEADER : SERVER_CONN_IDLE;
    else
        view.phase = h2o_timeval_is_null(&req->processed_at.at) ? SERVER_CONN_BODY : SERVER_CONN_BUSY;
    if (view.phase == SERVER_CONN_HEADER || view.phase == SERVER_CONN_BODY)
        view.request_age_ms = age_since(&req->timestamps.request_begin_at, w->now_ms);
    if (view.phase == SERVER_CONN_BODY)
        view.received = buffered; /* the header block is in there too */
    w->cb(w->data, &view);
}

/* HTTP/2: a stream; one without a parsed request (PRIORITY only, or CONTINUATION awaited) says nothing. */
static void view_http2(walk_t *w, h2o_req_t *req, h2o_socket_t *sock)
{
    if (req->input.method.len == 0)
        return;
    /* libh2o processes a stream once its body is in (or it waits for a free slot: rare, counted the same) */
    server_req_view_t view = {.sock = sock, .req = req, .http2 = 1, .request_age_ms = -1,
                              .phase = h2o_timeval_is_null(&req->processed_at.at) ? SERVER_CONN_BODY : SERVER_CONN_BUSY};
    w->cb(w->data, &view);
}

static int visit(h2o_req_t *req, void *cbdata)
{
    walk_t *w = cbdata;
    h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (sock == NULL)
        return 0;
    if (w->http2)
        view_http2(w, req, sock);
    else
        view_http1(w, req, sock);
    return 0;
}

void faas_server__conn_walk(h2o_context_t *ctx, void (*cb)(void *data, const server_req_view_t *view), void *data)
{
    walk_t w = {.cb = cb, .data = data, .now_ms = faas_clock_now_ms()};
    const h2o_protocol_callbacks_t *protocols[] = {&ctx->globalconf->http1.callbacks, &ctx->globalconf->http2.callbacks};
    for (size_t i = 0; i < 2; i++) {
        w.http2 = i == 1;
        if (protocols[i]->foreach_request != NULL)
            protocols[i]->foreach_request(ctx, visit, &w);
    }
}
