/*
 * forward.c: faas's own HTTP/1.1 client to function containers, on the
 * loop's sockets. One exchange per proxied request: a connection from this
 * loop's idle list for the upstream (or a new one), the request written with
 * one writev, the response head parsed with picohttpparser (shipped inside
 * libh2o), the body streamed to the client with backpressure. Loop thread only.
 *
 * DESIGN
 * - Why not libh2o's proxy: its socket pool exports and imports the socket on
 *   every request (about 13 syscalls), never retries a stale connection, and
 *   answers errors in plain text. Here an idle connection simply stays in this
 *   loop's event loop.
 * - Idle connections keep a read callback that closes them on any event (the
 *   container closed it, or sent something unasked), so a reused connection is
 *   rarely stale; if it is (it fails before any response byte), the request is
 *   sent once more on a fresh connection.
 * - The body goes out without a copy: h2o_send gets a slice of the upstream
 *   socket's input buffer, and the upstream is not read again until the client
 *   took that slice (proceed). The last slice's buffer is detached and kept
 *   until the request is freed, so the connection can go back to the pool at once.
 * - Before the response head, errors are JSON: 502 (refused, reset, a bad
 *   answer, a status outside 100..999, which libh2o's HTTP/2 encoder would abort
 *   on), 504 (limits.upstream_timeout). After it, the client's stream is aborted.
 * - An HTTP/2 request is written on the loop's next turn (a zero timeout), once
 *   libh2o has handled every frame read with it: a client that sends HEADERS and
 *   RST_STREAM together (Rapid Reset, see src/http/resets.c) reaches no container.
 * - The request head (head.c) is measured before it is built: 431 past its limits.
 * - An HTTP/1.1 client's socket stays polled for reading while its request is proxied
 *   ("parked"): libh2o's HTTP/1 server stops reading a connection while it answers it, and on
 *   epoll that costs an epoll_ctl at the end of the turn and another when the next request is
 *   awaited, a third of the syscalls of a proxied request. Parked, the socket is marked
 *   "don't read" (nothing is read into the buffer the request's fields point into); an event
 *   on it (the client pipelined or left) stops reading as libh2o would have, and the mark goes
 *   when the request is freed, just before libh2o reads the next request.
 */
#include "internal.h"
#include "faas/http/obs.h"
#include "faas/http/reply.h"
#include "faas/core/log.h"

#include <h2o/http1.h>
#include <h2o/tunnel.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>


#define MAX_RESPONSE_HEAD 65536
#define MAX_IDLE_PER_POOL 1024 /* enough for every stream of many h2 clients: closing and reopening costs more */

typedef struct exchange {
    h2o_generator_t super;       /* first: h2o hands it back in proceed */
    h2o_req_t *req;
    faas_proxy_loop_t *pl;
    faas_upstream_pool_t *pool;
    request_hold_t *hold;        /* the request's place in the load counts (wait.c) */
    faas_upconn_t *conn;         /* NULL once released */
    h2o_iovec_t reqbufs[2];      /* request head, body */
    int reused, retried, started, upgrade, keepalive;
    int waiting;                 /* HTTP/2: not started yet, due on the loop's next turn */
    faas_proxy__body_t framing;
    size_t left;                 /* FAAS_PROXY__BODY_LENGTH: bytes still to come */
    struct phr_chunked_decoder chunked;
    size_t handed;               /* bytes of the input given to h2o_send, until proceed */
    h2o_buffer_t *last;          /* the final slice's buffer, kept until the request is freed */
    h2o_timeout_entry_t timeout;
    struct timespec sent;        /* when the request head went to the container (CLOCK_MONOTONIC) */
    h2o_socket_t *parked;        /* HTTP/1.1: the client's socket, kept polled (see DESIGN) */
} exchange_t;

static void on_head(h2o_socket_t *sock, const char *err);
static void on_body(h2o_socket_t *sock, const char *err);
static void send_request(exchange_t *ex);

