/*
 * conns.c: each loop's client connections. Every socket a loop accepts gets a record, freed
 * by the socket's on_close (a connection accepted elsewhere, on a function's port, gets one
 * the first time a scan sees it). With them faas adds what libh2o 2.2 lacks:
 * - server.max_connections, counted over all loops: at the cap, an accept first closes this
 *   loop's connection idle the longest (else the one waiting longest for its headers); when
 *   there is none, the new connection is refused (closed at once).
 * - Deadlines, checked by a sweep every SWEEP_MS: server.header_timeout for a request's header
 *   block (a new connection's first request counted from its accept), server.keepalive_timeout
 *   between requests, server.read_timeout for an HTTP/2 body (libh2o bounds HTTP/1's itself).
 * - Unauthenticated bodies: libh2o reads a whole body before faas sees its request, so the
 *   sweep cuts an API request without the passkey whose body, still arriving, is past
 *   limits.max_unauth_body or server.header_timeout (unauth.c says which those are).
 * A scan walks libh2o's requests (conn_view.c), folds them into the records, then judges each
 * record; a logger on the catch-all path notes each request's end, which a scan may miss. A connection is closed by shutting its socket down: libh2o reads the end of the
 * stream and frees the connection its usual way. Loop thread.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>

#define SWEEP_MS 250
#define ACCEPTS_PER_WAKEUP 16
#define RECLAIM_BATCH 16
#define REFUSED_LOG_MS 10000

typedef enum { KIND_NEW, KIND_HTTP1, KIND_HTTP2 } conn_kind_t;

/* What a connection does at the last scan: a phase of conn_view.c, or one of these. */
enum {
    STATE_NEW = SERVER_CONN_BUSY + 1, /* no request seen yet: TLS handshake, HTTP/2 before its first stream */
    STATE_UPGRADED,                   /* was HTTP/1, now a tunnel (websocket) or an HTTP/2 upgrade */
};

typedef struct server_conn {
    h2o_linklist_t link; /* in the loop's list, oldest first */
    server_thread_t *t;
    h2o_socket_t *sock;
    int closing;
    conn_kind_t kind;
    int state, prev_state;
    int64_t accepted_ms, idle_since_ms, state_since_ms, body_since_ms; /* monotonic */
    size_t activity;       /* HTTP/1: the socket's bytes_written at the last scan (each answer moves it) */
    uint64_t walk;         /* the last walk that reported it */
    int first_request;     /* HTTP/1, from that walk */
    int64_t request_age_ms;
    h2o_req_t *body;       /* a request whose body is arriving (HTTP/2: the one followed since body_since) */
    size_t received;       /* HTTP/1: bytes held for it */
    h2o_req_t *next_body;  /* HTTP/2: another one, followed once body is in */
    int body_seen;         /* HTTP/2: body still arriving in this walk */
    uint64_t body_bytes_at; /* HTTP/2: the TCP connection's bytes received when body was first seen */
} server_conn_t;

/* ---- records ---------------------------------------------------------------- */

static void on_socket_close(void *data)
{
    server_conn_t *c = data;
    h2o_linklist_unlink(&c->link);
    c->t->conns.n--;
    if (!c->closing)
        atomic_fetch_sub(&c->t->server->nconns, 1);
    free(c);
}

static server_conn_t *conn_of(h2o_socket_t *sock)
{
    return sock->on_close.cb == on_socket_close ? sock->on_close.data : NULL;
}

static server_conn_t *track(server_thread_t *t, h2o_socket_t *sock, int64_t now)
{
    if (sock->on_close.cb != NULL)
        return NULL; /* a socket someone else watches: never a server connection in libh2o 2.2 */
    server_conn_t *c = malloc(sizeof(*c));
    if (c == NULL)
        return NULL;
    *c = (server_conn_t){.t = t, .sock = sock, .state = STATE_NEW, .prev_state = STATE_NEW, .accepted_ms = now,
                         .idle_since_ms = now, .state_since_ms = now, .body_since_ms = now,
                         .activity = sock->bytes_written};
    sock->on_close.cb = on_socket_close;
    sock->on_close.data = c;
    h2o_linklist_insert(&t->conns.all, &c->link);
    t->conns.n++;
    atomic_fetch_add(&t->server->nconns, 1);
    return c;
}

