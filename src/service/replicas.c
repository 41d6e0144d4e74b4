/*
 * replicas.c: the replica set of one service function, the containers of its current version
 * as its record lists them (starting, ready, paused, stopped). Adding one (create, start, wait
 * until it answers), waking one (unpause; or start and wait), putting the ready ones to sleep
 * (out of the routes first, then pause or stop), retiring some (out of the routes, their last
 * request done, removed), and writing the set back to the record.
 *
 * The in-memory set is fn->replicas of a record the caller read; the caller holds the
 * function's set lock (s->sets) from that read until the set is stored, so two changes never
 * race. Worker threads only.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOP_GRACE_S 10

/* ---- the in-memory set ---- */

size_t faas_service__count(const faas_function_t *fn, faas_replica_state_t state)
{
    size_t n = 0;
    for (size_t i = 0; i < fn->n_replicas; i++)
        n += fn->replicas[i].state == state;
    return n;
}

faas_err_t faas_service__set_add(faas_function_t *fn, const char *id, const char *address, faas_replica_state_t state,
                                 faas_error_t *err)
{
    faas_replica_t *grown = realloc(fn->replicas, (fn->n_replicas + 1) * sizeof(*grown));
    if (grown == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    fn->replicas = grown;
    faas_replica_t *r = &grown[fn->n_replicas];
    *r = (faas_replica_t){.id = strdup(id), .address = address != NULL && address[0] ? strdup(address) : NULL,
                          .state = state};
    if (r->id == NULL || (address != NULL && address[0] && r->address == NULL)) {
        free(r->id);
        free(r->address);
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    }
    fn->n_replicas++;
    return FAAS_OK;
}

void faas_service__set_drop(faas_function_t *fn, size_t i)
{
    free(fn->replicas[i].id);
    free(fn->replicas[i].address);
    memmove(&fn->replicas[i], &fn->replicas[i + 1], (fn->n_replicas - i - 1) * sizeof(fn->replicas[0]));
    fn->n_replicas--;
}

static faas_err_t set_address(faas_replica_t *r, const char *address, faas_error_t *err)
{
    if (r->address != NULL && strcmp(r->address, address) == 0)
        return FAAS_OK;
    char *copy = strdup(address);
    if (copy == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    free(r->address);
    r->address = copy;
    return FAAS_OK;
}

/* ---- the record ---- */

typedef struct set_write {
    const faas_function_t *from;
    int status; /* a faas_function_status_t to record too, or -1 */
} set_write_t;

faas_err_t faas_service__set_copy(const faas_function_t *from, faas_function_t *to, faas_error_t *err)
{
    faas_replica_t *copy = NULL;
    if (faas_replicas_copy(from->replicas, from->n_replicas, &copy, err) != FAAS_OK)
        return FAAS_ENOMEM;
    faas_replicas_free(to->replicas, to->n_replicas);
    to->replicas = copy;
    to->n_replicas = from->n_replicas;
    return FAAS_OK;
}

static faas_err_t on_set_write(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    const set_write_t *w = cbdata;
    if (faas_service__set_copy(w->from, fn, err) != FAAS_OK)
        return FAAS_ENOMEM;
    if (w->status >= 0)
        fn->status = (faas_function_status_t)w->status;
    fn->updated_at = faas_clock_now_ms();
    return FAAS_OK;
}

faas_err_t faas_service__set_store(faas_services_t *s, const faas_function_t *fn, int status, faas_error_t *err)
{
    set_write_t w = {.from = fn, .status = status};
    return faas_store_function_update(s->app->store, fn->name, on_set_write, &w, NULL, err);
}

/* Stores the set, publishes the routes and waits until every loop uses them and the requests in
 * flight to the replicas no longer routed (those not ready in fn) are done. */
void faas_service__set_publish(faas_services_t *s, const faas_function_t *fn, int status)
{
    faas_error_t err = {0};
    faas_routes_t *old = NULL;
    if (faas_service__set_store(s, fn, status, &err) != FAAS_OK ||
        faas_proxy_publish(s->app->proxy, s->app->store, &old, &err) != FAAS_OK) {
        faas_log_error("service %s: %s", fn->name, err.msg);
        return;
    }
    faas_config_t *cfg = faas_service__config(s);
    if (faas_proxy_wait_switched(old, faas_clock_mono_ms() + 10000) != 0)
        faas_log_warn("service %s: a loop took more than 10 s to take the new routes", fn->name);
    const faas_route_t *route = faas_routes_find(old, fn->name, strlen(fn->name));
    for (size_t i = 0; route != NULL && i < route->n_upstreams; i++) {
        faas_upstream_t *u = route->upstreams[i];
        int still = 0;
        for (size_t j = 0; j < fn->n_replicas && !still; j++)
            still = fn->replicas[j].state == FAAS_REPLICA_READY && fn->replicas[j].address != NULL &&
                    strcmp(fn->replicas[j].address, u->text) == 0;
        if (!still && faas_proxy_wait_drained(u, faas_clock_mono_ms() + cfg->limits.upstream_timeout_ms) != 0)
            faas_log_warn("service %s: requests to %s still running at the deadline", fn->name, u->text);
    }
    faas_routes_unref(old);
    faas_config_unref(cfg);
}

/* ---- one replica ---- */

void faas_service__version_of(const faas_function_t *fn, faas_version_t *v)
{
    *v = (faas_version_t){.name = fn->name, .build_id = fn->build.id, .image = fn->image_id,
                          .container_port = fn->container_port, .env = fn->env, .env_len = fn->env_len,
                          .binds = fn->binds, .memory = fn->memory, .nano_cpus = fn->nano_cpus,
                          .secrets = fn->secrets, .n_secrets = fn->n_secrets, .placement = fn->placement,
                          .n_placement = fn->n_placement};
}

faas_err_t faas_service__replica_run(faas_services_t *s, const faas_version_t *v, faas_function_t *fn,
                                     faas_error_t *err)
{
    faas_config_t *cfg = faas_service__config(s);
    char id[FAAS_DOCKER_ID_MAX], address[FAAS_SERVICE_ADDRESS_MAX];
    faas_err_t rc = v->image != NULL ? faas_service__run_container(s, v, id, address, err)
                                     : faas_error_set(err, FAAS_ENOTFOUND, "'%s' has no image: deploy it again", v->name);
    if (rc == FAAS_OK && (rc = faas_service__wait_ready(s, id, address, cfg->limits.start_timeout_ms, err)) != FAAS_OK)
        faas_service__remove(s, id, NULL);
    if (rc == FAAS_OK && (rc = faas_service__set_add(fn, id, address, FAAS_REPLICA_READY, err)) != FAAS_OK)
        faas_service__remove(s, id, NULL);
    faas_config_unref(cfg);
    return rc;
}

faas_err_t faas_service__replica_new(faas_services_t *s, faas_function_t *fn, faas_error_t *err)
{
    faas_version_t v;
    faas_service__version_of(fn, &v);
    return faas_service__replica_run(s, &v, fn, err);
}

faas_err_t faas_service__replica_wake(faas_services_t *s, faas_function_t *fn, size_t i, faas_error_t *err)
{
    faas_replica_t *r = &fn->replicas[i];
    faas_service__state_t st;
    faas_err_t rc = faas_service__inspect(s, r->id, fn->container_port, &st, err);
    if (rc == FAAS_OK && st.paused) {
        /* It answered before it was frozen and its sockets are as they were: no readiness wait. */
        rc = faas_docker_container_unpause(s->app->docker, r->id, err);
    } else if (rc == FAAS_OK && !st.running) {
        faas_config_t *cfg = faas_service__config(s);
        rc = faas_docker_container_start(s->app->docker, r->id, err);
        if (rc == FAAS_OK)
            rc = faas_service__inspect(s, r->id, fn->container_port, &st, err);
        if (rc == FAAS_OK)
            rc = faas_service__wait_ready(s, r->id, st.address, cfg->limits.start_timeout_ms, err);
        faas_config_unref(cfg);
    }
    if (rc == FAAS_OK && st.address[0] == '\0')
        rc = faas_error_set(err, FAAS_EDOCKER, "container %.12s has no address on network %s", r->id, s->network);
    if (rc == FAAS_OK)
        rc = set_address(r, st.address, err);
    if (rc == FAAS_OK)
        r->state = FAAS_REPLICA_READY;
    return rc;
}

faas_err_t faas_service__set_refresh(faas_services_t *s, faas_function_t *fn, faas_service__lost_t *lost,
                                     faas_error_t *err)
{
    faas_service__lost_t none;
    lost = lost != NULL ? lost : &none;
    *lost = (faas_service__lost_t){.died_id = ""};
    if (s->swarm) /* Swarm replaces dead tasks itself: nothing is lost to faas */
        return faas_service__swarm_refresh(s, fn, NULL, err);
    for (size_t i = 0; i < fn->n_replicas;) {
        faas_replica_t *r = &fn->replicas[i];
        int was_up = r->state == FAAS_REPLICA_READY || r->state == FAAS_REPLICA_STARTING;
        faas_service__state_t st;
        faas_err_t rc = faas_service__inspect(s, r->id, fn->container_port, &st, err);
        if (rc == FAAS_ENOTFOUND) {
            faas_log_info("service %s: replica %.12s is gone", fn->name, r->id);
            lost->gone += was_up;
            faas_service__set_drop(fn, i);
            continue;
        }
        if (rc != FAAS_OK)
            return rc;
        if (!st.running && was_up && lost->died++ == 0)
            snprintf(lost->died_id, sizeof(lost->died_id), "%s", r->id);
        r->state = !st.running ? FAAS_REPLICA_STOPPED : st.paused ? FAAS_REPLICA_PAUSED : FAAS_REPLICA_READY;
        if (st.running && st.address[0] != '\0' && (rc = set_address(r, st.address, err)) != FAAS_OK)
            return rc;
        i++;
    }
    return FAAS_OK;
}

/* ---- sleep and retirement ---- */

/* The swarm backend's sleep, retirement and trim: the service's replica count (no pause in Swarm). */
static void swarm_scale(faas_services_t *s, faas_function_t *fn, size_t want, const char *why)
{
    faas_error_t err = {0};
    if (faas_service__swarm_scale(s, fn, want, 0, NULL, &err) != FAAS_OK)
        faas_log_warn("service %s: %s: %s", fn->name, why, err.msg);
}

void faas_service__set_sleep(faas_services_t *s, faas_function_t *fn, faas_replica_state_t to, int paused_only)
{
    size_t n = 0;
    if (s->swarm) {
        if (!paused_only && faas_service__count(fn, FAAS_REPLICA_READY) > 0)
            swarm_scale(s, fn, 0, "idle");
        return;
    }
    for (size_t i = 0; i < fn->n_replicas; i++) {
        faas_replica_t *r = &fn->replicas[i];
        if ((r->state == FAAS_REPLICA_READY && !paused_only) ||
            (to == FAAS_REPLICA_STOPPED && r->state == FAAS_REPLICA_PAUSED)) {
            r->state = to;
            n++;
        }
    }
    if (n == 0)
        return;
    faas_service__set_publish(s, fn, -1); /* no traffic reaches them from here on */
    for (size_t i = 0; i < fn->n_replicas; i++) {
        faas_replica_t *r = &fn->replicas[i];
        faas_error_t err = {0};
        faas_err_t rc = FAAS_OK;
        if (r->state == FAAS_REPLICA_PAUSED && to == FAAS_REPLICA_PAUSED)
            rc = faas_docker_container_pause(s->app->docker, r->id, &err);
        else if (r->state == FAAS_REPLICA_STOPPED && to == FAAS_REPLICA_STOPPED)
            rc = faas_docker_container_stop(s->app->docker, r->id, STOP_GRACE_S, &err);
        if (rc != FAAS_OK && rc != FAAS_ECONFLICT)
            faas_log_warn("service %s: %s", fn->name, err.msg); /* reconcile reads the truth later */
    }
    faas_log_info("service %s: %zu replica%s %s (idle)", fn->name, n, n == 1 ? "" : "s",
                  to == FAAS_REPLICA_PAUSED ? "paused" : "stopped");
}

void faas_service__set_retire(faas_services_t *s, faas_function_t *fn, size_t keep_ready)
{
    char *gone[FAAS_SERVICE_REPLICAS_MAX];
    size_t n = 0, ready = 0;
    if (s->swarm) {
        swarm_scale(s, fn, keep_ready, "retire");
        return;
    }
    for (size_t i = 0; i < fn->n_replicas;) {
        faas_replica_t *r = &fn->replicas[i];
        if (r->state == FAAS_REPLICA_READY && ready < keep_ready) {
            ready++, i++;
            continue;
        }
        if (r->state != FAAS_REPLICA_READY || n == FAAS_SERVICE_REPLICAS_MAX) {
            i++;
            continue;
        }
        faas_service__retiring_add(s, r->id);
        gone[n++] = r->id;
        r->id = NULL;
        faas_service__set_drop(fn, i);
    }
    if (n == 0)
        return;
    faas_service__set_publish(s, fn, -1);
    for (size_t i = 0; i < n; i++) {
        faas_service__remove(s, gone[i], NULL);
        faas_service__retiring_remove(s, gone[i]);
        free(gone[i]);
    }
    faas_log_info("service %s: retired %zu replica%s; %zu ready", fn->name, n, n == 1 ? "" : "s", ready);
}

void faas_service__set_trim(faas_services_t *s, faas_function_t *fn, size_t max)
{
    static const faas_replica_state_t order[] = {FAAS_REPLICA_STOPPED, FAAS_REPLICA_PAUSED, FAAS_REPLICA_STARTING};
    size_t dropped = 0;
    if (s->swarm) {
        swarm_scale(s, fn, max, "max");
        return;
    }
    for (size_t k = 0; k < 3 && fn->n_replicas > max; k++) {
        for (size_t i = fn->n_replicas; i-- > 0 && fn->n_replicas > max;) {
            if (fn->replicas[i].state != order[k])
                continue;
            faas_service__remove(s, fn->replicas[i].id, NULL); /* not routed: nothing to drain */
            faas_service__set_drop(fn, i);
            dropped++;
        }
    }
    if (dropped > 0) {
        faas_service__set_publish(s, fn, -1);
        faas_log_info("service %s: removed %zu sleeping replica%s beyond max %zu", fn->name, dropped,
                      dropped == 1 ? "" : "s", max);
    }
    if (fn->n_replicas > max) /* only ready ones left over */
        faas_service__set_retire(s, fn, max);
}
