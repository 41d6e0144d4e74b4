/*
 * loop.c: the loop side of the proxy, run on one loop's thread. Applies
 * routing snapshots (one socket pool per upstream, one listener per function
 * port) and finds the function of each request, then hands it to wait.c.
 *
 * DESIGN
 * - A request finds its function by the port it arrived on (each function
 *   port listener has its own hosts array, so req->conn->hosts identifies
 *   it with no syscall), else by the route hook, else by the first label of
 *   its Host. Lookups read this loop's snapshot: no lock, no store access.
 * - What happens to a request once its function is known (the pick of an
 *   upstream, waiting for a wake or for room, the load counts) is wait.c's.
 * - Each route has a slot on this loop: a pool of connections per upstream
 *   (forward.c), kept across snapshots for the same upstream object and
 *   retired when it leaves, and the queue of the function's waiting requests,
 *   which follows the function by name; when the function leaves the
 *   snapshot its waiting requests get 404 at once.
 */
#include "internal.h"
#include "faas/http/reply.h"
#include "faas/http/request.h"
#include "faas/core/log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IDLE_TIMEOUT_MS 4000  /* below common upstream keep-alive timeouts (Node: 5 s) */
#define WEBSOCKET_TIMEOUT_MS 300000

typedef struct routes_msg {
    h2o_multithread_message_t super;
    faas_routes_t *routes;
} routes_msg_t;

/* ---- this loop's side of each route: pools, waiting requests ----------------------- */

static void slots_free(route_slot_t *slots, size_t n)
{
    for (size_t i = 0; slots != NULL && i < n; i++)
        free(slots[i].pools);
    free(slots);
}

/* Empty slots for routes (every allocation made here, so nothing moves until all succeeded). */
static route_slot_t *slots_alloc(const faas_routes_t *routes)
{
    route_slot_t *slots = calloc(routes->n ? routes->n : 1, sizeof(*slots));
    for (size_t i = 0; slots != NULL && i < routes->n; i++) {
        size_t n = routes->routes[i].n_upstreams;
        if ((slots[i].pools = calloc(n ? n : 1, sizeof(*slots[i].pools))) == NULL) {
            slots_free(slots, i);
            return NULL;
        }
    }
    return slots;
}

/* The pool for u: the one old (the function's slot in the previous snapshot) has for the same
 * upstream object, moved, or a new one. */
static faas_upstream_pool_t *pool_for(faas_upstream_t *u, const faas_route_t *old_route, route_slot_t *old)
{
    for (size_t m = 0; old != NULL && m < old_route->n_upstreams; m++) {
        if (old_route->upstreams[m] == u && old->pools[m] != NULL) {
            faas_upstream_pool_t *pool = old->pools[m];
            old->pools[m] = NULL;
            return pool;
        }
    }
    faas_upstream_pool_t *pool = faas_proxy__pool_create(u);
    if (pool == NULL)
        faas_log_error("proxy: out of memory creating a pool for %s", u->text);
    return pool;
}

/* Moves into slots what the previous snapshot's slots hold: the pools of upstreams that stay, each
 * function's waiting requests and cursor. What is left goes: pools retired, the requests waiting
 * for a function that left the snapshot answered 404. Both snapshots are sorted by name. */
static void carry_over(faas_proxy_loop_t *pl, const faas_routes_t *routes, route_slot_t *slots)
{
    const faas_routes_t *prev = pl->routes;
    size_t nprev = prev != NULL ? prev->n : 0, j = 0;
    for (size_t i = 0; i < routes->n; i++) {
        const faas_route_t *route = &routes->routes[i];
        while (j < nprev && strcmp(prev->routes[j].name, route->name) < 0)
            j++;
        int same = j < nprev && strcmp(prev->routes[j].name, route->name) == 0;
        route_slot_t *old = same ? &pl->slots[j] : NULL;
        for (size_t k = 0; k < route->n_upstreams; k++)
            slots[i].pools[k] = pool_for(route->upstreams[k], same ? &prev->routes[j] : NULL, old);
        if (old != NULL) {
            slots[i].queue = old->queue;
            slots[i].cursor = old->cursor;
            old->queue = NULL;
        }
    }
    for (j = 0; j < nprev; j++) {
        route_slot_t *old = &pl->slots[j];
        for (size_t m = 0; m < prev->routes[j].n_upstreams; m++)
            if (old->pools[m] != NULL)
                faas_proxy__pool_retire(old->pools[m]);
        if (old->queue != NULL) {
            faas_proxy__fail_queue(old->queue, 404);
            free(old->queue);
        }
    }
    slots_free(pl->slots, nprev);
    pl->slots = NULL;
}

/* ---- function port listeners --------------------------------------------- */

static port_listener_t *listener_for(faas_proxy_loop_t *pl, int port)
{
    for (port_listener_t *l = pl->listeners; l != NULL; l = l->next)
        if (l->port == port)
            return l;
    port_listener_t *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->hosts[0] = pl->loop->ctx.globalconf->hosts[0];
    l->port = port;
    l->accept = (h2o_accept_ctx_t){.ctx = &pl->loop->ctx, .hosts = l->hosts};
    l->next = pl->listeners;
    pl->listeners = l;
    return l;
}

static void close_listener(port_listener_t *l)
{
    h2o_socket_read_stop(l->sock);
    h2o_socket_close(l->sock);
    l->sock = NULL;
}

