/*
 * resets.c: the Rapid Reset guard (CVE-2023-44487: Debian's libh2o 2.2.5 has no mitigation).
 * An HTTP/2 client that opens streams and cancels them before their answer makes faas start
 * work it throws away, as fast as it can send frames, on one connection. Each connection gets a
 * budget of such streams (internal.h); past it, GOAWAY and a closed connection. The router arms
 * it on every HTTP/2 request. Loop threads; each loop keeps its own table.
 *
 * DESIGN
 * - What is counted: a request disposed while req->res.status is still 0, i.e. before faas
 *   answered it (the client reset the stream, or the connection went). A shared entry in the
 *   request's pool sees the dispose; answered requests cost nothing more.
 * - Where a connection's budget lives: libh2o 2.2 has no close hook on a connection, and the
 *   socket's one is taken (src/server/conns.c counts connections with it). So each loop keeps a
 *   table of the connections that cancelled lately, by connection id. A budget that has filled
 *   up again is the same as none: the table drops it (a sweep each second while it holds any), so
 *   it holds only connections that cancelled in the last FAAS_HTTP__RESET_BURST /
 *   FAAS_HTTP__RESET_REFILL_PER_S seconds, and a closed connection's entry goes by then too.
 * - Past the budget: a dispose runs inside libh2o (its RST_STREAM handling, or the connection
 *   closing), where the connection cannot be touched, so a zero timeout queues the GOAWAY on the
 *   loop's next turn (h2conn.c), if the connection is still open: no new stream is taken from
 *   then on, and libh2o closes the connection once its running streams are done. A second later
 *   a connection still open (slow streams, a client that does not read) is shut down at the
 *   socket: libh2o reads its end, or the kernel resets it when more frames come, and closes it.
 * - Cancelled requests starting no upstream work is the proxy's part: it writes to a container
 *   on the loop turn after the request came (src/proxy/forward.c), so a HEADERS and its
 *   RST_STREAM read together never reach the function.
 */
#include "internal.h"
#include "faas/core/log.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

#define BUCKETS 256

typedef struct conn_budget {
    h2o_linklist_t link;       /* in its bucket */
    h2o_conn_t *conn;          /* read only while faas_http__h2_socket finds it open */
    uint64_t id;               /* conn->id */
    faas_http__reset_budget_t budget;
    int tripped;
    h2o_timeout_entry_t entry; /* tripped: the GOAWAY on the next turn, then the shutdown a second later */
} conn_budget_t;

typedef struct loop_budgets {
    h2o_context_t *ctx;
    h2o_linklist_t buckets[BUCKETS];
    size_t n;
    h2o_timeout_entry_t sweep; /* each second while n > 0 */
} loop_budgets_t;

static __thread loop_budgets_t *budgets; /* this loop's, made at its first cancelled stream */

void faas_http__reset_budget_init(faas_http__reset_budget_t *b, uint64_t now_ms)
{
    b->milli = (int64_t)FAAS_HTTP__RESET_BURST * 1000;
    b->at_ms = now_ms;
}

/* Brings the bucket up to now; 1 when it is full. */
static int refill(faas_http__reset_budget_t *b, uint64_t now_ms)
{
    int64_t full = (int64_t)FAAS_HTTP__RESET_BURST * 1000;
    if (now_ms > b->at_ms) {
        uint64_t add = (now_ms - b->at_ms) * FAAS_HTTP__RESET_REFILL_PER_S; /* ms x streams/s = 1/1000 streams */
        b->milli = add >= (uint64_t)(full - b->milli) ? full : b->milli + (int64_t)add;
        b->at_ms = now_ms;
    }
    return b->milli == full;
}

int faas_http__reset_budget_take(faas_http__reset_budget_t *b, uint64_t now_ms)
{
    refill(b, now_ms);
    if (b->milli < 1000)
        return -1;
    b->milli -= 1000;
    return 0;
}

static void drop(conn_budget_t *b)
{
    h2o_linklist_unlink(&b->link);
    h2o_timeout_unlink(&b->entry);
    budgets->n--;
    free(b);
}