/* ---- connections ----------------------------------------------------------------- */

static void pool_maybe_free(faas_upstream_pool_t *pool)
{
    if (pool->retired && pool->lent == 0 && h2o_linklist_is_empty(&pool->idle)) {
        faas_upstream_unref(pool->upstream);
        free(pool);
    }
}

static void conn_close(faas_upconn_t *c)
{
    h2o_socket_close(c->sock);
    free(c);
}

static void idle_close(faas_upconn_t *c)
{
    faas_upstream_pool_t *pool = c->pool;
    h2o_linklist_unlink(&c->link);
    h2o_timeout_unlink(&c->idle_timeout);
    pool->nidle--;
    conn_close(c);
    pool_maybe_free(pool);
}

/* Anything on an idle connection (EOF, an error, bytes nobody asked for) ends it. */
static void on_idle_event(h2o_socket_t *sock, const char *err)
{
    (void)err;
    idle_close(sock->data);
}

static void on_idle_timeout(h2o_timeout_entry_t *entry)
{
    idle_close(H2O_STRUCT_FROM_MEMBER(faas_upconn_t, idle_timeout, entry));
}

/* Gives the exchange's connection back: to the idle list when it can serve again, else closed. */
static void conn_release(exchange_t *ex, int reuse)
{
    faas_upconn_t *c = ex->conn;
    faas_upstream_pool_t *pool = ex->pool;
    ex->conn = NULL;
    h2o_timeout_unlink(&ex->timeout);
    pool->lent--;
    if (reuse && !pool->retired && pool->nidle < MAX_IDLE_PER_POOL && c->sock->input->size == 0) {
        c->sock->data = c;
        h2o_socket_read_start(c->sock, on_idle_event);
        c->idle_timeout.cb = on_idle_timeout;
        h2o_timeout_link(ex->pl->loop->ctx.loop, &ex->pl->idle_timeout, &c->idle_timeout);
        h2o_linklist_insert(&pool->idle, &c->link);
        pool->nidle++;
    } else {
        conn_close(c);
    }
    pool_maybe_free(pool);
}

void faas_proxy__pool_retire(faas_upstream_pool_t *pool)
{
    /* Close the idle ones first, while the pool cannot be freed under the loop. */
    while (!h2o_linklist_is_empty(&pool->idle))
        idle_close(H2O_STRUCT_FROM_MEMBER(faas_upconn_t, link, pool->idle.next));
    pool->retired = 1;
    pool_maybe_free(pool); /* now, or when its last lent connection comes back */
}

faas_upstream_pool_t *faas_proxy__pool_create(faas_upstream_t *upstream)
{
    faas_upstream_pool_t *pool = calloc(1, sizeof(*pool));
    if (pool == NULL)
        return NULL;
    pool->upstream = faas_upstream_ref(upstream);
    h2o_linklist_init_anchor(&pool->idle);
    return pool;
}

/* ---- answers --------------------------------------------------------------------- */

/* Going back to read a response that is not whole: ACK what came at once. Servers that write the
 * head and the body with two send()s (Python's http.server does) otherwise wait for our delayed
 * ACK before their Nagle lets the body go: 40 ms per response. */
