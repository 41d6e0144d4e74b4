/*
 * routes.h: the routing snapshot. An immutable table, built from the function
 * records, that says for each service function where its traffic goes: its
 * state, its loopback port, its upstreams (the ready replicas' own addresses),
 * its load counters and the settings the loops apply (concurrency cap, queue,
 * wake timeout). Loop threads read it without locks; a change makes a new snapshot.
 *
 * Upstreams are shared between snapshots while a replica of the same function
 * keeps its address, and count the requests in flight to it, so a deploy can
 * wait for an old replica's last request before stopping it. A function's
 * load is shared between snapshots by name (the autoscaler and the idle check
 * read it). Reference counts are atomic: any thread may ref/unref; building
 * runs on a worker. Times here are faas_clock_mono_ms() (monotonic ms).
 */
#ifndef FAAS_PROXY_ROUTES_H
#define FAAS_PROXY_ROUTES_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "faas/store/record.h"

/* One replica address the proxy connects to. */
typedef struct faas_upstream {
    atomic_int _refs;     /* snapshots and requests holding it */
    atomic_int inflight;  /* requests being proxied to it now (a WebSocket: while its tunnel is open) */
    uint64_t id;          /* unique for the process's life */
    struct sockaddr_in addr;
    char text[32];        /* "172.18.0.5:8080" */
} faas_upstream_t;

/* What woke a function, for the Server-Timing desc of the requests that waited ("wake;desc=..."). */
typedef enum faas_wake_kind {
    FAAS_WAKE_NONE = 0,    /* not set: a request that waited for a wake says "new" */
    FAAS_WAKE_PAUSED = 1,  /* "paused": a paused replica was unpaused */
    FAAS_WAKE_STOPPED = 2, /* "stopped": a stopped replica was started */
    FAAS_WAKE_NEW = 3,     /* "new": a replica was created */
} faas_wake_kind_t;

/*
 * One service function's load, shared by every loop and by every snapshot that lists the
 * function (reused by name). The loops write the counters; the control side reads them
 * (autoscaler, idle check) and writes the wake fields.
 */
typedef struct faas_load {
    atomic_int _refs;
    char name[64];
    atomic_int inflight;        /* requests proxied now or waiting, all loops; a WebSocket counts while open */
    atomic_int waiting;         /* of those, the ones waiting for a ready replica or one with room */
    _Atomic uint64_t requests;  /* requests that reached the function, ever (idle detection) */
    _Atomic int64_t last_ms;    /* faas_clock_mono_ms() at the last request's start; 0: none yet */
    atomic_int wake_wanted;     /* a loop set 1 and called the waker; the control side sets 0 when the wake is
                                   over (a snapshot with a ready replica published, or given up) */
    atomic_int wake_kind;       /* faas_wake_kind_t: set by the control side before it publishes the
                                   snapshot that ends the wake */
    _Atomic int64_t wake_ms;    /* the control side's own (e.g. how long the last wake took); the proxy
                                   does not read it */
} faas_load_t;

typedef enum faas_route_state {
    FAAS_ROUTE_SERVING = 0, /* proxied to upstreams */
    FAAS_ROUTE_PENDING = 1, /* first build or start still running: 503 with Retry-After */
    FAAS_ROUTE_STOPPED = 2, /* stopped by the operator: 503 */
    FAAS_ROUTE_FAILED = 3,  /* never came up: 503 */
    FAAS_ROUTE_CRASHING = 4, /* its container keeps dying; faas restarts it after a back-off: 503 with Retry-After */
    FAAS_ROUTE_IDLE = 5,    /* running (or starting with replicas) but no replica ready: requests wait for a wake */
} faas_route_state_t;

/* The per-function settings the loops apply. */
typedef struct faas_route_settings {
    int concurrency;         /* most requests in flight per upstream, 0 = no cap */
    int queue;               /* most requests waiting for the function, all loops together */
    int64_t wake_timeout_ms; /* the longest a request waits (for a wake or a free upstream) */
} faas_route_settings_t;

/* Settings of a function when no provider says otherwise. */
#define FAAS_ROUTE_DEFAULT_CONCURRENCY 0
#define FAAS_ROUTE_DEFAULT_QUEUE 1000
#define FAAS_ROUTE_DEFAULT_WAKE_TIMEOUT_MS 60000

/** Fills out (preset to the defaults) with fn's settings. Called while a snapshot is built (worker thread). */
typedef void (*faas_route_settings_cb)(void *arg, const faas_function_t *fn, faas_route_settings_t *out);

typedef struct faas_route {
    char name[64];
    int port;                    /* loopback port faas listens on for it, 0 = none */
    faas_route_state_t state;
    faas_upstream_t **upstreams; /* the ready replicas in record order (referenced); some iff SERVING */
    size_t n_upstreams;
    faas_load_t *load;           /* referenced; never NULL */
    faas_route_settings_t settings;
} faas_route_t;

typedef struct faas_routes {
    atomic_int _refs;
    uint64_t version;
    size_t n;
    faas_route_t *routes;       /* sorted by name */
} faas_routes_t;

/**
 * Builds a snapshot from the service functions among fns (job functions are skipped),
 * reusing prev's upstream objects for a function's unchanged addresses and prev's load
 * objects by name. A function's upstreams are its replicas in state ready with a parseable
 * address. settings (may be NULL) fills each route's settings over
 * the defaults. NULL on allocation failure. Refcount 1. Any thread.
 */
faas_routes_t *faas_routes_build(const faas_function_t *fns, size_t n, const faas_routes_t *prev, uint64_t version,
                                 faas_route_settings_cb settings, void *arg);

/** An empty snapshot (refcount 1), or NULL on allocation failure. */
faas_routes_t *faas_routes_empty(void);

faas_routes_t *faas_routes_ref(faas_routes_t *r);
void faas_routes_unref(faas_routes_t *r); /* NULL is allowed */

/** The route of function name (len bytes, lower case), or NULL. Loop-safe: no locks. */
const faas_route_t *faas_routes_find(const faas_routes_t *r, const char *name, size_t len);

/** The route listening on loopback port, or NULL. */
const faas_route_t *faas_routes_find_port(const faas_routes_t *r, int port);

/**
 * Which of route's upstreams the next request goes to: the one with the fewest requests in
 * flight, ties broken round robin from *cursor (advanced past the pick), upstreams at
 * settings.concurrency (when > 0) skipped. The index, or -1 when none has room (or there is
 * none). Reads the atomic counts and changes nothing else: the caller counts the request.
 */
int faas_routes_pick(const faas_route_t *route, size_t *cursor);

faas_upstream_t *faas_upstream_ref(faas_upstream_t *u);
void faas_upstream_unref(faas_upstream_t *u); /* NULL is allowed */

/** A new load for function name (refcount 1, counters 0), or NULL when out of memory. */
faas_load_t *faas_load_create(const char *name);
faas_load_t *faas_load_ref(faas_load_t *l);
void faas_load_unref(faas_load_t *l); /* NULL is allowed */

/** "paused", "stopped", "new" (FAAS_WAKE_NONE gives "new" too). */
const char *faas_wake_kind_name(faas_wake_kind_t kind);

/** Parses "a.b.c.d:port" into addr; 0 on success, -1 otherwise. Pure. */
int faas_routes_parse_address(const char *text, struct sockaddr_in *addr);

#endif
