/*
 * scaler.c: how many replicas each service function runs. A task on the scale pool samples
 * every function's requests in flight (the proxy's load counters) every 200 ms; every 2 s it
 * decides, per function, from the settings in force (scale.h) and the autoscaler (autoscale.h):
 * pause the replicas of a function idle for pause_after (min 0), stop those paused for
 * stop_after, add replicas under load, retire them when the load has stayed low for the window.
 * Each change runs as a job of its own under the function's set lock; a function whose lock is
 * held (a deploy switching, a wake) is looked at again on the next decision.
 *
 * Wakes (wake.c) share this file's table: a wake counts as activity.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_MS 200
#define DECIDE_EVERY 10 /* samples: one decision every 2 s, as Knative's tick */

/* ---- the table ---- */

faas_service__scaled_t *faas_service__scaled(faas_services_t *s, const char *name, int create)
{
    faas_service__scaler_t *sc = &s->scaler;
    for (size_t i = 0; i < sc->n; i++)
        if (strcmp(sc->fns[i].name, name) == 0)
            return &sc->fns[i];
    if (!create)
        return NULL;
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 16;
        faas_service__scaled_t *grown = realloc(sc->fns, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        sc->fns = grown;
        sc->cap = cap;
    }
    faas_service__scaled_t *f = &sc->fns[sc->n];
    *f = (faas_service__scaled_t){.last_active_ms = faas_clock_mono_ms(), .desired = -1};
    snprintf(f->name, sizeof(f->name), "%s", name);
    if ((f->window = faas_autoscale_create()) == NULL)
        return NULL;
    sc->n++;
    return f;
}

void faas_service__active(faas_services_t *s, const char *name)
{
    pthread_mutex_lock(&s->scaler.mutex);
    faas_service__scaled_t *f = faas_service__scaled(s, name, 1);
    if (f != NULL)
        f->last_active_ms = faas_clock_mono_ms();
    pthread_mutex_unlock(&s->scaler.mutex);
}

int faas_service_desired(faas_services_t *s, const char *name, char *reason, size_t size)
{
    pthread_mutex_lock(&s->scaler.mutex);
    faas_service__scaled_t *f = faas_service__scaled(s, name, 0);
    int desired = f != NULL ? f->desired : -1;
    if (reason != NULL && size > 0)
        snprintf(reason, size, "%s", f != NULL ? f->reason : "");
    pthread_mutex_unlock(&s->scaler.mutex);
    return desired;
}

/* Forgets functions that left the routes (deleted). The mutex is held. */
static void prune(faas_services_t *s, const faas_routes_t *routes)
{
    faas_service__scaler_t *sc = &s->scaler;
    for (size_t i = 0; i < sc->n;) {
        if (faas_routes_find(routes, sc->fns[i].name, strlen(sc->fns[i].name)) != NULL) {
            i++;
            continue;
        }
        faas_autoscale_dispose(sc->fns[i].window);
        sc->fns[i] = sc->fns[--sc->n];
    }
}

/* ---- settings in force ---- */

void faas_service__scale_in_force(faas_services_t *s, const faas_function_t *fn, faas_scale_t *out)
{
    faas_config_t *cfg = faas_service__config(s);
    faas_scale_t hook = {0};
    pthread_mutex_lock(&s->policy_mutex);
    if (s->policy != NULL)
        faas_policy_scale(s->policy, fn->name, &hook);
    pthread_mutex_unlock(&s->policy_mutex);
    faas_scale_resolve(cfg, &fn->scale, &hook, out);
    faas_config_unref(cfg);
}

void faas_services_set_policy(faas_services_t *s, faas_policy_t *policy)
{
    pthread_mutex_lock(&s->policy_mutex);
    faas_policy_t *old = s->policy;
    s->policy = policy;
    pthread_mutex_unlock(&s->policy_mutex);
    faas_policy_dispose(old);
}

/* ---- decisions ---- */

typedef struct scale_job {
    faas_services_t *s;
    char name[64];
} scale_job_t;