static void quick_ack(exchange_t *ex)
{
    int on = 1;
    setsockopt(h2o_socket_get_fd(ex->conn->sock), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
}

static void arm_timeout(exchange_t *ex)
{
    h2o_timeout_unlink(&ex->timeout);
    h2o_timeout_link(ex->pl->loop->ctx.loop, &ex->pl->io_timeout, &ex->timeout);
}

/* Ends the exchange with an error (counted by reason): a JSON answer before the response head, an
 * aborted stream after. */
static void fail(exchange_t *ex, faas_obs_upstream_error_t reason, int status, const char *message,
                 const char *details)
{
    if (ex->req != NULL)
        faas_obs_upstream_error(ex->hold->obs, reason);
    if (ex->req != NULL)
        faas_log_warn("proxy: %.*s -> %s: %s", (int)ex->req->authority.len, ex->req->authority.base,
                      ex->pool->upstream->text, details);
    if (ex->conn != NULL)
        conn_release(ex, 0); /* may free a retired pool: ex->pool is not used after this */
    if (ex->req == NULL)
        return;
    if (ex->started)
        h2o_send(ex->req, NULL, 0, H2O_SEND_STATE_ERROR);
    else
        faas_reply_error(ex->req, status, message, details);
}

/* A reused connection that failed before any response byte was stale: one more try, on a new one. */
static void retry_or_fail(exchange_t *ex, const char *err)
{
    if (ex->reused && !ex->retried && !ex->started && ex->conn != NULL && ex->conn->sock->input->size == 0) {
        ex->retried = 1;
        ex->pool->lent++; /* counted for the retry first, so releasing cannot free the pool */
        conn_release(ex, 0);
        send_request(ex);
        return;
    }
    /* libh2o reports a refused connect as a failed write on the new connection. */
    char details[160];
    snprintf(details, sizeof(details), ex->reused ? "the function's container closed the connection (%s)"
                                                  : "cannot connect to the function's container: refused or not listening (%s)",
             err);
    fail(ex, ex->reused ? FAAS_OBS_UPSTREAM_CLOSED : FAAS_OBS_UPSTREAM_CONNECT, 502, "Bad gateway", details);
}

static void on_timeout(h2o_timeout_entry_t *entry)
{
    exchange_t *ex = H2O_STRUCT_FROM_MEMBER(exchange_t, timeout, entry);
    fail(ex, FAAS_OBS_UPSTREAM_TIMEOUT, 504, "Gateway timeout", "the function did not answer within limits.upstream_timeout");
}

/* ---- the response body ------------------------------------------------------------- */

/* Sends the last slice: its buffer leaves the socket (kept until the request goes) so the
 * connection can serve the next request right away. */
static void send_final(exchange_t *ex, size_t n)
{
    h2o_socket_t *sock = ex->conn->sock;
    int reuse = ex->keepalive && sock->input->size == n;
    ex->last = sock->input;
    h2o_buffer_init(&sock->input, &h2o_socket_buffer_prototype);
    conn_release(ex, reuse);
    h2o_iovec_t buf = h2o_iovec_init(ex->last->bytes, n);
    h2o_send(ex->req, &buf, n > 0 ? 1 : 0, H2O_SEND_STATE_FINAL);
}

/* Hands the client what the input holds, or reads more. Only called when nothing is handed. */
static void pump(exchange_t *ex)
{
    h2o_buffer_t *in = ex->conn->sock->input;
    size_t n = 0;
    int final = 0;
    switch (ex->framing) {
    case FAAS_PROXY__BODY_NONE:
        final = 1;
        break;
    case FAAS_PROXY__BODY_LENGTH:
        n = in->size < ex->left ? in->size : ex->left;
        ex->left -= n;
        final = ex->left == 0;
        break;
    case FAAS_PROXY__BODY_CHUNKED:
        if (in->size > 0) {
            size_t size = in->size;
            ssize_t rest = phr_decode_chunked(&ex->chunked, in->bytes, &size);
            if (rest == -1) {
                fail(ex, FAAS_OBS_UPSTREAM_INVALID, 502, "Bad gateway", "the function sent a broken chunked body");
                return;
            }
            n = size;
            final = rest >= 0;
            in->size = size + (rest > 0 ? (size_t)rest : 0); /* decoded in place, then what follows */
        }
        break;
    case FAAS_PROXY__BODY_UNTIL_CLOSE:
        n = in->size;
        break;
    }
    if (final) {
        send_final(ex, n);
        return;
    }
    if (n == 0) {
        arm_timeout(ex);
        quick_ack(ex);
        h2o_socket_read_start(ex->conn->sock, on_body);
        return;
    }
    /* Backpressure: nothing more is read from the container until the client took this. */
    ex->handed = n;
    h2o_socket_read_stop(ex->conn->sock);
    h2o_timeout_unlink(&ex->timeout);
    h2o_iovec_t buf = h2o_iovec_init(in->bytes, n);
    h2o_send(ex->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

static void do_proceed(h2o_generator_t *generator, h2o_req_t *req)
{
    (void)req;
    exchange_t *ex = (exchange_t *)generator;
    if (ex->conn == NULL)
        return;
    h2o_buffer_consume(&ex->conn->sock->input, ex->handed);
    ex->handed = 0;
    pump(ex);
}

static void do_stop(h2o_generator_t *generator, h2o_req_t *req)
{
    (void)generator, (void)req; /* on_request_freed closes the connection */
}

static void on_body(h2o_socket_t *sock, const char *err)
{
    exchange_t *ex = sock->data;
    if (err == NULL) {
        pump(ex);
    } else if (ex->framing == FAAS_PROXY__BODY_UNTIL_CLOSE) {
        ex->keepalive = 0;
        send_final(ex, sock->input->size); /* the end of the body is the end of the connection */
    } else {
        fail(ex, FAAS_OBS_UPSTREAM_CLOSED, 502, "Bad gateway", "the function's container closed the connection in the middle of the body");
    }
}

/* ---- the response head ------------------------------------------------------------- */

/* Learns the framing, then copies the container's headers to the response, minus hop-by-hop ones
 * and Content-Length (libh2o writes its own). Each name is looked up once, for both. */
static const char *take_headers(exchange_t *ex, int minor, const struct phr_header *headers, size_t n)
{
    h2o_req_t *req = ex->req;
    const h2o_token_t *tokens[FAAS_PROXY__MAX_RESPONSE_HEADERS];
    faas_proxy__header_tokens(headers, n, tokens);
    faas_proxy__framing_t f;
    const char *why = faas_proxy__framing(headers, tokens, n, minor, req->res.status,
                                          h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")), &f);
    if (why != NULL)
        return why;
    ex->keepalive = f.keepalive;
    ex->framing = f.body;
    req->res.content_length = f.content_length;
    if (f.body == FAAS_PROXY__BODY_CHUNKED)
        ex->chunked.consume_trailer = 1; /* the last chunk's trailers and CRLF too: the connection can serve again */
    else if (f.body == FAAS_PROXY__BODY_LENGTH)
        ex->left = f.content_length;
    for (size_t i = 0; i < n; i++) {
        const h2o_token_t *token = tokens[i];
        if (token == H2O_TOKEN_CONTENT_LENGTH || (token != NULL && token->proxy_should_drop_for_res))
            continue;
        /* copied: the input buffer serves the next read before an HTTP/2 stream's head is encoded */
        h2o_iovec_t value = h2o_strdup(&req->pool, headers[i].value, headers[i].value_len);
        if (token != NULL) {
            h2o_add_header(&req->pool, &req->res.headers, token, NULL, value.base, value.len);
        } else {
            h2o_iovec_t name = h2o_strdup(&req->pool, headers[i].name, headers[i].name_len);
            h2o_strtolower(name.base, name.len);
            h2o_add_header_by_str(&req->pool, &req->res.headers, name.base, name.len, 0, NULL, value.base, value.len);
        }
    }
    return NULL;
}

typedef struct upgrade {
    h2o_socket_t *upstream;
    h2o_context_t *ctx;
    h2o_timeout_t *timeout;
} upgrade_t;

static void on_upgraded(void *data, h2o_socket_t *client, size_t reqsize)
{
    upgrade_t *up = data;
    if (client != NULL) {
        h2o_buffer_consume(&client->input, reqsize);
        h2o_tunnel_establish(up->ctx, client, up->upstream, up->timeout); /* bytes both ways now */
    } else {
        h2o_socket_close(up->upstream);
    }
    free(up);
}

/* The container accepted a websocket: hand both sockets to a tunnel once the client got the 101. */
static void start_tunnel(exchange_t *ex)
{
    upgrade_t *up = malloc(sizeof(*up));
    faas_upconn_t *c = ex->conn;
    if (up == NULL) {
        fail(ex, FAAS_OBS_UPSTREAM_NREASONS, 502, "Bad gateway", "out of memory");
        return;
    }
    *up = (upgrade_t){.upstream = c->sock, .ctx = &ex->pl->loop->ctx, .timeout = &ex->pl->websocket_timeout};
    /* libh2o frees the request once the tunnel is established: the tunnel's upstream socket counts
       the WebSocket as in flight from now until it closes. */
    faas_proxy__hold_tunnel(ex->hold, c->sock);
    ex->conn = NULL; /* the tunnel owns the socket now, not on_request_freed */
    ex->pool->lent--;
    h2o_timeout_unlink(&ex->timeout);
    h2o_socket_read_stop(c->sock);
    free(c);
    pool_maybe_free(ex->pool);
    h2o_add_header(&ex->req->pool, &ex->req->res.headers, H2O_TOKEN_UPGRADE, NULL, H2O_STRLIT("websocket"));
    h2o_http1_upgrade(ex->req, NULL, 0, on_upgraded, up);
}

/* "upstream;dur=<ms with 3 decimals>" in pool: written by hand, printf's float path costs a
 * visible share of a proxied request. */
static h2o_iovec_t upstream_timing_value(h2o_mem_pool_t *pool, int64_t us)
{
    static const char prefix[] = "upstream;dur=";
    char digits[24];
    size_t n = 0;
    if (us < 0)
        us = 0;
    do { /* at least "0" then the three decimals: 1234 us -> "1234" -> "1.234" */
        digits[n++] = (char)('0' + us % 10);
        us /= 10;
    } while (us > 0 || n < 4);
    char *out = h2o_mem_alloc_pool(pool, sizeof(prefix) + n + 1), *p = out;
    memcpy(p, prefix, sizeof(prefix) - 1);
    p += sizeof(prefix) - 1;
    while (n > 3)
        *p++ = digits[--n];
    *p++ = '.';
    while (n > 0)
        *p++ = digits[--n];
    return h2o_iovec_init(out, (size_t)(p - out));
}

/* Server-Timing: upstream;dur=<ms> from the request head sent to the response head parsed (the
 * wake's entry, when the request waited, went among the headers before: wait.c). */
static void add_upstream_timing(exchange_t *ex)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t us = (int64_t)(now.tv_sec - ex->sent.tv_sec) * 1000000 + (now.tv_nsec - ex->sent.tv_nsec) / 1000;
    h2o_iovec_t v = upstream_timing_value(&ex->req->pool, us);
    h2o_add_header_by_str(&ex->req->pool, &ex->req->res.headers, H2O_STRLIT("server-timing"), 0, NULL, v.base, v.len);
    faas_obs_upstream(ex->hold->obs, (double)us / 1000.0);
}

static void on_head(h2o_socket_t *sock, const char *err)
{
    exchange_t *ex = sock->data;
    if (err != NULL) {
        retry_or_fail(ex, err);
        return;
    }
    for (;;) {
        struct phr_header headers[FAAS_PROXY__MAX_RESPONSE_HEADERS];
        size_t nheaders = FAAS_PROXY__MAX_RESPONSE_HEADERS, msg_len;
        int minor, status;
        const char *msg;
        int rlen = phr_parse_response(sock->input->bytes, sock->input->size, &minor, &status, &msg, &msg_len, headers,
                                      &nheaders, 0);
        if (rlen == -2 && sock->input->size <= MAX_RESPONSE_HEAD) {
            arm_timeout(ex); /* more to come */
            if (sock->input->size > 0)
                quick_ack(ex);
            return;
        }
        if (rlen < 0) {
            fail(ex, FAAS_OBS_UPSTREAM_INVALID, 502, "Bad gateway", "the function sent an invalid HTTP response");
            return;
        }
        if (status < 100 || status > 999) {
            char details[80];
            snprintf(details, sizeof(details), "the function sent status %d, outside 100..999", status);
            fail(ex, FAAS_OBS_UPSTREAM_INVALID, 502, "Bad gateway", details);
            return;
        }
        if (status == 101 && !ex->upgrade) {
            fail(ex, FAAS_OBS_UPSTREAM_INVALID, 502, "Bad gateway", "the function switched protocols without being asked to");
            return;
        }
        if (status >= 100 && status < 200 && status != 101) {
            h2o_buffer_consume(&sock->input, (size_t)rlen); /* 100 Continue, 103: not forwarded */
            continue;
        }
        h2o_req_t *req = ex->req;
        add_upstream_timing(ex);
        req->res.status = status;
        req->res.reason = h2o_strdup(&req->pool, msg, msg_len).base;
        const char *bad = take_headers(ex, minor, headers, nheaders);
        if (bad != NULL) {
            fail(ex, FAAS_OBS_UPSTREAM_INVALID, 502, "Bad gateway", bad);
            return;
        }
        h2o_buffer_consume(&sock->input, (size_t)rlen);
        ex->started = 1;
        h2o_timeout_unlink(&ex->timeout);
        if (status == 101) {
            start_tunnel(ex);
            return;
        }
        h2o_start_response(req, &ex->super);
        pump(ex);
        return;
    }
}

/* ---- the request ---------------------------------------------------------------------- */

static void on_written(h2o_socket_t *sock, const char *err)
{
    exchange_t *ex = sock->data;
    if (err != NULL)
        retry_or_fail(ex, err);
}

/* Reading is on before the write: the container cannot answer before it has the request, and a
 * connection that keeps its read interest costs no epoll_ctl between requests. */
static void write_request(exchange_t *ex)
{
    clock_gettime(CLOCK_MONOTONIC, &ex->sent);
    arm_timeout(ex);
    ex->conn->sock->data = ex;
    h2o_socket_read_start(ex->conn->sock, on_head);
    h2o_socket_write(ex->conn->sock, ex->reqbufs, ex->reqbufs[1].len > 0 ? 2 : 1, on_written);
}

static void on_connect(h2o_socket_t *sock, const char *err)
{
    exchange_t *ex = sock->data;
    if (err != NULL) {
        char details[160];
        snprintf(details, sizeof(details), "cannot connect to the function's container: refused or not listening (%s)",
                 err);
        fail(ex, FAAS_OBS_UPSTREAM_CONNECT, 502, "Bad gateway", details);
        return;
    }
    write_request(ex);
}

/* Takes an idle connection to the upstream, or opens one. pool->lent already counts it. */
static void send_request(exchange_t *ex)
{
    faas_upstream_pool_t *pool = ex->pool;
    if (!ex->retried && !h2o_linklist_is_empty(&pool->idle)) {
        faas_upconn_t *c = H2O_STRUCT_FROM_MEMBER(faas_upconn_t, link, pool->idle.next);
        h2o_linklist_unlink(&c->link);
        h2o_timeout_unlink(&c->idle_timeout);
        pool->nidle--;
        ex->conn = c;
        ex->reused = 1;
        write_request(ex);
        return;
    }
    faas_upconn_t *c = calloc(1, sizeof(*c));
    struct sockaddr_in addr = pool->upstream->addr;
    h2o_socket_t *sock = c != NULL ? h2o_socket_connect(ex->pl->loop->ctx.loop, (struct sockaddr *)&addr,
                                                        sizeof(addr), on_connect) : NULL;
    if (sock == NULL) {
        free(c);
        fail(ex, FAAS_OBS_UPSTREAM_CONNECT, 502, "Bad gateway", "cannot open a connection to the function's container");
        pool->lent--;
        pool_maybe_free(pool);
        return;
    }
    *c = (faas_upconn_t){.sock = sock, .pool = pool};
    ex->conn = c;
    ex->reused = 0;
    sock->data = ex;
    arm_timeout(ex);
}

/* ---- the client's socket while its request is answered -------------------------------- */

/* The client sent more (pipelining) or left while its answer is on its way: stop polling it,
 * as libh2o does; libh2o reads it again after the answer, or finds it closed at its write. */
static void on_parked_event(h2o_socket_t *sock, const char *err)
{
    (void)err;
    h2o_socket_read_stop(sock);
}

/* libh2o 2.2's HTTP/1 server calls read_stop right before handing the request over: turning
 * reading back on at once keeps the epoll registration as it was (see DESIGN). */
static void park_client(exchange_t *ex)
{
    h2o_req_t *req = ex->req;
    h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (sock == NULL || req->version >= 0x200 || ex->upgrade)
        return;
    h2o_socket_dont_read(sock, 1);
    h2o_socket_read_start(sock, on_parked_event);
    ex->parked = sock;
}

/* Runs when the request is freed: whatever the exchange still holds goes with it. */
static void on_request_freed(void *p)
{
    exchange_t *ex = p; /* libh2o frees it when this returns */
    ex->req = NULL;
    if (ex->parked != NULL) /* libh2o's HTTP/1 server frees the request, then reads the next one */
        h2o_socket_dont_read(ex->parked, 0);
    if (ex->conn != NULL)
        conn_release(ex, 0); /* in the middle of an exchange: the connection cannot serve again */
    h2o_timeout_unlink(&ex->timeout);
    if (ex->waiting) { /* cancelled before it started: nothing was sent */
        ex->pool->lent--;
        pool_maybe_free(ex->pool);
    }
    if (ex->last != NULL)
        h2o_buffer_dispose(&ex->last);
}

/* libh2o 2.2 keeps an HTTP/1.1 client's Upgrade in req->upgrade, not among the headers. */
static int wants_websocket(h2o_req_t *req)
{
    return req->version < 0x200 && req->upgrade.base != NULL &&
           h2o_lcstris(req->upgrade.base, req->upgrade.len, H2O_STRLIT("websocket"));
}

static void on_start(h2o_timeout_entry_t *entry)
{
    exchange_t *ex = H2O_STRUCT_FROM_MEMBER(exchange_t, timeout, entry);
    ex->waiting = 0;
    ex->timeout.cb = on_timeout;
    send_request(ex);
}

void faas_proxy__forward(faas_proxy_loop_t *pl, h2o_req_t *req, faas_upstream_pool_t *pool, request_hold_t *hold)
{
    int upgrade = wants_websocket(req);
    h2o_iovec_t head;
    if (faas_proxy__request_head(req, pl->loop->app->keys, upgrade, &head) != 0) {
        char details[160];
        snprintf(details, sizeof(details), "more than %d header fields or %d bytes of them", FAAS_PROXY__MAX_FIELDS,
                 FAAS_PROXY__MAX_FIELD_BYTES);
        faas_reply_error(req, 431, "Request header fields too large", details);
        return;
    }
    /* The exchange lives as long as the request: its pool frees it, on_request_freed first. */
    exchange_t *ex = h2o_mem_alloc_shared(&req->pool, sizeof(*ex), on_request_freed);
    *ex = (exchange_t){.super = {do_proceed, do_stop}, .req = req, .pl = pl, .pool = pool, .hold = hold,
                       .upgrade = upgrade};
    ex->reqbufs[0] = head;
    ex->reqbufs[1] = req->entity.base != NULL ? req->entity : h2o_iovec_init(NULL, 0);
    pool->lent++; /* from now: the pool stays while the exchange may start */
    if (req->version < 0x200) {
        ex->timeout.cb = on_timeout;
        park_client(ex);
        send_request(ex);
        return;
    }
    ex->waiting = 1; /* see DESIGN: after every frame read with this request */
    ex->timeout.cb = on_start;
    h2o_timeout_link(pl->loop->ctx.loop, &pl->loop->ctx.zero_timeout, &ex->timeout);
}
