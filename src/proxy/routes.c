/*
 * routes.c: building and reading routing snapshots (see routes.h). Pure data
 * work: snapshots are built on workers and read by loops without locks.
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

static faas_upstream_t *upstream_for(const char *address, const faas_routes_t *prev)
{
    for (size_t i = 0; prev != NULL && i < prev->n; i++) {
        faas_upstream_t *u = prev->routes[i].upstream;
        if (u != NULL && strcmp(u->text, address) == 0)
            return faas_upstream_ref(u); /* same container address: keep counting its requests */
    }
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

static faas_route_state_t state_of(const faas_function_t *fn)
{
    switch (fn->status) {
    case FAAS_FUNCTION_RUNNING:
        return FAAS_ROUTE_SERVING;
    case FAAS_FUNCTION_STOPPED:
        return FAAS_ROUTE_STOPPED;
    case FAAS_FUNCTION_FAILED:
        return FAAS_ROUTE_FAILED;
    case FAAS_FUNCTION_CRASHING:
        return FAAS_ROUTE_CRASHING;
    case FAAS_FUNCTION_BUILDING:
    case FAAS_FUNCTION_STARTING:
        return FAAS_ROUTE_PENDING;
    }
    return FAAS_ROUTE_FAILED;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const faas_route_t *)a)->name, ((const faas_route_t *)b)->name);
}

faas_routes_t *faas_routes_build(const faas_function_t *fns, size_t n, const faas_routes_t *prev, uint64_t version)
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
        faas_route_t *route = &r->routes[r->n++];
        snprintf(route->name, sizeof(route->name), "%s", fn->name);
        route->port = fn->port;
        route->state = state_of(fn);
        /* A function keeps serving its running container whatever its latest build did; a crashing
           one has no running container to serve. */
        if (fn->address != NULL && fn->container_id != NULL && fn->status != FAAS_FUNCTION_STOPPED &&
            fn->status != FAAS_FUNCTION_CRASHING)
            route->upstream = upstream_for(fn->address, prev);
        if (route->upstream != NULL)
            route->state = FAAS_ROUTE_SERVING;
        else if (route->state == FAAS_ROUTE_SERVING)
            route->state = FAAS_ROUTE_FAILED; /* running without an address: nothing to connect to */
    }
    if (r->n > 1)
        qsort(r->routes, r->n, sizeof(*r->routes), by_name);
    return r;
}

faas_routes_t *faas_routes_empty(void)
{
    return faas_routes_build(NULL, 0, NULL, 0);
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
    for (size_t i = 0; i < r->n; i++)
        faas_upstream_unref(r->routes[i].upstream);
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
