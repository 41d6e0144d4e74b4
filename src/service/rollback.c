/*
 * rollback.c: serving a kept image again without a build (see deploy.h): a rollback to a kept
 * revision with that revision's settings, and a restart of what serves with its own settings
 * (after a secret it mounts changed). Both go through the deploy's rollout: new replicas that
 * must answer, then the zero-downtime switch. Worker threads only.
 */
#include "internal.h"
#include "faas/core/log.h"
#include "faas/core/uuid.h"
#include "faas/service/deploy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* A spec that deploys set (a revision's settings, or the record) again; NULL when out of memory. */
static faas_deploy_spec_t *spec_of(const faas_function_t *set)
{
    faas_deploy_spec_t *spec = calloc(1, sizeof(*spec));
    if (spec == NULL)
        return NULL;
    *spec = (faas_deploy_spec_t){.name = dup_or_null(set->name), .tag = dup_or_null(set->tag),
                                 .runtime = dup_or_null(set->runtime), .source = dup_or_null(set->source),
                                 .volume = dup_or_null(set->volume), .binds = dup_or_null(set->binds),
                                 .port = set->port, .container_port = set->container_port, .scale = set->scale,
                                 .memory = set->memory, .nano_cpus = set->nano_cpus};
    if (spec->name == NULL || spec->tag == NULL || faas_env_copy(set->env, set->env_len, &spec->env, NULL) != FAAS_OK) {
        faas_deploy_spec_free(spec);
        return NULL;
    }
    spec->env_len = set->env_len;
    if (faas_secret_names_copy(set->secrets, set->n_secrets, &spec->secrets, NULL) != FAAS_OK) {
        faas_deploy_spec_free(spec);
        return NULL;
    }
    spec->n_secrets = set->n_secrets;
    if (faas_secret_names_copy(set->placement, set->n_placement, &spec->placement, NULL) != FAAS_OK) {
        faas_deploy_spec_free(spec);
        return NULL;
    }
    spec->n_placement = set->n_placement;
    return spec;
}

/* The revision to go back to: want, or (0) the newest one before the one that serves. */
static faas_err_t pick_revision(faas_services_t *s, const faas_function_t *fn, int64_t want, faas_revision_t *rev,
                                faas_error_t *err)
{
    if (want == fn->revision && want > 0)
        return faas_error_set(err, FAAS_ECONFLICT, "revision %lld of '%s' serves already", (long long)want, fn->name);
    if (want > 0) {
        faas_err_t rc = faas_store_revision_get(s->app->store, fn->name, want, rev, err);
        return rc == FAAS_ENOTFOUND ? faas_error_set(err, rc, "'%s' keeps no revision %lld", fn->name, (long long)want)
                                    : rc;
    }
    faas_revision_t *all = NULL;
    size_t n = 0, i = 0;
    faas_err_t rc = faas_store_revision_list(s->app->store, fn->name, &all, &n, err);
    while (rc == FAAS_OK && i < n && all[i].number >= fn->revision)
        i++;
    if (rc == FAAS_OK && i == n)
        rc = faas_error_set(err, FAAS_ECONFLICT, "'%s' keeps no revision before %lld", fn->name, (long long)fn->revision);
    if (rc == FAAS_OK) {
        *rev = all[i];
        memset(&all[i], 0, sizeof(all[i]));
    }
    faas_revision_array_free(all, n);
    return rc;
}

/* Claims name for lock_id and reads its record, which must be a service that serves. */
static faas_err_t begin(faas_services_t *s, const char *name, const char *lock_id, faas_function_t *fn,
                        faas_error_t *err)
{
    faas_err_t rc = faas_fnlock_take(s->app->locks, name, lock_id, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_store_function_get(s->app->store, name, fn, err);
    if (rc == FAAS_OK && fn->kind != FAAS_KIND_SERVICE)
        rc = faas_error_set(err, FAAS_ECONFLICT, "'%s' is a job function: it has no revisions", name);
    if (rc == FAAS_OK && fn->image_id == NULL)
        rc = faas_error_set(err, FAAS_ECONFLICT, "no revision of '%s' serves yet", name);
    if (rc != FAAS_OK)
        faas_fnlock_release(s->app->locks, name);
    return rc;
}

faas_err_t faas_deploy_rollback(faas_services_t *s, const char *name, int64_t revision, faas_function_t *out,
                                faas_error_t *err)
{
    memset(out, 0, sizeof(*out));
    char lock_id[FAAS_UUID_LEN];
    faas_uuid_new(lock_id);
    faas_function_t fn = {0};
    faas_revision_t rev = {0};
    faas_err_t rc = begin(s, name, lock_id, &fn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = pick_revision(s, &fn, revision, &rev, err);
    faas_deploy_spec_t *spec = rc == FAAS_OK ? spec_of(&rev.settings) : NULL;
    if (rc == FAAS_OK && spec == NULL)
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (rc == FAAS_OK) /* takes spec over and releases the lock */
        rc = faas_service__rollout(s, &fn, spec, rev.image_id, rev.number, lock_id, err);
    else
        faas_fnlock_release(s->app->locks, name);
    if (rc == FAAS_OK)
        rc = faas_store_function_get(s->app->store, name, out, err);
    faas_revision_free(&rev);
    faas_function_free(&fn);
    return rc;
}

faas_err_t faas_deploy_restart(faas_services_t *s, const char *name, faas_error_t *err)
{
    char lock_id[FAAS_UUID_LEN];
    faas_uuid_new(lock_id);
    faas_function_t fn = {0};
    faas_err_t rc = begin(s, name, lock_id, &fn, err);
    if (rc != FAAS_OK)
        return rc;
    faas_deploy_spec_t *spec = NULL;
    if (fn.status == FAAS_FUNCTION_STOPPED) /* it starts with new containers when the operator starts it */
        rc = faas_error_set(err, FAAS_ECONFLICT, "'%s' is stopped", name);
    else if ((spec = spec_of(&fn)) == NULL)
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (rc == FAAS_OK)
        rc = faas_service__rollout(s, &fn, spec, fn.image_id, fn.revision, lock_id, err);
    else
        faas_fnlock_release(s->app->locks, name);
    faas_function_free(&fn);
    return rc;
}

typedef struct restart {
    faas_services_t *s;
    char name[FAAS_RECORD_NAME_MAX + 1];
    char why[160];
} restart_t;

static void restart_run(void *data)
{
    restart_t *r = data;
    faas_error_t err = {0};
    faas_err_t rc = faas_deploy_restart(r->s, r->name, &err);
    if (rc == FAAS_OK)
        faas_log_info("service %s: restarted with zero downtime (%s)", r->name, r->why);
    else
        faas_log_warn("service %s: not restarted (%s): %s", r->name, r->why, err.msg);
    free(r);
}

void faas_deploy_restart_later(faas_services_t *s, const char *name, const char *why)
{
    restart_t *r = calloc(1, sizeof(*r));
    if (r == NULL || !faas_record_valid_name(name)) {
        free(r);
        return;
    }
    r->s = s;
    snprintf(r->name, sizeof(r->name), "%s", name);
    snprintf(r->why, sizeof(r->why), "%s", why);
    if (faas_pool_submit(s->app->pool, NULL, restart_run, NULL, r) != 0) {
        faas_log_warn("service %s: not restarted (%s): the server is stopping", name, why);
        free(r);
    }
}
