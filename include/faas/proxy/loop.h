/*
 * loop.h (proxy): the loop side of function traffic. Each loop applies every routing snapshot
 * on its own thread (opening and closing its listeners on the functions' loopback ports,
 * keeping its pool of connections per upstream container) and forwards function requests to
 * the containers with faas's own HTTP/1.1 client (forward.c). Loop thread only.
 */
#ifndef FAAS_PROXY_LOOP_H
#define FAAS_PROXY_LOOP_H

#include <h2o.h>

#include "faas/http/loop.h"
#include "faas/proxy/proxy.h"

typedef struct faas_proxy_loop faas_proxy_loop_t;

/** Attaches a loop to the proxy: it gets the current snapshot now and every later one. NULL when out of memory. */
faas_proxy_loop_t *faas_proxy_loop_create(faas_proxy_t *p, faas_loop_t *loop);

/** Stops accepting on every function port of this loop (graceful stop). */
void faas_proxy_loop_close_ports(faas_proxy_loop_t *pl);

/**
 * The router's front handler for function traffic: serves req if it arrived on a function's
 * port, or the route hook or its Host's first label names a service function. Returns 0 when
 * answered (proxied, or a 503/404 JSON), -1 when it is not function traffic (the API takes it).
 */
int faas_proxy_loop_on_req(faas_loop_t *loop, h2o_req_t *req);

#endif
