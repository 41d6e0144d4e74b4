/*
 * obs.h: what faas observes of each request: the per-loop counters behind GET /metrics (the
 * OpenFaaS gateway series and faas's own request-path ones) and the access log.
 *
 * The router opens a record for every request (faas_obs_begin); the proxy fills in what only it
 * knows (the function, the replica, the wake and upstream times, waiting, refusals, upstream
 * errors); when the request is freed the record adds its status and duration to its loop's
 * counters and writes its access log line. Counting costs the proxy no shared cache line: every
 * loop owns its counters and writes them with plain increments; a scrape asks every loop, through
 * its message queue, for a copy and merges the copies on the scraping loop (faas_obs_collect).
 * Access log lines gather in each loop's own buffer, which the loop hands (every 100 ms, or at
 * 64 KiB) to one writer thread: no loop ever waits on the disk. SIGUSR1 reopens the file.
 * Loop threads, except where a function says otherwise.
 */
#ifndef FAAS_HTTP_OBS_H
#define FAAS_HTTP_OBS_H

#include <stddef.h>
#include <stdint.h>

#include <h2o.h>

#include "faas/core/error.h"
#include "faas/core/metrics.h"
#include "faas/http/loop.h"

/* Why an exchange with a function's container failed (faas_upstream_errors_total{reason}). */
typedef enum faas_obs_upstream_error {
    FAAS_OBS_UPSTREAM_CONNECT = 0,  /* "connect": refused, or no connection could be opened */
    FAAS_OBS_UPSTREAM_CLOSED = 1,   /* "closed": the container closed or reset the connection */
    FAAS_OBS_UPSTREAM_TIMEOUT = 2,  /* "timeout": no progress within limits.upstream_timeout */
    FAAS_OBS_UPSTREAM_INVALID = 3,  /* "invalid": a response faas cannot pass on */
    FAAS_OBS_UPSTREAM_NREASONS = 4,
} faas_obs_upstream_error_t;

#define FAAS_OBS_CODE_MIN 100
#define FAAS_OBS_CODE_MAX 999 /* the proxy passes on statuses 100..999 */

/* One function's counters on one loop (or merged over every loop, in a scrape). */
typedef struct faas_obs_fn {
    char name[64];
    uint64_t started;                               /* gateway_function_invocation_started */
    uint64_t codes[FAAS_OBS_CODE_MAX - FAAS_OBS_CODE_MIN + 1]; /* answers by status */
    faas_metrics_hist_t seconds;                    /* gateway_functions_seconds */
    uint64_t waited;                                /* requests that waited (a wake, or room) */
    uint64_t refused;                               /* requests refused: the queue was full */
    uint64_t upstream_errors[FAAS_OBS_UPSTREAM_NREASONS];
    struct faas_obs_fn *next;                       /* the loop's hash chain */
} faas_obs_fn_t;

typedef struct faas_obs faas_obs_t;
typedef struct faas_obs_loop faas_obs_loop_t;
typedef struct faas_obs_req faas_obs_req_t;

/**
 * The process's observer: counting on or off (config `metrics`), and the access log (path:
 * absolute, "-" for stderr, NULL for none; the file is opened now, and its writer thread
 * started). NULL with err on failure. Main thread, before the loops start.
 */
faas_obs_t *faas_obs_create(int counting, const char *access_log, faas_error_t *err);

/** Whether requests are counted (config `metrics`). Any thread. */
int faas_obs_counting(const faas_obs_t *obs);

/** Whether loop counts requests (it has an observer, and config `metrics` is on). Loop thread. */
int faas_obs_loop_counting(const faas_loop_t *loop);

/** Asks the writer thread to reopen the access log file (SIGUSR1, after logrotate). Any thread. */
void faas_obs_reopen(faas_obs_t *obs);

/** Writes what the writer still holds and stops it. After the loops stopped. Main thread. */
void faas_obs_dispose(faas_obs_t *obs);

/** Attaches loop: its counters, its log buffer, its inbox for scrapes; sets loop->obs. NULL when
    out of memory. On loop's thread, once. */
faas_obs_loop_t *faas_obs_loop_create(faas_obs_t *obs, faas_loop_t *loop);

/** Hands what the loop's log buffer holds to the writer now (a drained loop, before it parks). */
void faas_obs_loop_flush(faas_obs_loop_t *ol);

/** Opens req's record (the router, first thing); NULL when nothing is observed (no counting, no
    access log). The record lives in req's pool and is closed when req is freed. */
faas_obs_req_t *faas_obs_begin(faas_loop_t *loop, h2o_req_t *req);

/** Ends the router's dispatch of the request begun last on loop (faas_obs_current is NULL after). */
void faas_obs_end_dispatch(faas_loop_t *loop);

/** The record of the request the router is dispatching on loop right now, or NULL. Valid only
    within that dispatch (front handlers, API handlers); keep it with the request (e.g. in a
    structure in its pool) to use it later. */
faas_obs_req_t *faas_obs_current(faas_loop_t *loop);

/** Marks r as traffic of function name (counted as started now). r may be NULL. */
void faas_obs_function(faas_obs_req_t *r, const char *name);

/** The request waits for a wake or for room. r may be NULL. */
void faas_obs_waited(faas_obs_req_t *r);

/** The request was refused because too many wait. r may be NULL. */
void faas_obs_refused(faas_obs_req_t *r);

/** The request waited wake_ms before it was forwarded. r may be NULL. */
void faas_obs_wake(faas_obs_req_t *r, int64_t wake_ms);

/** The request goes to replica ("172.18.0.5:8080"). r may be NULL. */
void faas_obs_replica(faas_obs_req_t *r, const char *replica);

/** The container's response head came upstream_ms after the request head was sent. r may be NULL. */
void faas_obs_upstream(faas_obs_req_t *r, double upstream_ms);

/** An exchange with the container failed for reason. r may be NULL. */
void faas_obs_upstream_error(faas_obs_req_t *r, faas_obs_upstream_error_t reason);

/** "connect", "closed", "timeout", "invalid". Pure. */
const char *faas_obs_upstream_error_name(faas_obs_upstream_error_t reason);

/* Called on the scraping loop with every loop's counters merged by function, sorted by name
   (fns[i].next is unused); fns is freed after it returns. fns is NULL when a loop could not
   make its copy (out of memory). */
typedef void (*faas_obs_collect_cb)(const faas_obs_fn_t *fns, size_t n, void *data);

/** Collects every loop's counters (each loop copies its own on its thread) and calls cb(data) on
    this loop once all have answered. Returns 0, or -1 when counting is off or out of memory
    (cb is not called). */
int faas_obs_collect(faas_loop_t *loop, faas_obs_collect_cb cb, void *data);

#endif
