/*
 * internal.h: what the files of src/server/ share, and nothing outside it:
 * server.c (process life), threads.c (the loop threads), conns.c (each
 * loop's client connections: accept, cap, deadlines), conn_view.c (what
 * libh2o shows of their requests), unauth.c (bodies without a key),
 * tls_accept.c (HTTPS accept in ACME mode), redirect.c (the ACME plain-HTTP
 * port), engine_watch.c (the Docker engine's state for /health) and keys.c
 * (the named API keys' table: loaded, last use saved).
 * Names: faas_server__*.
 */
#ifndef FAAS_SERVER_INTERNAL_H
#define FAAS_SERVER_INTERNAL_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "faas/core/app.h"
#include "faas/http/loop.h"
#include "faas/http/router.h"
#include "faas/server/server.h"

#define FAAS_MAX_LISTENERS 2

typedef struct faas_server faas_server_t;

/* A bound listening socket; each loop thread accepts from its own dup of fd. */
typedef struct server_listener {
    int fd;
    SSL_CTX *ssl_ctx; /* NULL for plain HTTP */
    char url[96];     /* "http://127.0.0.1:8080", for the log */
    int port;         /* the port it is bound to */
    h2o_hostconf_t **hosts; /* NULL: the main configuration's */
    int peek_sni;     /* read the ClientHello before the handshake (certificates on demand) */
} server_listener_t;

/* A loop's client connections (conns.c), each from its accept (or first sight) to its close. */
typedef struct server_conns {
    h2o_linklist_t all;              /* server_conn_t, oldest first */
    size_t n;                        /* open ones, those being closed included */
    uint64_t walks;                  /* walks over libh2o's requests so far */
    h2o_timeout_t sweep_timeout;     /* conns.c's SWEEP_MS */
    h2o_timeout_entry_t sweep_entry;
    int64_t refused_logged_ms;       /* last "connection cap reached" warning */
    size_t refused;                  /* refused since that warning */
} server_conns_t;

typedef struct server_thread {
    faas_loop_t loop; /* first: handlers get here from req->conn->ctx */
    faas_server_t *server;
    pthread_t tid;
    h2o_accept_ctx_t accept[FAAS_MAX_LISTENERS];
    h2o_socket_t *listeners[FAAS_MAX_LISTENERS];
    size_t nlisteners;
    h2o_multithread_receiver_t control; /* stop and reload messages from the main thread */
    h2o_timeout_entry_t drain_entry;
    int64_t drain_deadline_ms;
    int goaway_sent; /* HTTP/2 clients told to open no new streams */
    int done; /* set on the loop thread; ends its loop */
    server_conns_t conns;
} server_thread_t;

struct faas_server {
    faas_app_t app;
    h2o_globalconf_t globalconf;
    h2o_globalconf_t redirect_conf; /* ACME mode: the plain-HTTP listener's one handler */
    faas_router_config_t router;    /* front handlers and route tables of the main handler */
    server_listener_t listeners[FAAS_MAX_LISTENERS];
    size_t nlisteners;
    server_thread_t *threads;
    size_t nthreads;
    pthread_mutex_t ready_mutex;
    pthread_cond_t ready_cond;
    size_t nready, nfailed; /* loop threads that started accepting / failed to */
    size_t ndrained;        /* loop threads done after a stop (they park, never return) */
    atomic_size_t nconns;   /* open client connections of every loop, those being closed excepted */
    size_t conn_fd_cap;     /* the most connections RLIMIT_NOFILE leaves room for */
    faas_pool_t *engine_pool; /* engine_watch.c's one worker */
    struct faas_obs *obs;     /* request counters and the access log (http/obs.h) */
};

/** Makes app.keys and loads it from the store, then saves the keys' last use every minute on the
 *  worker pool (keys.c). 0, or -1 (logged). Main thread, after the store and the pool. */
int faas_server__keys_start(faas_server_t *srv);

/** Saves the keys' last use once more; the store must still be open. Main thread, at stop. */
void faas_server__keys_stop(faas_server_t *srv);

