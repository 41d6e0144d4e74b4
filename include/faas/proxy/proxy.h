/*
 * proxy.h: function traffic. The control side (any worker) reserves loopback
 * ports and publishes routing snapshots built from the store; the loop side
 * applies each snapshot on its own thread (opening and closing function-port
 * listeners, keeping a socket pool per upstream) and forwards requests to the
 * function's container with libh2o's reverse proxy.
 *
 * A deploy switches traffic with faas_proxy_publish, then faas_proxy_wait_switched
 * tells it when every loop uses the new snapshot, and faas_upstream's inflight
 * count when the old container's last request is done.
 */
#ifndef FAAS_PROXY_H
#define FAAS_PROXY_H

#include "faas/core/error.h"
#include "faas/proxy/routes.h"
#include "faas/server/server.h"
#include "faas/store/store.h"

typedef struct faas_proxy faas_proxy_t;
typedef struct faas_proxy_loop faas_proxy_loop_t;

/* ---- control side: any thread (publish reads the store; worker threads) ---- */

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

/* ---- loop side: each function on its loop's thread ---- */

/** Attaches a loop to the proxy (it gets the current snapshot now and every later one). */
faas_proxy_loop_t *faas_proxy_loop_create(faas_proxy_t *p, faas_loop_t *loop);

/**
 * The function name a Host names: its first label, lower-cased into out, when the host has a
 * dot and is not an IP literal ("Fn.example.com:8080" -> "fn"). Returns its length, or 0. Pure.
 */
size_t faas_proxy_host_label(h2o_iovec_t authority, char *out, size_t size);

/** Stops accepting on every function port of this loop (graceful stop). */
void faas_proxy_loop_close_ports(faas_proxy_loop_t *pl);

/**
 * Serves req if it is function traffic: it arrived on a function's port, or
 * the route hook or its Host's first label names a service function. Returns 0
 * when answered (proxied, or 503/404 JSON), -1 when it is not function traffic
 * (the API takes it).
 */
int faas_proxy_on_req(faas_proxy_loop_t *pl, h2o_req_t *req);

#endif
