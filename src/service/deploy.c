/*
 * deploy.c: deploying a service function (see deploy.h). faas_deploy_start
 * checks what needs the store or Docker and records the build; the build
 * then runs as a task on the worker pool. Worker threads only.
 *
 * DESIGN
 * - Zero downtime: the version that serves keeps serving until the new one
 *   is built, started and answers HTTP on its own address. Only then does
 *   the record switch (one write transaction) and the routing snapshot
 *   follow; the old container goes once every loop routes to the new one and
 *   its requests in flight are done (faas_service__switch).
 * - Crash safety: the record names the serving version at every moment.
 *   Whatever a deploy made before its switch (image, container) carries its
 *   build id in a label and is unknown to the record, so reconcile removes
 *   it; after the switch the old container is unknown, and goes the same way.
 * - The new image gets an internal name (<prefix>-<fn>:<build>) while it is
 *   built; the operator's tag moves to it only after the switch, so the tag
 *   always names what serves.
 */
#include "internal.h"
#include "faas/core/labels.h"
#include "faas/core/uuid.h"
#include "faas/service/deploy.h"
#include "faas/service/buildctx.h"
#include "faas/tls/certs.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/core/stats.h"
#include "faas/service/runtimes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZIP_MAX_ENTRIES 10000
#define LOG_FLUSH_BYTES 8192
#define LOG_FLUSH_MS 250
/* What Docker's output of one build may take in the store; the rest is dropped, the build goes on. */
#define BUILD_LOG_MAX ((size_t)4 << 20)

typedef struct deploy {
    faas_services_t *s;
    faas_deploy_spec_t *spec;
    char build_id[40];
    void *tar;
    size_t tar_len;
    int claimed_port;       /* this deploy claimed spec->port (free it if the deploy fails) */
    char *old_image;
    int old_port;
    int serves;             /* a version served when the upload came: this deploy replaces it */
    faas_function_t next;   /* the new version's replicas (next.replicas), before the switch */
    int64_t revision;       /* the revision it becomes (a rollback: the one it goes back to) */
    int rollback;           /* no build: a kept revision's image and settings serve again */
    char log[LOG_FLUSH_BYTES];
    size_t log_len;
    int64_t log_flushed_ms;
    size_t log_docker;      /* bytes of Docker's output logged, up to BUILD_LOG_MAX */
} deploy_t;

void faas_deploy_spec_free(faas_deploy_spec_t *spec)
{
    if (spec == NULL)
        return;
    char *strings[] = {spec->name, spec->tag, spec->runtime, spec->source, spec->volume, spec->binds};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(strings[i]);
    faas_env_free(spec->env, spec->env_len);
    faas_secret_names_free(spec->secrets, spec->n_secrets);
    faas_secret_names_free(spec->placement, spec->n_placement);
    free(spec->zip);
    free(spec);
}

static void deploy_free(deploy_t *d)
{
    faas_deploy_spec_free(d->spec);
    free(d->tar);
    faas_function_free(&d->next);
    free(d->old_image);
    free(d);
}

/* ---- the build log, written to the store in chunks while the build runs ---- */

static void log_flush(deploy_t *d)
{
    faas_error_t err = {0};
    if (d->log_len > 0 && faas_store_build_log_append(d->s->app->store, d->build_id, d->log, d->log_len, &err) != FAAS_OK)
        faas_log_warn("deploy %s: build log: %s", d->spec->name, err.msg);
    d->log_len = 0;
    d->log_flushed_ms = faas_clock_mono_ms();
    faas_service__build_news(d->s);
}

static void log_add(deploy_t *d, const char *text, size_t len)
{
    while (len > 0) {
        size_t n = len < sizeof(d->log) - d->log_len ? len : sizeof(d->log) - d->log_len;
        memcpy(d->log + d->log_len, text, n);
        d->log_len += n;
        text += n;
        len -= n;
        if (d->log_len == sizeof(d->log))
            log_flush(d);
    }
    if (faas_clock_mono_ms() - d->log_flushed_ms >= LOG_FLUSH_MS)
        log_flush(d); /* so GET /function/logs/:name?source=build follows the build */
}

