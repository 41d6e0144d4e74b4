/*
 * stream.c: a response body fed by a blocking writer thread (see stream.h).
 *
 * DESIGN
 * - Two sides share one struct under its mutex: the writer appends to `pending` and posts a
 *   flush to the loop's inbox (at most one queued); the loop hands `pending` to h2o as `sending`
 *   when no send is in flight, and the next one goes when h2o calls proceed.
 * - Backpressure: the writer waits while `pending` holds a window's worth, so a slow client
 *   slows the writer (and so the Docker stream it reads) instead of growing memory.
 * - Lifetime: references for the writer, the request and a queued post; the request's side
 *   goes when its pool is freed (answered or abandoned), so nothing on the loop outlives it.
 *   Posts stop once the loop side is gone or the loop shuts down (loop_alive), so no writer
 *   posts into an inbox that is being disposed.
 */
#include "faas/http/stream.h"
#include "faas/core/buf.h"
#include "faas/http/reply.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* What may wait for the client before the writer blocks. */
#define WINDOW ((size_t)256 * 1024)

struct faas_stream {
    h2o_generator_t gen;
    h2o_timeout_entry_t check; /* HTTP/1.1: has the client closed? (see on_check) */
    faas_loop_t *loop;
    h2o_req_t *req;         /* NULL once the request is gone */
    h2o_linklist_t link;    /* in the loop's streams while the request lives */
    pthread_mutex_t mutex;
    pthread_cond_t room;
    faas_buf_t pending;     /* written, not handed to h2o yet */
    faas_buf_t sending;     /* handed to h2o, until it proceeds */
    int in_flight;          /* an h2o_send waits for its proceed */
    int ended;              /* the writer is done */
    int final_sent;
    int posted;             /* a flush waits in the loop's inbox */
    int loop_alive;         /* posting to the loop is allowed */
    int refs;               /* the writer, the request, a queued post */
    atomic_int gone;
};

static void unref_locked(faas_stream_t *st, int *free_it)
{
    *free_it = --st->refs == 0;
}

static void destroy(faas_stream_t *st)
{
    faas_buf_free(&st->pending);
    faas_buf_free(&st->sending);
    pthread_cond_destroy(&st->room);
    pthread_mutex_destroy(&st->mutex);
    free(st);
}

static void unref(faas_stream_t *st)
{
    int free_it;
    pthread_mutex_lock(&st->mutex);
    unref_locked(st, &free_it);
    pthread_mutex_unlock(&st->mutex);
    if (free_it)
        destroy(st);
}

/* Loop: hands what is pending to h2o unless a send is in flight. */
static void flush(faas_stream_t *st)
{
    pthread_mutex_lock(&st->mutex);
    if (st->req == NULL || st->in_flight || st->final_sent || (st->pending.len == 0 && !st->ended)) {
        pthread_mutex_unlock(&st->mutex);
        return;
    }
    faas_buf_t next = st->pending; /* the sent buffer's memory is reused for what comes next */
    st->pending = st->sending;
    st->pending.len = 0;
    st->sending = next;
    int final = st->ended;
    st->in_flight = 1;
    st->final_sent = final;
    pthread_cond_broadcast(&st->room);
    h2o_req_t *req = st->req;
    pthread_mutex_unlock(&st->mutex);
    h2o_iovec_t v = h2o_iovec_init(st->sending.p, st->sending.len);
    h2o_send(req, &v, v.len > 0 ? 1 : 0, final ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    faas_stream_t *st = (faas_stream_t *)gen;
    pthread_mutex_lock(&st->mutex);
    st->in_flight = 0;
    st->sending.len = 0;
    pthread_mutex_unlock(&st->mutex);
    flush(st);
}

static void mark_gone_locked(faas_stream_t *st)
{
    atomic_store(&st->gone, 1);
    pthread_cond_broadcast(&st->room);
}

static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    faas_stream_t *st = (faas_stream_t *)gen;
    pthread_mutex_lock(&st->mutex);
    mark_gone_locked(st);
    pthread_mutex_unlock(&st->mutex);
}

/* 1 when the peer of an HTTP/1.1 connection closed it. libh2o 2.2 does not read a connection
 * while it answers it, so a client that left is only seen at the next write; a silent log
 * would hold its writer forever. A peek at the socket tells without consuming anything. */
