/*
 * proxy.h: the control side of function traffic, what deploys and the reconcile use. It
 * reserves the functions' loopback ports and publishes routing snapshots (routes.h) built from
 * the store; every loop takes each new snapshot on its own thread (loop.h) and forwards requests
 * by it. No HTTP here: services include this header without seeing libh2o.
 *
 * A deploy switches traffic with faas_proxy_publish; faas_proxy_wait_switched then tells it
 * when every loop uses the new snapshot, and faas_proxy_wait_drained when the old container's
 * last request is done. Any thread; publish and the waits block: worker threads.
 *
 * Scaling: the control side registers a waker (called when requests wait for a function with
 * no ready replica, or with every replica at its concurrency cap) and a provider of each
 * function's route settings, and samples each function's load (faas_proxy_load,
 * faas_proxy_loads; the fields are in routes.h).
 */
#ifndef FAAS_PROXY_PROXY_H
#define FAAS_PROXY_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "faas/core/error.h"
#include "faas/proxy/routes.h"
#include "faas/store/store.h"

typedef struct faas_proxy faas_proxy_t;

/** Creates the proxy with an empty snapshot. Aborts on OOM. Main thread. */
faas_proxy_t *faas_proxy_create(void);

/**
 * Claims 127.0.0.1:port for function owner: binds and listens now, so the port
 * is held from the upload on. FAAS_OK if owner already holds it; FAAS_ECONFLICT
 * when another function holds it ("port 9002 is used by function 'x'") or
 * another process does ("port 9002 is in use on this machine").
 */
faas_err_t faas_proxy_reserve_port(faas_proxy_t *p, int port, const char *owner, faas_error_t *err);

/** Gives up owner's claim on port (closes faas's own socket; loops close theirs on the next snapshot). */
void faas_proxy_release_port(faas_proxy_t *p, int port, const char *owner);

/** The function holding port into owner (size >= 64); 1 if held, else 0. */
int faas_proxy_port_owner(faas_proxy_t *p, int port, char *owner, size_t size);

/**
 * Rebuilds the snapshot from the store and hands it to every loop. If old is
 * not NULL it receives the previous snapshot (a reference: unref it). Worker thread.
 */
faas_err_t faas_proxy_publish(faas_proxy_t *p, faas_store_t *store, faas_routes_t **old, faas_error_t *err);

/** The current snapshot, referenced (unref it). Any thread. */
faas_routes_t *faas_proxy_routes(faas_proxy_t *p);

/**
 * Waits until no loop holds old any more (every loop applied a newer snapshot)
 * or deadline_ms (monotonic) passes; 0 if switched. Worker thread.
 */
int faas_proxy_wait_switched(faas_routes_t *old, int64_t deadline_ms);

/** Waits until u has no request in flight or deadline_ms passes; 0 if drained. Worker thread. */
int faas_proxy_wait_drained(faas_upstream_t *u, int64_t deadline_ms);

/**
 * Asks for function name to be woken (or given more room). A loop calls it on its own thread
 * when a request must wait, at most once per wake: only when it turned the function's
 * load->wake_wanted from 0 to 1. The control side sets wake_wanted back to 0 once the wake is
 * over (it published a snapshot with a ready replica, or gave up), and sets load->wake_kind
 * before publishing the snapshot that ends it. Must not block (queue the work on a worker).
 */
typedef void (*faas_proxy_wake_cb)(void *arg, const char *name);

/** Registers the waker, replacing any. Without one a request for an idle route gets 503 at once. Any thread. */
void faas_proxy_set_waker(faas_proxy_t *p, faas_proxy_wake_cb wake, void *arg);

/** Registers what fills each function's route settings (concurrency, queue, wake timeout), used
    from the next publish on, on the publishing thread. Without one: the defaults of routes.h. Any thread. */
void faas_proxy_set_settings(faas_proxy_t *p, faas_route_settings_cb fill, void *arg);

/** Function name's load in the current snapshot, referenced (faas_load_unref it), or NULL. Any thread. */
faas_load_t *faas_proxy_load(faas_proxy_t *p, const char *name);

/**
 * The loads of every function in the current snapshot, in name order (each carries its name):
 * *out is a malloc'd array of references, *n its length; free both with faas_proxy_loads_free.
 * 0, or -1 when out of memory. Any thread.
 */
int faas_proxy_loads(faas_proxy_t *p, faas_load_t ***out, size_t *n);

/** Unrefs each load and frees the array. NULL is allowed. */
void faas_proxy_loads_free(faas_load_t **loads, size_t n);

#endif
