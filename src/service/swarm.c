/*
 * swarm.c: the swarm backend (config backend = "swarm"): each service function is a Docker
 * Swarm service "<image_prefix>-<name>" of this instance, made and changed through the same
 * Engine API (a manager node's), whose tasks faas routes to directly (swarm_tasks.c). Deploys
 * create the service or update it (a rolling update: start-first, one task at a time, rolled
 * back by Swarm when new tasks fail); scaling, sleeping and waking set its replica count.
 * Worker threads only, but the events thread (main thread starts and stops it).
 *
 * DESIGN
 * - No request is lost to a task going away: Swarm stops a task with its StopSignal and kills it
 *   after StopGracePeriod. Tasks get SIGWINCH, which servers ignore, and STOP_GRACE_MS: a task
 *   Swarm retires keeps serving while faas (which polls while it changes a service, and refreshes
 *   on events and a timer) takes it out of the routes and lets its requests finish. A function's
 *   own processes therefore get no SIGTERM, only the SIGKILL at the end of the grace.
 * - New tasks take traffic only once they answer HTTP, as local replicas do.
 * - Images: without docker.registry, tasks run the image by id (it must be on their node: one
 *   node). With it, each image is pushed there and services name it by digest, so every node
 *   pulls exactly what was built.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/labels.h"
#include "faas/core/log.h"
#include "faas/docker/swarm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STOP_GRACE_MS 10000   /* a retired task serves on this long before its SIGKILL */
#define RESTART_DELAY_MS 1000 /* a failed task's replacement starts after this */
#define POLL_MS 100           /* while a deploy or a wake waits for tasks */
#define REFRESH_MS 2000       /* the timer that catches what no event reports (task deaths elsewhere) */
#define PUSH_TIMEOUT_MS 600000
#define MAX_ENV 256
#define MAX_MOUNTS 32

/* What stops a task (see DESIGN). */
static const char *const stop_signal = "SIGWINCH";

/* The capabilities a service container keeps (as container.c's). */
static const char *const service_caps[] = {"CHOWN",  "DAC_OVERRIDE",     "FOWNER", "SETUID",
                                           "SETGID", "NET_BIND_SERVICE", "KILL",   NULL};

void faas_service__swarm_name(faas_services_t *s, const char *name, char *out, size_t size)
{
    faas_config_t *cfg = faas_service__config(s);
    snprintf(out, size, "%s-%s", cfg->docker.image_prefix, name);
    faas_config_unref(cfg);
}

static void pause_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- the spec of a version ---- */

typedef struct spec_strings {
    char *env[MAX_ENV];
    char function_label[96], build_label[96];
    const char *labels[8];
    char *binds;
    faas_docker_mount_t mounts[MAX_MOUNTS];
    char image[512];
    char name[FAAS_SERVICE__SWARM_NAME_MAX];
    const char *constraints[FAAS_RECORD_PLACEMENT_MAX + 1];
} spec_strings_t;

static void strings_free(spec_strings_t *st)
{
    for (size_t i = 0; i < MAX_ENV && st->env[i] != NULL; i++)
        free(st->env[i]);
    free(st->binds);
}