static int peer_closed(h2o_req_t *req)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL ? req->conn->callbacks->get_socket(req->conn) : NULL;
    int fd = sock != NULL ? h2o_socket_get_fd(sock) : -1;
    if (fd < 0)
        return 0;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void on_check(h2o_timeout_entry_t *entry)
{
    faas_stream_t *st = H2O_STRUCT_FROM_MEMBER(faas_stream_t, check, entry);
    if (st->req == NULL)
        return;
    if (peer_closed(st->req)) {
        pthread_mutex_lock(&st->mutex);
        mark_gone_locked(st);
        st->ended = 1; /* the writer stops; the end of the body closes the connection */
        pthread_mutex_unlock(&st->mutex);
        flush(st);
        return;
    }
    h2o_timeout_link(st->loop->ctx.loop, &st->loop->ctx.one_sec_timeout, &st->check);
}

/* The request's pool is freed: answered or abandoned, the loop side goes. */
static void on_req_dispose(void *p)
{
    faas_stream_t *st = *(faas_stream_t **)p;
    int free_it;
    if (h2o_timeout_is_linked(&st->check))
        h2o_timeout_unlink(&st->check);
    pthread_mutex_lock(&st->mutex);
    st->req = NULL;
    st->loop_alive = 0;
    mark_gone_locked(st);
    if (h2o_linklist_is_linked(&st->link))
        h2o_linklist_unlink(&st->link);
    unref_locked(st, &free_it);
    pthread_mutex_unlock(&st->mutex);
    if (free_it)
        destroy(st);
}

static void on_posted(void *data)
{
    faas_stream_t *st = data;
    pthread_mutex_lock(&st->mutex);
    st->posted = 0;
    pthread_mutex_unlock(&st->mutex);
    flush(st);
    unref(st);
}

/* Writer, mutex held: queues a flush on the loop unless one waits or the loop side is gone. */
static void post_locked(faas_stream_t *st)
{
    if (st->posted || !st->loop_alive)
        return;
    st->posted = 1;
    st->refs++;
    faas_pool_post(st->loop->inbox, on_posted, st);
}

faas_stream_t *faas_stream_start(faas_loop_t *loop, h2o_req_t *req, const char *content_type)
{
    faas_stream_t *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        faas_reply_error(req, 500, "Internal server error", "out of memory");
        return NULL;
    }
    faas_stream_t **hold = h2o_mem_alloc_shared(&req->pool, sizeof(*hold), on_req_dispose);
    *hold = st;
    pthread_mutex_init(&st->mutex, NULL);
    pthread_cond_init(&st->room, NULL);
    st->gen = (h2o_generator_t){on_proceed, on_stop};
    st->loop = loop;
    st->req = req;
    st->loop_alive = 1;
    st->refs = 2; /* the writer and the request */
    st->in_flight = 1; /* the head goes first; its proceed starts the body */
    h2o_linklist_insert(&loop->streams, &st->link);
    req->res.status = 200;
    req->res.reason = "OK";
    faas_reply_add_cors(req);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    h2o_start_response(req, &st->gen);
    h2o_send(req, NULL, 0, H2O_SEND_STATE_IN_PROGRESS);
    st->check.cb = on_check;
    if (req->version < 0x200) /* HTTP/2 reads on: a reset or a close reaches on_stop */
        h2o_timeout_link(loop->ctx.loop, &loop->ctx.one_sec_timeout, &st->check);
    return st;
}

int faas_stream_write(faas_stream_t *st, const void *data, size_t len)
{
    pthread_mutex_lock(&st->mutex);
    while (!atomic_load(&st->gone) && st->pending.len >= WINDOW)
        pthread_cond_wait(&st->room, &st->mutex);
    int rc = atomic_load(&st->gone) ? -1 : 0;
    if (rc == 0) {
        faas_buf_add(&st->pending, data, len);
        if (st->pending.oom) {
            mark_gone_locked(st); /* a body with a hole in it is worse than an end */
            rc = -1;
        }
        post_locked(st);
    }
    pthread_mutex_unlock(&st->mutex);
    return rc;
}

const atomic_int *faas_stream_gone(faas_stream_t *st)
{
    return &st->gone;
}

void faas_stream_end(faas_stream_t *st)
{
    int free_it;
    pthread_mutex_lock(&st->mutex);
    st->ended = 1;
    post_locked(st);
    unref_locked(st, &free_it);
    pthread_mutex_unlock(&st->mutex);
    if (free_it)
        destroy(st);
}

void faas_stream_end_all(faas_loop_t *loop)
{
    while (!h2o_linklist_is_empty(&loop->streams)) {
        faas_stream_t *st = H2O_STRUCT_FROM_MEMBER(faas_stream_t, link, loop->streams.next);
        pthread_mutex_lock(&st->mutex);
        h2o_linklist_unlink(&st->link);
        st->ended = 1;
        st->loop_alive = 0;
        mark_gone_locked(st);
        pthread_mutex_unlock(&st->mutex);
        flush(st); /* the end of the body now, or at the proceed of the send in flight */
    }
}