/* What one function needs now; the set lock is held and fn freshly read. */
static void rescale(faas_services_t *s, faas_function_t *fn)
{
    faas_config_t *cfg = faas_service__config(s);
    faas_scale_t in_force;
    faas_service__scale_in_force(s, fn, &in_force);
    int64_t now = faas_clock_mono_ms();
    pthread_mutex_lock(&s->scaler.mutex);
    faas_service__scaled_t *f = faas_service__scaled(s, fn->name, 1);
    int desired = f != NULL ? f->desired : -1;
    int64_t idle_ms = f != NULL ? now - f->last_active_ms : 0, slept_ms = f != NULL && f->slept_ms ? now - f->slept_ms : 0;
    int64_t awake_ms = f != NULL && f->awake_ms ? now - f->awake_ms : 0;
    pthread_mutex_unlock(&s->scaler.mutex);
    size_t ready = faas_service__count(fn, FAAS_REPLICA_READY), paused = faas_service__count(fn, FAAS_REPLICA_PAUSED);
    if (fn->n_replicas > (size_t)in_force.max) {
        faas_service__set_trim(s, fn, (size_t)in_force.max); /* max lowered: never more replicas, in any state */
    } else if (in_force.min == 0 && ready > 0 && idle_ms >= cfg->scale.pause_after_ms) {
        faas_service__set_sleep(s, fn, FAAS_REPLICA_PAUSED, 0);
        pthread_mutex_lock(&s->scaler.mutex);
        if ((f = faas_service__scaled(s, fn->name, 1)) != NULL)
            f->slept_ms = now;
        pthread_mutex_unlock(&s->scaler.mutex);
    } else if (ready == 0 && paused > 0 && slept_ms >= cfg->scale.stop_after_ms) {
        faas_service__set_sleep(s, fn, FAAS_REPLICA_STOPPED, 0);
    } else if (ready > 0 && paused > 0 && awake_ms >= cfg->scale.stop_after_ms) {
        faas_service__set_sleep(s, fn, FAAS_REPLICA_STOPPED, 1); /* paused ones the load never needed again */
    } else if (desired > 0 && (size_t)desired > ready && (ready > 0 || in_force.min > 0)) {
        faas_error_t err = {0};
        faas_service__set_grow(s, fn, (size_t)desired, NULL, &err); /* a failure is logged; the next decision retries */
    } else if (desired >= 0 && (size_t)desired < ready) {
        faas_service__set_retire(s, fn, (size_t)desired);
    }
    faas_config_unref(cfg);
}

static void on_scale_job(void *data)
{
    scale_job_t *j = data;
    faas_services_t *s = j->s;
    faas_function_t fn = {0};
    if (faas_fnlock_try(s->sets, j->name) == 0) {
        if (faas_store_function_get(s->app->store, j->name, &fn, NULL) == FAAS_OK && fn.kind == FAAS_KIND_SERVICE &&
            fn.status == FAAS_FUNCTION_RUNNING)
            rescale(s, &fn);
        faas_function_free(&fn);
        faas_fnlock_release(s->sets, j->name);
    }
    pthread_mutex_lock(&s->scaler.mutex);
    faas_service__scaled_t *f = faas_service__scaled(s, j->name, 0);
    if (f != NULL)
        f->queued = 0;
    pthread_mutex_unlock(&s->scaler.mutex);
    free(j);
}

/* The decision for one function (the table's mutex held): 1 if something should change. Replicas go
 * to zero only by pausing (fast to wake), never by retiring the last one. */
static int decide(faas_service__scaled_t *f, const faas_function_t *fn, const faas_scale_t *in_force,
                  const faas_config_t *cfg, int64_t now)
{
    size_t ready = faas_service__count(fn, FAAS_REPLICA_READY), paused = faas_service__count(fn, FAAS_REPLICA_PAUSED);
    faas_autoscale_params_t p = {.min = in_force->min, .max = in_force->max, .target = in_force->target,
                                 .window_ms = cfg->scale.window_ms};
    faas_autoscale_decision_t d;
    faas_autoscale_decide(f->window, now, &p, (int)ready, &d);
    if (ready > 0 && d.desired < 1)
        d.desired = 1;
    if (ready == 0 && d.desired <= in_force->min) /* asleep: a wake (or min) brings it back, not the autoscaler */
        d.desired = in_force->min;
    if (d.desired != f->desired)
        faas_log_debug("scale %s: desired %d (ready %zu): %s", fn->name, d.desired, ready, d.reason);
    f->desired = d.desired;
    snprintf(f->reason, sizeof(f->reason), "%s", d.reason);
    if (ready > 0)
        f->slept_ms = 0;
    else if (paused > 0 && f->slept_ms == 0)
        f->slept_ms = now; /* found asleep (after a restart of faas): stop_after counts from here */
    f->awake_ms = ready == 0 ? 0 : f->awake_ms ? f->awake_ms : now;
    int idle = in_force->min == 0 && ready > 0 && now - f->last_active_ms >= cfg->scale.pause_after_ms;
    int sleepy = paused > 0 && (ready == 0 ? f->slept_ms && now - f->slept_ms >= cfg->scale.stop_after_ms
                                           : now - f->awake_ms >= cfg->scale.stop_after_ms);
    return idle || sleepy || (size_t)d.desired != ready || fn->n_replicas > (size_t)in_force->max;
}