/* "host:ctr[:ro],..." into mounts (pointing into st->binds). */
static faas_err_t binds_to_mounts(const char *binds, spec_strings_t *st, size_t *n, faas_error_t *err)
{
    *n = 0;
    if (binds == NULL)
        return FAAS_OK;
    if ((st->binds = strdup(binds)) == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    char *save = NULL;
    for (char *b = strtok_r(st->binds, ",", &save); b != NULL; b = strtok_r(NULL, ",", &save)) {
        char *ctr = strchr(b, ':'), *mode = ctr != NULL ? strchr(ctr + 1, ':') : NULL;
        if (ctr == NULL || *n == MAX_MOUNTS)
            return faas_error_set(err, FAAS_EINVAL, "volume \"%s\" is not host:container[:ro]", b);
        *ctr++ = '\0';
        if (mode != NULL)
            *mode++ = '\0';
        st->mounts[(*n)++] = (faas_docker_mount_t){.source = b, .target = ctr,
                                                   .read_only = mode != NULL && strcmp(mode, "ro") == 0};
    }
    return FAAS_OK;
}

static faas_err_t fill_spec(faas_services_t *s, const faas_version_t *v, const char *image, size_t want,
                            spec_strings_t *st, faas_docker_service_spec_t *spec, faas_error_t *err)
{
    faas_config_t *cfg = faas_service__config(s);
    faas_err_t rc = v->env_len + 2 > MAX_ENV ? faas_error_set(err, FAAS_ETOOLARGE, "more than %d environment variables",
                                                               MAX_ENV - 2)
                                              : FAAS_OK;
    if (rc == FAAS_OK && asprintf(&st->env[0], "PORT=%d", v->container_port) < 0)
        st->env[0] = NULL;
    for (size_t i = 0; rc == FAAS_OK && st->env[0] != NULL && i < v->env_len; i++)
        if (asprintf(&st->env[i + 1], "%s=%s", v->env[i].name, v->env[i].value) < 0)
            rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (rc == FAAS_OK && st->env[0] == NULL)
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
    size_t n_mounts = 0;
    if (rc == FAAS_OK)
        rc = binds_to_mounts(v->binds, st, &n_mounts, err);
    snprintf(st->function_label, sizeof(st->function_label), FAAS_LABEL_FUNCTION "=%s", v->name);
    snprintf(st->build_label, sizeof(st->build_label), FAAS_LABEL_BUILD "=%s", v->build_id ? v->build_id : "");
    const char *extra[] = {FAAS_LABEL_KIND "=service", st->function_label, st->build_label, NULL};
    faas_app_labels(s->app, extra, st->labels, sizeof(st->labels) / sizeof(st->labels[0]));
    snprintf(st->name, sizeof(st->name), "%s-%s", cfg->docker.image_prefix, v->name);
    snprintf(st->image, sizeof(st->image), "%s", image);
    if (rc == FAAS_OK && v->n_placement > FAAS_RECORD_PLACEMENT_MAX)
        rc = faas_error_set(err, FAAS_EINVAL, "more than %d placement constraints", FAAS_RECORD_PLACEMENT_MAX);
    for (size_t i = 0; rc == FAAS_OK && i < v->n_placement; i++)
        st->constraints[i] = v->placement[i];
    *spec = (faas_docker_service_spec_t){
        .name = st->name, .labels = st->labels, .image = st->image, .env = (const char *const *)st->env,
        .container_labels = st->labels, .mounts = st->mounts, .n_mounts = n_mounts,
        .memory_bytes = v->memory > 0 ? v->memory : cfg->limits.memory,
        .nano_cpus = v->nano_cpus > 0 ? v->nano_cpus : cfg->limits.nano_cpus, .pids_limit = cfg->limits.pids,
        .cap_drop_all = 1, .cap_add = service_caps, .init = 1, .stop_signal = stop_signal,
        .stop_grace_ms = STOP_GRACE_MS, .target_port = v->container_port, .replicas = (int64_t)want,
        .restart_delay_ms = RESTART_DELAY_MS, .log_max_size = "10m",
        .constraints = v->n_placement > 0 ? st->constraints : NULL};
    faas_config_unref(cfg);
    return rc;
}

/* ---- images ---- */

/* What the service names: the local image id (one node), or the image pushed to docker.registry,
 * by digest ("<registry>/<prefix>-<fn>@sha256:..."). */
static faas_err_t image_ref(faas_services_t *s, const faas_version_t *v, char *out, size_t size, faas_error_t *err)
{
    faas_config_t *cfg = faas_service__config(s);
    faas_err_t rc = FAAS_OK;
    if (cfg->docker.registry == NULL) {
        snprintf(out, size, "%s", v->image);
    } else {
        char repo[320], tag[64], digest[FAAS_DOCKER_ID_MAX];
        snprintf(repo, sizeof(repo), "%s/%s-%s", cfg->docker.registry, cfg->docker.image_prefix, v->name);
        const char *hex = strncmp(v->image, "sha256:", 7) == 0 ? v->image + 7 : v->image;
        snprintf(tag, sizeof(tag), "%.12s", hex); /* one tag per image: a rollback pushes its own again */
        int64_t t0 = faas_clock_mono_ms();
        rc = faas_docker_image_tag(s->app->docker, v->image, repo, tag, err);
        if (rc == FAAS_OK)
            rc = faas_docker_image_push(s->app->docker, repo, tag, PUSH_TIMEOUT_MS, digest, err);
        if (rc == FAAS_OK) {
            snprintf(out, size, "%s@%s", repo, digest);
            faas_log_info("service %s: pushed %s:%s in %lld ms", v->name, repo, tag,
                          (long long)(faas_clock_mono_ms() - t0));
        }
    }
    faas_config_unref(cfg);
    return rc;
}

/* ---- deploy ---- */

/* 1 when service svc (inspected) belongs to this instance. */
static int ours(faas_services_t *s, const cJSON *svc)
{
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(svc, "Spec"), "Labels");
    const char *inst = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, FAAS_LABEL_INSTANCE));
    return inst != NULL && strcmp(inst, s->app->instance) == 0;
}

