/*
 * routes.c: building and reading routing snapshots (see routes.h), the load
 * objects they share, and the pick of an upstream. Pure data work: snapshots
 * are built on workers and read by loops without locks.
 */
#include "faas/proxy/routes.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint_fast64_t next_upstream_id = 1;

faas_upstream_t *faas_upstream_ref(faas_upstream_t *u)
{
    atomic_fetch_add(&u->_refs, 1);
    return u;
}

void faas_upstream_unref(faas_upstream_t *u)
{
    if (u != NULL && atomic_fetch_sub(&u->_refs, 1) == 1)
        free(u);
}

faas_load_t *faas_load_create(const char *name)
{
    faas_load_t *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    atomic_init(&l->_refs, 1);
    snprintf(l->name, sizeof(l->name), "%s", name);
    return l; /* calloc: every counter starts at 0 */
}

faas_load_t *faas_load_ref(faas_load_t *l)
{
    atomic_fetch_add(&l->_refs, 1);
    return l;
}

void faas_load_unref(faas_load_t *l)
{
    if (l != NULL && atomic_fetch_sub(&l->_refs, 1) == 1)
        free(l);
}

const char *faas_wake_kind_name(faas_wake_kind_t kind)
{
    switch (kind) {
    case FAAS_WAKE_PAUSED:
        return "paused";
    case FAAS_WAKE_STOPPED:
        return "stopped";
    case FAAS_WAKE_NONE:
    case FAAS_WAKE_NEW:
        return "new";
    }
    return "new";
}

int faas_routes_parse_address(const char *text, struct sockaddr_in *addr)
{
    char host[32];
    const char *colon = text != NULL ? strrchr(text, ':') : NULL;
    if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
        return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
        return -1;
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &addr->sin_addr) == 1 ? 0 : -1;
}

/* A new upstream for address, or NULL when it does not parse (or out of memory). */
static faas_upstream_t *upstream_new(const char *address)
{
    struct sockaddr_in addr;
    if (faas_routes_parse_address(address, &addr) != 0)
        return NULL;
    faas_upstream_t *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    atomic_init(&u->_refs, 1);
    atomic_init(&u->inflight, 0);
    u->id = atomic_fetch_add(&next_upstream_id, 1);
    u->addr = addr;
    snprintf(u->text, sizeof(u->text), "%s", address);
    return u;
}

/* Adds address to route's upstreams: prev's object when the function had it already (same
 * replica address: keep counting its requests), else a new one. Skips an address listed twice
 * or one that does not parse. */
static void add_upstream(faas_route_t *route, const char *address, const faas_route_t *prev)
{
    for (size_t i = 0; i < route->n_upstreams; i++)
        if (strcmp(route->upstreams[i]->text, address) == 0)
            return;
    faas_upstream_t *u = NULL;
    for (size_t i = 0; prev != NULL && i < prev->n_upstreams && u == NULL; i++)
        if (strcmp(prev->upstreams[i]->text, address) == 0)
            u = faas_upstream_ref(prev->upstreams[i]);
    if (u == NULL)
        u = upstream_new(address);
    if (u != NULL)
        route->upstreams[route->n_upstreams++] = u;
}

/* The route's upstreams: its ready replicas (a record from before replicas reads as one, store/record.c).
 * A stopped or crashing function has none to serve; a failed or rebuilding one keeps serving
 * what runs. 0, or -1 when out of memory. */
static int take_upstreams(faas_route_t *route, const faas_function_t *fn, const faas_route_t *prev)
{
    route->upstreams = calloc(fn->n_replicas > 0 ? fn->n_replicas : 1, sizeof(*route->upstreams));
    if (route->upstreams == NULL)
        return -1;
    if (fn->status == FAAS_FUNCTION_STOPPED || fn->status == FAAS_FUNCTION_CRASHING)
        return 0;
    for (size_t i = 0; i < fn->n_replicas; i++)
        if (fn->replicas[i].state == FAAS_REPLICA_READY && fn->replicas[i].address != NULL)
            add_upstream(route, fn->replicas[i].address, prev);
    return 0;
}

static faas_route_state_t state_of(const faas_function_t *fn, size_t n_upstreams)
{
    if (n_upstreams > 0)
        return FAAS_ROUTE_SERVING;
    switch (fn->status) {
    case FAAS_FUNCTION_RUNNING:
        return FAAS_ROUTE_IDLE; /* nothing ready (paused, stopped while idle, starting): wake it */
    case FAAS_FUNCTION_STARTING:
        return fn->n_replicas > 0 ? FAAS_ROUTE_IDLE : FAAS_ROUTE_PENDING;
    case FAAS_FUNCTION_BUILDING:
        return FAAS_ROUTE_PENDING;
    case FAAS_FUNCTION_STOPPED:
        return FAAS_ROUTE_STOPPED;
    case FAAS_FUNCTION_FAILED:
        return FAAS_ROUTE_FAILED;
    case FAAS_FUNCTION_CRASHING:
        return FAAS_ROUTE_CRASHING;
    }
    return FAAS_ROUTE_FAILED;
}

