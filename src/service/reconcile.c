/*
 * reconcile.c: keeping Docker in line with the records, and cleaning up.
 * Reconcile runs at start-up, every restart_interval and when the engine
 * reports a service container died or started; cleanup runs every
 * cleanup_interval (both scheduled by services.c). Worker threads.
 *
 * DESIGN
 * - The record is the truth. A labelled container no record names (left by
 *   a deploy or a faas killed half-way) is removed; a record whose container
 *   is gone gets a new one from its image; a stopped container that should
 *   run is started; a changed address is written back and published.
 * - A function with an operation in progress (busy) is left alone: that
 *   operation owns its containers until it ends.
 */
#include "internal.h"
#include "faas/core/labels.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/service/runtimes.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMP_MAX_AGE_S 3600
#define RUNTIME_ORPHAN_MIN_AGE_S 60

/* ---- one function ---- */

typedef struct fix {
    int interrupted;   /* its build died with the faas that ran it */
    int clear_prev;    /* the previous image is gone */
    faas_function_status_t status;
} fix_t;

static faas_err_t on_fix(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    fix_t *f = cbdata;
    if (f->interrupted && fn->build.status == FAAS_BUILD_BUILDING) {
        fn->build.status = FAAS_BUILD_FAILED;
        fn->build.finished_at = faas_clock_now_ms();
        free(fn->build.error);
        fn->build.error = strdup("interrupted: faas stopped during this build");
        fn->status = f->status;
    }
    if (f->clear_prev) {
        free(fn->prev_image);
        fn->prev_image = NULL;
    }
    (void)err;
    return FAAS_OK;
}

int faas_service__same_set(const faas_function_t *a, const faas_function_t *b)
{
    if (a->n_replicas != b->n_replicas)
        return 0;
    for (size_t i = 0; i < a->n_replicas; i++) {
        const faas_replica_t *x = &a->replicas[i], *y = &b->replicas[i];
        if (x->state != y->state || strcmp(x->id, y->id) != 0 ||
            (x->address == NULL) != (y->address == NULL) || (x->address && strcmp(x->address, y->address) != 0))
            return 0;
    }
    return 1;
}

/* Every replica that served died on its own: a crash of the function, restarted after a back-off. */
static void crashed(faas_services_t *s, faas_function_t *fn, const char *died_id)
{
    faas_service__state_t st;
    int known = faas_service__inspect(s, died_id, fn->container_port, &st, NULL) == FAAS_OK;
    faas_service__set_publish(s, fn, -1);
    faas_service__crashed(s, fn, died_id, known ? &st : NULL);
}

/* 1 if container id was up (ready or starting) in the record's set. */
static int was_up(const faas_function_t *was, const char *id)
{
    for (size_t i = 0; i < was->n_replicas; i++)
        if (strcmp(was->replicas[i].id, id) == 0)
            return was->replicas[i].state == FAAS_REPLICA_READY || was->replicas[i].state == FAAS_REPLICA_STARTING;
    return 0;
}

/* Replicas that died beside others that serve are removed and replaced, so the set keeps its size;
 * on resume (the engine stopped them, not a crash) they are started again instead. */
static void replace(faas_services_t *s, const faas_function_t *was, faas_function_t *cur, size_t want, int resume)
{
    faas_error_t err = {0};
    for (size_t i = 0; !resume && i < cur->n_replicas;) {
        if (cur->replicas[i].state == FAAS_REPLICA_STOPPED && was_up(was, cur->replicas[i].id)) {
            faas_service__remove(s, cur->replicas[i].id, NULL);
            faas_service__set_drop(cur, i);
        } else {
            i++;
        }
    }
    if (faas_service__set_grow(s, cur, want, NULL, &err) != FAAS_OK)
        faas_log_error("reconcile %s: %s", cur->name, err.msg);
    faas_service__set_publish(s, cur, -1);
}