/* Swarm's word on an update: "" while it runs or is done, else why it stopped ("rollback_completed: ..."). */
static void update_trouble(faas_services_t *s, const char *service, char *out, size_t size)
{
    cJSON *svc = NULL;
    out[0] = '\0';
    if (faas_docker_service_inspect(s->app->docker, service, &svc, NULL) != FAAS_OK)
        return;
    const cJSON *us = cJSON_GetObjectItemCaseSensitive(svc, "UpdateStatus");
    const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(us, "State"));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(us, "Message"));
    if (state != NULL && (strncmp(state, "rollback", 8) == 0 || strcmp(state, "paused") == 0))
        snprintf(out, size, "%s: %s", state, msg != NULL ? msg : "");
    cJSON_Delete(svc);
}

/* The first error a task of build reported (a task that failed to start), into out. */
static void task_error(faas_services_t *s, const char *service, const char *build, char *out, size_t size)
{
    cJSON *tasks = NULL;
    const cJSON *t;
    out[0] = '\0';
    if (faas_docker_task_list(s->app->docker, service, &tasks, NULL) != FAAS_OK)
        return;
    cJSON_ArrayForEach(t, tasks) {
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "Spec"), "ContainerSpec"), "Labels");
        const char *b = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, FAAS_LABEL_BUILD));
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(t, "Status");
        const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(status, "Err"));
        if (b != NULL && strcmp(b, build) == 0 && e != NULL && e[0] != '\0') {
            snprintf(out, size, "%s", e);
            break;
        }
    }
    cJSON_Delete(tasks);
}

/* Publishes fn's set (re-read from Swarm) when it changed; the caller holds nothing of fn. Keeps the
 * routes current while a service changes under a deploy. */
static void track(faas_services_t *s, const char *name)
{
    if (faas_fnlock_try(s->sets, name) != 0)
        return;
    faas_function_t fn = {0}, was = {0};
    faas_error_t err = {0};
    if (faas_store_function_get(s->app->store, name, &fn, NULL) == FAAS_OK && fn.image_id != NULL &&
        faas_service__set_copy(&fn, &was, &err) == FAAS_OK && faas_service__swarm_refresh(s, &fn, NULL, &err) == FAAS_OK &&
        !faas_service__same_set(&was, &fn))
        faas_service__set_publish(s, &fn, -1);
    faas_function_free(&fn);
    faas_function_free(&was);
    faas_fnlock_release(s->sets, name);
}