static void settings_of(const faas_function_t *fn, faas_route_settings_cb cb, void *arg, faas_route_settings_t *out)
{
    *out = (faas_route_settings_t){.concurrency = FAAS_ROUTE_DEFAULT_CONCURRENCY,
                                   .queue = FAAS_ROUTE_DEFAULT_QUEUE,
                                   .wake_timeout_ms = FAAS_ROUTE_DEFAULT_WAKE_TIMEOUT_MS};
    if (cb != NULL)
        cb(arg, fn, out);
    if (out->concurrency < 0)
        out->concurrency = 0;
    if (out->queue < 0)
        out->queue = 0;
    if (out->wake_timeout_ms < 0)
        out->wake_timeout_ms = 0;
}

/* Fills route for fn; 0, or -1 when out of memory (what it holds goes with the snapshot). */
static int route_init(faas_route_t *route, const faas_function_t *fn, const faas_routes_t *prev,
                      faas_route_settings_cb cb, void *arg)
{
    snprintf(route->name, sizeof(route->name), "%s", fn->name);
    route->port = fn->port;
    const faas_route_t *before = prev != NULL ? faas_routes_find(prev, route->name, strlen(route->name)) : NULL;
    route->load = before != NULL ? faas_load_ref(before->load) : faas_load_create(route->name);
    if (route->load == NULL || take_upstreams(route, fn, before) != 0)
        return -1;
    route->state = state_of(fn, route->n_upstreams);
    settings_of(fn, cb, arg, &route->settings);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const faas_route_t *)a)->name, ((const faas_route_t *)b)->name);
}

faas_routes_t *faas_routes_build(const faas_function_t *fns, size_t n, const faas_routes_t *prev, uint64_t version,
                                 faas_route_settings_cb settings, void *arg)
{
    faas_routes_t *r = calloc(1, sizeof(*r));
    if (r == NULL || (n > 0 && (r->routes = calloc(n, sizeof(*r->routes))) == NULL)) {
        free(r);
        return NULL;
    }
    atomic_init(&r->_refs, 1);
    r->version = version;
    for (size_t i = 0; i < n; i++) {
        const faas_function_t *fn = &fns[i];
        if (fn->kind != FAAS_KIND_SERVICE || fn->name == NULL)
            continue;
        if (route_init(&r->routes[r->n++], fn, prev, settings, arg) != 0) {
            faas_routes_unref(r);
            return NULL;
        }
    }
    if (r->n > 1)
        qsort(r->routes, r->n, sizeof(*r->routes), by_name);
    return r;
}

faas_routes_t *faas_routes_empty(void)
{
    return faas_routes_build(NULL, 0, NULL, 0, NULL, NULL);
}

faas_routes_t *faas_routes_ref(faas_routes_t *r)
{
    atomic_fetch_add(&r->_refs, 1);
    return r;
}

void faas_routes_unref(faas_routes_t *r)
{
    if (r == NULL || atomic_fetch_sub(&r->_refs, 1) != 1)
        return;
    for (size_t i = 0; i < r->n; i++) {
        faas_route_t *route = &r->routes[i];
        for (size_t j = 0; j < route->n_upstreams; j++)
            faas_upstream_unref(route->upstreams[j]);
        free(route->upstreams);
        faas_load_unref(route->load);
    }
    free(r->routes);
    free(r);
}

const faas_route_t *faas_routes_find(const faas_routes_t *r, const char *name, size_t len)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *s = r->routes[mid].name;
        int cmp = strncmp(s, name, len);
        if (cmp == 0)
            cmp = s[len] == '\0' ? 0 : 1;
        if (cmp == 0)
            return &r->routes[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const faas_route_t *faas_routes_find_port(const faas_routes_t *r, int port)
{
    for (size_t i = 0; port > 0 && i < r->n; i++)
        if (r->routes[i].port == port)
            return &r->routes[i];
    return NULL;
}

int faas_routes_pick(const faas_route_t *route, size_t *cursor)
{
    size_t n = route->n_upstreams, start = n > 0 ? *cursor % n : 0;
    int cap = route->settings.concurrency, best = -1, best_inflight = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = (start + k) % n;
        int inflight = atomic_load_explicit(&route->upstreams[i]->inflight, memory_order_relaxed);
        if (cap > 0 && inflight >= cap)
            continue;
        if (best < 0 || inflight < best_inflight) { /* strictly fewer: a tie keeps the one nearer the cursor */
            best = (int)i;
            best_inflight = inflight;
        }
    }
    if (best >= 0)
        *cursor = (size_t)best + 1;
    return best;
}
