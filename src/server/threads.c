/*
 * threads.c: the event-loop threads: each one's h2o context, its accept on
 * the shared listeners, the control messages from the main thread (stop,
 * new policy), and the graceful drain on stop. Each function runs on the
 * loop thread it belongs to, except the two post functions (main thread).
 */
#include "internal.h"
#include "faas/http/obs.h"
#include "faas/http/stream.h"
#include "faas/proxy/loop.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

enum { MSG_STOP, MSG_POLICY };

typedef struct control_msg {
    h2o_multithread_message_t super;
    int kind;
    faas_policy_t *policy;
    int64_t deadline_ms;
} control_msg_t;

/* A request is in flight once its headers are parsed; an HTTP/1 connection
 * also while unparsed bytes of its next request sit in its input buffer. */
static int count_busy(h2o_req_t *req, void *cbdata)
{
    size_t *busy = cbdata;
    h2o_socket_t *sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (req->input.method.len != 0 || (req->version < 0x200 && sock != NULL && sock->input->size != 0))
        (*busy)++;
    return 0;
}

/* An HTTP/2 request whose body is still arriving (h2o processes a request once its body is in). */
static int count_receiving(h2o_req_t *req, void *cbdata)
{
    size_t *n = cbdata;
    if (req->input.method.len != 0 && h2o_timeval_is_null(&req->processed_at.at))
        (*n)++;
    return 0;
}

/* Counts the requests of this loop's HTTP/1 and/or HTTP/2 connections that cb selects. */
static size_t count_requests(server_thread_t *t, int http1, int http2, int (*cb)(h2o_req_t *, void *))
{
    h2o_context_t *ctx = &t->loop.ctx;
    const h2o_protocol_callbacks_t *protocols[] = {http1 ? &ctx->globalconf->http1.callbacks : NULL,
                                                   http2 ? &ctx->globalconf->http2.callbacks : NULL};
    size_t n = 0;
    for (size_t i = 0; i < 2; i++)
        if (protocols[i] != NULL && protocols[i]->foreach_request != NULL)
            protocols[i]->foreach_request(ctx, cb, &n);
    return n;
}

static void on_drain_tick(h2o_timeout_entry_t *entry)
{
    server_thread_t *t = H2O_STRUCT_FROM_MEMBER(server_thread_t, drain_entry, entry);
    /* h2o 2.2 half-closes HTTP/2 connections a second after its GOAWAY and then drops DATA
     * frames, which would cut uploads in flight: send the GOAWAY once they have arrived. */
    if (!t->goaway_sent && count_requests(t, 0, 1, count_receiving) == 0) {
        h2o_context_request_shutdown(&t->loop.ctx);
        t->goaway_sent = 1;
    }
    size_t busy = count_requests(t, 1, 1, count_busy);
    if (busy == 0) {
        t->done = 1;
        return;
    }
    if (faas_clock_mono_ms() >= t->drain_deadline_ms) {
        faas_log_warn("loop %zu: shutdown deadline passed with %zu request(s) in flight", t->loop.index, busy);
        t->done = 1;
        return;
    }
    h2o_timeout_link(t->loop.ctx.loop, &t->loop.ctx.hundred_ms_timeout, &t->drain_entry);
}

static void begin_drain(server_thread_t *t, int64_t deadline_ms)
{
    for (size_t i = 0; i < t->nlisteners; i++) {
        h2o_socket_read_stop(t->listeners[i]);
        h2o_socket_close(t->listeners[i]);
    }
    t->nlisteners = 0;
    faas_proxy_loop_close_ports(t->loop.proxy);
    faas_stream_end_all(&t->loop); /* followed logs would hold the drain until its deadline */
    t->loop.ctx.shutdown_requested = 1; /* HTTP/1: close each connection after its current request */
    t->drain_deadline_ms = deadline_ms;
    t->drain_entry.cb = on_drain_tick;
    h2o_timeout_link(t->loop.ctx.loop, &t->loop.ctx.zero_timeout, &t->drain_entry);
}

static void on_control(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    server_thread_t *t = H2O_STRUCT_FROM_MEMBER(server_thread_t, control, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        control_msg_t *msg = H2O_STRUCT_FROM_MEMBER(control_msg_t, super.link, messages->next);
        h2o_linklist_unlink(&msg->super.link);
        if (msg->kind == MSG_STOP) {
            begin_drain(t, msg->deadline_ms);
        } else {
            faas_policy_t *old = t->loop.policy;
            t->loop.policy = msg->policy;
            faas_policy_dispose(old);
        }
        free(msg);
    }
}

static void post(server_thread_t *t, int kind, faas_policy_t *policy, int64_t deadline_ms)
{
    control_msg_t *msg = calloc(1, sizeof(*msg));
    if (msg == NULL) {
        faas_log_error("loop %zu: out of memory posting a control message", t->loop.index);
        faas_policy_dispose(policy);
        return;
    }
    *msg = (control_msg_t){.kind = kind, .policy = policy, .deadline_ms = deadline_ms};
    h2o_multithread_send_message(&t->control, &msg->super);
}