/* How many of next's tasks (read now) run build and answer; next gets the set of those tasks. */
static size_t answering(faas_services_t *s, const char *service, const faas_version_t *v, faas_function_t *next,
                        faas_error_t *err)
{
    faas_service__task_t *tasks = NULL;
    size_t n = 0, kept = 0;
    int64_t replicas = 0;
    if (faas_service__swarm_read(s, service, v->container_port, &tasks, &n, &replicas, err) != FAAS_OK)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(tasks[i].build, v->build_id != NULL ? v->build_id : "") == 0)
            tasks[kept++] = tasks[i];
    faas_function_t was = {0};
    if (faas_service__set_copy(next, &was, err) == FAAS_OK)
        faas_service__swarm_set(&was, tasks, kept, 0, 1, next, err);
    faas_function_free(&was);
    free(tasks);
    return faas_service__count(next, FAAS_REPLICA_READY);
}

/* Waits until want tasks of v answer (or one, by the deadline); routes follow meanwhile. */
static faas_err_t await_version(faas_services_t *s, const char *service, const faas_version_t *v, size_t want,
                                faas_function_t *next, faas_error_t *err)
{
    faas_config_t *cfg = faas_service__config(s);
    int64_t deadline = faas_clock_mono_ms() + cfg->limits.start_timeout_ms;
    faas_config_unref(cfg);
    char trouble[FAAS_ERROR_MSG_MAX / 2], why[FAAS_ERROR_MSG_MAX / 2];
    for (;;) {
        size_t ready = answering(s, service, v, next, err);
        track(s, v->name);
        if (ready >= want)
            return FAAS_OK;
        update_trouble(s, service, trouble, sizeof(trouble));
        if (trouble[0] != '\0') {
            task_error(s, service, v->build_id ? v->build_id : "", why, sizeof(why));
            return faas_error_set(err, FAAS_EINVAL, "the new tasks failed and Swarm rolled back (%s); a task said: %s",
                                  trouble, why[0] ? why : "(nothing)");
        }
        if (faas_clock_mono_ms() >= deadline) {
            if (ready > 0)
                return FAAS_OK; /* the others are Swarm's to bring up; they take traffic as they answer */
            task_error(s, service, v->build_id ? v->build_id : "", why, sizeof(why));
            return faas_error_set(err, FAAS_ETIMEOUT,
                                  "no task of the new version answered HTTP on port %d (the $PORT it is given) in time; "
                                  "a task said: %s", v->container_port, why[0] ? why : "(nothing)");
        }
        pause_ms(POLL_MS);
    }
}

faas_err_t faas_service__swarm_deploy(faas_services_t *s, const faas_version_t *v, size_t want, faas_function_t *next,
                                      faas_error_t *err)
{
    if (v->n_secrets > 0)
        return faas_error_set(err, FAAS_EINVAL, "secrets are not available with backend \"swarm\" yet: their files "
                                                "live on one host; pass the values as env, or use backend \"docker\"");
    spec_strings_t st = {0};
    faas_docker_service_spec_t spec;
    char image[512], id[FAAS_DOCKER_ID_MAX];
    cJSON *svc = NULL;
    char *old_spec = NULL; /* the spec before this update: put back if the new version fails */
    int created = 0, updated = 0;
    faas_err_t rc = image_ref(s, v, image, sizeof(image), err);
    if (rc == FAAS_OK)
        rc = fill_spec(s, v, image, want, &st, &spec, err);
    faas_err_t found = rc == FAAS_OK ? faas_docker_service_inspect(s->app->docker, st.name, &svc, err) : rc;
    if (rc == FAAS_OK && found == FAAS_ENOTFOUND)
        created = (rc = faas_docker_service_create(s->app->docker, &spec, id, err)) == FAAS_OK;
    else if (rc == FAAS_OK && found == FAAS_OK && !ours(s, svc))
        rc = faas_error_set(err, FAAS_ECONFLICT, "Swarm service %s belongs to another faas instance", st.name);
    else if (rc == FAAS_OK && found == FAAS_OK) {
        old_spec = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(svc, "Spec"));
        updated = (rc = faas_docker_service_update(s->app->docker, st.name, &spec, err)) == FAAS_OK;
    } else {
        rc = found;
    }
    cJSON_Delete(svc);
    if (rc == FAAS_OK) {
        faas_log_info("service %s: %s Swarm service %s with %s, %zu replica%s", v->name, created ? "created" : "updated",
                      st.name, image, want, want == 1 ? "" : "s");
        rc = await_version(s, st.name, v, want, next, err);
    }
    if (rc != FAAS_OK && created) {
        faas_service__swarm_remove(s, v->name, NULL); /* a first deploy that never answered leaves nothing */
    } else if (rc != FAAS_OK && updated) {
        /* Swarm's own rollback (a task that failed) and rollback=previous both go to PreviousSpec,
           which a scale during the deploy already replaced: faas puts its own copy back. */
        faas_error_t rb = {0};
        if (faas_docker_service_restore(s->app->docker, st.name, old_spec, &rb) != FAAS_OK)
            faas_log_warn("service %s: %s", v->name, rb.msg);
        else
            faas_log_info("service %s: Swarm service %s back to the version before", v->name, st.name);
    }
    free(old_spec);
    strings_free(&st);
    return rc;
}

