/*
 * server.h: the running server. faas_app_t holds the process-wide services
 * (store, Docker client, worker pool, passkey, current config); each event
 * loop thread has a faas_loop_t (its h2o context, Lua policy and job return
 * path) that handlers receive with every request.
 */
#ifndef FAAS_SERVER_H
#define FAAS_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "faas/core/auth.h"
#include "faas/core/config.h"
#include "faas/docker/docker.h"
#include "faas/core/pool.h"
#include "faas/core/policy.h"
#include "faas/store/store.h"

struct faas_proxy;
struct faas_proxy_loop;
struct faas_services;
struct faas_certs;
struct faas_acme;

typedef struct faas_app {
    struct faas_proxy *proxy;  /* routing snapshot and function ports */
    struct faas_services *services; /* service functions: deploys, reconcile, events */
    struct faas_job_warm *warm; /* pre-started execution containers; NULL: none */
    struct faas_certs *certs;  /* certificates served over HTTPS; NULL: no HTTPS listener */
    struct faas_acme *acme;    /* ACME client; NULL outside ACME mode */
    faas_jobs_t *acme_jobs;    /* issuances and renewals, apart from builds so a handshake never waits behind one */
    int https_port;            /* the HTTPS listener's bound port (redirects name it); 0: none */
    faas_store_t *store;
    faas_docker_t *docker;
    faas_jobs_t *jobs;
    faas_auth_t auth;
    int64_t started_ms;
    atomic_int executions;     /* job executions running now (limits.containers caps them) */
    int own_ports[4];          /* the ports faas's own listeners are bound to (port 0 resolved) */
    size_t n_own_ports;
    pthread_mutex_t _cfg_mutex;
    faas_config_t *_cfg;       /* replaced on SIGHUP; read with faas_app_config */
} faas_app_t;

typedef struct faas_loop {
    h2o_context_t ctx;         /* first: a request's conn->ctx points at its loop */
    faas_app_t *app;
    faas_policy_t *policy;     /* this thread's Lua state, and the config it was loaded with */
    faas_jobs_loop_t *jobs;    /* where blocking work reports back to this thread */
    struct faas_proxy_loop *proxy; /* this thread's routing snapshot, socket pools, function ports */
    size_t index;
} faas_loop_t;

/** The loop a request is being served on. Loop thread. */
static inline faas_loop_t *faas_loop_of(h2o_req_t *req)
{
    return (faas_loop_t *)req->conn->ctx;
}

/** The config this loop runs with (swapped with its policy on reload). Loop thread. */
static inline const faas_config_t *faas_loop_config(const faas_loop_t *loop)
{
    return faas_policy_config(loop->policy);
}

/** Accepts connections on a listener whose data is its h2o_accept_ctx_t. Loop thread. */
void faas_loop_on_accept(h2o_socket_t *listener, const char *err);

/** Accepts on the HTTPS listener in ACME mode: reads the ClientHello first (server_tls.c). Loop thread. */
void faas_loop_on_tls_accept(h2o_socket_t *listener, const char *err);

/** The current config with a reference taken (release with faas_config_unref). Any thread. */
faas_config_t *faas_app_config(faas_app_t *app);

/**
 * `faas serve`: loads config_path (NULL: built-in defaults), opens the data
 * directory, starts the loops and serves until SIGTERM/SIGINT. Returns the
 * process exit code: 0 after a graceful stop, 2 for a bad configuration,
 * 1 for other start-up failures. Main thread.
 */
int faas_server_run(const char *config_path);

#endif
