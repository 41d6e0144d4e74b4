/*
 * metrics.c: GET /metrics, Prometheus's text format 0.0.4, for the passkey or a read key.
 *   - OpenFaaS's gateway series, under its names so its dashboards work: invocations by function
 *     and status (job executions included), their seconds, requests started, and each service
 *     function's ready replicas, autoscaler target and minimum;
 *   - faas's own: requests that waited or were refused by the queue, upstream errors by reason
 *     (counted per loop, like the gateway series), wakes, builds, job executions, containers
 *     started ahead, ACME orders (core/stats.h), each certificate's notAfter, the Docker engine's
 *     reachability and the LMDB map's use;
 *   - the standard process_* series.
 * 404 when counting is off (config metrics = false). The loops' counters come back through
 * their message queues (http/obs.h); the rest is read on this loop: the store (a read), the
 * certificate table, /proc. Loop thread.
 */
#include "faas/api/api.h"
#include "faas/core/buf.h"
#include "faas/core/engine_state.h"
#include "faas/core/metrics.h"
#include "faas/core/procstat.h"
#include "faas/core/scale.h"
#include "faas/core/stats.h"
#include "faas/http/obs.h"
#include "faas/http/reply.h"
#include "faas/store/store.h"
#include "faas/tls/certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct scrape {
    faas_loop_t *loop;
    h2o_req_t *req;          /* NULL once the client went away */
    struct scrape **guard;   /* in req's pool: cleared here before the scrape is freed */
} scrape_t;

/* ---- the gateway series: per-loop counts merged, plus job executions ---------------------------------- */

typedef struct jobs_ctx {
    faas_buf_t *b;
    const char *family;
} jobs_ctx_t;

static void job_invocations(void *arg, const char *name, const char *code, double value, const faas_metrics_hist_t *h)
{
    jobs_ctx_t *c = arg;
    faas_metrics_label_t labels[2] = {{"function_name", name}, {"code", code}};
    if (h == NULL)
        faas_metrics_sample(c->b, c->family, labels, 2, value);
    else
        faas_metrics_histogram(c->b, c->family, labels, 1, h);
}

static void write_invocations(faas_buf_t *b, const faas_obs_fn_t *fns, size_t n)
{
    faas_metrics_family(b, "gateway_function_invocation_total", "counter",
                        "Function invocations by status code (proxied requests and job executions).");
    for (size_t i = 0; i < n; i++) {
        for (int code = FAAS_OBS_CODE_MIN; code <= FAAS_OBS_CODE_MAX; code++) {
            uint64_t v = fns[i].codes[code - FAAS_OBS_CODE_MIN];
            if (v == 0)
                continue;
            char text[8];
            snprintf(text, sizeof(text), "%d", code);
            faas_metrics_label_t labels[2] = {{"function_name", fns[i].name}, {"code", text}};
            faas_metrics_sample(b, "gateway_function_invocation_total", labels, 2, (double)v);
        }
    }
    jobs_ctx_t c = {b, "gateway_function_invocation_total"};
    faas_stats_each(0, FAAS_STAT_INVOCATIONS, job_invocations, &c);
    faas_metrics_family(b, "gateway_functions_seconds", "histogram", "Function invocation time taken.");
    for (size_t i = 0; i < n; i++) {
        faas_metrics_label_t label = {"function_name", fns[i].name};
        faas_metrics_histogram(b, "gateway_functions_seconds", &label, 1, &fns[i].seconds);
    }
    c.family = "gateway_functions_seconds";
    faas_stats_each(1, FAAS_STAT_INVOCATION_SECONDS, job_invocations, &c);
    faas_metrics_family(b, "gateway_function_invocation_started", "counter", "Function invocations started.");
    for (size_t i = 0; i < n; i++) {
        faas_metrics_label_t label = {"function_name", fns[i].name};
        faas_metrics_sample(b, "gateway_function_invocation_started", &label, 1, (double)fns[i].started);
    }
}