static void close_conn(server_conn_t *c, const char *why)
{
    c->closing = 1;
    atomic_fetch_sub(&c->t->server->nconns, 1);
    int fd = h2o_socket_get_fd(c->sock);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
    faas_log_debug("loop %zu: closing a connection: %s", c->t->loop.index, why);
}

void faas_server__on_request_done(h2o_logger_t *self, h2o_req_t *req)
{
    (void)self;
    h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL ? req->conn->callbacks->get_socket(req->conn) : NULL;
    server_conn_t *c = sock != NULL ? conn_of(sock) : NULL;
    if (c == NULL)
        return;
    c->kind = req->version >= 0x200 ? KIND_HTTP2 : KIND_HTTP1; /* an HTTP/2 connection without streams is idle */
    c->idle_since_ms = faas_clock_mono_ms();
}

/* Bytes the TCP connection received so far, TLS records included (libh2o keeps no total). */
static uint64_t bytes_received(h2o_socket_t *sock)
{
    struct tcp_info info;
    socklen_t len = sizeof(info);
    int fd = h2o_socket_get_fd(sock);
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(info.tcpi_bytes_received))
        return 0;
    return info.tcpi_bytes_received;
}

/* ---- a scan: libh2o's requests folded into the records ------------------------ */

typedef struct scan {
    server_thread_t *t;
    uint64_t walk;
    int64_t now;
} scan_t;

static void fold(void *data, const server_req_view_t *v)
{
    scan_t *s = data;
    server_conn_t *c = conn_of(v->sock);
    if (c == NULL && (c = track(s->t, v->sock, s->now)) == NULL) /* accepted on a function's port */
        return;
    if (c->walk != s->walk) { /* the first of its requests in this walk */
        c->walk = s->walk;
        c->prev_state = c->state;
        c->state = SERVER_CONN_IDLE;
        c->body_seen = 0;
        c->next_body = NULL;
        if (!v->http2)
            c->body = NULL;
    }
    c->kind = v->http2 ? KIND_HTTP2 : KIND_HTTP1;
    if ((int)v->phase > c->state)
        c->state = (int)v->phase;
    c->first_request = v->first_request;
    c->request_age_ms = v->request_age_ms;
    if (v->phase != SERVER_CONN_BODY)
        return;
    if (!v->http2) {
        c->body = v->req;
        c->received = v->received;
    } else if (v->req == c->body) {
        c->body_seen = 1;
    } else if (c->next_body == NULL) {
        c->next_body = v->req;
    }
}

/* After the walk: the state of a connection it did not report, what changed, the body followed. */
static void settle(server_conn_t *c, const scan_t *s)
{
    if (c->walk != s->walk) {
        c->prev_state = c->state;
        c->state = c->kind == KIND_HTTP2 ? SERVER_CONN_IDLE : c->kind == KIND_HTTP1 ? STATE_UPGRADED : STATE_NEW;
        c->body = NULL;
    } else if (c->kind == KIND_HTTP2 && !c->body_seen) {
        c->body = c->next_body; /* NULL when no body is arriving */
        c->body_since_ms = s->now;
        c->body_bytes_at = c->body != NULL ? bytes_received(c->sock) : 0;
    }
    /* HTTP/2 answers also move bytes_written (PING, SETTINGS): its requests' ends come from the logger */
    if ((c->kind == KIND_HTTP1 && c->sock->bytes_written != c->activity) || c->state != SERVER_CONN_IDLE)
        c->idle_since_ms = s->now;
    c->activity = c->sock->bytes_written;
    if (c->state != c->prev_state)
        c->state_since_ms = s->now;
}