/* ---- scaling ---- */

faas_err_t faas_service__swarm_scale(faas_services_t *s, faas_function_t *fn, size_t want, int wait,
                                     faas_load_t *load, faas_error_t *err)
{
    char service[FAAS_SERVICE__SWARM_NAME_MAX];
    faas_service__swarm_name(s, fn->name, service, sizeof(service));
    faas_err_t rc = faas_docker_service_scale(s->app->docker, service, (int64_t)want, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "the Swarm service of '%s' is gone: deploy it again", fn->name);
    if (rc != FAAS_OK)
        return rc;
    faas_log_info("service %s: Swarm service scaled to %zu", fn->name, want);
    if (load != NULL)
        atomic_store(&load->wake_kind, (int)FAAS_WAKE_NEW); /* Swarm has no pause: a new task */
    faas_config_t *cfg = faas_service__config(s);
    int64_t deadline = faas_clock_mono_ms() + cfg->limits.start_timeout_ms;
    faas_config_unref(cfg);
    for (;;) {
        faas_function_t was = {0};
        if ((rc = faas_service__set_copy(fn, &was, err)) == FAAS_OK)
            rc = faas_service__swarm_refresh(s, fn, NULL, err);
        if (rc == FAAS_OK && !faas_service__same_set(&was, fn))
            faas_service__set_publish(s, fn, -1); /* each new task takes traffic as soon as it answers */
        faas_function_free(&was);
        size_t ready = faas_service__count(fn, FAAS_REPLICA_READY);
        if (rc != FAAS_OK || !wait || ready >= want)
            return rc;
        if (faas_clock_mono_ms() >= deadline)
            return ready > 0 ? FAAS_OK : faas_error_set(err, FAAS_ETIMEOUT, "no task of '%s' answered in time", fn->name);
        pause_ms(POLL_MS);
    }
}

faas_err_t faas_service__swarm_remove(faas_services_t *s, const char *name, faas_error_t *err)
{
    char service[FAAS_SERVICE__SWARM_NAME_MAX];
    faas_service__swarm_name(s, name, service, sizeof(service));
    cJSON *svc = NULL;
    faas_err_t rc = faas_docker_service_inspect(s->app->docker, service, &svc, err);
    if (rc == FAAS_OK && !ours(s, svc))
        rc = faas_error_set(err, FAAS_ECONFLICT, "Swarm service %s belongs to another faas instance", service);
    else if (rc == FAAS_OK)
        rc = faas_docker_service_remove(s->app->docker, service, err);
    cJSON_Delete(svc);
    if (rc == FAAS_OK)
        faas_log_info("service %s: removed Swarm service %s", name, service);
    return rc == FAAS_ENOTFOUND ? FAAS_OK : rc;
}

/* ---- reconcile ---- */