static void log_say(deploy_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Docker's output, up to BUILD_LOG_MAX; faas's own few lines (log_say) are not counted. */
static void on_build_line(void *cbdata, const char *text, size_t len)
{
    deploy_t *d = cbdata;
    size_t room = BUILD_LOG_MAX - d->log_docker;
    if (room == 0)
        return;
    log_add(d, text, len < room ? len : room);
    d->log_docker += len < room ? len : room;
    if (d->log_docker == BUILD_LOG_MAX) {
        log_say(d, "\nfaas: build log cut at %zu bytes; the build goes on\n", BUILD_LOG_MAX);
        log_flush(d);
    }
}

static void log_say(deploy_t *d, const char *fmt, ...)
{
    char line[FAAS_ERROR_MSG_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log_add(d, line, n < 0 ? 0 : ((size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1));
}

/* ---- record updates ---- */

typedef struct outcome {
    deploy_t *d;
    faas_function_status_t status;
    faas_build_status_t build_status;
    const char *error;
    const char *image;      /* the new version, on success */
    faas_function_t *next;  /* its replicas, on success: swapped with the record's */
    faas_function_t old;    /* what the record had (its replicas), after a success */
} outcome_t;

static faas_err_t set_string(char **slot, const char *value, faas_error_t *err)
{
    char *copy = value != NULL ? strdup(value) : NULL;
    if (value != NULL && copy == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    free(*slot);
    *slot = copy;
    return FAAS_OK;
}

/* Copies the uploaded configuration into the record: it becomes what serves. */
static faas_err_t take_spec(faas_function_t *fn, const faas_deploy_spec_t *spec, faas_error_t *err)
{
    faas_err_t rc = FAAS_OK;
    char **slots[] = {&fn->tag, &fn->runtime, &fn->source, &fn->volume, &fn->binds};
    const char *values[] = {spec->tag, spec->runtime, spec->source, spec->volume, spec->binds};
    for (size_t i = 0; rc == FAAS_OK && i < sizeof(slots) / sizeof(slots[0]); i++)
        rc = set_string(slots[i], values[i], err);
    fn->port = spec->port;
    fn->container_port = spec->container_port;
    faas_env_var_t *env = NULL;
    char **secrets = NULL, **placement = NULL;
    if (rc == FAAS_OK)
        rc = faas_env_copy(spec->env, spec->env_len, &env, err);
    if (rc == FAAS_OK && (rc = faas_secret_names_copy(spec->secrets, spec->n_secrets, &secrets, err)) != FAAS_OK)
        faas_env_free(env, spec->env_len);
    if (rc == FAAS_OK && (rc = faas_secret_names_copy(spec->placement, spec->n_placement, &placement, err)) != FAAS_OK) {
        faas_env_free(env, spec->env_len);
        faas_secret_names_free(secrets, spec->n_secrets);
    }
    if (rc == FAAS_OK) {
        faas_env_free(fn->env, fn->env_len);
        fn->env = env;
        fn->env_len = spec->env_len;
        faas_secret_names_free(fn->secrets, fn->n_secrets);
        fn->secrets = secrets;
        fn->n_secrets = spec->n_secrets;
        faas_secret_names_free(fn->placement, fn->n_placement);
        fn->placement = placement;
        fn->n_placement = spec->n_placement;
        fn->scale = spec->scale;
        fn->memory = spec->memory;
        fn->nano_cpus = spec->nano_cpus;
    }
    return rc;
}

static faas_err_t on_outcome(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    outcome_t *o = cbdata;
    int64_t now = faas_clock_now_ms();
    faas_err_t rc = FAAS_OK;
    if (!o->d->rollback && (fn->build.id == NULL || strcmp(fn->build.id, o->d->build_id) != 0))
        return faas_error_set(err, FAAS_ECONFLICT, "the record moved on to another build");
    if (o->next != NULL || fn->image_id == NULL)
        fn->status = o->status; /* a failed redeploy leaves the serving version's status alone */
    fn->updated_at = now;
    if (!o->d->rollback) { /* a rollback is no build: the record's build stays the last one */
        fn->build.status = o->build_status;
        if (o->build_status != FAAS_BUILD_BUILDING)
            fn->build.finished_at = now;
        rc = set_string(&fn->build.error, o->error, err);
    }
    if (rc == FAAS_OK && o->next != NULL) {
        /* The switch: from here on the new version is what serves. */
        fn->revision = o->d->revision;
        rc = take_spec(fn, o->d->spec, err);
        if (rc == FAAS_OK)
            rc = set_string(&fn->prev_image, fn->image_id, err);
        if (rc == FAAS_OK)
            rc = set_string(&fn->image_id, o->image, err);
        if (rc == FAAS_OK) /* the old set out, to be retired; the new one in */
            rc = faas_service__set_copy(fn, &o->old, err);
        if (rc == FAAS_OK)
            rc = faas_service__set_copy(o->next, fn, err);
    }
    return rc;
}

static void record_outcome(deploy_t *d, outcome_t *o)
{
    faas_error_t err = {0};
    o->d = d;
    if (faas_store_function_update(d->s->app->store, d->spec->name, on_outcome, o, NULL, &err) != FAAS_OK)
        faas_log_error("deploy %s: cannot record the outcome of build %s: %s", d->spec->name, d->build_id, err.msg);
    if (d->rollback)
        return;
    faas_build_t b = {.id = d->build_id, .function = d->spec->name, .status = o->build_status,
                      .finished_at = o->build_status == FAAS_BUILD_BUILDING ? 0 : faas_clock_now_ms(),
                      .error = (char *)o->error};
    faas_build_t old = {0};
    if (faas_store_build_get(d->s->app->store, d->build_id, &old, NULL) == FAAS_OK)
        b.started_at = old.started_at;
    faas_build_free(&old);
    if (o->build_status != FAAS_BUILD_BUILDING) {
        faas_stats_count(FAAS_STAT_BUILDS, d->spec->name, o->build_status == FAAS_BUILD_SUCCEEDED ? "success" : "failure");
        if (b.started_at > 0)
            faas_stats_observe(FAAS_STAT_BUILD_SECONDS, d->spec->name, (double)(b.finished_at - b.started_at) / 1000.0);
    }
    if (faas_store_build_put(d->s->app->store, &b, &err) != FAAS_OK)
        faas_log_error("deploy %s: cannot record build %s: %s", d->spec->name, d->build_id, err.msg);
    faas_service__build_news(d->s);
}

/* After the old version is gone there is nothing to roll back to: forget its image (unless a
 * newer deploy switched meanwhile and previousImage now names another one). */
static faas_err_t on_retired_image(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    const char *retired = cbdata;
    if (fn->prev_image == NULL || retired == NULL || strcmp(fn->prev_image, retired) != 0)
        return FAAS_OK;
    return set_string(&fn->prev_image, NULL, err);
}

/* ---- the build task ---- */

static void fail(deploy_t *d, const char *image, const char *error)
{
    faas_log_warn("deploy %s: build %.8s failed: %s", d->spec->name, d->build_id, error);
    log_say(d, "faas: deploy failed: %s\n", error);
    log_flush(d);
    for (size_t i = 0; i < d->next.n_replicas; i++)
        faas_service__remove(d->s, d->next.replicas[i].id, NULL);
    faas_service__remove(d->s, NULL, image != NULL && (d->old_image == NULL || strcmp(image, d->old_image) != 0)
                                         ? image : NULL);
    outcome_t o = {.status = FAAS_FUNCTION_FAILED, .build_status = FAAS_BUILD_FAILED, .error = error};
    record_outcome(d, &o);
    if (d->claimed_port)
        faas_proxy_release_port(d->s->app->proxy, d->spec->port, d->spec->name);
    faas_proxy_publish(d->s->app->proxy, d->s->app->store, NULL, NULL); /* a first deploy now answers "failed" */
}

/* Names the image with the operator's tag ("repo[:tag]", tag "latest" when absent). */
static void apply_tag(deploy_t *d, const char *image)
{
    char repo[256];
    snprintf(repo, sizeof(repo), "%s", d->spec->tag);
    char *colon = strrchr(repo, ':'), *slash = strrchr(repo, '/');
    const char *tag = "latest";
    if (colon != NULL && (slash == NULL || colon > slash)) {
        *colon = '\0';
        tag = colon + 1;
    }
    faas_error_t err = {0};
    if (faas_docker_image_tag(d->s->app->docker, image, repo, tag, &err) != FAAS_OK)
        faas_log_warn("deploy %s: %s", d->spec->name, err.msg);
}

static faas_err_t build_image(deploy_t *d, const faas_config_t *cfg, char image[FAAS_DOCKER_ID_MAX], faas_error_t *err)
{
    char internal[160], function[96];
    snprintf(internal, sizeof(internal), "%s-%s:%.12s", cfg->docker.image_prefix, d->spec->name, d->build_id);
    snprintf(function, sizeof(function), FAAS_LABEL_FUNCTION "=%s", d->spec->name);
    const char *extra[] = {function, NULL}, *leftovers[4];
    faas_docker_build_opts_t opts = {.tag = internal, .dockerfile = FAAS_BUILDCTX_DOCKERFILE, /* labels: see make_context */
                                     .timeout_ms = (int)cfg->limits.build_timeout_ms,
                                     .leftovers_labels = faas_app_labels(d->s->app, extra, leftovers, 4),
                                     .on_line = on_build_line, .cbdata = d};
    log_say(d, "faas: building %s\n", internal);
    faas_err_t rc = faas_docker_build(d->s->app->docker, d->tar, d->tar_len, &opts, image, err);
    free(d->tar);
    d->tar = NULL;
    return rc;
}

/* How many replicas the new version starts with: as many as serve now (at least 1, at least the
 * min in force), within the max in force. */
static size_t replicas_wanted(deploy_t *d)
{
    faas_function_t fn = {0};
    faas_scale_t in_force;
    size_t want = 1;
    if (faas_store_function_get(d->s->app->store, d->spec->name, &fn, NULL) == FAAS_OK) {
        faas_service__scale_in_force(d->s, &fn, &in_force);
        size_t ready = faas_service__count(&fn, FAAS_REPLICA_READY);
        want = ready > want ? ready : want;
        want = (size_t)in_force.min > want ? (size_t)in_force.min : want;
        want = want > (size_t)in_force.max ? (size_t)in_force.max : want;
    }
    faas_function_free(&fn);
    return want;
}

/* Starts the new version's replicas: the first must answer, the others may fail (logged). */
static faas_err_t start_replicas(deploy_t *d, const char *image, faas_error_t *err)
{
    faas_version_t v = {.name = d->spec->name, .build_id = d->build_id, .image = image,
                        .container_port = d->spec->container_port, .env = d->spec->env, .env_len = d->spec->env_len,
                        .binds = d->spec->binds, .memory = d->spec->memory, .nano_cpus = d->spec->nano_cpus,
                        .secrets = d->spec->secrets, .n_secrets = d->spec->n_secrets,
                        .placement = d->spec->placement, .n_placement = d->spec->n_placement};
    size_t want = replicas_wanted(d);
    if (d->s->swarm)
        return faas_service__swarm_deploy(d->s, &v, want, &d->next, err);
    faas_err_t rc = faas_service__replica_run(d->s, &v, &d->next, err);
    for (size_t i = 1; rc == FAAS_OK && i < want; i++) {
        faas_error_t why = {0};
        if (faas_service__replica_run(d->s, &v, &d->next, &why) != FAAS_OK)
            log_say(d, "faas: replica %zu of %zu did not start (the autoscaler adds it later): %s\n", i + 1, want,
                    why.msg);
    }
    return rc;
}

/* The switch: the new set in the record, the old one out (under the set lock, so no wake or scaler
 * change of the old set is lost); then traffic moves and the old replicas go. */
static void switch_to(deploy_t *d, const char *image, const faas_config_t *cfg)
{
    faas_services_t *s = d->s;
    outcome_t ok = {.status = FAAS_FUNCTION_RUNNING, .build_status = FAAS_BUILD_SUCCEEDED, .image = image,
                    .next = &d->next};
    if (!d->rollback)
        d->revision = faas_service__revision_next(s, d->spec->name);
    int locked = faas_fnlock_wait(s->sets, d->spec->name, faas_clock_now_ms() + 60000) == 0;
    record_outcome(d, &ok);
    if (locked)
        faas_fnlock_release(s->sets, d->spec->name);
    /* The old image stays: a kept revision names it (the cleanup takes it when none does). */
    char **drop = d->rollback ? NULL : faas_service__revision_commit(s, d->spec->name, d->revision, d->build_id);
    apply_tag(d, image);
    /* The new version is what the record serves: the next operation may start. Retiring the old
     * one goes on here; reconcile leaves a container being retired alone. */
    faas_fnlock_release(s->app->locks, d->spec->name);
    faas_service__active(s, d->spec->name); /* a new version: its idle time starts now */
    faas_log_info("deploy %s: %s %lld serves on %zu replica%s", d->spec->name,
                  d->rollback ? "rolled back to revision" : "revision", (long long)d->revision, d->next.n_replicas,
                  d->next.n_replicas == 1 ? "" : "s");
    char host[320];
    if (faas_service__tls_host(s, cfg, d->spec->name, host, sizeof(host)))
        faas_certs_request(s->app->certs, host); /* the policy decides whether it gets one */
    faas_service__switch(s, d->spec->name, ok.old.replicas, ok.old.n_replicas, NULL, d->old_port);
    faas_service__drop_images(s, drop);
    faas_function_free(&ok.old);
    faas_store_function_update(s->app->store, d->spec->name, on_retired_image, d->old_image, NULL, NULL);
}

static void deploy_run(void *data)
{
    deploy_t *d = data;
    faas_services_t *s = d->s;
    faas_config_t *cfg = faas_service__config(s);
    char image[FAAS_DOCKER_ID_MAX] = "";
    faas_error_t err = {0};
    d->log_flushed_ms = faas_clock_mono_ms();
    if (build_image(d, cfg, image, &err) != FAAS_OK) {
        fail(d, NULL, err.msg);
        goto done;
    }
    log_say(d, "faas: built %s, starting a container\n", image);
    log_flush(d); /* readable while the container starts */
    outcome_t starting = {.status = FAAS_FUNCTION_STARTING, .build_status = FAAS_BUILD_BUILDING};
    record_outcome(d, &starting);
    if (start_replicas(d, image, &err) != FAAS_OK) {
        fail(d, image, err.msg);
        goto done;
    }
    log_say(d, "faas: the new container answers on %s; switching traffic to it\n", d->next.replicas[0].address);
    log_flush(d);
    switch_to(d, image, cfg);
    faas_config_unref(cfg);
    deploy_free(d);
    return;
done:
    faas_fnlock_release(s->app->locks, d->spec->name);
    faas_config_unref(cfg);
    deploy_free(d);
}

/* ---- before the answer: what needs the store or Docker ---- */

static faas_err_t make_context(deploy_t *d, const faas_config_t *cfg, const char **failed, faas_error_t *err)
{
    char *dockerfile = NULL;
    size_t len = 0;
    faas_err_t rc = faas_runtimes_read(d->s->app->store, cfg->data_dir, d->spec->runtime, &dockerfile, &len, err);
    if (rc == FAAS_ENOTFOUND) /* the seed's words */
        return faas_error_set(err, FAAS_ENOTFOUND, "Runtime not found: %s", d->spec->runtime);
    if (rc != FAAS_OK)
        return rc;
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_buildctx_zip_limits_t limits = {.max_entries = ZIP_MAX_ENTRIES,
                                      .max_bytes = (uint64_t)cfg->limits.max_unpacked_size};
    rc = faas_buildctx_add_zip(ctx, d->spec->zip, d->spec->zip_len, &limits, err);
    if (rc == FAAS_EINVAL || rc == FAAS_ETOOLARGE)
        *failed = rc == FAAS_ETOOLARGE ? FAAS_BUILDCTX_ZIP_TOO_LARGE : FAAS_BUILDCTX_BAD_ZIP;
    /* Docker's labels= parameter costs one build step (a container) per label: LABEL lines carry them. */
    faas_buildctx_labels_t labels = {.instance = d->s->app->instance, .kind = "service", .function = d->spec->name,
                                     .build_id = d->build_id};
    if (rc == FAAS_OK)
        rc = faas_buildctx_add_dockerfile(ctx, dockerfile, len, &labels, err);
    if (rc == FAAS_OK)
        rc = faas_buildctx_finish(ctx, &d->tar, &d->tar_len, err);
    faas_buildctx_dispose(ctx);
    free(dockerfile);
    free(d->spec->zip); /* the tar holds it now */
    d->spec->zip = NULL;
    return rc;
}

/* The folders of the function's own volumes, made now (Docker would make them root-owned), never through a
 * symlink; and no container of the function may hold a writable folder around them (or they around its). */
static faas_err_t make_volume_dirs(deploy_t *d, const faas_config_t *cfg, const char **failed, faas_error_t *err)
{
    faas_err_t rc = faas_service__volumes_apart(d->s, d->spec->name, d->spec->binds, err);
    if (rc == FAAS_OK)
        rc = faas_service__volume_dirs(cfg, d->spec->name, d->spec->binds, err);
    if (rc == FAAS_ECONFLICT || rc == FAAS_EFORBIDDEN)
        *failed = "Volume not allowed";
    return rc;
}

/* The tag may name an image faas built for this function, or none yet. */
static faas_err_t check_tag(faas_services_t *s, const char *name, const char *tag, faas_error_t *err)
{
    cJSON *image = NULL;
    faas_err_t rc = faas_docker_image_inspect(s->app->docker, tag, &image, err);
    if (rc == FAAS_ENOTFOUND)
        return FAAS_OK;
    if (rc != FAAS_OK)
        return rc;
    cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(image, "Config"), "Labels");
    const char *owner = cJSON_GetStringValue(cJSON_GetObjectItem(labels, FAAS_LABEL_FUNCTION));
    const char *instance = cJSON_GetStringValue(cJSON_GetObjectItem(labels, FAAS_LABEL_INSTANCE));
    if (owner == NULL)
        rc = faas_error_set(err, FAAS_ECONFLICT, "tag '%s' names an image faas does not own", tag);
    else if (instance == NULL || strcmp(instance, s->app->instance) != 0)
        rc = faas_error_set(err, FAAS_ECONFLICT, "tag '%s' names an image of another faas instance", tag);
    else if (strcmp(owner, name) != 0)
        rc = faas_error_set(err, FAAS_ECONFLICT, "tag '%s' names the image of function '%s'", tag, owner);
    cJSON_Delete(image);
    return rc;
}

static faas_err_t on_new_build(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    deploy_t *d = cbdata;
    if (fn->kind != FAAS_KIND_SERVICE)
        return faas_error_set(err, FAAS_ECONFLICT, "'%s' is a job function", fn->name);
    if (fn->image_id == NULL)
        fn->status = FAAS_FUNCTION_BUILDING; /* else the version that serves keeps its status; the build has its own */
    fn->updated_at = faas_clock_now_ms();
    fn->build.status = FAAS_BUILD_BUILDING;
    fn->build.started_at = fn->updated_at;
    fn->build.finished_at = 0;
    faas_err_t rc = set_string(&fn->build.id, d->build_id, err);
    if (rc == FAAS_OK)
        rc = set_string(&fn->build.error, NULL, err);
    if (rc == FAAS_OK && fn->image_id == NULL)
        rc = take_spec(fn, d->spec, err); /* nothing serves yet: the record shows the upload */
    return rc;
}

/* Writes the build into the record (new or existing) and the build table. */
static faas_err_t record_build(deploy_t *d, faas_function_t *out, faas_error_t *err)
{
    faas_store_t *store = d->s->app->store;
    faas_function_t fn = {0};
    int created = 0;
    faas_err_t rc = faas_store_function_get(store, d->spec->name, &fn, err);
    if (rc == FAAS_ENOTFOUND) {
        char id[FAAS_UUID_LEN];
        faas_uuid_new(id);
        fn = (faas_function_t){.id = strdup(id), .name = strdup(d->spec->name), .kind = FAAS_KIND_SERVICE,
                               .created_at = faas_clock_now_ms()};
        rc = on_new_build(&fn, d, err);
        if (rc == FAAS_OK)
            created = (rc = faas_store_function_create(store, &fn, err)) == FAAS_OK;
    } else if (rc == FAAS_OK) {
        d->serves = fn.image_id != NULL;
        d->old_port = d->serves ? fn.port : 0;
        d->old_image = fn.image_id ? strdup(fn.image_id) : NULL;
        if (!d->spec->env_given && fn.kind == FAAS_KIND_SERVICE) {
            /* A redeploy without env keeps the function's env; one with env replaces it. */
            faas_env_free(d->spec->env, d->spec->env_len);
            d->spec->env_len = 0;
            if ((rc = faas_env_copy(fn.env, fn.env_len, &d->spec->env, err)) == FAAS_OK)
                d->spec->env_len = fn.env_len;
        }
        if (rc == FAAS_OK && !d->spec->secrets_given && fn.kind == FAAS_KIND_SERVICE) { /* likewise secrets */
            faas_secret_names_free(d->spec->secrets, d->spec->n_secrets);
            d->spec->n_secrets = 0;
            if ((rc = faas_secret_names_copy(fn.secrets, fn.n_secrets, &d->spec->secrets, err)) == FAAS_OK)
                d->spec->n_secrets = fn.n_secrets;
        }
        if (rc == FAAS_OK && !d->spec->placement_given && fn.kind == FAAS_KIND_SERVICE) { /* likewise placement */
            faas_secret_names_free(d->spec->placement, d->spec->n_placement);
            d->spec->n_placement = 0;
            if ((rc = faas_secret_names_copy(fn.placement, fn.n_placement, &d->spec->placement, err)) == FAAS_OK)
                d->spec->n_placement = fn.n_placement;
        }
        if (fn.kind == FAAS_KIND_SERVICE) { /* likewise scale settings, memory and cpus the upload did not give */
            faas_scale_copy(&d->spec->scale, &fn.scale, FAAS_SCALE_ALL & ~d->spec->scale_given);
            d->spec->memory = d->spec->memory_given ? d->spec->memory : fn.memory;
            d->spec->nano_cpus = d->spec->cpus_given ? d->spec->nano_cpus : fn.nano_cpus;
        }
        faas_function_free(&fn);
        if (rc == FAAS_OK)
            rc = faas_store_function_update(store, d->spec->name, on_new_build, d, &fn, err);
    }
    faas_build_t b = {.id = d->build_id, .function = d->spec->name, .status = FAAS_BUILD_BUILDING,
                      .started_at = faas_clock_now_ms()};
    if (rc == FAAS_OK && (rc = faas_store_build_put(store, &b, err)) != FAAS_OK && created)
        faas_store_function_delete(store, d->spec->name, NULL); /* a new record without its build: take it back */
    if (rc == FAAS_OK)
        *out = fn;
    else
        faas_function_free(&fn);
    return rc;
}

faas_err_t faas_deploy_start(faas_services_t *s, faas_deploy_spec_t *spec, faas_function_t *out, const char **failed,
                             faas_error_t *err)
{
    const char *what = NULL;
    if (failed == NULL)
        failed = &what;
    *failed = NULL;
    deploy_t *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        faas_deploy_spec_free(spec);
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    }
    d->s = s;
    d->spec = spec;
    faas_uuid_new(d->build_id);
    faas_config_t *cfg = faas_service__config(s);
    char owner[64];
    faas_err_t rc = faas_fnlock_take(s->app->locks, spec->name, d->build_id, err);
    if (rc != FAAS_OK) {
        faas_config_unref(cfg);
        deploy_free(d);
        return rc;
    }
    rc = make_context(d, cfg, failed, err);
    if (rc == FAAS_OK)
        rc = check_tag(s, spec->name, spec->tag, err);
    if (rc == FAAS_OK)
        rc = make_volume_dirs(d, cfg, failed, err);
    if (rc == FAAS_OK && spec->port > 0) { /* port 0: no loopback port, the subdomain only */
        d->claimed_port = !faas_proxy_port_owner(s->app->proxy, spec->port, owner, sizeof(owner));
        rc = faas_proxy_reserve_port(s->app->proxy, spec->port, spec->name, err);
        if (rc != FAAS_OK)
            d->claimed_port = 0;
    }
    if (rc == FAAS_OK)
        rc = record_build(d, out, err);
    if (rc == FAAS_OK && !d->serves)
        faas_proxy_publish(s->app->proxy, s->app->store, NULL, NULL); /* the route appears, answering 503 */
    if (rc == FAAS_OK && faas_pool_submit(s->app->pool, NULL, deploy_run, NULL, d) != 0) {
        faas_function_free(out);
        rc = faas_error_set(err, FAAS_EUNAVAIL, "the server is shutting down");
    }
    faas_config_unref(cfg);
    if (rc != FAAS_OK) {
        if (d->claimed_port && (d->old_port != spec->port))
            faas_proxy_release_port(s->app->proxy, spec->port, spec->name);
        faas_fnlock_release(s->app->locks, spec->name);
        deploy_free(d);
        return rc;
    }
    faas_log_info("deploy %s: build %.8s queued", spec->name, d->build_id);
    return FAAS_OK;
}

/* ---- a rollout: a kept image with given settings, without a build ---- */

/* Checks and prepares d to bring image back with d->spec: the image is still there, the port, the volumes. */
static faas_err_t prepare_rollout(deploy_t *d, const faas_function_t *cur, const char *image, faas_error_t *err)
{
    faas_services_t *s = d->s;
    cJSON *inspected = NULL;
    faas_err_t rc = faas_docker_image_inspect(s->app->docker, image, &inspected, err);
    cJSON_Delete(inspected);
    if (rc == FAAS_ENOTFOUND)
        return faas_error_set(err, FAAS_ECONFLICT, "the image of revision %lld is gone", (long long)d->revision);
    if (rc != FAAS_OK)
        return rc;
    if ((d->old_image = strdup(cur->image_id)) == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    d->serves = 1;
    d->old_port = cur->port;
    if (d->spec->port > 0 && d->spec->port != cur->port) {
        char owner[64];
        d->claimed_port = !faas_proxy_port_owner(s->app->proxy, d->spec->port, owner, sizeof(owner));
        if ((rc = faas_proxy_reserve_port(s->app->proxy, d->spec->port, cur->name, err)) != FAAS_OK)
            d->claimed_port = 0;
    }
    const char *failed = NULL;
    faas_config_t *cfg = faas_service__config(s);
    if (rc == FAAS_OK)
        rc = make_volume_dirs(d, cfg, &failed, err);
    faas_config_unref(cfg);
    return rc;
}

faas_err_t faas_service__rollout(faas_services_t *s, const faas_function_t *cur, faas_deploy_spec_t *spec,
                                 const char *image, int64_t revision, const char *lock_id, faas_error_t *err)
{
    deploy_t *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        faas_deploy_spec_free(spec);
        faas_fnlock_release(s->app->locks, cur->name);
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    }
    *d = (deploy_t){.s = s, .spec = spec, .rollback = 1, .revision = revision};
    snprintf(d->build_id, sizeof(d->build_id), "%s", lock_id); /* labels the replicas, as a build's would */
    faas_err_t rc = prepare_rollout(d, cur, image, err);
    if (rc == FAAS_OK)
        rc = start_replicas(d, image, err);
    if (rc == FAAS_OK) {
        faas_config_t *cfg = faas_service__config(s);
        switch_to(d, image, cfg); /* releases the function's lock */
        faas_config_unref(cfg);
    } else {
        for (size_t i = 0; i < d->next.n_replicas; i++)
            faas_service__remove(s, d->next.replicas[i].id, NULL);
        if (d->claimed_port)
            faas_proxy_release_port(s->app->proxy, d->spec->port, cur->name);
        faas_fnlock_release(s->app->locks, cur->name);
    }
    deploy_free(d);
    return rc;
}
