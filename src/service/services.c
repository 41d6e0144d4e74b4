/*
 * services.c: the service manager: made at start-up, it claims every
 * function's loopback port, publishes the first routing snapshot, schedules
 * the reconcile (now and every restart_interval) and the cleanup (every
 * cleanup_interval), and follows the engine's event stream on a thread of its
 * own (which only queues reconciles). Main thread (create, start, stop); the
 * scheduled work runs on the worker pool.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/labels.h"
#include "faas/core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENTS_BACKOFF_FIRST_MS 1000
#define EVENTS_BACKOFF_MAX_MS 30000
#define EVENTS_STABLE_MS 30000 /* a stream that lasted this long was a working connection */
#define SCALE_THREADS 4        /* wakes of different functions at once; the sampling task takes one */

faas_services_t *faas_services_create(faas_app_t *app)
{
    faas_services_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        abort();
    s->app = app;
    pthread_mutex_init(&s->mutex, NULL);
    pthread_cond_init(&s->build_news, NULL);
    pthread_mutex_init(&s->policy_mutex, NULL);
    pthread_mutex_init(&s->scaler.mutex, NULL);
    pthread_mutex_init(&s->secrets_mutex, NULL);
    s->sets = faas_fnlock_create();
    if ((s->scale_pool = faas_pool_create("scale", SCALE_THREADS)) == NULL)
        abort();
    faas_config_t *cfg = faas_app_config(app);
    snprintf(s->network, sizeof(s->network), "%s-functions", cfg->docker.image_prefix);
    s->swarm = faas_config_swarm(cfg);
    faas_config_unref(cfg);
    return s;
}

/* ---- the periodic tasks and the events thread ---- */

static int64_t restart_interval(void *data)
{
    faas_config_t *cfg = faas_service__config(data);
    int64_t ms = cfg->restart_interval_ms;
    faas_config_unref(cfg);
    return ms;
}

static int64_t cleanup_interval(void *data)
{
    faas_config_t *cfg = faas_service__config(data);
    int64_t ms = cfg->cleanup_interval_ms;
    faas_config_unref(cfg);
    return ms;
}

static void on_reconcile_job(void *data)
{
    faas_service__reconcile_all(data);
}

static void on_cleanup_job(void *data)
{
    faas_service__cleanup(data);
    faas_service__secrets_sweep(data); /* files of containers removed while faas was away */
}

typedef struct named_job {
    faas_services_t *s;
    char name[64];
} named_job_t;

static void on_reconcile_one(void *data)
{
    named_job_t *j = data;
    if (faas_service__reconcile_one(j->s, j->name, 0))
        faas_proxy_publish(j->s->app->proxy, j->s->app->store, NULL, NULL);
    free(j);
}

static int on_event(void *cbdata, const cJSON *event)
{
    faas_services_t *s = cbdata;
    const char *action = cJSON_GetStringValue(cJSON_GetObjectItem(event, "Action"));
    cJSON *attrs = cJSON_GetObjectItem(cJSON_GetObjectItem(event, "Actor"), "Attributes");
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(attrs, FAAS_LABEL_KIND));
    const char *fn = cJSON_GetStringValue(cJSON_GetObjectItem(attrs, FAAS_LABEL_FUNCTION));
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(event, "id"));
    if (action != NULL && kind != NULL && strcmp(kind, "service") == 0 && strcmp(action, "destroy") == 0)
        faas_service__secrets_forget(s, cJSON_GetStringValue(cJSON_GetObjectItem(attrs, "name")));
    if (id != NULL && faas_service__retiring(s, id))
        return atomic_load(&s->stopping); /* faas is removing it: its death is expected */
    if (action != NULL && kind != NULL && fn != NULL && strcmp(kind, "service") == 0 &&
        (strcmp(action, "die") == 0 || strcmp(action, "start") == 0)) {
        named_job_t *j = calloc(1, sizeof(*j));
        if (j != NULL) {
            j->s = s;
            snprintf(j->name, sizeof(j->name), "%s", fn);
            if (faas_pool_submit(s->app->pool, NULL, on_reconcile_one, NULL, j) != 0)
                free(j);
        }
    }
    return atomic_load(&s->stopping);
}

/* Sleeps ms in small steps, so a stop is never kept waiting. */
static void nap_unless_stopping(faas_services_t *s, int64_t ms)
{
    for (int64_t slept = 0; slept < ms && !atomic_load(&s->stopping); slept += 100) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000};
        nanosleep(&ts, NULL);
    }
}