/* Walks libh2o's requests, settles every record, and hands each (not being closed) to judge. */
static void scan(server_thread_t *t, void (*judge)(server_conn_t *c, const scan_t *s, void *data), void *data)
{
    scan_t s = {.t = t, .walk = ++t->conns.walks, .now = faas_clock_mono_ms()};
    faas_server__conn_walk(&t->loop.ctx, fold, &s);
    for (h2o_linklist_t *node = t->conns.all.next; node != &t->conns.all; node = node->next) {
        server_conn_t *c = H2O_STRUCT_FROM_MEMBER(server_conn_t, link, node);
        if (c->closing)
            continue;
        settle(c, &s);
        judge(c, &s, data); /* closing is a shutdown: the record stays until libh2o closes the socket */
    }
}

/* ---- the sweep: deadlines and unauthenticated bodies ----------------------------- */

/* Why the connection is past a deadline, or NULL. */
static const char *overdue(const server_conn_t *c, const faas_config_t *cfg, int64_t now)
{
    int64_t header_age = c->first_request ? now - c->accepted_ms
                         : c->request_age_ms >= 0 ? c->request_age_ms : now - c->state_since_ms;
    switch (c->state) {
    case STATE_NEW:
        return now - c->accepted_ms >= cfg->server.header_timeout_ms ? "no request within server.header_timeout" : NULL;
    case SERVER_CONN_IDLE:
        if (c->kind == KIND_HTTP1 && c->first_request)
            return header_age >= cfg->server.header_timeout_ms ? "no request within server.header_timeout" : NULL;
        return now - c->idle_since_ms >= cfg->server.keepalive_timeout_ms ? "idle past server.keepalive_timeout" : NULL;
    case SERVER_CONN_HEADER:
        return header_age >= cfg->server.header_timeout_ms ? "headers not in within server.header_timeout" : NULL;
    case SERVER_CONN_BODY:
        return c->kind == KIND_HTTP2 && c->body != NULL && now - c->body_since_ms >= cfg->server.read_timeout_ms
                   ? "HTTP/2 body not in within server.read_timeout" : NULL;
    default:
        return NULL;
    }
}

/* Why an arriving body without the passkey is cut, or NULL. */
static const char *unwanted_body(server_conn_t *c, const faas_config_t *cfg, int64_t now)
{
    if (c->body == NULL)
        return NULL;
    int http2 = c->kind == KIND_HTTP2;
    uint64_t received = http2 ? bytes_received(c->sock) - c->body_bytes_at : c->received;
    int64_t age = http2 ? now - c->body_since_ms : c->request_age_ms;
    int big = received > (uint64_t)cfg->limits.max_unauth_body;
    if ((!big && age < cfg->server.header_timeout_ms) || !faas_server__unauthenticated_api(c->t, c->body))
        return NULL;
    return big ? "API request without the passkey, body past limits.max_unauth_body"
               : "API request without the passkey, body not in within server.header_timeout";
}

static void judge_deadlines(server_conn_t *c, const scan_t *s, void *data)
{
    const faas_config_t *cfg = data;
    const char *why = overdue(c, cfg, s->now);
    if (why == NULL && c->state == SERVER_CONN_BODY)
        why = unwanted_body(c, cfg, s->now);
    if (why != NULL)
        close_conn(c, why);
}

static void on_sweep(h2o_timeout_entry_t *entry)
{
    server_thread_t *t = H2O_STRUCT_FROM_MEMBER(server_thread_t, conns.sweep_entry, entry);
    scan(t, judge_deadlines, (void *)faas_loop_config(&t->loop));
    h2o_timeout_link(t->loop.ctx.loop, &t->conns.sweep_timeout, &t->conns.sweep_entry);
}

void faas_server__conns_start(server_thread_t *t)
{
    h2o_linklist_init_anchor(&t->conns.all);
    h2o_timeout_init(t->loop.ctx.loop, &t->conns.sweep_timeout, SWEEP_MS);
    t->conns.sweep_entry.cb = on_sweep;
    h2o_timeout_link(t->loop.ctx.loop, &t->conns.sweep_timeout, &t->conns.sweep_entry);
}

