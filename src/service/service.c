/*
 * service.c: operations on one service function: start, stop, delete
 * and what follows a change of its scale settings.
 * Each holds the function's name in the app's function locks while it runs.
 * Worker threads only.
 */
#include "internal.h"
#include "faas/tls/certs.h"
#include "faas/core/buf.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- start / stop / delete ---- */

/* Claims name and reads its record; on failure nothing stays claimed. */
static faas_err_t begin(faas_services_t *s, const char *name, faas_function_t *fn, faas_error_t *err)
{
    faas_err_t rc = faas_fnlock_take(s->app->locks, name, NULL, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_store_function_get(s->app->store, name, fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "Function not found");
    if (rc != FAAS_OK)
        faas_fnlock_release(s->app->locks, name);
    return rc;
}

/* Takes name's replica set (after the name itself) and reads the record again under it. */
static faas_err_t take_set(faas_services_t *s, const char *name, faas_function_t *fn, faas_error_t *err)
{
    if (faas_fnlock_wait(s->sets, name, faas_clock_now_ms() + 60000) != 0)
        return faas_error_set(err, FAAS_ECONFLICT, "the replicas of '%s' stayed busy for a minute", name);
    faas_function_free(fn);
    faas_err_t rc = faas_store_function_get(s->app->store, name, fn, err);
    if (rc != FAAS_OK)
        faas_fnlock_release(s->sets, name);
    return rc;
}

faas_err_t faas_service__bring_up(faas_services_t *s, const faas_function_t *fn_in, faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = take_set(s, fn_in->name, &fn, err);
    if (rc != FAAS_OK)
        return rc;
    faas_scale_t in_force;
    faas_service__scale_in_force(s, &fn, &in_force);
    size_t want = in_force.min > 1 ? (size_t)in_force.min : 1;
    if ((rc = faas_service__set_refresh(s, &fn, NULL, err)) == FAAS_OK &&
        faas_service__count(&fn, FAAS_REPLICA_READY) < want)
        rc = faas_service__set_grow(s, &fn, want, NULL, err);
    if (rc == FAAS_OK)
        faas_service__set_publish(s, &fn, FAAS_FUNCTION_RUNNING);
    faas_fnlock_release(s->sets, fn.name);
    faas_function_free(&fn);
    return rc;
}

faas_err_t faas_service_start(faas_services_t *s, const char *name, faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = begin(s, name, &fn, err);
    if (rc != FAAS_OK)
        return rc;
    if (fn.kind != FAAS_KIND_SERVICE)
        rc = faas_error_set(err, FAAS_EINVAL, "'%s' is a job function: run it with /api/execute", name);
    else if (fn.status == FAAS_FUNCTION_RUNNING && fn.n_replicas > 0)
        rc = FAAS_OK; /* running (perhaps asleep, which a request wakes): starting is idempotent */
    else
        rc = faas_service__bring_up(s, &fn, err);
    faas_fnlock_release(s->app->locks, name);
    faas_function_free(&fn);
    return rc;
}

faas_err_t faas_service_stop(faas_services_t *s, const char *name, faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = begin(s, name, &fn, err);
    if (rc != FAAS_OK)
        return rc;
    if (fn.kind != FAAS_KIND_SERVICE)
        rc = faas_error_set(err, FAAS_EINVAL, "'%s' is a job function: it runs only when executed", name);
    if (rc == FAAS_OK && (rc = take_set(s, name, &fn, err)) == FAAS_OK) {
        /* Traffic first (503 from now on, requests in flight finish), then the containers. */
        for (size_t i = 0; i < fn.n_replicas; i++)
            fn.replicas[i].state = FAAS_REPLICA_STOPPED;
        faas_service__set_publish(s, &fn, FAAS_FUNCTION_STOPPED);
        if (s->swarm && (rc = faas_service__swarm_scale(s, &fn, 0, 0, NULL, err)) == FAAS_OK)
            faas_service__set_publish(s, &fn, FAAS_FUNCTION_STOPPED); /* its tasks are gone from the set */
        for (size_t i = 0; !s->swarm && i < fn.n_replicas; i++) {
            faas_err_t stopped = faas_docker_container_stop(s->app->docker, fn.replicas[i].id, 10, err);
            if (stopped != FAAS_OK && stopped != FAAS_ENOTFOUND) /* a container already gone is stopped enough */
                rc = stopped;
        }
        faas_fnlock_release(s->sets, name);
    }
    faas_fnlock_release(s->app->locks, name);
    faas_function_free(&fn);
    return rc;
}

int faas_service__tls_host(faas_services_t *s, const faas_config_t *cfg, const char *name, char *out, size_t size)
{
    if (s->app->certs == NULL || cfg->domain == NULL || cfg->domain[0] == '\0')
        return 0;
    return snprintf(out, size, "%s.%s", name, cfg->domain) < (int)size;
}

faas_err_t faas_service_delete(faas_services_t *s, const char *name, faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = begin(s, name, &fn, err);
    if (rc != FAAS_OK)
        return rc;
    if ((rc = take_set(s, name, &fn, err)) != FAAS_OK) {
        faas_fnlock_release(s->app->locks, name);
        return rc;
    }
    faas_revision_t *revs = NULL;
    size_t n_revs = 0;
    faas_store_revision_list(s->app->store, name, &revs, &n_revs, NULL); /* their images go with the function */
    if (s->swarm)
        rc = faas_service__swarm_remove(s, name, err);
    if (rc == FAAS_OK)
        rc = faas_store_function_delete(s->app->store, name, err);
    if (rc == FAAS_OK) {
        faas_service__switch(s, name, fn.replicas, fn.n_replicas, fn.image_id, fn.port);
        faas_service__remove(s, NULL, fn.prev_image);
        for (size_t i = 0; i < n_revs; i++)
            faas_service__remove(s, NULL, revs[i].image_id);
        faas_config_t *cfg = faas_service__config(s);
        char host[320];
        if (faas_service__tls_host(s, cfg, name, host, sizeof(host)))
            faas_certs_forget(s->app->certs, host); /* no renewals for a name nothing serves */
        faas_config_unref(cfg);
        faas_log_info("service %s: deleted", name);
    }
    faas_revision_array_free(revs, n_revs);
    faas_fnlock_release(s->sets, name);
    faas_fnlock_release(s->app->locks, name);
    faas_function_free(&fn);
    return rc;
}

/* ---- scale settings ---- */

faas_err_t faas_service_scale_changed(faas_services_t *s, const char *name, faas_error_t *err)
{
    faas_err_t rc = faas_proxy_publish(s->app->proxy, s->app->store, NULL, err);
    if (rc != FAAS_OK)
        faas_log_warn("service %s: scale settings changed, but the routing snapshot was not republished: %s", name,
                      err != NULL ? err->msg : faas_strerror(rc));
    return rc;
}
