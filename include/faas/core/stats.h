/*
 * stats.h: faas's own counters and histograms for what happens off the request path: wakes,
 * builds, job executions, containers started ahead, ACME orders. Each is kept per label set
 * (function, result, ...) in a small table behind one mutex: these events are rare (a wake, a
 * build, an execution: milliseconds to minutes each), so a lock costs nothing here, and the
 * request path never touches this (the proxy counts per loop, http/obs.h). One table per
 * process, like core/engine_state.h: the places that count (services, job functions, the ACME
 * client) need no handle passed down to them. Any thread. GET /metrics writes them all with
 * faas_stats_write.
 */
#ifndef FAAS_CORE_STATS_H
#define FAAS_CORE_STATS_H

#include "faas/core/buf.h"
#include "faas/core/metrics.h"

/* Counters; the labels each takes are named in stats.c's table. */
typedef enum faas_stat {
    FAAS_STAT_WAKES = 0,       /* faas_wakes_total{function_name,from} */
    FAAS_STAT_BUILDS = 1,      /* faas_builds_total{function_name,result} */
    FAAS_STAT_JOBS = 2,        /* faas_job_executions_total{function_name,result} */
    FAAS_STAT_WARM = 3,        /* faas_warm_containers_started_total{function_name} */
    FAAS_STAT_ACME = 4,        /* faas_acme_orders_total{result} */
    FAAS_STAT_INVOCATIONS = 5, /* job executions answered, {function_name,code}: not written by faas_stats_write,
                                  GET /metrics adds them to gateway_function_invocation_total */
    FAAS_STAT_COUNT = 6,
} faas_stat_t;

/* Histograms of seconds, by function_name. */
typedef enum faas_stat_hist {
    FAAS_STAT_WAKE_SECONDS = 0,  /* faas_wake_seconds */
    FAAS_STAT_BUILD_SECONDS = 1, /* faas_build_seconds */
    FAAS_STAT_JOB_SECONDS = 2,   /* faas_job_execution_seconds */
    FAAS_STAT_INVOCATION_SECONDS = 3, /* job executions answered: added to gateway_functions_seconds */
    FAAS_STAT_HIST_COUNT = 4,
} faas_stat_hist_t;

/** Forgets every count (unit tests). */
void faas_stats_reset(void);

/** Adds one to counter which for the labels l1 and l2 (NULL when the counter has fewer). */
void faas_stats_count(faas_stat_t which, const char *l1, const char *l2);

/** Counts an observation of seconds in histogram which for function name. */
void faas_stats_observe(faas_stat_hist_t which, const char *name, double seconds);

/** The current value of counter which for l1, l2 (0 when never counted). */
double faas_stats_value(faas_stat_t which, const char *l1, const char *l2);

/* One label set of a counter (h NULL) or a histogram (value 0), for faas_stats_each. */
typedef void (*faas_stats_each_cb)(void *arg, const char *l1, const char *l2, double value,
                                   const faas_metrics_hist_t *h);

/** Calls cb for every label set of counter which (hist 0) or histogram which (hist 1), oldest
    first, under the table's lock (cb must not count). */
void faas_stats_each(int hist, int which, faas_stats_each_cb cb, void *arg);

/** Appends every family (HELP and TYPE even when empty) with its samples, in text format 0.0.4. */
void faas_stats_write(faas_buf_t *b);

#endif