/* ---- the cap ------------------------------------------------------------------ */

/* The connections to close first at the cap, best first: idle the longest, then those
   waiting the longest for a request's headers. Filled by one scan, used by the accepts after it. */
typedef struct reclaim {
    size_t n, used;
    int scanned_empty;
    struct { server_conn_t *c; int rank; int64_t since; } v[RECLAIM_BATCH];
} reclaim_t;

static void judge_reclaim(server_conn_t *c, const scan_t *s, void *data)
{
    reclaim_t *r = data;
    int rank;
    int64_t since;
    if (c->state == SERVER_CONN_IDLE) {
        rank = 0;
        since = c->idle_since_ms;
    } else if (c->state == SERVER_CONN_HEADER || c->state == STATE_NEW) {
        rank = 1;
        since = c->first_request || c->state == STATE_NEW ? c->accepted_ms
                : c->request_age_ms >= 0 ? s->now - c->request_age_ms : c->state_since_ms;
    } else {
        return;
    }
    size_t i = r->n;
    while (i > 0 && (r->v[i - 1].rank > rank || (r->v[i - 1].rank == rank && r->v[i - 1].since > since))) {
        if (i < RECLAIM_BATCH)
            r->v[i] = r->v[i - 1];
        i--;
    }
    if (i == RECLAIM_BATCH)
        return;
    r->v[i].c = c;
    r->v[i].rank = rank;
    r->v[i].since = since;
    if (r->n < RECLAIM_BATCH)
        r->n++;
}

/* Closes this loop's best connection to close at the cap; -1 when there is none. */
static int reclaim_one(server_thread_t *t, reclaim_t *r)
{
    while (r->used < r->n && r->v[r->used].c->closing)
        r->used++;
    if (r->used == r->n && !r->scanned_empty) {
        *r = (reclaim_t){0};
        scan(t, judge_reclaim, r);
        r->scanned_empty = r->n == 0;
    }
    if (r->used == r->n)
        return -1;
    close_conn(r->v[r->used++].c, "server.max_connections reached: closing the connection idle the longest");
    return 0;
}

static void refuse(server_thread_t *t, h2o_socket_t *sock, size_t cap)
{
    h2o_socket_close(sock);
    t->conns.refused++;
    int64_t now = faas_clock_mono_ms();
    if (now - t->conns.refused_logged_ms < REFUSED_LOG_MS)
        return;
    faas_log_warn("loop %zu: server.max_connections (%zu) reached and no idle connection to close: "
                  "%zu new connection(s) refused", t->loop.index, cap, t->conns.refused);
    t->conns.refused_logged_ms = now;
    t->conns.refused = 0;
}

static int admit(server_thread_t *t, h2o_socket_t *sock, reclaim_t *r)
{
    size_t cap = (size_t)faas_loop_config(&t->loop)->server.max_connections;
    if (cap > t->server->conn_fd_cap)
        cap = t->server->conn_fd_cap;
    if (atomic_load(&t->server->nconns) >= cap && reclaim_one(t, r) != 0) {
        refuse(t, sock, cap);
        return -1;
    }
    if (track(t, sock, faas_clock_mono_ms()) == NULL) {
        h2o_socket_close(sock);
        return -1;
    }
    return 0;
}

int faas_server__conns_admit(server_thread_t *t, h2o_socket_t *sock)
{
    reclaim_t r = {0};
    return admit(t, sock, &r);
}

void faas_server__on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    h2o_accept_ctx_t *accept = listener->data;
    server_thread_t *t = H2O_STRUCT_FROM_MEMBER(server_thread_t, loop.ctx, accept->ctx);
    reclaim_t r = {0};
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            break;
        if (admit(t, sock, &r) == 0)
            h2o_accept(accept, sock);
    }
}
