/*
 * internal.h: what the files of src/proxy/ share, and nothing outside it:
 * proxy.c (control side: ports, publishing, waker and settings), loop.c (one
 * loop's side: snapshots, listeners, finding a request's function), wait.c
 * (a request's way to an upstream: the pick, waiting, the load counts),
 * forward.c (the HTTP/1.1 client to containers) and head.c (the request head
 * it writes). Names: faas_proxy__*.
 */
#ifndef FAAS_PROXY_INTERNAL_H
#define FAAS_PROXY_INTERNAL_H

#include <pthread.h>

#include "faas/core/keys.h"
#include "faas/http/obs.h"
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

/* One loop's requests waiting for one function, oldest first. Moves with the function from
 * snapshot to snapshot; freed when the function leaves the snapshot. */
typedef struct wait_queue {
    h2o_linklist_t waiters;           /* request_hold_t.link */
    size_t n;
} wait_queue_t;

/* One route as this loop serves it; pl->slots[i] goes with pl->routes->routes[i]. */
typedef struct route_slot {
    faas_upstream_pool_t **pools;     /* one per upstream of the route; an entry is NULL when out of memory */
    wait_queue_t *queue;              /* NULL until a request waits */
    size_t cursor;                    /* round robin among equally loaded upstreams */
} route_slot_t;

typedef enum hold_phase {
    HOLD_WAITING,   /* in a wait queue: counts in load->inflight and load->waiting */
    HOLD_FORWARDED, /* given to an upstream: counts in load->inflight and the upstream's inflight */
    HOLD_TUNNELED,  /* a WebSocket tunnel took the counts over (released when it closes) */
    HOLD_DONE,      /* answered by faas while waiting: counts nothing any more */
} hold_phase_t;

/* A function request's place in the load counts, in req->pool: released when the request is
 * freed (the client is gone, or the answer went), whatever phase it is in. */
typedef struct request_hold {
    faas_proxy_loop_t *pl;
    h2o_req_t *req;
    faas_load_t *load;                /* referenced */
    faas_upstream_t *upstream;        /* referenced while forwarded */
    wait_queue_t *queue;              /* while waiting */
    h2o_linklist_t link;              /* in queue->waiters while waiting */
    int64_t since_ms;                 /* faas_clock_mono_ms() when it began to wait */
    int for_wake;                     /* it waited for a wake (the route was idle), not only for room */
    hold_phase_t phase;
    faas_obs_req_t *obs;              /* the request's record (http/obs.h), in the same pool; NULL: none */
} request_hold_t;

struct faas_proxy_loop {
    faas_proxy_t *proxy;
    faas_loop_t *loop;
    faas_proxy_loop_t *next;          /* in the proxy's list of loops */
    h2o_multithread_receiver_t receiver; /* new snapshots */
    faas_routes_t *routes;            /* the snapshot this loop serves */
    route_slot_t *slots;              /* per route of routes */
    port_listener_t *listeners;
    int closed;                       /* stopping: function ports stay closed, no request waits */
    size_t nwaiting;                  /* requests waiting on this loop, all functions */
    h2o_timeout_t io_timeout;         /* limits.upstream_timeout: a container must make progress within it */
    h2o_timeout_t idle_timeout;       /* an idle upstream connection is closed after it */
    h2o_timeout_t websocket_timeout;
    h2o_timeout_t wait_timeout;       /* the tick that looks at waiting requests (wait.c) */
    h2o_timeout_entry_t wait_tick;    /* linked while a request waits */
    unsigned wait_ticks;
    h2o_timeout_entry_t kick;         /* on the zero timeout: a request ended while others wait */
};