/* The replica set of fn against Docker; the caller holds fn's name. 1 if the routes may have changed. */
static int reconcile_set(faas_services_t *s, const faas_function_t *fn, int resume)
{
    if (faas_fnlock_try(s->sets, fn->name) != 0)
        return 0; /* a wake or a scale change holds it: the next pass looks again */
    faas_function_t was = {0}, cur = {0};
    faas_error_t err = {0};
    faas_service__lost_t lost;
    int changed = 0;
    /* cur: the record, its set brought in line with Docker; was: the set as the record had it. */
    if (faas_store_function_get(s->app->store, fn->name, &cur, NULL) != FAAS_OK ||
        faas_service__set_copy(&cur, &was, &err) != FAAS_OK)
        goto out;
    size_t had_ready = faas_service__count(&was, FAAS_REPLICA_READY);
    if (faas_service__set_refresh(s, &cur, &lost, &err) != FAAS_OK) {
        faas_log_warn("reconcile %s: %s", fn->name, err.msg);
        goto out;
    }
    faas_scale_t in_force;
    faas_service__scale_in_force(s, &cur, &in_force);
    size_t ready = faas_service__count(&cur, FAAS_REPLICA_READY);
    if (lost.died > 0 && ready == 0 && !resume) {
        crashed(s, &cur, lost.died_id);
    } else if (lost.died > 0 || lost.gone > 0 || ready < (size_t)in_force.min) {
        faas_log_info("reconcile %s: %zu replica%s died, %zu gone; bringing the set back", fn->name, lost.died,
                      lost.died == 1 ? "" : "s", lost.gone);
        replace(s, &was, &cur, had_ready > (size_t)in_force.min ? had_ready : (size_t)in_force.min, resume);
    } else if (!faas_service__same_set(&was, &cur)) {
        faas_service__set_publish(s, &cur, -1);
    } else if (ready > 0) {
        faas_service__state_t st;
        if (cur.restarts > 0 && faas_service__inspect(s, cur.replicas[0].id, cur.container_port, &st, NULL) == FAAS_OK)
            faas_service__crash_settled(s, &cur, &st);
        goto out;
    } else {
        goto out;
    }
    changed = 1;
out:
    faas_function_free(&cur);
    faas_function_free(&was);
    faas_fnlock_release(s->sets, fn->name);
    return changed;
}

/* 1 when a kept revision names image (or the revisions cannot be read: keep it then). */
static int image_kept(faas_services_t *s, const char *image)
{
    char **kept = NULL;
    size_t n = 0;
    if (faas_store_revision_images(s->app->store, &kept, &n, NULL) != FAAS_OK)
        return 1;
    int found = faas_service__revision_image_kept(kept, n, image);
    faas_store_keys_free(kept, n);
    return found;
}

/* Brings fn back in line; returns 1 if the routes may have changed. The caller holds fn's name. */
static int reconcile_function(faas_services_t *s, const faas_function_t *fn, int resume)
{
    fix_t fix = {.status = fn->image_id != NULL ? FAAS_FUNCTION_RUNNING : FAAS_FUNCTION_FAILED};
    fix.interrupted = fn->build.status == FAAS_BUILD_BUILDING; /* the lock says no deploy runs it */
    faas_service__revision_adopt(s, fn);
    if (fn->prev_image != NULL && (fn->image_id == NULL || strcmp(fn->prev_image, fn->image_id) != 0)) {
        if (!image_kept(s, fn->prev_image)) /* a deploy switched, then faas stopped before retiring */
            faas_service__remove(s, NULL, fn->prev_image);
        fix.clear_prev = 1;
    } else if (fn->prev_image != NULL) {
        fix.clear_prev = 1;
    }
    if (fix.interrupted || fix.clear_prev)
        faas_store_function_update(s->app->store, fn->name, on_fix, &fix, NULL, NULL);
    if (fn->status == FAAS_FUNCTION_STOPPED || fn->image_id == NULL)
        return fix.interrupted;
    if (!resume && faas_service__crash_pending(s, fn->name))
        return fix.interrupted; /* crashed: it waits out its back-off */
    if (s->swarm)
        return faas_service__swarm_reconcile(s, fn) | fix.interrupted;
    return reconcile_set(s, fn, resume) | fix.interrupted;
}

