/*
 * wait.c: a function request's way to an upstream, on one loop's thread: the
 * load counts, the pick of an upstream, and waiting when none can take it
 * (the function is idle, or every replica is at its concurrency cap).
 *
 * DESIGN
 * - Counting. Every request that reaches a function bumps load->requests and
 *   load->last_ms (faas_clock_mono_ms). One that waits or is forwarded gets a
 *   hold in its pool (request_hold_t, internal.h): it counts in
 *   load->inflight (and in load->waiting while it waits, in its upstream's
 *   inflight once forwarded) until the request is freed, answered or given
 *   up by its client. libh2o frees a WebSocket's request as soon as the
 *   tunnel is established, so its hold passes to the tunnel's upstream socket
 *   (its on_close) and the function counts as busy while the WebSocket is open.
 * - The pick: fewest in flight among the route's upstreams, ties round robin
 *   from the slot's cursor (faas_routes_pick). With a concurrency cap the
 *   upstream's inflight is claimed with one atomic add and given back when
 *   another loop took the last room first, so the cap holds across loops.
 * - Waiting. An idle route (no ready replica), or one whose upstreams are all
 *   at the cap, makes the request wait in this loop's FIFO for the function:
 *   at most settings.queue of them on all loops together (load->waiting), else
 *   503 with Retry-After. A request that begins to wait asks the control side
 *   for a wake (faas_proxy__wake: the waker runs once, until the control side
 *   clears load->wake_wanted). Waiters go on, oldest first, when a snapshot
 *   gives the route upstreams with room, on the next turn after a request
 *   ends on this loop, and on a 5 ms tick while any waits (room freed on
 *   another loop). One that cannot go past settings.wake_timeout_ms gets 503
 *   with Retry-After; when its route becomes unavailable (stopped, failed,
 *   ...) it gets that route's answer at once, and 404 when its function
 *   leaves the snapshot (loop.c). Without a registered waker nothing can wake
 *   an idle route: 503 at once, as for a function that is starting.
 * - A request that waited answers with Server-Timing: wake;desc="<kind>";dur=<ms>,
 *   kind from load->wake_kind ("paused", "stopped", "new") when it waited for
 *   a wake, "queue" when only for room; the header is put among the response
 *   headers before forwarding, and forward.c only appends to them.
 * - A client that goes away frees its request: the hold leaves the queue and
 *   nothing is forwarded for it. Over HTTP/2 libh2o frees the request when the
 *   stream is reset or the connection closes. Over HTTP/1 it does not read the
 *   connection while the request is pending, so it cannot see the client
 *   leave: faas looks at the socket itself (poll for POLLRDHUP, as nginx
 *   checks EPOLLRDHUP) before forwarding a waiter and every 100 ms, and ends
 *   the request of a client that closed its side with 499 (nginx's "client
 *   closed request"), which nobody reads: the write fails and libh2o frees it.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/http/reply.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_TICK_MS 5
#define CLIENT_CHECK_TICKS 20 /* every 100 ms: HTTP/1 clients that left while waiting */
#define RETRY_AFTER_UNAVAILABLE "5"
#define RETRY_AFTER_QUEUE_FULL "1"

/* ---- answers ----------------------------------------------------------------------- */

static void retry_after(h2o_req_t *req, const char *seconds)
{
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, seconds, strlen(seconds));
}

static int unavailable(h2o_req_t *req, const char *details)
{
    retry_after(req, RETRY_AFTER_UNAVAILABLE);
    return faas_reply_error(req, 503, "Function unavailable", details);
}

/* The answer of a route nothing can be forwarded to. */
static int answer_state(h2o_req_t *req, const faas_route_t *route)
{
    static const char *const details[] = {
        [FAAS_ROUTE_SERVING] = "the function has no upstream",
        [FAAS_ROUTE_PENDING] = "the function is being built or started",
        [FAAS_ROUTE_STOPPED] = "the function is stopped",
        [FAAS_ROUTE_FAILED] = "the function has no running version (see its build log)",
        [FAAS_ROUTE_CRASHING] = ("the function's container keeps exiting; faas restarts it after a back-off "
                                 "(see lastOutput in its record)"),
        [FAAS_ROUTE_IDLE] = "the function has no ready replica",
    };
    /* Worth retrying only when faas itself will change something: not for a stopped or failed one. */
    if (route->state == FAAS_ROUTE_STOPPED || route->state == FAAS_ROUTE_FAILED)
        return faas_reply_error(req, 503, "Function unavailable", details[route->state]);
    return unavailable(req, details[route->state]);
}

