/*
 * internal.h: what the files of src/proxy/ share, and nothing outside it:
 * proxy.c (control side: ports, publishing), loop.c (one loop's side:
 * snapshots, listeners, finding a request's function), forward.c (the
 * HTTP/1.1 client to containers) and head.c (the request head it writes).
 * Names: faas_proxy__*.
 */
#ifndef FAAS_PROXY_INTERNAL_H
#define FAAS_PROXY_INTERNAL_H

#include <pthread.h>

#include "faas/core/auth.h"
#include "faas/proxy/loop.h"
#include "faas/proxy/proxy.h"

/* A loopback port held for a function: faas's own listening socket. */
typedef struct port_claim {
    int port;
    int fd;
    char owner[64];
} port_claim_t;

/* One function port as one loop serves it. Never freed while the loop runs:
 * connections accepted on it keep pointing at its hosts array. */
typedef struct port_listener {
    h2o_hostconf_t *hosts[2];  /* first: req->conn->hosts leads back here */
    h2o_accept_ctx_t accept;
    h2o_socket_t *sock;        /* NULL while the port is not in the snapshot */
    int port;
    struct port_listener *next;
} port_listener_t;

typedef struct faas_upstream_pool faas_upstream_pool_t;

/* A connection to an upstream: idle in its pool, or lent to one exchange. */
typedef struct faas_upconn {
    h2o_socket_t *sock;
    faas_upstream_pool_t *pool;
    h2o_linklist_t link;              /* in pool->idle while idle */
    h2o_timeout_entry_t idle_timeout;
} faas_upconn_t;

/* One loop's connections to one upstream. Freed once retired with none idle or lent. */
struct faas_upstream_pool {
    faas_upstream_t *upstream;        /* referenced */
    h2o_linklist_t idle;
    size_t nidle, lent;
    int retired;                      /* the upstream left the snapshot */
};

struct faas_proxy_loop {
    faas_proxy_t *proxy;
    faas_loop_t *loop;
    faas_proxy_loop_t *next;          /* in the proxy's list of loops */
    h2o_multithread_receiver_t receiver; /* new snapshots */
    faas_routes_t *routes;            /* the snapshot this loop serves */
    faas_upstream_pool_t **pools;     /* per route of routes, NULL unless serving */
    port_listener_t *listeners;
    int closed;                       /* stopping: function ports stay closed */
    h2o_timeout_t io_timeout;         /* limits.upstream_timeout: a container must make progress within it */
    h2o_timeout_t idle_timeout;       /* an idle upstream connection is closed after it */
    h2o_timeout_t websocket_timeout;
};

struct faas_proxy {
    pthread_mutex_t mutex;            /* claims, current, loops */
    pthread_mutex_t publish_mutex;    /* one publisher at a time */
    port_claim_t *claims;
    size_t nclaims;
    faas_routes_t *current;
    faas_proxy_loop_t *loops;
};

/** A dup of the listening socket held for port, or -1. Any thread. */
int faas_proxy__port_fd(faas_proxy_t *p, int port);

/** Registers pl and applies the current snapshot. On pl's loop thread. */
void faas_proxy__attach(faas_proxy_t *p, faas_proxy_loop_t *pl);

/** Makes routes (a reference, taken over) the snapshot pl serves. On pl's loop thread. */
void faas_proxy__apply(faas_proxy_loop_t *pl, faas_routes_t *routes);

/** Sends routes (a reference, taken over) to pl's loop. Any thread. */
void faas_proxy__post(faas_proxy_loop_t *pl, faas_routes_t *routes);

/** A pool for upstream (referenced). NULL when out of memory. Loop thread. */
faas_upstream_pool_t *faas_proxy__pool_create(faas_upstream_t *upstream);

/** Retires a pool: idle connections close now, the pool goes when its last lent one returns. */
void faas_proxy__pool_retire(faas_upstream_pool_t *pool);

/*
 * Limits on the client's header fields faas writes on to a container, checked before the head is
 * built (head.c); past them the request gets 431. HTTP/2 split cookies count as one field, as they
 * are sent. Near what sits in front of web servers elsewhere: libh2o 2.2 takes at most 100 fields
 * over HTTP/1.1 (H2O_MAX_HEADERS; HTTP/2 has no count limit, only its ~400 KiB header block,
 * H2O_MAX_REQLEN) and Apache 100 (LimitRequestFields); nginx takes 32 KiB of request head (its
 * large_client_header_buffers, 4 x 8 KiB), Node 16 KiB, Python's http.server (many functions'
 * server) 100 fields and 64 KiB a line.
 */
#define FAAS_PROXY__MAX_FIELDS 100
#define FAAS_PROXY__MAX_FIELD_BYTES (64 * 1024)

/**
 * The HTTP/1.1 request head for req into *head, in req's pool: request line, the client's headers
 * that go on, faas's own (X-Forwarded-*, Forwarded, X-Real-IP; the websocket upgrade when asked).
 * Returns 0, or -1 when the client's header fields pass the limits above (nothing allocated).
 * Loop thread (see head.c).
 */
int faas_proxy__request_head(h2o_req_t *req, const faas_auth_t *auth, int websocket, h2o_iovec_t *head);

/** Proxies req to pool's upstream (see forward.c); answers errors itself. Loop thread. */
void faas_proxy__forward(faas_proxy_loop_t *pl, h2o_req_t *req, faas_upstream_pool_t *pool);

#endif
