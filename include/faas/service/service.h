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

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "faas/core/error.h"
#include "faas/core/policy.h"
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

/** Stops the events watcher and the scaling (at shutdown); 0 when the scale pool ended by deadline_ms
    (monotonic), -1 when a wake still runs (then the store and engine client must stay). */
int faas_services_stop(faas_services_t *s, int64_t deadline_ms);

/** Gives the scale hook its own Lua state (taken over; the previous one is disposed). Start-up and reload. */
void faas_services_set_policy(faas_services_t *s, faas_policy_t *policy);

/** The autoscaler's last decision for name (replicas wanted), -1 before its first; its reason into
    reason (size bytes, may be NULL). */
int faas_service_desired(faas_services_t *s, const char *name, char *reason, size_t size);

/** 1 when service functions run as Swarm services (backend "swarm"). */
int faas_services_swarm(const faas_services_t *s);

/**
 * The running tasks of this instance's Swarm services as an array (caller deletes) of container-like
 * summaries: {"Id" (task), "Names":["/<service>.<slot>"], "Image", "State", "Labels", "Ports":
 * [{"PrivatePort","PublicPort","Type"}], "Node" (host name), "NodeAddr", "ContainerId", "Task": true}.
 * An empty array with backend "docker". Worker thread: blocks.
 */
faas_err_t faas_services_tasks(faas_services_t *s, cJSON **out, faas_error_t *err);

/** Starts a stopped or crashing service (recreating its container from its image if gone); a running one
    is left as it is (FAAS_OK). */
faas_err_t faas_service_start(faas_services_t *s, const char *name, faas_error_t *err);

/** Stops a service's container; its traffic gets 503 until started again. Stopping a stopped one is FAAS_OK. */
faas_err_t faas_service_stop(faas_services_t *s, const char *name, faas_error_t *err);

/** Deletes a service: routing, container, images, record, port. Its volumes stay. */
faas_err_t faas_service_delete(faas_services_t *s, const char *name, faas_error_t *err);

/**
 * A function's own scale settings changed in its record (PUT /function/scale/:name): brings
 * what serves in line with them. For now it republishes the routing snapshot, so the proxy
 * takes the new concurrency. FAAS_ESTORE and the like when the snapshot cannot be built.
 */
faas_err_t faas_service_scale_changed(faas_services_t *s, const char *name, faas_error_t *err);

/**
 * The last build's log (build != 0) or the container's output (last tail
 * lines, 0 = all) as text in *text (malloc'd, caller frees).
 */
faas_err_t faas_service_logs(faas_services_t *s, const char *name, int build, int tail, char **text, size_t *len,
                             faas_error_t *err);

/* Takes one piece of a followed log; returns -1 to stop (the reader went away). */
typedef int (*faas_service_log_write_cb)(void *ctx, const char *data, size_t len);

/**
 * Follows the output of name's replicas as it is written (starting with the last tail lines,
 * < 0: all), one write per line; with several replicas each line starts with "[<replica>] ".
 * Returns when every replica's stream ended (containers stopped or removed), when write
 * refused, or within about a second of *stop turning nonzero. FAAS_ENOTFOUND. Blocks: run it
 * on a thread of its own, not on the worker pool.
 */
faas_err_t faas_service_logs_follow(faas_services_t *s, const char *name, int tail, faas_service_log_write_cb write,
                                    void *ctx, const atomic_int *stop, faas_error_t *err);

/**
 * Follows the log of name's current build as it is written and ends with the build (when the
 * new version serves or the build failed): the last line is "faas: build <id> succeeded" or
 * "faas: build <id> failed: <error>". FAAS_ENOTFOUND (function, or no build). Blocks like
 * faas_service_logs_follow.
 */
faas_err_t faas_service_build_log_follow(faas_services_t *s, const char *name, faas_service_log_write_cb write,
                                         void *ctx, const atomic_int *stop, faas_error_t *err);

#endif