int faas_service__reconcile_one(faas_services_t *s, const char *name, int resume)
{
    if (faas_fnlock_try(s->app->locks, name) != 0)
        return 0; /* an operation in progress owns it */
    faas_function_t fn = {0};
    int changed = 0;
    if (faas_store_function_get(s->app->store, name, &fn, NULL) == FAAS_OK && fn.kind == FAAS_KIND_SERVICE)
        changed = reconcile_function(s, &fn, resume);
    faas_function_free(&fn);
    faas_fnlock_release(s->app->locks, name);
    return changed;
}

/* ---- every function ---- */

static int named_by_a_record(const faas_function_t *fns, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < fns[i].n_replicas; j++)
            if (strcmp(fns[i].replicas[j].id, id) == 0)
                return 1;
    return 0;
}

static const char *label(const cJSON *item, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(item, "Labels"), key));
}

/* 1 if container c has the name faas gives a replica of fn ("<image_prefix>-<fn>-<8 hex>"): a
 * container someone made by hand from a function's image inherits its labels, not that name. */
static int named_by_faas(const cJSON *c, const char *prefix, const char *fn)
{
    const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "Names"), 0));
    char want[192];
    int n = snprintf(want, sizeof(want), "/%s-%s-", prefix, fn != NULL ? fn : "");
    return name != NULL && fn != NULL && n > 0 && (size_t)n < sizeof(want) && strncmp(name, want, (size_t)n) == 0;
}

/* Removes labelled service containers no record names and no operation owns. */
static void remove_orphans(faas_services_t *s, const faas_function_t *fns, size_t n)
{
    cJSON *list = NULL;
    faas_error_t err = {0};
    const char *extra[] = {FAAS_LABEL_KIND "=service", NULL}, *labels[4];
    if (faas_docker_container_list(s->app->docker, faas_app_labels(s->app, extra, labels, 4), 1, &list, &err) !=
        FAAS_OK) {
        faas_log_warn("reconcile: %s", err.msg);
        return;
    }
    faas_config_t *cfg = faas_service__config(s);
    cJSON *c;
    cJSON_ArrayForEach(c, list) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(c, "Id")), *fn = label(c, FAAS_LABEL_FUNCTION);
        /* A Swarm task's container is Swarm's (its labels are the service's), never an orphan of faas's. */
        if (id == NULL || named_by_a_record(fns, n, id) || label(c, FAAS_LABEL_MANAGED) == NULL ||
            label(c, "com.docker.swarm.task.id") != NULL || !named_by_faas(c, cfg->docker.image_prefix, fn))
            continue;
        if ((fn != NULL && faas_fnlock_held(s->app->locks, fn, NULL)) || faas_service__retiring(s, id))
            continue;
        faas_log_info("reconcile: removing container %.12s of %s: no record names it", id, fn ? fn : "?");
        faas_service__remove(s, id, NULL);
    }
    faas_config_unref(cfg);
    cJSON_Delete(list);
}

void faas_service__reconcile_all(faas_services_t *s)
{
    faas_error_t err = {0};
    const char *labels[3];
    if (faas_docker_network_ensure(s->app->docker, s->network, 0, faas_app_labels(s->app, NULL, labels, 3), &err) !=
        FAAS_OK) {
        faas_log_warn("reconcile: %s", err.msg);
        return; /* the engine is away: nothing can be brought back now */
    }
    faas_function_t *fns = NULL;
    size_t n = 0;
    if (faas_store_function_list(s->app->store, &fns, &n, &err) != FAAS_OK) {
        faas_log_error("reconcile: %s", err.msg);
        return;
    }
    int changed = 0, resume = atomic_exchange(&s->resume, 0);
    for (size_t i = 0; i < n; i++)
        if (fns[i].kind == FAAS_KIND_SERVICE)
            changed |= faas_service__reconcile_one(s, fns[i].name, resume);
    faas_function_array_free(fns, n);
    /* Orphans against the records as they are now (bringing functions back replaced containers). */
    if (faas_store_function_list(s->app->store, &fns, &n, &err) == FAAS_OK) {
        remove_orphans(s, fns, n);
        if (s->swarm)
            faas_service__swarm_orphans(s, fns, n);
        faas_function_array_free(fns, n);
    }
    if (changed)
        faas_proxy_publish(s->app->proxy, s->app->store, NULL, NULL);
    faas_log_debug("reconcile: pass %u done", atomic_fetch_add(&s->reconcile_passes, 1) + 1);
}

