/*
 * internal.h: what the files of src/server/ share, and nothing outside it:
 * server.c (process life), threads.c (the loop threads), tls_accept.c
 * (HTTPS accept in ACME mode) and redirect.c (the ACME plain-HTTP port).
 * Names: faas_server__*.
 */
#ifndef FAAS_SERVER_INTERNAL_H
#define FAAS_SERVER_INTERNAL_H

#include <openssl/ssl.h>
#include <pthread.h>

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
};

/** Starts every loop thread (each gets t->loop.policy already set); 0 when all are accepting, else -1. */
int faas_server__start_threads(faas_server_t *srv);

/** Asks a loop to stop accepting and finish in-flight requests until deadline_ms (monotonic). */
void faas_server__post_stop(server_thread_t *t, int64_t deadline_ms);

/** Waits until every loop drained after a stop, or deadline_ms (monotonic); 0 if all did. */
int faas_server__wait_drained(faas_server_t *srv, int64_t deadline_ms);

/** Hands a loop its new policy (it disposes the old one on its own thread). */
void faas_server__post_policy(server_thread_t *t, faas_policy_t *policy);

/** Accepts on the HTTPS listener in ACME mode: reads the ClientHello first (tls_accept.c). Loop thread. */
void faas_server__on_tls_accept(h2o_socket_t *listener, const char *err);

/** on_req of the plain-HTTP listener in ACME mode (redirect.c). Loop thread. */
int faas_server__redirect_on_req(h2o_handler_t *self, h2o_req_t *req);

/** Front handler: answers an HTTP-01 challenge the ACME client waits on; 0 when answered, -1 when req is none. */
int faas_server__acme_challenge(faas_loop_t *loop, h2o_req_t *req);

#endif