void faas_server__post_stop(server_thread_t *t, int64_t deadline_ms)
{
    post(t, MSG_STOP, NULL, deadline_ms);
}

void faas_server__post_policy(server_thread_t *t, faas_policy_t *policy)
{
    post(t, MSG_POLICY, policy, 0);
}

static int open_listeners(server_thread_t *t)
{
    faas_server_t *srv = t->server;
    for (size_t i = 0; i < srv->nlisteners; i++) {
        /* A dup per loop: each loop closes its own on stop without touching the others'. */
        int fd = fcntl(srv->listeners[i].fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            faas_log_error("loop %zu: cannot dup listener: %m", t->loop.index);
            return -1;
        }
        const server_listener_t *l = &srv->listeners[i];
        t->accept[i] = (h2o_accept_ctx_t){.ctx = &t->loop.ctx, .hosts = l->hosts ? l->hosts : srv->globalconf.hosts,
                                          .ssl_ctx = l->ssl_ctx};
        h2o_socket_t *sock = h2o_evloop_socket_create(t->loop.ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
        sock->data = &t->accept[i];
        h2o_socket_read_start(sock, l->peek_sni ? faas_server__on_tls_accept : faas_server__on_accept);
        t->listeners[t->nlisteners++] = sock;
    }
    return 0;
}

static void *thread_main(void *arg)
{
    server_thread_t *t = arg;
    faas_server_t *srv = t->server;
    h2o_context_init(&t->loop.ctx, h2o_evloop_create(), &srv->globalconf);
    t->loop.inbox = faas_loop_inbox_create(t->loop.ctx.queue);
    h2o_multithread_register_receiver(t->loop.ctx.queue, &t->control, on_control);
    faas_server__conns_start(t);
    t->loop.proxy = faas_proxy_loop_create(srv->app.proxy, &t->loop);
    faas_obs_loop_t *obs = faas_obs_loop_create(srv->obs, &t->loop);
    int ok = t->loop.inbox != NULL && t->loop.proxy != NULL && obs != NULL && open_listeners(t) == 0;

    pthread_mutex_lock(&srv->ready_mutex);
    if (ok)
        srv->nready++;
    else
        srv->nfailed++;
    pthread_cond_broadcast(&srv->ready_cond);
    pthread_mutex_unlock(&srv->ready_mutex);
    if (!ok)
        return NULL;

    /* h2o_evloop_run returns -1 on EINTR: keep looping until told to stop. */
    while (!t->done)
        h2o_evloop_run(t->loop.ctx.loop, INT32_MAX);
    faas_obs_loop_flush(obs); /* the last access log lines, before the main thread stops the writer */

    /* Drained. Park rather than return: libh2o keeps per-thread memory (its memory-pool
     * recycle bins) that would be lost with the thread; the process exits right after. */
    pthread_mutex_lock(&srv->ready_mutex);
    srv->ndrained++;
    pthread_cond_broadcast(&srv->ready_cond);
    for (;;)
        pthread_cond_wait(&srv->ready_cond, &srv->ready_mutex);
    return NULL;
}

int faas_server__wait_drained(faas_server_t *srv, int64_t deadline_ms)
{
    pthread_mutex_lock(&srv->ready_mutex);
    while (srv->ndrained < srv->nready && faas_clock_mono_ms() < deadline_ms) {
        int64_t abs_ms = faas_clock_now_ms() + (deadline_ms - faas_clock_mono_ms());
        struct timespec ts = {.tv_sec = abs_ms / 1000, .tv_nsec = (abs_ms % 1000) * 1000000};
        pthread_cond_timedwait(&srv->ready_cond, &srv->ready_mutex, &ts);
    }
    int all = srv->ndrained >= srv->nready;
    pthread_mutex_unlock(&srv->ready_mutex);
    return all ? 0 : -1;
}

/* Function ports count against server.max_connections like faas's own listeners. */
static int admit_on_function_port(faas_loop_t *loop, h2o_socket_t *sock)
{
    return faas_server__conns_admit((server_thread_t *)loop, sock); /* the loop is the thread's first member */
}

int faas_server__start_threads(faas_server_t *srv)
{
    size_t started = 0;
    for (size_t i = 0; i < srv->nthreads; i++) {
        server_thread_t *t = &srv->threads[i];
        t->server = srv;
        t->loop.app = &srv->app;
        t->loop.index = i;
        h2o_linklist_init_anchor(&t->loop.streams);
        t->loop.admit = admit_on_function_port;
        if (pthread_create(&t->tid, NULL, thread_main, t) != 0) {
            faas_log_error("cannot start loop thread %zu: %m", i);
            break;
        }
        started++;
    }
    pthread_mutex_lock(&srv->ready_mutex);
    while (srv->nready + srv->nfailed < started)
        pthread_cond_wait(&srv->ready_cond, &srv->ready_mutex);
    int ok = started == srv->nthreads && srv->nfailed == 0;
    pthread_mutex_unlock(&srv->ready_mutex);
    return ok ? 0 : -1;
}