/* ---- cleanup ---- */

static int image_in_use(faas_services_t *s, const cJSON *image, const faas_function_t *fns, size_t n,
                        char *const *kept, size_t n_kept)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(image, "Id")), *fn = label(image, FAAS_LABEL_FUNCTION);
    if (id == NULL || (fn != NULL && faas_fnlock_held(s->app->locks, fn, NULL)) ||
        faas_service__revision_image_kept(kept, n_kept, id))
        return 1;
    for (size_t i = 0; i < n; i++)
        if ((fns[i].image_id && strcmp(fns[i].image_id, id) == 0) || (fns[i].prev_image && strcmp(fns[i].prev_image, id) == 0))
            return 1;
    return 0;
}

static void remove_unused_images(faas_services_t *s)
{
    faas_function_t *fns = NULL;
    size_t n = 0;
    cJSON *images = NULL;
    char **kept = NULL;
    size_t n_kept = 0;
    faas_error_t err = {0};
    const char *labels[3];
    if (faas_store_function_list(s->app->store, &fns, &n, &err) != FAAS_OK ||
        faas_store_revision_images(s->app->store, &kept, &n_kept, &err) != FAAS_OK ||
        faas_docker_image_list(s->app->docker, faas_app_labels(s->app, NULL, labels, 3), &images, &err) != FAAS_OK) {
        faas_log_warn("cleanup: %s", err.msg);
        faas_function_array_free(fns, n);
        faas_store_keys_free(kept, n_kept);
        return;
    }
    cJSON *image;
    cJSON_ArrayForEach(image, images) {
        if (image_in_use(s, image, fns, n, kept, n_kept))
            continue;
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(image, "Id"));
        faas_err_t rc = faas_docker_image_remove(s->app->docker, id, 0, &err);
        if (rc == FAAS_OK)
            faas_log_info("cleanup: removed image %.19s (no function uses it)", id);
        else if (rc != FAAS_ECONFLICT && rc != FAAS_ENOTFOUND)
            faas_log_warn("cleanup: %s", err.msg);
    }
    cJSON_Delete(images);
    faas_function_array_free(fns, n);
    faas_store_keys_free(kept, n_kept);
}

/* Removes files directly under dir older than max_age_s (buffers libh2o or a crash left behind). */
static void remove_stale_files(const char *dir, int64_t max_age_s)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > max_age_s && unlink(path) == 0)
            faas_log_info("cleanup: removed stale %s", path);
    }
    closedir(d);
}

void faas_service__cleanup(faas_services_t *s)
{
    faas_config_t *cfg = faas_service__config(s);
    faas_error_t err = {0};
    long removed = faas_runtimes_cleanup(s->app->store, cfg->data_dir, RUNTIME_ORPHAN_MIN_AGE_S, &err);
    if (removed < 0)
        faas_log_warn("cleanup: %s", err.msg);
    else if (removed > 0)
        faas_log_info("cleanup: removed %ld orphan runtime file(s)", removed);
    remove_stale_files(cfg->temp_dir, TEMP_MAX_AGE_S);
    remove_unused_images(s);
    faas_config_unref(cfg);
    faas_log_debug("cleanup: pass %u done", atomic_fetch_add(&s->cleanup_passes, 1) + 1);
}