static void *events_main(void *arg)
{
    faas_services_t *s = arg;
    int64_t since = 0, backoff = EVENTS_BACKOFF_FIRST_MS;
    while (!atomic_load(&s->stopping)) {
        faas_error_t err = {0};
        int64_t started = time(NULL), connected = faas_clock_mono_ms();
        const char *labels[3];
        faas_docker_events(s->app->docker, faas_app_labels(s->app, NULL, labels, 3), since, on_event, s, &s->stopping,
                           &err);
        if (atomic_load(&s->stopping))
            break;
        /* The stream ended: the engine restarted or went away. Look at everything once it answers,
           trying again later and later while it does not (an engine that is down costs nothing). */
        if (faas_clock_mono_ms() - connected >= EVENTS_STABLE_MS)
            backoff = EVENTS_BACKOFF_FIRST_MS;
        if (since != 0)
            faas_log_warn("events: %s; reconnecting in %lld ms", err.msg[0] ? err.msg : "stream ended",
                          (long long)backoff);
        since = started;
        nap_unless_stopping(s, backoff);
        backoff = backoff * 2 < EVENTS_BACKOFF_MAX_MS ? backoff * 2 : EVENTS_BACKOFF_MAX_MS;
        if (faas_docker_ping(s->app->docker, 1000, NULL) == FAAS_OK) {
            atomic_store(&s->resume, 1); /* what stopped with the engine starts again: no crash */
            faas_pool_submit(s->app->pool, NULL, on_reconcile_job, NULL, s);
        }
    }
    return NULL;
}

/* What the loops need of a function's settings in force (the proxy's settings provider). */
static void route_settings(void *arg, const faas_function_t *fn, faas_route_settings_t *out)
{
    faas_services_t *s = arg;
    faas_scale_t in_force;
    faas_service__scale_in_force(s, fn, &in_force);
    faas_config_t *cfg = faas_service__config(s);
    out->concurrency = in_force.concurrency;
    out->queue = (int)cfg->scale.queue;
    out->wake_timeout_ms = cfg->scale.wake_timeout_ms;
    faas_config_unref(cfg);
}

faas_err_t faas_services_start(faas_services_t *s, faas_error_t *err)
{
    faas_function_t *fns = NULL;
    size_t n = 0;
    faas_err_t rc = s->swarm ? faas_service__swarm_start(s, err) : FAAS_OK; /* before anything runs: a manager? */
    if (rc == FAAS_OK)
        rc = faas_store_function_list(s->app->store, &fns, &n, err);
    if (rc != FAAS_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        faas_error_t perr = {0};
        if (fns[i].kind == FAAS_KIND_SERVICE && fns[i].port > 0 &&
            faas_proxy_reserve_port(s->app->proxy, fns[i].port, fns[i].name, &perr) != FAAS_OK)
            faas_log_error("service %s: %s; it is reachable by name only", fns[i].name, perr.msg);
    }
    faas_function_array_free(fns, n);
    rc = faas_proxy_publish(s->app->proxy, s->app->store, NULL, err);
    if (rc != FAAS_OK)
        return rc;
    faas_config_t *cfg = faas_service__config(s);
    int64_t first_cleanup = cfg->cleanup_interval_ms;
    faas_config_unref(cfg);
    atomic_store(&s->resume, 1); /* the first pass: containers stopped while faas was away start at once */
    faas_proxy_set_waker(s->app->proxy, faas_service__on_wake, s);
    faas_proxy_set_settings(s->app->proxy, route_settings, s);
    if (faas_pool_every(s->app->pool, 0, restart_interval, on_reconcile_job, s) != 0 ||
        faas_service__scaler_start(s) != 0 ||
        faas_pool_every(s->app->pool, first_cleanup, cleanup_interval, on_cleanup_job, s) != 0 ||
        faas_service__crash_start(s) != 0)
        return faas_error_set(err, FAAS_ENOMEM, "cannot schedule the reconcile and cleanup tasks");
    if (pthread_create(&s->events_thread, NULL, events_main, s) != 0)
        return faas_error_set(err, FAAS_EIO, "cannot start the Docker events thread");
    s->events_started = 1;
    return FAAS_OK;
}

int faas_services_stop(faas_services_t *s, int64_t deadline_ms)
{
    atomic_store(&s->stopping, 1);
    if (s->events_started)
        pthread_join(s->events_thread, NULL);
    s->events_started = 0;
    faas_service__swarm_stop(s);
    if (s->scale_pool != NULL && faas_pool_dispose(s->scale_pool, deadline_ms) != 0)
        return -1;
    s->scale_pool = NULL;
    faas_service__scaler_dispose(s);
    return 0;
}