int faas_service__swarm_reconcile(faas_services_t *s, const faas_function_t *fn_in)
{
    if (faas_fnlock_try(s->sets, fn_in->name) != 0)
        return 0;
    faas_function_t fn = {0}, was = {0};
    faas_error_t err = {0};
    int64_t replicas = 0;
    int changed = 0;
    if (faas_store_function_get(s->app->store, fn_in->name, &fn, NULL) != FAAS_OK ||
        faas_service__set_copy(&fn, &was, &err) != FAAS_OK || faas_service__swarm_refresh(s, &fn, &replicas, &err) != FAAS_OK) {
        if (err.msg[0])
            faas_log_warn("reconcile %s: %s", fn_in->name, err.msg);
        goto out;
    }
    faas_scale_t in_force;
    faas_service__scale_in_force(s, &fn, &in_force);
    if (replicas < 0 && fn.image_id != NULL) { /* removed behind faas's back: made again from the record */
        faas_version_t v;
        faas_service__version_of(&fn, &v);
        size_t want = in_force.min > 1 ? (size_t)in_force.min : 1;
        faas_log_info("reconcile %s: its Swarm service is gone; creating it again", fn.name);
        if (faas_service__swarm_deploy(s, &v, want, &fn, &err) != FAAS_OK)
            faas_log_warn("reconcile %s: %s", fn.name, err.msg);
    } else if (replicas < in_force.min) { /* a service scaled down behind faas's back, or a raised min */
        faas_log_info("reconcile %s: %lld replicas, min %d: scaling up", fn.name, (long long)replicas, in_force.min);
        if (faas_service__swarm_scale(s, &fn, (size_t)in_force.min, 0, NULL, &err) != FAAS_OK)
            faas_log_warn("reconcile %s: %s", fn.name, err.msg);
    }
    if (!faas_service__same_set(&was, &fn)) {
        faas_service__set_publish(s, &fn, -1);
        changed = 1;
    }
out:
    faas_function_free(&fn);
    faas_function_free(&was);
    faas_fnlock_release(s->sets, fn_in->name);
    return changed;
}

static int named(const faas_function_t *fns, size_t n, const char *name)
{
    for (size_t i = 0; name != NULL && i < n; i++)
        if (fns[i].kind == FAAS_KIND_SERVICE && strcmp(fns[i].name, name) == 0)
            return 1;
    return 0;
}

void faas_service__swarm_orphans(faas_services_t *s, const faas_function_t *fns, size_t n)
{
    const char *extra[] = {FAAS_LABEL_KIND "=service", NULL}, *labels[4];
    cJSON *list = NULL, *svc;
    faas_error_t err = {0};
    if (faas_docker_service_list(s->app->docker, faas_app_labels(s->app, extra, labels, 4), &list, &err) != FAAS_OK) {
        faas_log_warn("reconcile: %s", err.msg);
        return;
    }
    cJSON_ArrayForEach(svc, list) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(svc, "Spec"), "Labels");
        const char *fn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l, FAAS_LABEL_FUNCTION));
        if (fn == NULL || named(fns, n, fn) || faas_fnlock_held(s->app->locks, fn, NULL))
            continue;
        faas_log_info("reconcile: removing Swarm service of %s: no record names it", fn);
        faas_service__swarm_remove(s, fn, NULL);
    }
    cJSON_Delete(list);
}

/* ---- start-up, events and the timer ---- */

typedef struct named_job {
    faas_services_t *s;
    char name[64];
} named_job_t;

static void on_refresh_one(void *data)
{
    named_job_t *j = data;
    if (faas_service__reconcile_one(j->s, j->name, 0))
        faas_proxy_publish(j->s->app->proxy, j->s->app->store, NULL, NULL);
    free(j);
}

static void queue_refresh(faas_services_t *s, const char *name)
{
    named_job_t *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return;
    j->s = s;
    snprintf(j->name, sizeof(j->name), "%s", name);
    if (faas_pool_submit(s->app->pool, NULL, on_refresh_one, NULL, j) != 0)
        free(j);
}