/* gateway_service_count/target/min: each service function's ready replicas and scale in force. */
static void write_services(faas_buf_t *b, faas_loop_t *loop)
{
    faas_function_t *fns = NULL;
    size_t n = 0;
    if (faas_store_function_list(loop->app->store, &fns, &n, NULL) != FAAS_OK)
        n = 0;
    static const char *const names[] = {"gateway_service_count", "gateway_service_target", "gateway_service_min"};
    static const char *const helps[] = {"Ready replicas of the function.",
                                        "Requests in flight per replica the autoscaler aims at (scale target).",
                                        "Replicas the function keeps when idle (scale min)."};
    for (size_t k = 0; k < 3; k++) {
        faas_metrics_family(b, names[k], "gauge", helps[k]);
        for (size_t i = 0; i < n; i++) {
            if (fns[i].kind != FAAS_KIND_SERVICE)
                continue;
            faas_scale_t hook, res;
            faas_policy_scale(loop->policy, fns[i].name, &hook);
            faas_scale_resolve(faas_loop_config(loop), &fns[i].scale, &hook, &res);
            size_t ready = 0;
            for (size_t r = 0; r < fns[i].n_replicas; r++)
                ready += fns[i].replicas[r].state == FAAS_REPLICA_READY;
            double v = k == 0 ? (double)ready : k == 1 ? (double)res.target : (double)res.min;
            faas_metrics_label_t label = {"function_name", fns[i].name};
            faas_metrics_sample(b, names[k], &label, 1, v);
        }
    }
    faas_function_array_free(fns, n);
}

/* ---- faas's own ----------------------------------------------------------------------------------------- */

static void write_queue(faas_buf_t *b, const faas_obs_fn_t *fns, size_t n)
{
    faas_metrics_family(b, "faas_queued_requests_total", "counter",
                        "Function requests that waited for a wake or for a replica with room.");
    for (size_t i = 0; i < n; i++) {
        faas_metrics_label_t label = {"function_name", fns[i].name};
        faas_metrics_sample(b, "faas_queued_requests_total", &label, 1, (double)fns[i].waited);
    }
    faas_metrics_family(b, "faas_queue_refused_total", "counter",
                        "Function requests refused (503) because too many were waiting already.");
    for (size_t i = 0; i < n; i++) {
        faas_metrics_label_t label = {"function_name", fns[i].name};
        faas_metrics_sample(b, "faas_queue_refused_total", &label, 1, (double)fns[i].refused);
    }
    faas_metrics_family(b, "faas_upstream_errors_total", "counter",
                        "Failed exchanges with a function's container, by reason (connect, closed, timeout, invalid).");
    for (size_t i = 0; i < n; i++) {
        for (int r = 0; r < FAAS_OBS_UPSTREAM_NREASONS; r++) {
            if (fns[i].upstream_errors[r] == 0)
                continue;
            faas_metrics_label_t labels[2] = {{"function_name", fns[i].name},
                                              {"reason", faas_obs_upstream_error_name((faas_obs_upstream_error_t)r)}};
            faas_metrics_sample(b, "faas_upstream_errors_total", labels, 2, (double)fns[i].upstream_errors[r]);
        }
    }
}

