/*
 * proxy.h: the control side of function traffic, what deploys and the reconcile use. It
 * reserves the functions' loopback ports and publishes routing snapshots (routes.h) built from
 * the store; every loop takes each new snapshot on its own thread (loop.h) and forwards requests
 * by it. No HTTP here: services include this header without seeing libh2o.
 *
 * A deploy switches traffic with faas_proxy_publish; faas_proxy_wait_switched then tells it
 * when every loop uses the new snapshot, and faas_proxy_wait_drained when the old container's
 * last request is done. Any thread; publish and the waits block: worker threads.
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

#endif