void faas_proxy_loop_close_ports(faas_proxy_loop_t *pl)
{
    pl->closed = 1; /* later snapshots must not reopen them, and no request waits any more */
    for (port_listener_t *l = pl->listeners; l != NULL; l = l->next)
        if (l->sock != NULL)
            close_listener(l);
    for (size_t i = 0; pl->routes != NULL && i < pl->routes->n; i++)
        if (pl->slots[i].queue != NULL)
            faas_proxy__fail_queue(pl->slots[i].queue, 503);
}

static void sync_listeners(faas_proxy_loop_t *pl, const faas_routes_t *routes)
{
    for (port_listener_t *l = pl->listeners; l != NULL; l = l->next)
        if (l->sock != NULL && faas_routes_find_port(routes, l->port) == NULL)
            close_listener(l);
    if (pl->closed)
        return;
    for (size_t i = 0; i < routes->n; i++) {
        int port = routes->routes[i].port;
        port_listener_t *l = port > 0 ? listener_for(pl, port) : NULL;
        if (l == NULL || l->sock != NULL)
            continue;
        int fd = faas_proxy__port_fd(pl->proxy, port);
        if (fd < 0)
            continue; /* not reserved (its claim failed at start-up): reachable by name only */
        l->sock = h2o_evloop_socket_create(pl->loop->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
        l->sock->data = &l->accept;
        h2o_socket_read_start(l->sock, faas_loop_on_accept);
    }
}

/* ---- snapshots -------------------------------------------------------------- */

void faas_proxy__apply(faas_proxy_loop_t *pl, faas_routes_t *routes)
{
    route_slot_t *slots = slots_alloc(routes);
    if (slots == NULL) {
        faas_log_error("proxy: out of memory applying routing snapshot %llu; keeping the previous one",
                       (unsigned long long)routes->version);
        faas_routes_unref(routes);
        return;
    }
    carry_over(pl, routes, slots);
    sync_listeners(pl, routes);
    faas_routes_unref(pl->routes); /* after this the publisher sees this loop has switched */
    pl->slots = slots;
    pl->routes = routes;
    faas_proxy__dispatch_all(pl); /* ready upstreams for what waits, or an answer for it */
}

static void on_routes_message(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    faas_proxy_loop_t *pl = H2O_STRUCT_FROM_MEMBER(faas_proxy_loop_t, receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        routes_msg_t *msg = H2O_STRUCT_FROM_MEMBER(routes_msg_t, super.link, messages->next);
        h2o_linklist_unlink(&msg->super.link);
        faas_proxy__apply(pl, msg->routes);
        free(msg);
    }
}

void faas_proxy__post(faas_proxy_loop_t *pl, faas_routes_t *routes)
{
    routes_msg_t *msg = calloc(1, sizeof(*msg));
    if (msg == NULL) {
        faas_log_error("proxy: out of memory posting a routing snapshot to loop %zu", pl->loop->index);
        faas_routes_unref(routes);
        return;
    }
    msg->routes = routes;
    h2o_multithread_send_message(&pl->receiver, &msg->super);
}

faas_proxy_loop_t *faas_proxy_loop_create(faas_proxy_t *p, faas_loop_t *loop)
{
    faas_proxy_loop_t *pl = calloc(1, sizeof(*pl));
    if (pl == NULL)
        return NULL;
    pl->proxy = p;
    pl->loop = loop;
    h2o_timeout_init(loop->ctx.loop, &pl->io_timeout, (uint64_t)faas_loop_config(loop)->limits.upstream_timeout_ms);
    h2o_timeout_init(loop->ctx.loop, &pl->idle_timeout, IDLE_TIMEOUT_MS);
    h2o_timeout_init(loop->ctx.loop, &pl->websocket_timeout, WEBSOCKET_TIMEOUT_MS);
    faas_proxy__wait_init(pl);
    h2o_multithread_register_receiver(loop->ctx.queue, &pl->receiver, on_routes_message);
    faas_proxy__attach(p, pl);
    return pl;
}

/* ---- requests ------------------------------------------------------------------ */

int faas_proxy_loop_on_req(faas_loop_t *loop, h2o_req_t *req)
{
    faas_proxy_loop_t *pl = loop->proxy;
    const faas_route_t *route = NULL;
    char name[64];
    if (req->conn->hosts != pl->loop->ctx.globalconf->hosts) {
        /* It came in on a function's own port: that function, whatever the Host says. */
        port_listener_t *l = (port_listener_t *)req->conn->hosts;
        if ((route = faas_routes_find_port(pl->routes, l->port)) == NULL)
            return faas_reply_error(req, 404, "Function not found", "no function uses this port any more");
        return faas_proxy__admit(pl, req, route);
    }
    if (faas_policy_route(pl->loop->policy, req->authority.base, req->authority.len, req->path_normalized.base,
                          req->path_normalized.len, req->method.base, req->method.len, name, sizeof(name))) {
        if ((route = faas_routes_find(pl->routes, name, strlen(name))) == NULL)
            return faas_reply_error(req, 404, "Function not found", "the route hook named an unknown function");
        return faas_proxy__admit(pl, req, route);
    }
    size_t len = faas_request_host_label(req->authority, name, sizeof(name));
    if (len == 0 || (route = faas_routes_find(pl->routes, name, len)) == NULL)
        return -1;
    return faas_proxy__admit(pl, req, route);
}
