/*
 * service.h: service functions, the long-running HTTP servers of the seed-000 API.
 * The manager (services.c: faas_services_*) keeps reality in line with the
 * records: reconcile at start-up, every restart_interval and on Docker events;
 * cleanup every cleanup_interval. The operations on one function
 * (service.c: faas_service_*) start, stop, delete it and read its logs;
 * deploys are deploy.h's.
 *
 * Every function here blocks (Docker, LMDB writes): worker thread only,
 * except faas_services_create/start/stop (main thread).
 */
#ifndef FAAS_SERVICE_SERVICE_H
#define FAAS_SERVICE_SERVICE_H

#include "faas/core/error.h"
#include "faas/store/record.h"
#include "faas/core/app.h"

typedef struct faas_services faas_services_t;

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

/** Starts a stopped or crashing service (recreating its container from its image if gone); a running one
    is left as it is (FAAS_OK). */
faas_err_t faas_service_start(faas_services_t *s, const char *name, faas_error_t *err);

/** Stops a service's container; its traffic gets 503 until started again. Stopping a stopped one is FAAS_OK. */
faas_err_t faas_service_stop(faas_services_t *s, const char *name, faas_error_t *err);

/** Deletes a service: routing, container, images, record, port. Its volumes stay. */
faas_err_t faas_service_delete(faas_services_t *s, const char *name, faas_error_t *err);

/**
 * The last build's log (build != 0) or the container's output (last tail
 * lines, 0 = all) as text in *text (malloc'd, caller frees).
 */
faas_err_t faas_service_logs(faas_services_t *s, const char *name, int build, int tail, char **text, size_t *len,
                             faas_error_t *err);

#endif
