/*
 * proxy_internal.h: what proxy_control.c (ports, publishing) and proxy.c
 * (one loop's side) share. Not a public header.
 */
#ifndef FAAS_PROXY_INTERNAL_H
#define FAAS_PROXY_INTERNAL_H

#include <pthread.h>

#include "faas/proxy.h"

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

struct faas_proxy_loop {
    faas_proxy_t *proxy;
    faas_loop_t *loop;
    faas_proxy_loop_t *next;          /* in the proxy's list of loops */
    h2o_multithread_receiver_t receiver; /* new snapshots */
    faas_routes_t *routes;            /* the snapshot this loop serves */
    h2o_socketpool_t **pools;         /* per route of routes, NULL unless serving */
    h2o_socketpool_t **retired;       /* pools of gone upstreams, freed when their last socket closes */
    size_t nretired;
    port_listener_t *listeners;
    int closed;                       /* stopping: function ports stay closed */
    h2o_http1client_ctx_t client_ctx;
    h2o_timeout_t websocket_timeout;
    h2o_timeout_entry_t sweep;        /* frees retired pools */
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

#endif
