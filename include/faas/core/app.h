/*
 * app.h: what the process shares, handed to every stage: the store, the Docker client, the
 * worker pools, the passkey and the named keys, the secrets key, the function locks, the current configuration, and the stages
 * that others call (proxy control side, services, containers started ahead, certificates).
 * Plain pointers to opaque types: this header knows no HTTP and no libh2o, so services, job functions
 * and the adapters can take an app without seeing the server.
 *
 * server.c fills it at start-up (main thread) and it lives until exit. Fields are set once
 * before the loops start, except the configuration (faas_app_config, any thread) and the
 * executions counter (atomic).
 */
#ifndef FAAS_CORE_APP_H
#define FAAS_CORE_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "faas/core/auth.h"
#include "faas/core/config.h"
#include "faas/core/fnlock.h"
#include "faas/core/pool.h"
#include "faas/core/secretbox.h"

#define FAAS_APP_MAX_OWN_PORTS 4
#define FAAS_APP_INSTANCE_MAX 16

struct faas_store;
struct faas_docker;
struct faas_proxy;
struct faas_services;
struct faas_warm;
struct faas_certs;
struct faas_acme;
struct faas_keys;

typedef struct faas_app {
    struct faas_store *store;
    struct faas_docker *docker;
    faas_pool_t *pool;           /* blocking work: builds, Docker calls, store writes */
    faas_pool_t *acme_pool;      /* issuances and renewals, apart from builds so a handshake never waits behind one */
    faas_fnlock_t *locks;        /* one operation per function name at a time (deploys, submits, deletes) */
    faas_auth_t auth;            /* the passkey: the root key */
    struct faas_keys *keys;      /* named API keys and their scopes, beside the passkey (core/keys.h) */
    faas_secretbox_t secretbox;  /* seals secret values in the store (the key file beside the passfile) */
    char instance[FAAS_APP_INSTANCE_MAX]; /* this faas's instance id (kept in the store) */
    char instance_label[48];     /* FAAS_LABEL_INSTANCE "=<instance>", for label lists and filters */
    struct faas_proxy *proxy;    /* routing snapshot and function ports (control side) */
    struct faas_services *services; /* service functions: deploys, reconcile, events */
    struct faas_warm *warm;      /* execution containers started ahead; NULL: none */
    struct faas_certs *certs;    /* certificates served over HTTPS; NULL: no HTTPS listener */
    struct faas_acme *acme;      /* ACME client; NULL outside ACME mode */
    int https_port;              /* the HTTPS listener's bound port (redirects name it); 0: none */
    int own_ports[FAAS_APP_MAX_OWN_PORTS]; /* the ports faas's own listeners are bound to (port 0 resolved) */
    size_t n_own_ports;
    int64_t started_ms;
    atomic_int executions;       /* job executions running now (limits.containers caps them) */
    atomic_int log_followers;    /* threads following logs for a client (api/logs.c); shutdown waits for them */
    pthread_mutex_t _cfg_mutex;
    faas_config_t *_cfg;         /* replaced on SIGHUP; read with faas_app_config */
} faas_app_t;

/** Prepares app (zeroed first) around cfg (a reference, taken over). Main thread. */
void faas_app_init(faas_app_t *app, faas_config_t *cfg);

/** Sets the instance id (and its label) every Docker object of this faas carries. Start-up only. */
void faas_app_set_instance(faas_app_t *app, const char *id);

/**
 * The labels that select this instance's objects: FAAS_LABEL_MANAGED=1, the instance label, then
 * extra (NULL-terminated, may be NULL), into out (room for 2 + extra + 1 pointers), NULL-ended.
 * Returns out, for Docker listings, removals and the event filter.
 */
const char **faas_app_labels(const faas_app_t *app, const char *const *extra, const char **out, size_t room);

/** The current config with a reference taken (release with faas_config_unref). Any thread. */
faas_config_t *faas_app_config(faas_app_t *app);

/** Makes cfg (a reference, taken over) the current config; readers keep the old one while they hold it. */
void faas_app_set_config(faas_app_t *app, faas_config_t *cfg);

#endif
