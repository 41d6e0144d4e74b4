/*
 * router.h: the one catch-all handler every request goes through. First the front handlers the
 * server registered, in order (ACME challenges, function traffic); a request none of them takes
 * is an API call: CORS preflight, route match, key, method, scope, then the route's handler;
 * anything else is a JSON 404. The key an API request presents (the passkey or a named key,
 * core/keys.h) must be known (else 401) and have a scope that grants the route's (else 403).
 * The cross-cutting checks run here once, so API handlers hold only their own logic. The router
 * knows no route or front handler by name: server.c hands it the tables (src/api/) and the front
 * handlers (src/proxy/, src/server/).
 */
#ifndef FAAS_HTTP_ROUTER_H
#define FAAS_HTTP_ROUTER_H

#include <stddef.h>

#include <h2o.h>

#include "faas/core/keys.h"
#include "faas/http/loop.h"

/* HTTP methods a route accepts (a bit mask). */
enum {
    FAAS_M_GET = 1 << 0,
    FAAS_M_HEAD = 1 << 1,
    FAAS_M_POST = 1 << 2,
    FAAS_M_PUT = 1 << 3,
    FAAS_M_DELETE = 1 << 4,
    FAAS_M_PATCH = 1 << 5,
    FAAS_M_OPTIONS = 1 << 6,
};

/* Route flags. */
enum {
    FAAS_ROUTE_PUBLIC = 1 << 0,   /* no key needed (/health) */
    FAAS_ROUTE_READ_GET = 1 << 1, /* GET and HEAD need only FAAS_SCOPE_READ; the other methods the route's scope */
    FAAS_ROUTE_ANY_KEY = 1 << 2,  /* any valid key, whatever its scope (GET /keys/self) */
};

#define FAAS_ROUTER_MAX_PARAMS 4
#define FAAS_ROUTER_MAX_FRONT 4

/* Path parameters in pattern order (":name" one segment, "*rest" the remainder). */
typedef struct faas_router_params {
    h2o_iovec_t v[FAAS_ROUTER_MAX_PARAMS];
    size_t n;
} faas_router_params_t;

/* An API route's handler. Returns 0: the request is answered now or later (never -1). */
typedef int (*faas_router_handler_cb)(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params);

typedef struct faas_router_route {
    const char *pattern;     /* "/runtime/show/:name"; "*id" takes the rest */
    unsigned methods;        /* FAAS_M_* */
    unsigned flags;          /* FAAS_ROUTE_* */
    faas_router_handler_cb handler;
    faas_scope_t scope;      /* the scope a key needs (core/keys.h); 403 naming it for a smaller one */
} faas_router_route_t;

/* A handler tried before the API: 0 when it answered req, -1 to pass it on. */
typedef int (*faas_router_front_cb)(faas_loop_t *loop, h2o_req_t *req);

typedef struct faas_router_config {
    faas_router_front_cb front[FAAS_ROUTER_MAX_FRONT]; /* tried in order; NULL ends the list */
    const faas_router_route_t *const *tables;        /* each NULL-pattern terminated; the first match wins */
    size_t ntables;
} faas_router_config_t;

/** Registers the router as path's handler; cfg (and the tables) must outlive the server. Main thread. */
void faas_router_register(h2o_pathconf_t *path, const faas_router_config_t *cfg);

/**
 * Matches path (len bytes, no query) against pattern: literal segments,
 * ":name" for one non-empty segment, "*name" (last) for the rest, possibly
 * empty. Fills params and returns 1 on a match, else 0. Pure.
 */
int faas_router_match(const char *pattern, const char *path, size_t len, faas_router_params_t *params);

/** The FAAS_M_* bit of a method, 0 for an unknown one. Pure. */
unsigned faas_router_method_bit(const char *method, size_t len);

/** The scope a key needs for route with method (a FAAS_M_* bit): FAAS_ROUTE_READ_GET makes GET
 *  and HEAD need FAAS_SCOPE_READ, else the route's own. Pure. */
faas_scope_t faas_router_scope_needed(const faas_router_route_t *route, unsigned method);

#endif