struct faas_proxy {
    pthread_mutex_t mutex;            /* claims, current, loops, waker, settings */
    pthread_mutex_t publish_mutex;    /* one publisher at a time */
    port_claim_t *claims;
    size_t nclaims;
    faas_routes_t *current;
    faas_proxy_loop_t *loops;
    faas_proxy_wake_cb wake;
    void *wake_arg;
    atomic_int has_waker;             /* read on the request path without the mutex */
    faas_route_settings_cb settings;
    void *settings_arg;
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
 * that go on (an Authorization with a key of keys stays here), faas's own (X-Forwarded-*, Forwarded, X-Real-IP; the websocket upgrade when asked).
 * Returns 0, or -1 when the client's header fields pass the limits above (nothing allocated).
 * Loop thread (see head.c).
 */
int faas_proxy__request_head(h2o_req_t *req, faas_keys_t *keys, int websocket, h2o_iovec_t *head);

/** Proxies req to pool's upstream (see forward.c); answers errors itself. hold is req's place in
    the load counts: a WebSocket hands it to its tunnel. Loop thread. */
void faas_proxy__forward(faas_proxy_loop_t *pl, h2o_req_t *req, faas_upstream_pool_t *pool, request_hold_t *hold);

/** Asks the control side to wake load's function, unless a wake is already wanted. Loop thread. */
void faas_proxy__wake(faas_proxy_t *p, faas_load_t *load);

/** Whether a waker is registered (an idle route can wake). Any thread, lock-free. */
int faas_proxy__has_waker(faas_proxy_t *p);

/** Starts the timers of wait.c on pl's loop. */
void faas_proxy__wait_init(faas_proxy_loop_t *pl);

/**
 * Serves req for route (of pl's snapshot): counts it in the function's load, then forwards it
 * to the least loaded upstream, makes it wait (idle route, every upstream at its concurrency
 * cap), or answers 503/404 JSON. Returns 0 (always answered, now or later). Loop thread.
 */
int faas_proxy__admit(faas_proxy_loop_t *pl, h2o_req_t *req, const faas_route_t *route);

/** Forwards what waits on pl as far as upstreams have room; answers the waiters of routes that
    became unavailable and those past their wake timeout. Loop thread. */
void faas_proxy__dispatch_all(faas_proxy_loop_t *pl);

/** Answers every request waiting in q (status 404: the function left the snapshot; else 503,
    faas is stopping) and empties it. Loop thread. */
void faas_proxy__fail_queue(wait_queue_t *q, int status);

/** The tunnel of an accepted WebSocket: its upstream socket (sock) holds hold's counts until it
    closes, so the function counts as busy while the WebSocket is open. Loop thread. */
void faas_proxy__hold_tunnel(request_hold_t *hold, h2o_socket_t *sock);

/* ---- the container's response head (framing.c, pure) ---- */

/* picohttpparser, as bundled in libh2o 2.2 (its header is not installed). */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_response(const char *buf, size_t len, int *minor_version, int *status, const char **msg, size_t *msg_len,
                       struct phr_header *headers, size_t *num_headers, size_t last_len);
struct phr_chunked_decoder {
    size_t bytes_left_in_chunk;
    char consume_trailer;
    char _hex_count;
    char _state;
};
ssize_t phr_decode_chunked(struct phr_chunked_decoder *decoder, char *buf, size_t *bufsz);

#define FAAS_PROXY__MAX_RESPONSE_HEADERS 128

/* How a response body ends. */
typedef enum faas_proxy__body {
    FAAS_PROXY__BODY_NONE,        /* HEAD, 1xx, 204, 304 */
    FAAS_PROXY__BODY_LENGTH,      /* Content-Length */
    FAAS_PROXY__BODY_CHUNKED,     /* Transfer-Encoding: chunked (last chunk's trailers consumed too) */
    FAAS_PROXY__BODY_UNTIL_CLOSE, /* neither: the connection's end is the body's */
} faas_proxy__body_t;

typedef struct faas_proxy__framing {
    faas_proxy__body_t body;
    size_t content_length; /* SIZE_MAX when none (always for CHUNKED) */
    int keepalive;         /* the connection may serve another request afterwards */
} faas_proxy__framing_t;

/** Each header's libh2o token (NULL: none, or a name too long or empty), from its lower-cased name. */
void faas_proxy__header_tokens(const struct phr_header *headers, size_t n, const h2o_token_t **tokens);

/**
 * What a parsed response head (n headers of HTTP/1.minor with their tokens, status, to a HEAD
 * request when head) says about its body and connection. NULL, or why the head must be refused
 * (502): a folded header line, a malformed or conflicting Content-Length. Pure: forward.c and
 * the fuzz target.
 */
const char *faas_proxy__framing(const struct phr_header *headers, const h2o_token_t *const *tokens, size_t n,
                                int minor, int status, int head, faas_proxy__framing_t *out);

#endif