/* ---- holds: a request's place in the counts -------------------------------------------- */

/* Runs the waiters of this loop on its next turn: a request of some function ended. */
static void kick(faas_proxy_loop_t *pl)
{
    if (pl->nwaiting > 0 && !h2o_timeout_is_linked(&pl->kick))
        h2o_timeout_link(pl->loop->ctx.loop, &pl->loop->ctx.zero_timeout, &pl->kick);
}

/* A forwarded request (or a WebSocket tunnel) is over: its upstream and its function have room again. */
static void release_forwarded(faas_proxy_loop_t *pl, faas_upstream_t *u, faas_load_t *load)
{
    atomic_fetch_sub(&u->inflight, 1);
    atomic_fetch_sub(&load->inflight, 1);
    faas_upstream_unref(u);
    kick(pl);
}

/* Takes h out of its queue. Still counted in load->inflight: the caller forwards it or answers it. */
static void unqueue(request_hold_t *h)
{
    h2o_linklist_unlink(&h->link);
    h->queue->n--;
    h->queue = NULL;
    h->pl->nwaiting--;
    atomic_fetch_sub(&h->load->waiting, 1);
}

/* Takes h out of its queue to be answered by faas: it counts nothing any more. */
static request_hold_t *give_up(request_hold_t *h)
{
    unqueue(h);
    atomic_fetch_sub(&h->load->inflight, 1);
    h->phase = HOLD_DONE;
    return h;
}

/* The request is freed: whatever its hold still counts goes. */
static void on_hold_dispose(void *p)
{
    request_hold_t *h = p;
    if (h->phase == HOLD_WAITING)
        give_up(h); /* its client went away while it waited */
    else if (h->phase == HOLD_FORWARDED)
        release_forwarded(h->pl, h->upstream, h->load);
    faas_load_unref(h->load);
}

/* A hold for req, counted in load->inflight from now until the request is freed. */
static request_hold_t *hold_new(faas_proxy_loop_t *pl, h2o_req_t *req, faas_load_t *load, hold_phase_t phase,
                                faas_obs_req_t *obs)
{
    request_hold_t *h = h2o_mem_alloc_shared(&req->pool, sizeof(*h), on_hold_dispose);
    *h = (request_hold_t){.pl = pl, .req = req, .load = faas_load_ref(load), .phase = phase, .obs = obs};
    atomic_fetch_add(&load->inflight, 1);
    return h;
}

typedef struct tunnel_hold {
    faas_proxy_loop_t *pl;
    faas_upstream_t *upstream; /* referenced */
    faas_load_t *load;         /* referenced */
} tunnel_hold_t;

static void on_tunnel_closed(void *data)
{
    tunnel_hold_t *t = data;
    release_forwarded(t->pl, t->upstream, t->load);
    faas_load_unref(t->load);
    free(t);
}

void faas_proxy__hold_tunnel(request_hold_t *hold, h2o_socket_t *sock)
{
    tunnel_hold_t *t = hold->phase == HOLD_FORWARDED ? malloc(sizeof(*t)) : NULL;
    if (t == NULL) {
        faas_log_warn("proxy: out of memory: a WebSocket of %s does not count as in flight", hold->load->name);
        return;
    }
    *t = (tunnel_hold_t){.pl = hold->pl, .upstream = hold->upstream, .load = faas_load_ref(hold->load)};
    hold->upstream = NULL;
    hold->phase = HOLD_TUNNELED;
    sock->on_close.cb = on_tunnel_closed;
    sock->on_close.data = t;
}

