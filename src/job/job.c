/*
 * job.c: submitting and deleting job functions (see job.h; executions are
 * in execute.c). Worker threads only: every function blocks on Docker or
 * LMDB writes.
 *
 * DESIGN
 * - Submit builds like a deploy (the runtime's Dockerfile with faas's labels,
 *   an internal image name), but answers only after the build.
 *   A new image replaces the old one only once it is built; the record (and
 *   its functionId) stays, and containers waiting with the old image go.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/core/stats.h"
#include "faas/service/runtimes.h"
#include "faas/core/labels.h"
#include "faas/core/uuid.h"
#include "faas/job/job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- submit ---------------------------------------------------------------------------- */

static void on_build_line(void *cbdata, const char *text, size_t len)
{
    faas_log_tail_add(cbdata, text, len); /* the end of the log, for the answer when the build fails */
}

/* The build context: the zip's files, checked, and the runtime's Dockerfile with faas's labels. */
static faas_err_t make_context(faas_app_t *app, const faas_config_t *cfg, const char *name, const char *build_id,
                               void *zip, size_t len, faas_buildctx_t *ctx, faas_detect_result_t *det,
                               faas_error_t *err)
{
    faas_buildctx_zip_limits_t limits = {.max_bytes = (uint64_t)cfg->limits.max_unpacked_size};
    faas_err_t rc = faas_buildctx_add_zip(ctx, zip, len, &limits, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_detect_language(ctx, det, err);
    if (rc != FAAS_OK)
        return FAAS_ENOTFOUND; /* told apart by the caller: no handler */
    char *dockerfile = NULL;
    size_t dlen = 0;
    faas_buildctx_labels_t labels = {.instance = app->instance, .kind = "job", .function = name, .build_id = build_id};
    rc = faas_runtimes_read(app->store, cfg->data_dir, det->language, &dockerfile, &dlen, err);
    if (rc == FAAS_OK)
        rc = faas_buildctx_add_dockerfile(ctx, dockerfile, dlen, &labels, err);
    free(dockerfile);
    return rc;
}

static faas_err_t build(faas_app_t *app, const faas_config_t *cfg, const char *name, const char *build_id,
                        faas_buildctx_t *ctx, const faas_detect_result_t *det, char image[FAAS_DOCKER_ID_MAX],
                        faas_log_tail_t *tail, faas_error_t *err)
{
    void *tar = NULL;
    size_t len = 0;
    faas_err_t rc = faas_buildctx_finish(ctx, &tar, &len, err);
    if (rc != FAAS_OK)
        return rc;
    char tag[160], handler[300], function[96];
    snprintf(tag, sizeof(tag), "%s-%s:%.12s", cfg->docker.image_prefix, name, build_id);
    snprintf(function, sizeof(function), FAAS_LABEL_FUNCTION "=%s", name);
    const char *extra[] = {function, NULL}, *leftovers[4];
    snprintf(handler, sizeof(handler), "HANDLER=%s", det->handler);
    const char *args[] = {handler, NULL};
    faas_docker_build_opts_t opts = {.tag = tag, .dockerfile = FAAS_BUILDCTX_DOCKERFILE, .buildargs = det->handler[0] ? args : NULL,
                                     .timeout_ms = (int)cfg->limits.build_timeout_ms, 
                                     .leftovers_labels = faas_app_labels(app, extra, leftovers, 4),
                                     .on_line = on_build_line, .cbdata = tail};
    int64_t started = faas_clock_mono_ms();
    rc = faas_docker_build(app->docker, tar, len, &opts, image, err);
    faas_stats_count(FAAS_STAT_BUILDS, name, rc == FAAS_OK ? "success" : "failure");
    faas_stats_observe(FAAS_STAT_BUILD_SECONDS, name, (double)(faas_clock_mono_ms() - started) / 1000.0);
    free(tar);
    return rc;
}

/* Writes the record: a new one, or the existing job's with its new image. *old_image: what to remove. */
static faas_err_t record_job(faas_app_t *app, const char *name, const faas_detect_result_t *det, const char *image,
                             const char *build_id, char function_id[40], char **old_image, faas_error_t *err)
{
    faas_function_t fn = {0};
    int64_t now = faas_clock_now_ms();
    faas_err_t rc = faas_store_function_get(app->store, name, &fn, err);
    if (rc == FAAS_ENOTFOUND) {
        faas_uuid_new(function_id);
        fn = (faas_function_t){.id = strdup(function_id), .name = strdup(name), .kind = FAAS_KIND_JOB,
                               .created_at = now};
        rc = FAAS_OK;
    } else if (rc == FAAS_OK && fn.kind != FAAS_KIND_JOB) {
        rc = faas_error_set(err, FAAS_ECONFLICT, "'%s' is a service function", name);
    }
    if (rc == FAAS_OK) {
        snprintf(function_id, 40, "%s", fn.id);
        *old_image = fn.image_id; /* handed to the caller */
        fn.image_id = strdup(image);
        free(fn.language);
        fn.language = strdup(det->language);
        free(fn.runtime);
        fn.runtime = strdup(det->language);
        fn.status = FAAS_FUNCTION_RUNNING;
        fn.updated_at = now;
        free(fn.build.id);
        free(fn.build.error);
        fn.build = (faas_build_info_t){.id = strdup(build_id), .status = FAAS_BUILD_SUCCEEDED, .started_at = now,
                                       .finished_at = now};
        rc = faas_store_function_put(app->store, &fn, err);
    }
    faas_function_free(&fn);
    return rc;
}

/* A name no function has yet: "fn-" and 8 hex digits. */
static void unique_name(faas_app_t *app, char out[64])
{
    for (;;) {
        char id[40];
        faas_uuid_new(id);
        snprintf(out, 64, "fn-%.8s", id);
        faas_function_t fn = {0};
        if (faas_store_function_get(app->store, out, &fn, NULL) == FAAS_ENOTFOUND)
            return;
        faas_function_free(&fn);
    }
}

faas_err_t faas_job_submit(faas_app_t *app, const char *name, void *zip, size_t len, faas_job_submitted_t *out,
                           faas_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (name != NULL)
        snprintf(out->name, sizeof(out->name), "%s", name);
    else
        unique_name(app, out->name);
    faas_err_t rc = faas_fnlock_take(app->locks, out->name, NULL, err);
    if (rc != FAAS_OK) {
        free(zip);
        return rc;
    }
    faas_config_t *cfg = faas_app_config(app);
    faas_buildctx_t *ctx = faas_buildctx_create();
    char build_id[40], *old_image = NULL;
    faas_log_tail_t tail = {.len = 0};
    faas_uuid_new(build_id);
    rc = make_context(app, cfg, out->name, build_id, zip, len, ctx, &out->detection, err);
    free(zip);
    if (rc == FAAS_ENOTFOUND) {
        out->failed = "Failed to detect handler file";
        rc = FAAS_EINVAL;
    } else if (rc != FAAS_OK) {
        out->failed = rc == FAAS_ETOOLARGE ? FAAS_BUILDCTX_ZIP_TOO_LARGE : FAAS_BUILDCTX_BAD_ZIP;
    }
    if (rc == FAAS_OK) {
        rc = build(app, cfg, out->name, build_id, ctx, &out->detection, (char *)out->image_id, &tail, err);
        if (rc != FAAS_OK)
            out->failed = rc == FAAS_ETIMEOUT ? "Build timed out" : "Failed to build Docker image";
        if (rc != FAAS_OK && tail.len > 0)
            out->log_tail = strdup(tail.text);
    }
    if (rc == FAAS_OK)
        rc = record_job(app, out->name, &out->detection, out->image_id, build_id, out->function_id, &old_image, err);
    if (rc == FAAS_OK && old_image != NULL && strcmp(old_image, out->image_id) != 0) {
        faas_job__warm_drop(app->warm, out->name); /* they run the old image */
        faas_error_t rmerr = {0};
        if (faas_docker_image_remove(app->docker, old_image, 1, &rmerr) != FAAS_OK)
            faas_log_warn("submit %s: %s", out->name, rmerr.msg); /* cleanup retries it */
    }
    if (rc == FAAS_OK)
        faas_log_info("submit %s: %s, image %.19s", out->name, out->detection.reason, out->image_id);
    free(old_image);
    faas_buildctx_dispose(ctx);
    faas_config_unref(cfg);
    faas_fnlock_release(app->locks, out->name);
    return rc;
}

faas_err_t faas_job_delete(faas_app_t *app, const char *name, faas_error_t *err)
{
    faas_err_t rc = faas_fnlock_take(app->locks, name, NULL, err);
    if (rc != FAAS_OK)
        return rc;
    faas_function_t fn = {0};
    rc = faas_store_function_get(app->store, name, &fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "function not found: %s", name);
    else if (rc == FAAS_OK && fn.kind != FAAS_KIND_JOB)
        rc = faas_error_set(err, FAAS_EINVAL, "'%s' is a service function", name);
    if (rc == FAAS_OK)
        rc = faas_store_function_delete(app->store, fn.name, err); /* its invocations go with it */
    if (rc == FAAS_OK) {
        faas_job__warm_drop(app->warm, fn.name);
        if (fn.image_id != NULL && faas_docker_image_remove(app->docker, fn.image_id, 1, NULL) != FAAS_OK)
            faas_log_warn("delete %s: image %.19s stays for the cleanup task", fn.name, fn.image_id);
    }
    faas_fnlock_release(app->locks, name);
    faas_function_free(&fn);
    return rc;
}

void faas_job_remove_leftovers(faas_app_t *app)
{
    cJSON *list = NULL;
    const char *extra[] = {FAAS_LABEL_KIND "=job", NULL}, *labels[4];
    if (faas_docker_container_list(app->docker, faas_app_labels(app, extra, labels, 4), 1, &list, NULL) != FAAS_OK)
        return;
    cJSON *c;
    cJSON_ArrayForEach(c, list) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(c, "Id"));
        faas_log_info("execute: removing container %.12s left by an earlier run of faas", id ? id : "?");
        faas_docker_container_remove(app->docker, id, 1, NULL);
    }
    cJSON_Delete(list);
}
