/*
 * loop.c: the loop side of the proxy, run on one loop's thread. Applies
 * routing snapshots (one socket pool per upstream container, one listener
 * per function port) and forwards function traffic to the containers
 * (forward.c).
 *
 * DESIGN
 * - A request finds its function by the port it arrived on (each function
 *   port listener has its own hosts array, so req->conn->hosts identifies
 *   it with no syscall), else by the route hook, else by the first label of
 *   its Host. Lookups read this loop's snapshot: no lock, no store access.
 * - Each proxied request holds a reference to its upstream and counts in
 *   its inflight until the request is freed, so a deploy knows when the old
 *   container's last request is done.
 * - Each route has this loop's pool of connections to its upstream
 *   (forward.c); a pool whose upstream left the snapshot is retired.
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
#define RETRY_AFTER_SECONDS "5"

typedef struct routes_msg {
    h2o_multithread_message_t super;
    faas_routes_t *routes;
} routes_msg_t;

/* ---- upstream pools ------------------------------------------------------ */

/* New pools for routes: the old pool where the upstream is the same object, else a new one;
 * pools whose upstream left the snapshot are retired. */
static faas_upstream_pool_t **pools_for(faas_proxy_loop_t *pl, const faas_routes_t *routes)
{
    faas_upstream_pool_t **pools = calloc(routes->n ? routes->n : 1, sizeof(*pools));
    if (pools == NULL)
        return NULL;
    for (size_t i = 0; i < routes->n; i++) {
        faas_upstream_t *u = routes->routes[i].upstream;
        for (size_t j = 0; u != NULL && pl->routes != NULL && j < pl->routes->n && pools[i] == NULL; j++) {
            if (pl->routes->routes[j].upstream == u && pl->pools[j] != NULL) {
                pools[i] = pl->pools[j];
                pl->pools[j] = NULL; /* moved */
            }
        }
        if (u != NULL && pools[i] == NULL && (pools[i] = faas_proxy__pool_create(u)) == NULL)
            faas_log_error("proxy: out of memory creating a pool for %s", u->text);
    }
    for (size_t j = 0; pl->routes != NULL && j < pl->routes->n; j++)
        if (pl->pools[j] != NULL)
            faas_proxy__pool_retire(pl->pools[j]);
    return pools;
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
    pl->closed = 1; /* later snapshots must not reopen them */
    for (port_listener_t *l = pl->listeners; l != NULL; l = l->next)
        if (l->sock != NULL)
            close_listener(l);
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
    faas_upstream_pool_t **pools = pools_for(pl, routes);
    if (pools == NULL) {
        faas_log_error("proxy: out of memory applying routing snapshot %llu; keeping the previous one",
                       (unsigned long long)routes->version);
        faas_routes_unref(routes);
        return;
    }
    sync_listeners(pl, routes);
    free(pl->pools);
    faas_routes_unref(pl->routes); /* after this the publisher sees this loop has switched */
    pl->pools = pools;
    pl->routes = routes;
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
    h2o_multithread_register_receiver(loop->ctx.queue, &pl->receiver, on_routes_message);
    faas_proxy__attach(p, pl);
    return pl;
}

/* ---- requests ------------------------------------------------------------------ */

static void on_request_done(void *p)
{
    faas_upstream_t **held = p;
    atomic_fetch_sub(&(*held)->inflight, 1);
    faas_upstream_unref(*held);
}

static int answer_unavailable(h2o_req_t *req, const faas_route_t *route)
{
    static const char *const details[] = {
        [FAAS_ROUTE_PENDING] = "the function is being built or started",
        [FAAS_ROUTE_STOPPED] = "the function is stopped",
        [FAAS_ROUTE_FAILED] = "the function has no running version (see its build log)",
        [FAAS_ROUTE_CRASHING] = "the function's container keeps exiting; faas restarts it after a back-off "
                                "(see lastOutput in its record)",
    };
    /* Worth retrying only when faas itself will change something: not for a stopped or failed one. */
    if (route->state == FAAS_ROUTE_PENDING || route->state == FAAS_ROUTE_CRASHING)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT(RETRY_AFTER_SECONDS));
    return faas_reply_error(req, 503, "Function unavailable", details[route->state]);
}

static int forward(faas_proxy_loop_t *pl, h2o_req_t *req, const faas_route_t *route)
{
    faas_upstream_pool_t *pool = pl->pools[route - pl->routes->routes];
    if (route->state != FAAS_ROUTE_SERVING || pool == NULL)
        return answer_unavailable(req, route);
    /* Counted in flight until the request is freed: a deploy waits for it before retiring. */
    faas_upstream_t **held = h2o_mem_alloc_shared(&req->pool, sizeof(*held), on_request_done);
    *held = faas_upstream_ref(route->upstream);
    atomic_fetch_add(&route->upstream->inflight, 1);
    faas_proxy__forward(pl, req, pool);
    return 0;
}

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
        return forward(pl, req, route);
    }
    if (faas_policy_route(pl->loop->policy, req->authority.base, req->authority.len, req->path_normalized.base,
                          req->path_normalized.len, req->method.base, req->method.len, name, sizeof(name))) {
        if ((route = faas_routes_find(pl->routes, name, strlen(name))) == NULL)
            return faas_reply_error(req, 404, "Function not found", "the route hook named an unknown function");
        return forward(pl, req, route);
    }
    size_t len = faas_request_host_label(req->authority, name, sizeof(name));
    if (len == 0 || (route = faas_routes_find(pl->routes, name, len)) == NULL)
        return -1;
    return forward(pl, req, route);
}
