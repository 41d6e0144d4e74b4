/*
 * service.h: service functions, the long-running HTTP servers of section 5's
 * seed-000 API. Deploys (build -> create -> start -> ready -> switch the
 * routing -> retire the old version), start, stop, delete, logs, and keeping
 * reality in line with the records: reconcile at start-up, every
 * restart_interval and on Docker events; cleanup every cleanup_interval.
 *
 * Every function here blocks (Docker, LMDB writes): worker thread only,
 * except faas_services_create (main thread).
 */
#ifndef FAAS_SERVICE_H
#define FAAS_SERVICE_H

#include "faas/core/error.h"
#include "faas/store/record.h"
#include "faas/server/server.h"

typedef struct faas_services faas_services_t;

/* A validated upload. Strings are heap-owned; faas_service_deploy takes it over. */
typedef struct faas_service_spec {
    char *name;
    char *tag;            /* the operator's image name, e.g. "hello:v2" */
    char *runtime;
    char *source;         /* the uploaded file's name */
    char *volume;         /* as uploaded: "./data:/data,./x:/x:ro" */
    char *binds;          /* resolved and allowed: "/abs/host:/data,/abs/x:/x:ro" */
    int port;             /* loopback port faas serves it on */
    int container_port;   /* port the code listens on inside its container ($PORT) */
    faas_env_var_t *env;
    size_t env_len;
    void *zip;
    size_t zip_len;
} faas_service_spec_t;

/** Frees a spec's members and the spec. NULL is allowed. Any thread. */
void faas_service_spec_free(faas_service_spec_t *spec);

/** Makes the service manager of app (not started). Aborts on OOM. Main thread. */
faas_services_t *faas_services_create(faas_app_t *app);

/**
 * Start-up: makes sure the functions' Docker network exists, claims every
 * function's port, publishes the first routing snapshot, then schedules the
 * reconcile (now and every restart_interval), the cleanup (every
 * cleanup_interval) and the Docker events watcher.
 */
faas_err_t faas_services_start(faas_services_t *s, faas_error_t *err);

/** Stops the events watcher (at shutdown). */
void faas_services_stop(faas_services_t *s);

/**
 * Checks what needs the store or Docker (runtime exists, zip is safe, the tag
 * is not another image's, the port is free, no deploy of this name is
 * running), records the build (status building) and queues it. *out gets the
 * function record as it is now (caller frees). Takes spec over in any case.
 */
faas_err_t faas_service_deploy(faas_services_t *s, faas_service_spec_t *spec, faas_function_t *out, faas_error_t *err);

/** Starts a stopped service (recreating its container from its image if gone). FAAS_ECONFLICT if running. */
faas_err_t faas_service_start(faas_services_t *s, const char *name, faas_error_t *err);

/** Stops a service's container; its traffic gets 503 until started again. */
faas_err_t faas_service_stop(faas_services_t *s, const char *name, faas_error_t *err);

/** Deletes a service: routing, container, images, record, port. Its volumes stay. */
faas_err_t faas_service_delete(faas_services_t *s, const char *name, faas_error_t *err);

/**
 * The last build's log (build != 0) or the container's output (last tail
 * lines, 0 = all) as text in *text (malloc'd, caller frees).
 */
faas_err_t faas_service_logs(faas_services_t *s, const char *name, int build, int tail, char **text, size_t *len,
                             faas_error_t *err);

/**
 * Claims name for an operation of another module (a job submit): FAAS_ECONFLICT while a
 * deploy or another operation holds it (a background reconcile is waited for). Release it
 * with faas_services_release.
 */
faas_err_t faas_services_claim(faas_services_t *s, const char *name, faas_error_t *err);
void faas_services_release(faas_services_t *s, const char *name);

/** One reconcile pass over every function (what the periodic job runs). */
void faas_services_reconcile(faas_services_t *s);

/** One cleanup pass (orphan runtime files, stale temp files, unused images). */
void faas_services_cleanup(faas_services_t *s);

#endif
