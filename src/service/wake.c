/*
 * wake.c: bringing replicas up. A request that finds its function with no ready replica (or
 * every replica at its concurrency cap) waits in the proxy, which calls faas_service__on_wake
 * once; the wake runs on the scale pool: under the function's set lock it unpauses a paused
 * replica (tens of ms), else starts a stopped one, else creates one, and publishes the routes,
 * which lets the waiting requests go. The autoscaler grows a set the same way.
 *
 * The proxy's load counter carries the kind of wake (for the Server-Timing header) and the
 * "a wake is wanted" flag, cleared once the routes that answer it are out (or the wake failed:
 * the waiting requests time out, and the next one asks again).
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/core/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct wake_job {
    faas_services_t *s;
    char name[64];
} wake_job_t;

/* The first replica in state, or n_replicas. */
static size_t first(const faas_function_t *fn, faas_replica_state_t state)
{
    size_t i = 0;
    while (i < fn->n_replicas && fn->replicas[i].state != state)
        i++;
    return i;
}

/* One more ready replica: a paused one thawed, a stopped one started, or a new one. *kind says which. */
static faas_err_t add_one(faas_services_t *s, faas_function_t *fn, faas_wake_kind_t *kind, faas_error_t *err)
{
    static const faas_replica_state_t order[] = {FAAS_REPLICA_PAUSED, FAAS_REPLICA_STOPPED};
    static const faas_wake_kind_t kinds[] = {FAAS_WAKE_PAUSED, FAAS_WAKE_STOPPED};
    for (size_t k = 0; k < 2; k++) {
        size_t i;
        while ((i = first(fn, order[k])) < fn->n_replicas) {
            faas_error_t why = {0};
            if (faas_service__replica_wake(s, fn, i, &why) == FAAS_OK) {
                *kind = kinds[k];
                return FAAS_OK;
            }
            /* Gone or broken: drop it and try the next; reconcile removes what is left of it. */
            faas_log_warn("service %s: cannot wake replica %.12s: %s", fn->name, fn->replicas[i].id, why.msg);
            faas_service__remove(s, fn->replicas[i].id, NULL);
            faas_service__set_drop(fn, i);
        }
    }
    *kind = FAAS_WAKE_NEW;
    return faas_service__replica_new(s, fn, err);
}

faas_err_t faas_service__set_grow(faas_services_t *s, faas_function_t *fn, size_t want, faas_load_t *load,
                                  faas_error_t *err)
{
    faas_scale_t in_force;
    faas_service__scale_in_force(s, fn, &in_force);
    if (want > (size_t)in_force.max)
        want = (size_t)in_force.max;
    faas_err_t rc = FAAS_OK;
    size_t before = faas_service__count(fn, FAAS_REPLICA_READY), added = 0;
    if (s->swarm) {
        faas_service__active(s, fn->name);
        rc = faas_service__swarm_scale(s, fn, want, 1, load, err);
        if (rc != FAAS_OK)
            faas_log_error("service %s: cannot scale its Swarm service: %s", fn->name, err->msg);
        return rc;
    }
    while (rc == FAAS_OK && faas_service__count(fn, FAAS_REPLICA_READY) < want &&
           fn->n_replicas < FAAS_SERVICE_REPLICAS_MAX) {
        faas_wake_kind_t kind;
        if ((rc = add_one(s, fn, &kind, err)) != FAAS_OK)
            break;
        if (added++ == 0) {
            faas_service__active(s, fn->name); /* idle time counts from now */
            if (load != NULL) /* before the routes that let the waiting requests go */
                atomic_store(&load->wake_kind, (int)kind);
        }
        /* Each one takes traffic as soon as it answers, not after the last one started. */
        faas_service__set_publish(s, fn, -1);
        faas_log_info("service %s: %zu -> %zu ready replica%s", fn->name, before + added - 1, before + added,
                      before + added == 1 ? "" : "s");
    }
    if (rc != FAAS_OK)
        faas_log_error("service %s: cannot add a replica: %s", fn->name, err->msg);
    return added > 0 ? FAAS_OK : rc;
}

static void wake(faas_services_t *s, const char *name)
{
    faas_config_t *cfg = faas_service__config(s);
    int64_t started = faas_clock_mono_ms(), deadline = faas_clock_now_ms() + cfg->scale.wake_timeout_ms;
    faas_config_unref(cfg);
    faas_load_t *load = faas_proxy_load(s->app->proxy, name);
    faas_service__active(s, name);
    if (faas_fnlock_wait(s->sets, name, deadline) != 0) {
        faas_log_warn("service %s: wake: another change held it for the whole wake_timeout", name);
        goto done;
    }
    faas_function_t fn = {0};
    if (faas_store_function_get(s->app->store, name, &fn, NULL) == FAAS_OK && fn.kind == FAAS_KIND_SERVICE &&
        fn.status == FAAS_FUNCTION_RUNNING) {
        size_t ready = faas_service__count(&fn, FAAS_REPLICA_READY);
        /* No ready replica: one. All busy (concurrency cap): one more, within max. */
        faas_error_t err = {0};
        if (faas_service__set_grow(s, &fn, ready + 1, load, &err) == FAAS_OK && ready == 0 && load != NULL) {
            const char *from = faas_wake_kind_name((faas_wake_kind_t)atomic_load(&load->wake_kind));
            int64_t took = faas_clock_mono_ms() - started;
            faas_stats_count(FAAS_STAT_WAKES, name, from);
            faas_stats_observe(FAAS_STAT_WAKE_SECONDS, name, (double)took / 1000.0);
            faas_log_info("service %s: woke (%s) in %lld ms", name, from, (long long)took);
        }
    }
    faas_function_free(&fn);
    faas_fnlock_release(s->sets, name);
done:
    if (load != NULL)
        atomic_store(&load->wake_wanted, 0);
    faas_load_unref(load);
}

static void on_wake_job(void *data)
{
    wake_job_t *j = data;
    wake(j->s, j->name);
    free(j);
}

void faas_service__on_wake(void *arg, const char *name)
{
    faas_services_t *s = arg;
    wake_job_t *j = calloc(1, sizeof(*j));
    if (j != NULL) {
        j->s = s;
        snprintf(j->name, sizeof(j->name), "%s", name);
        if (faas_pool_submit(s->scale_pool, NULL, on_wake_job, NULL, j) == 0)
            return;
        free(j);
    }
    /* Not queued: let the next waiting request ask again (these time out). */
    faas_load_t *load = faas_proxy_load(s->app->proxy, name);
    if (load != NULL)
        atomic_store(&load->wake_wanted, 0);
    faas_load_unref(load);
}