static void on_sweep(h2o_timeout_entry_t *entry)
{
    uint64_t now = h2o_now(budgets->ctx->loop);
    for (size_t i = 0; i < BUCKETS; i++) {
        for (h2o_linklist_t *node = budgets->buckets[i].next, *next; node != &budgets->buckets[i]; node = next) {
            next = node->next;
            conn_budget_t *b = H2O_STRUCT_FROM_MEMBER(conn_budget_t, link, node);
            if (!b->tripped && refill(&b->budget, now))
                drop(b);
        }
    }
    if (budgets->n > 0)
        h2o_timeout_link(budgets->ctx->loop, &budgets->ctx->one_sec_timeout, entry);
}

/* The connection's budget, made at its first cancelled stream; NULL when out of memory. */
static conn_budget_t *budget_of(h2o_conn_t *conn)
{
    if (budgets == NULL) {
        if ((budgets = calloc(1, sizeof(*budgets))) == NULL)
            return NULL;
        budgets->ctx = conn->ctx;
        budgets->sweep.cb = on_sweep;
        for (size_t i = 0; i < BUCKETS; i++)
            h2o_linklist_init_anchor(&budgets->buckets[i]);
    }
    h2o_linklist_t *bucket = &budgets->buckets[conn->id % BUCKETS];
    for (h2o_linklist_t *node = bucket->next; node != bucket; node = node->next) {
        conn_budget_t *b = H2O_STRUCT_FROM_MEMBER(conn_budget_t, link, node);
        if (b->id == conn->id)
            return b;
    }
    conn_budget_t *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->conn = conn;
    b->id = conn->id;
    faas_http__reset_budget_init(&b->budget, h2o_now(conn->ctx->loop));
    h2o_linklist_insert(bucket, &b->link);
    if (budgets->n++ == 0)
        h2o_timeout_link(conn->ctx->loop, &conn->ctx->one_sec_timeout, &budgets->sweep);
    return b;
}

static void on_close_due(h2o_timeout_entry_t *entry)
{
    conn_budget_t *b = H2O_STRUCT_FROM_MEMBER(conn_budget_t, entry, entry);
    h2o_socket_t *sock = faas_http__h2_socket(budgets->ctx, b->conn, b->id);
    if (sock != NULL)
        shutdown(h2o_socket_get_fd(sock), SHUT_RDWR); /* libh2o closes it on the end of its input */
    drop(b);
}

static void on_goaway_due(h2o_timeout_entry_t *entry)
{
    conn_budget_t *b = H2O_STRUCT_FROM_MEMBER(conn_budget_t, entry, entry);
    if (faas_http__h2_socket(budgets->ctx, b->conn, b->id) == NULL) {
        drop(b); /* closed meanwhile */
        return;
    }
    if (faas_http__h2_goaway(b->conn, "too many streams cancelled before their answer") != 0) {
        faas_log_warn("HTTP/2: this libh2o's connection is not the 2.2.5 layout faas knows; closing it without GOAWAY");
        on_close_due(entry);
        return;
    }
    b->entry.cb = on_close_due;
    h2o_timeout_link(budgets->ctx->loop, &budgets->ctx->one_sec_timeout, &b->entry);
}

static void log_tripped(h2o_conn_t *conn)
{
    struct sockaddr_storage ss;
    char peer[INET6_ADDRSTRLEN] = "?";
    socklen_t len = conn->callbacks->get_peername(conn, (struct sockaddr *)&ss);
    if (len > 0 && ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, peer, sizeof(peer));
    else if (len > 0 && ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, peer, sizeof(peer));
    faas_log_warn("HTTP/2 connection from %s cancelled more than %d streams before their answer (%d/s after): "
                  "GOAWAY, closing it", peer, FAAS_HTTP__RESET_BURST, FAAS_HTTP__RESET_REFILL_PER_S);
}

static void on_request_disposed(void *p)
{
    h2o_req_t *req = *(h2o_req_t **)p;
    if (req->res.status != 0)
        return; /* answered, or answering */
    conn_budget_t *b = budget_of(req->conn);
    if (b == NULL || b->tripped || faas_http__reset_budget_take(&b->budget, h2o_now(req->conn->ctx->loop)) == 0)
        return;
    b->tripped = 1;
    log_tripped(req->conn);
    b->entry.cb = on_goaway_due;
    h2o_timeout_link(req->conn->ctx->loop, &req->conn->ctx->zero_timeout, &b->entry);
}

void faas_http__resets_watch(h2o_req_t *req)
{
    h2o_req_t **p = h2o_mem_alloc_shared(&req->pool, sizeof(*p), on_request_disposed);
    *p = req;
}
