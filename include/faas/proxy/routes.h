/*
 * routes.h: the routing snapshot. An immutable table, built from the function
 * records, that says for each service function where its traffic goes: its
 * state, its loopback port, and the upstream (the container's own address).
 * Loop threads read it without locks; a change makes a new snapshot.
 *
 * Upstreams are shared between snapshots while a container keeps its address,
 * and count the requests in flight to it, so a deploy can wait for the old
 * container's last request before stopping it. Reference counts are atomic:
 * any thread may ref/unref; building runs on a worker.
 */
#ifndef FAAS_PROXY_ROUTES_H
#define FAAS_PROXY_ROUTES_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "faas/store/record.h"

/* One container address the proxy connects to. */
typedef struct faas_upstream {
    atomic_int _refs;     /* snapshots and requests holding it */
    atomic_int inflight;  /* requests being proxied to it now */
    uint64_t id;          /* unique for the process's life: keys per-loop socket pools */
    struct sockaddr_in addr;
    char text[32];        /* "172.18.0.5:8080" */
} faas_upstream_t;

typedef enum faas_route_state {
    FAAS_ROUTE_SERVING = 0, /* proxied to upstream */
    FAAS_ROUTE_PENDING = 1, /* first build or start still running: 503 with Retry-After */
    FAAS_ROUTE_STOPPED = 2, /* stopped by the operator: 503 */
    FAAS_ROUTE_FAILED = 3,  /* never came up: 503 */
    FAAS_ROUTE_CRASHING = 4, /* its container keeps dying; faas restarts it after a back-off: 503 with Retry-After */
} faas_route_state_t;

typedef struct faas_route {
    char name[64];
    int port;                   /* loopback port faas listens on for it, 0 = none */
    faas_route_state_t state;
    faas_upstream_t *upstream;  /* set when SERVING */
} faas_route_t;

typedef struct faas_routes {
    atomic_int _refs;
    uint64_t version;
    size_t n;
    faas_route_t *routes;       /* sorted by name */
} faas_routes_t;

/**
 * Builds a snapshot from the service functions among fns (job functions are skipped),
 * reusing prev's upstream objects for unchanged addresses. NULL on allocation
 * failure. Refcount 1. Any thread.
 */
faas_routes_t *faas_routes_build(const faas_function_t *fns, size_t n, const faas_routes_t *prev, uint64_t version);

/** An empty snapshot (refcount 1), or NULL on allocation failure. */
faas_routes_t *faas_routes_empty(void);

faas_routes_t *faas_routes_ref(faas_routes_t *r);
void faas_routes_unref(faas_routes_t *r); /* NULL is allowed */

/** The route of function name (len bytes, lower case), or NULL. Loop-safe: no locks. */
const faas_route_t *faas_routes_find(const faas_routes_t *r, const char *name, size_t len);

/** The route listening on loopback port, or NULL. */
const faas_route_t *faas_routes_find_port(const faas_routes_t *r, int port);

faas_upstream_t *faas_upstream_ref(faas_upstream_t *u);
void faas_upstream_unref(faas_upstream_t *u); /* NULL is allowed */

/** Parses "a.b.c.d:port" into addr; 0 on success, -1 otherwise. Pure. */
int faas_routes_parse_address(const char *text, struct sockaddr_in *addr);

#endif