/* HTTP/1 only (see DESIGN): whether the client closed its side of the connection. */
static int client_left(h2o_req_t *req)
{
    if (req->version >= 0x200 || req->conn->callbacks->get_socket == NULL)
        return 0;
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    if (sock == NULL)
        return 0;
    struct pollfd pfd = {.fd = h2o_socket_get_fd(sock), .events = POLLRDHUP};
    return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static void drop_gone(request_hold_t *h)
{
    faas_reply_error(give_up(h)->req, 499, "Client closed request", "the client went away while the request waited");
}

/* ---- the pick, and forwarding -------------------------------------------------------------- */

/* An upstream of route with room, its inflight already counted for the request; -1 when none. */
static int claim(const faas_route_t *route, route_slot_t *slot)
{
    int cap = route->settings.concurrency;
    for (size_t tries = 0; tries < route->n_upstreams; tries++) {
        int k = faas_routes_pick(route, &slot->cursor);
        if (k < 0)
            return -1;
        if (atomic_fetch_add(&route->upstreams[k]->inflight, 1) < cap || cap == 0)
            return k;
        atomic_fetch_sub(&route->upstreams[k]->inflight, 1); /* another loop took the last room first */
    }
    return -1;
}

/* Forwards h's request to upstream k of route, whose inflight claim() counted for it. */
static void forward_to(faas_proxy_loop_t *pl, request_hold_t *h, const faas_route_t *route, route_slot_t *slot, int k)
{
    h->upstream = faas_upstream_ref(route->upstreams[k]);
    h->phase = HOLD_FORWARDED;
    faas_obs_replica(h->obs, h->upstream->text);
    if (slot->pools[k] == NULL) {
        faas_reply_error(h->req, 503, "Function unavailable", "out of memory for a connection to the function");
        return;
    }
    faas_proxy__forward(pl, h->req, slot->pools[k], h);
}

static void add_server_timing(request_hold_t *h, int64_t now)
{
    const char *desc = h->for_wake ? faas_wake_kind_name(atomic_load(&h->load->wake_kind)) : "queue";
    char value[64];
    int len = snprintf(value, sizeof(value), "wake;desc=\"%s\";dur=%lld", desc, (long long)(now - h->since_ms));
    faas_obs_wake(h->obs, now - h->since_ms);
    h2o_iovec_t v = h2o_strdup(&h->req->pool, value, (size_t)len);
    h2o_add_header_by_str(&h->req->pool, &h->req->res.headers, H2O_STRLIT("server-timing"), 0, NULL, v.base, v.len);
}

/* ---- waiting --------------------------------------------------------------------------- */

/* Sends route i's waiters on, oldest first, while upstreams have room; answers those that cannot
 * wait any longer (the route became unavailable, or the wake timeout passed). */
static void dispatch(faas_proxy_loop_t *pl, size_t i, int64_t now)
{
    const faas_route_t *route = &pl->routes->routes[i];
    route_slot_t *slot = &pl->slots[i];
    wait_queue_t *q = slot->queue;
    while (q != NULL && q->n > 0) {
        request_hold_t *h = H2O_STRUCT_FROM_MEMBER(request_hold_t, link, q->waiters.next);
        if (route->state != FAAS_ROUTE_SERVING && route->state != FAAS_ROUTE_IDLE) {
            answer_state(give_up(h)->req, route);
            continue;
        }
        int k = route->state == FAAS_ROUTE_SERVING ? claim(route, slot) : -1;
        if (k >= 0 && client_left(h->req)) {
            atomic_fetch_sub(&route->upstreams[k]->inflight, 1); /* the claim goes back */
            drop_gone(h);
            continue;
        }
        if (k >= 0) {
            unqueue(h);
            add_server_timing(h, now);
            forward_to(pl, h, route, slot, k);
            continue;
        }
        if (now - h->since_ms < route->settings.wake_timeout_ms)
            return; /* FIFO: the ones behind came later */
        unavailable(give_up(h)->req, h->for_wake ? "no replica of the function was ready within its wake timeout"
                                                 : "every replica of the function stayed at its concurrency limit "
                                                   "for the whole wake timeout");
    }
}

void faas_proxy__dispatch_all(faas_proxy_loop_t *pl)
{
    if (pl->nwaiting == 0)
        return;
    int64_t now = faas_clock_mono_ms();
    for (size_t i = 0; i < pl->routes->n; i++)
        if (pl->slots[i].queue != NULL && pl->slots[i].queue->n > 0)
            dispatch(pl, i, now);
}

void faas_proxy__fail_queue(wait_queue_t *q, int status)
{
    while (q->n > 0) {
        request_hold_t *h = give_up(H2O_STRUCT_FROM_MEMBER(request_hold_t, link, q->waiters.next));
        if (status == 404)
            faas_reply_error(h->req, 404, "Function not found", "the function was deleted while the request waited");
        else
            unavailable(h->req, "faas is shutting down");
    }
}

/* Ends the waiting requests of HTTP/1 clients that left (see DESIGN). */
static void sweep_gone(faas_proxy_loop_t *pl)
{
    for (size_t i = 0; i < pl->routes->n; i++) {
        wait_queue_t *q = pl->slots[i].queue;
        for (h2o_linklist_t *node = q != NULL ? q->waiters.next : NULL; node != NULL && node != &q->waiters;) {
            request_hold_t *h = H2O_STRUCT_FROM_MEMBER(request_hold_t, link, node);
            node = node->next; /* before h leaves the list */
            if (client_left(h->req))
                drop_gone(h);
        }
    }
}

static void on_wait_tick(h2o_timeout_entry_t *entry)
{
    faas_proxy_loop_t *pl = H2O_STRUCT_FROM_MEMBER(faas_proxy_loop_t, wait_tick, entry);
    if (++pl->wait_ticks % CLIENT_CHECK_TICKS == 0)
        sweep_gone(pl);
    faas_proxy__dispatch_all(pl);
    if (pl->nwaiting > 0)
        h2o_timeout_link(pl->loop->ctx.loop, &pl->wait_timeout, &pl->wait_tick);
}

static void on_kick(h2o_timeout_entry_t *entry)
{
    faas_proxy__dispatch_all(H2O_STRUCT_FROM_MEMBER(faas_proxy_loop_t, kick, entry));
}

void faas_proxy__wait_init(faas_proxy_loop_t *pl)
{
    h2o_timeout_init(pl->loop->ctx.loop, &pl->wait_timeout, WAIT_TICK_MS);
    pl->wait_tick.cb = on_wait_tick;
    pl->kick.cb = on_kick;
}

/* Makes req wait for route i (of pl's snapshot), or answers 503 when it may not. */
static int enqueue(faas_proxy_loop_t *pl, h2o_req_t *req, const faas_route_t *route, size_t i, int64_t now,
                   faas_obs_req_t *obs)
{
    faas_load_t *load = route->load;
    route_slot_t *slot = &pl->slots[i];
    if (pl->closed)
        return unavailable(req, "faas is shutting down");
    if (atomic_fetch_add(&load->waiting, 1) >= route->settings.queue) {
        atomic_fetch_sub(&load->waiting, 1);
        faas_obs_refused(obs);
        retry_after(req, RETRY_AFTER_QUEUE_FULL);
        return faas_reply_error(req, 503, "Function unavailable", "too many requests are waiting for the function");
    }
    if (slot->queue == NULL && (slot->queue = calloc(1, sizeof(*slot->queue))) != NULL)
        h2o_linklist_init_anchor(&slot->queue->waiters);
    if (slot->queue == NULL) {
        atomic_fetch_sub(&load->waiting, 1);
        return unavailable(req, "out of memory");
    }
    request_hold_t *h = hold_new(pl, req, load, HOLD_WAITING, obs);
    faas_obs_waited(obs);
    h->queue = slot->queue;
    h->since_ms = now;
    h->for_wake = route->state == FAAS_ROUTE_IDLE;
    h2o_linklist_insert(&slot->queue->waiters, &h->link); /* at the tail */
    slot->queue->n++;
    pl->nwaiting++;
    if (!h2o_timeout_is_linked(&pl->wait_tick))
        h2o_timeout_link(pl->loop->ctx.loop, &pl->wait_timeout, &pl->wait_tick);
    dispatch(pl, i, now); /* room may have come back on another loop since the older ones began to wait */
    if (h->phase == HOLD_WAITING)
        faas_proxy__wake(pl->proxy, load);
    return 0;
}

int faas_proxy__admit(faas_proxy_loop_t *pl, h2o_req_t *req, const faas_route_t *route)
{
    size_t i = (size_t)(route - pl->routes->routes);
    int64_t now = faas_clock_mono_ms();
    faas_obs_req_t *obs = faas_obs_current(pl->loop);
    faas_obs_function(obs, route->name);
    atomic_fetch_add_explicit(&route->load->requests, 1, memory_order_relaxed);
    atomic_store_explicit(&route->load->last_ms, now, memory_order_relaxed);
    if (route->state == FAAS_ROUTE_IDLE && faas_proxy__has_waker(pl->proxy))
        return enqueue(pl, req, route, i, now, obs);
    if (route->state != FAAS_ROUTE_SERVING)
        return answer_state(req, route);
    route_slot_t *slot = &pl->slots[i];
    int k = slot->queue == NULL || slot->queue->n == 0 ? claim(route, slot) : -1; /* none jumps the queue */
    if (k < 0)
        return enqueue(pl, req, route, i, now, obs);
    forward_to(pl, hold_new(pl, req, route->load, HOLD_FORWARDED, obs), route, slot, k);
    return 0;
}