/* Every REFRESH_MS (and on a node event): each Swarm-backed function against its tasks. */
static void on_refresh_all(void *data)
{
    faas_services_t *s = data;
    faas_function_t *fns = NULL;
    size_t n = 0;
    if (atomic_load(&s->stopping) || faas_store_function_list(s->app->store, &fns, &n, NULL) != FAAS_OK)
        return;
    int changed = 0;
    for (size_t i = 0; i < n; i++)
        if (fns[i].kind == FAAS_KIND_SERVICE)
            changed |= faas_service__reconcile_one(s, fns[i].name, 0);
    faas_function_array_free(fns, n);
    if (changed)
        faas_proxy_publish(s->app->proxy, s->app->store, NULL, NULL);
}

static int64_t refresh_interval(void *data)
{
    (void)data;
    return REFRESH_MS;
}

static int on_swarm_event(void *cbdata, const cJSON *event)
{
    faas_services_t *s = cbdata;
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(event, "Type"));
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(event, "Actor"), "Attributes");
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(attrs, "name"));
    char prefix[FAAS_SERVICE__SWARM_NAME_MAX];
    faas_service__swarm_name(s, "", prefix, sizeof(prefix)); /* "<image_prefix>-" */
    size_t len = strlen(prefix);
    if (type != NULL && strcmp(type, "node") == 0)
        faas_pool_submit(s->app->pool, NULL, on_refresh_all, NULL, s); /* a node came or went: every function */
    else if (type != NULL && strcmp(type, "service") == 0 && name != NULL && strncmp(name, prefix, len) == 0 &&
             faas_record_valid_name(name + len))
        queue_refresh(s, name + len);
    return atomic_load(&s->stopping);
}

static void *swarm_events_main(void *arg)
{
    faas_services_t *s = arg;
    int64_t since = 0;
    while (!atomic_load(&s->stopping)) {
        faas_error_t err = {0};
        int64_t started = time(NULL);
        faas_docker_swarm_events(s->app->docker, since, on_swarm_event, s, &s->stopping, &err);
        if (atomic_load(&s->stopping))
            break;
        faas_log_warn("swarm events: %s; reconnecting", err.msg[0] ? err.msg : "stream ended");
        since = started;
        for (int i = 0; i < 20 && !atomic_load(&s->stopping); i++) /* 2 s, in steps a stop does not wait for */
            pause_ms(100);
    }
    return NULL;
}

faas_err_t faas_service__swarm_start(faas_services_t *s, faas_error_t *err)
{
    faas_docker_swarm_info_t info;
    faas_err_t rc = faas_docker_swarm_info(s->app->docker, &info, err);
    if (rc != FAAS_OK)
        return rc;
    if (strcmp(info.state, "active") != 0)
        return faas_error_set(err, FAAS_EINVAL, "backend \"swarm\": the engine at %s is not in a swarm (state \"%s\"): "
                              "run faas on a manager node (docker swarm init, or join as a manager)",
                              faas_docker_socket(s->app->docker), info.state);
    if (!info.manager)
        return faas_error_set(err, FAAS_EINVAL, "backend \"swarm\": the engine at %s is a swarm worker: run faas on a "
                              "manager node", faas_docker_socket(s->app->docker));
    faas_log_info("backend swarm: node %.12s (%s), %d node%s", info.node_id, info.node_addr, info.nodes,
                  info.nodes == 1 ? "" : "s");
    if (faas_pool_every(s->app->pool, REFRESH_MS, refresh_interval, on_refresh_all, s) != 0)
        return faas_error_set(err, FAAS_ENOMEM, "cannot schedule the swarm refresh");
    if (pthread_create(&s->swarm_thread, NULL, swarm_events_main, s) != 0)
        return faas_error_set(err, FAAS_EIO, "cannot start the swarm events thread");
    s->swarm_started = 1;
    return FAAS_OK;
}

void faas_service__swarm_stop(faas_services_t *s)
{
    if (s->swarm_started)
        pthread_join(s->swarm_thread, NULL);
    s->swarm_started = 0;
}