/** Starts every loop thread (each gets t->loop.policy already set); 0 when all are accepting, else -1. */
int faas_server__start_threads(faas_server_t *srv);

/** Asks a loop to stop accepting and finish in-flight requests until deadline_ms (monotonic). */
void faas_server__post_stop(server_thread_t *t, int64_t deadline_ms);

/** Waits until every loop drained after a stop, or deadline_ms (monotonic); 0 if all did. */
int faas_server__wait_drained(faas_server_t *srv, int64_t deadline_ms);

/** Hands a loop its new policy (it disposes the old one on its own thread). */
void faas_server__post_policy(server_thread_t *t, faas_policy_t *policy);

/* ---- conns.c: each loop's client connections ---- */

/** Starts tracking this loop's connections and their deadlines (its sweep timer). Loop thread. */
void faas_server__conns_start(server_thread_t *t);

/** Accepts on a listener whose data is its h2o_accept_ctx_t, within server.max_connections. Loop thread. */
void faas_server__on_accept(h2o_socket_t *listener, const char *err);

/**
 * Counts a socket just accepted outside faas_server__on_accept (the HTTPS accept of ACME mode),
 * making room under server.max_connections by closing the oldest idle connection when needed.
 * 0: go on with it; -1: refused (sock is closed). Loop thread.
 */
int faas_server__conns_admit(server_thread_t *t, h2o_socket_t *sock);

/** 1 if req goes to the API (or the ACME plain port) without a valid key: its body serves nobody (unauth.c). Loop thread. */
int faas_server__unauthenticated_api(server_thread_t *t, h2o_req_t *req);

/** A logger's log_access on the catch-all paths: a request ended, its connection is idle now. Loop thread. */
void faas_server__on_request_done(h2o_logger_t *self, h2o_req_t *req);

/* ---- conn_view.c: what libh2o 2.2.5 shows of a loop's requests ---- */

typedef enum server_conn_phase {
    SERVER_CONN_IDLE,   /* HTTP/1: between requests, no byte of the next one */
    SERVER_CONN_HEADER, /* HTTP/1: a request's header block is arriving */
    SERVER_CONN_BODY,   /* headers in, the body arriving: libh2o calls the handler only once it is all in */
    SERVER_CONN_BUSY,   /* a request is being served */
} server_conn_phase_t;

/* One request: HTTP/1's one per connection (idle ones too), HTTP/2's streams once their headers are in. */
typedef struct server_req_view {
    h2o_socket_t *sock;     /* its connection's */
    h2o_req_t *req;
    int http2;
    server_conn_phase_t phase;
    int first_request;      /* HTTP/1: no request of the connection completed yet */
    int64_t request_age_ms; /* HTTP/1 HEADER and BODY: since the request's first byte; -1 when unknown */
    size_t received;        /* HTTP/1 BODY: bytes held for the request, header block included */
} server_req_view_t;

/** Calls cb for each request of ctx's HTTP/1 and HTTP/2 connections (not those in a TLS handshake or a tunnel). Loop thread. */
void faas_server__conn_walk(h2o_context_t *ctx, void (*cb)(void *data, const server_req_view_t *view), void *data);

/* ---- engine_watch.c ---- */

/** Publishes the start-up ping's outcome and pings the engine every second from now on; 0 or -1. Main thread. */
int faas_server__engine_watch_start(faas_server_t *srv, faas_err_t first_ping);

/** Accepts on the HTTPS listener in ACME mode: reads the ClientHello first (tls_accept.c). Loop thread. */
void faas_server__on_tls_accept(h2o_socket_t *listener, const char *err);

/** on_req of the plain-HTTP listener in ACME mode (redirect.c). Loop thread. */
int faas_server__redirect_on_req(h2o_handler_t *self, h2o_req_t *req);

/** Front handler: answers an HTTP-01 challenge the ACME client waits on; 0 when answered, -1 when req is none. */
int faas_server__acme_challenge(faas_loop_t *loop, h2o_req_t *req);

#endif