/* Every 2 s: one job per function that needs a change (never two queued for one function). */
static void decide_all(faas_services_t *s)
{
    faas_function_t *fns = NULL;
    size_t n = 0;
    if (faas_store_function_list(s->app->store, &fns, &n, NULL) != FAAS_OK)
        return;
    faas_config_t *cfg = faas_service__config(s);
    int64_t now = faas_clock_mono_ms();
    for (size_t i = 0; i < n; i++) {
        if (fns[i].kind != FAAS_KIND_SERVICE || fns[i].status != FAAS_FUNCTION_RUNNING)
            continue;
        faas_scale_t in_force;
        faas_service__scale_in_force(s, &fns[i], &in_force); /* Lua: outside the table's mutex */
        pthread_mutex_lock(&s->scaler.mutex);
        faas_service__scaled_t *f = faas_service__scaled(s, fns[i].name, 1);
        int go = f != NULL && !f->queued && decide(f, &fns[i], &in_force, cfg, now);
        if (go)
            f->queued = 1;
        pthread_mutex_unlock(&s->scaler.mutex);
        scale_job_t *j = go ? calloc(1, sizeof(*j)) : NULL;
        if (j == NULL)
            continue;
        j->s = s;
        snprintf(j->name, sizeof(j->name), "%s", fns[i].name);
        if (faas_pool_submit(s->scale_pool, NULL, on_scale_job, NULL, j) != 0)
            on_scale_job(j); /* the pool is stopping: nothing queued stays marked */
    }
    faas_config_unref(cfg);
    faas_function_array_free(fns, n);
}

/* ---- sampling ---- */

static void sample_all(faas_services_t *s)
{
    faas_routes_t *routes = faas_proxy_routes(s->app->proxy);
    int64_t now = faas_clock_mono_ms();
    pthread_mutex_lock(&s->scaler.mutex);
    for (size_t i = 0; i < routes->n; i++) {
        const faas_route_t *r = &routes->routes[i];
        faas_service__scaled_t *f = r->load != NULL ? faas_service__scaled(s, r->name, 1) : NULL;
        if (f == NULL)
            continue;
        int inflight = atomic_load(&r->load->inflight);
        uint64_t requests = atomic_load(&r->load->requests);
        if (inflight > 0 || requests != f->requests)
            f->last_active_ms = now;
        f->requests = requests;
        faas_autoscale_sample(f->window, now, inflight);
    }
    prune(s, routes);
    pthread_mutex_unlock(&s->scaler.mutex);
    faas_routes_unref(routes);
}

static int64_t sample_interval(void *data)
{
    (void)data;
    return SAMPLE_MS;
}

static void on_tick(void *data)
{
    faas_services_t *s = data;
    if (atomic_load(&s->stopping))
        return;
    sample_all(s);
    if (++s->scaler.ticks % DECIDE_EVERY == 0)
        decide_all(s);
}

int faas_service__scaler_start(faas_services_t *s)
{
    return faas_pool_every(s->scale_pool, SAMPLE_MS, sample_interval, on_tick, s);
}

void faas_service__scaler_dispose(faas_services_t *s)
{
    for (size_t i = 0; i < s->scaler.n; i++)
        faas_autoscale_dispose(s->scaler.fns[i].window);
    free(s->scaler.fns);
    s->scaler = (faas_service__scaler_t){0};
}