static void write_state(faas_buf_t *b, faas_loop_t *loop)
{
    faas_metrics_family(b, "faas_engine_up", "gauge", "1 when the Docker engine answered its last ping, else 0.");
    faas_metrics_sample(b, "faas_engine_up", NULL, 0, faas_engine_state_ok() ? 1 : 0);
    uint64_t used, size;
    if (faas_store_map_usage(loop->app->store, &used, &size) == 0) {
        faas_metrics_family(b, "faas_lmdb_map_used_bytes", "gauge", "Bytes of the LMDB map in use (its used pages).");
        faas_metrics_sample(b, "faas_lmdb_map_used_bytes", NULL, 0, (double)used);
        faas_metrics_family(b, "faas_lmdb_map_size_bytes", "gauge", "Size of the LMDB map (the most the store may hold).");
        faas_metrics_sample(b, "faas_lmdb_map_size_bytes", NULL, 0, (double)size);
    }
    faas_metrics_family(b, "faas_certificate_not_after_seconds", "gauge",
                        "When each served certificate expires (Unix seconds).");
    cJSON *certs = loop->app->certs != NULL ? faas_certs_list(loop->app->certs) : NULL;
    cJSON *c;
    cJSON_ArrayForEach(c, certs) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *not_after = cJSON_GetObjectItemCaseSensitive(c, "notAfter");
        if (!cJSON_IsString(name) || !cJSON_IsNumber(not_after))
            continue;
        faas_metrics_label_t label = {"host", name->valuestring};
        faas_metrics_sample(b, "faas_certificate_not_after_seconds", &label, 1, not_after->valuedouble);
    }
    cJSON_Delete(certs);
}

static void write_process(faas_buf_t *b)
{
    faas_procstat_t p;
    if (faas_procstat_read(&p) != 0)
        return;
    static const struct { const char *name, *type, *help; } rows[] = {
        {"process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds."},
        {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes."},
        {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes."},
        {"process_open_fds", "gauge", "Number of open file descriptors."},
        {"process_max_fds", "gauge", "Maximum number of open file descriptors."},
        {"process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds."},
    };
    double values[] = {p.cpu_seconds, (double)p.resident_bytes, (double)p.virtual_bytes, (double)p.open_fds,
                       (double)p.max_fds, p.start_time_seconds};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        faas_metrics_family(b, rows[i].name, rows[i].type, rows[i].help);
        faas_metrics_sample(b, rows[i].name, NULL, 0, values[i]);
    }
}

/* ---- the route ---------------------------------------------------------------------------------------------- */

static void on_collected(const faas_obs_fn_t *fns, size_t n, void *data)
{
    scrape_t *sc = data;
    h2o_req_t *req = sc->req;
    if (req != NULL) {
        *sc->guard = NULL;
        if (fns == NULL) {
            faas_reply_error(req, 500, "Internal server error", "out of memory collecting the counters");
            free(sc);
            return;
        }
        faas_buf_t b = {0};
        write_invocations(&b, fns, n);
        write_services(&b, sc->loop);
        write_queue(&b, fns, n);
        faas_stats_write(&b);
        write_state(&b, sc->loop);
        write_process(&b);
        if (b.oom)
            faas_reply_error(req, 500, "Internal server error", "out of memory writing the metrics");
        else
            faas_reply_typed(req, 200, CONTENT_TYPE, b.p != NULL ? b.p : "", b.len);
        faas_buf_free(&b);
    }
    free(sc);
}

/* The client went away while the loops were asked: the answer is dropped. */
static void on_req_gone(void *p)
{
    scrape_t *sc = *(scrape_t **)p;
    if (sc != NULL)
        sc->req = NULL;
}

static int on_get_metrics(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    if (!faas_obs_loop_counting(loop))
        return faas_reply_error(req, 404, "Not found", "metrics are off (config: metrics = false)");
    scrape_t *sc = calloc(1, sizeof(*sc));
    if (sc == NULL)
        return faas_reply_error(req, 500, "Internal server error", NULL);
    sc->loop = loop;
    sc->req = req;
    sc->guard = h2o_mem_alloc_shared(&req->pool, sizeof(*sc->guard), on_req_gone);
    *sc->guard = sc;
    if (faas_obs_collect(loop, on_collected, sc) != 0) {
        *sc->guard = NULL;
        free(sc);
        return faas_reply_error(req, 500, "Internal server error", "out of memory collecting the counters");
    }
    return 0;
}

const faas_router_route_t faas_api_metrics_routes[] = {
    {"/metrics", FAAS_M_GET, 0, on_get_metrics, FAAS_SCOPE_READ},
    {NULL, 0, 0, NULL, 0},
};
