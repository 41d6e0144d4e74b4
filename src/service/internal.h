/*
 * service_internal.h: what the service files share: deploy.c (upload to
 * switch), service.c (start, stop, delete, logs), service_reconcile.c
 * (reconcile, events, cleanup) and service_container.c (Docker containers of
 * a version, readiness, retiring). Worker threads only. Not a public header.
 */
#ifndef FAAS_SERVICE_INTERNAL_H
#define FAAS_SERVICE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "faas/docker/docker.h"
#include "faas/proxy/proxy.h"
#include "faas/service/service.h"

#define FAAS_SERVICE_ADDRESS_MAX 32

/* A function with an operation in progress (deploy, start, stop, delete). */
typedef struct busy {
    char name[64];
    char build_id[40]; /* the deploy's build, "" for other operations */
    int background;    /* reconcile: operators' requests wait for it instead of failing */
    struct busy *next;
} busy_t;

/* A container being retired: traffic moved off it, its last requests are finishing. */
typedef struct retiring {
    char id[80];
    struct retiring *next;
} retiring_t;

struct faas_services {
    faas_app_t *app;
    pthread_mutex_t mutex; /* busy, retiring */
    pthread_cond_t released; /* a busy entry went away */
    busy_t *busy;
    retiring_t *retiring;  /* reconcile must not remove these under their requests */
    char network[64];      /* the Docker network service containers join */
    pthread_t events_thread;
    int events_started;
    atomic_int stopping;
};

/* What a container of one version of a function is made from. */
typedef struct faas_version {
    const char *name;
    const char *build_id;
    const char *image;
    int container_port;
    const faas_env_var_t *env;
    size_t env_len;
    const char *binds;     /* "host:ctr[:ro],..." resolved, or NULL */
} faas_version_t;

/**
 * Marks name busy for an operator's operation (with its build id for a deploy). Waits for a
 * background reconcile of name to end; FAAS_ECONFLICT if another operation holds it.
 */
faas_err_t faas_service__claim(faas_services_t *s, const char *name, const char *build_id, faas_error_t *err);

/** Marks name busy for background work; 0 on success, -1 (no wait) if anything holds it. */
int faas_service__claim_background(faas_services_t *s, const char *name);
void faas_service__release(faas_services_t *s, const char *name);
/** 1 if name is busy; when build_id is not NULL, 1 only if that build is the one running. */
int faas_service__busy(faas_services_t *s, const char *name, const char *build_id);

/** 1 if container id is being retired by a switch (reconcile leaves it alone). */
int faas_service__retiring(faas_services_t *s, const char *id);

/** Creates and starts a container for v; writes its id and "ip:port" address. Removes it on failure. */
faas_err_t faas_service__run_container(faas_services_t *s, const faas_version_t *v, char id[FAAS_DOCKER_ID_MAX],
                                       char address[FAAS_SERVICE_ADDRESS_MAX], faas_error_t *err);

/** Reads a container's state: *running, and its address on the network (port appended). */
faas_err_t faas_service__inspect(faas_services_t *s, const char *id, int container_port, int *running,
                                 char address[FAAS_SERVICE_ADDRESS_MAX], faas_error_t *err);

/**
 * Waits until the container answers HTTP on address (any status line), or
 * fails: timeout, or the container exited (the message carries its last log
 * lines).
 */
faas_err_t faas_service__wait_ready(faas_services_t *s, const char *id, const char *address, int64_t timeout_ms,
                                    faas_error_t *err);

/** Removes a container (forced) and, when image is not NULL, that image; errors are logged. */
void faas_service__remove(faas_services_t *s, const char *container_id, const char *image);

/**
 * Moves traffic to what the store now says and retires the version that
 * served before: publishes a snapshot, waits until every loop uses it and the
 * old container's requests in flight are done, then removes old_container and
 * old_image (unless the record still uses them) and releases old_port if the
 * function no longer holds it.
 */
void faas_service__switch(faas_services_t *s, const char *name, const char *old_container, const char *old_image,
                          int old_port);

/**
 * Makes fn's version run and answer HTTP: starts its container, or recreates
 * it from fn's image when it is gone; then records status running, the
 * container and its address. The caller publishes the routes.
 */
faas_err_t faas_service__bring_up(faas_services_t *s, const faas_function_t *fn, faas_error_t *err);

/** The config now (a reference: unref it). */
faas_config_t *faas_service__config(faas_services_t *s);

/** The HTTPS name of function name, <name>.<domain>, into out; 0 when faas serves no HTTPS or has no domain. */
int faas_service__tls_host(faas_services_t *s, const faas_config_t *cfg, const char *name, char *out, size_t size);

#endif
