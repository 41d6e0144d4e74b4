/*
 * job.c: submitting and executing job functions (see job.h). Worker threads
 * only: every function blocks on Docker or LMDB writes.
 *
 * DESIGN
 * - Submit builds like a deploy (the runtime's Dockerfile with faas's labels,
 *   an internal image name), but answers only after the build.
 *   A new image replaces the old one only once it is built; the record (and
 *   its functionId) stays.
 * - Execute makes a fresh container per call: an input never meets another
 *   call's state. The container has no network, a read-only root with a
 *   small /tmp, no capabilities, no new privileges, the limits of the
 *   policy and an init, as user nobody. It is removed whatever happens,
 *   and its output is read with timestamps so stdout and stderr come back
 *   in the order written.
 */
#include "faas/job.h"
#include "faas/clock.h"
#include "faas/log.h"
#include "faas/runtimes.h"
#include "faas/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#define MAX_ENV 256
#define KILL_WAIT_MS 5000
/* Executions run as nobody: the code needs no privilege, and root in a container is one bug from root outside. */
#define RUN_AS "65534:65534"

static void new_id(char out[40])
{
    uuid_t uu;
    uuid_generate_random(uu);
    uuid_unparse_lower(uu, out);
}

/* ---- submit ---------------------------------------------------------------------------- */

static void on_build_line(void *cbdata, const char *text, size_t len)
{
    faas_log_tail_add(cbdata, text, len); /* the end of the log, for the answer when the build fails */
}

/* The build context: the zip's files, checked, and the runtime's Dockerfile with faas's labels. */
static faas_err_t make_context(faas_app_t *app, const faas_config_t *cfg, const char *name, const char *build_id,
                               void *zip, size_t len, faas_build_context_t *ctx, faas_job_detection_t *det,
                               faas_error_t *err)
{
    faas_build_zip_limits_t limits = {.max_bytes = (uint64_t)cfg->limits.max_unpacked_size};
    faas_err_t rc = faas_build_context_add_zip(ctx, zip, len, &limits, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_job_detect(ctx, det, err);
    if (rc != FAAS_OK)
        return FAAS_ENOTFOUND; /* told apart by the caller: no handler */
    char *dockerfile = NULL;
    size_t dlen = 0;
    faas_build_labels_t labels = {.kind = "job", .function = name, .build_id = build_id};
    rc = faas_runtimes_read(app->store, cfg->data_dir, det->language, &dockerfile, &dlen, err);
    if (rc == FAAS_OK)
        rc = faas_build_context_add_dockerfile(ctx, dockerfile, dlen, &labels, err);
    free(dockerfile);
    return rc;
}

static faas_err_t build(faas_app_t *app, const faas_config_t *cfg, const char *name, const char *build_id,
                        faas_build_context_t *ctx, const faas_job_detection_t *det, char image[FAAS_DOCKER_ID_MAX],
                        faas_log_tail_t *tail, faas_error_t *err)
{
    void *tar = NULL;
    size_t len = 0;
    faas_err_t rc = faas_build_context_finish(ctx, &tar, &len, err);
    if (rc != FAAS_OK)
        return rc;
    char tag[160], handler[300], leftovers[96];
    snprintf(tag, sizeof(tag), "%s-%s:%.12s", cfg->docker.image_prefix, name, build_id);
    snprintf(leftovers, sizeof(leftovers), "faas.function=%s", name);
    snprintf(handler, sizeof(handler), "HANDLER=%s", det->handler);
    const char *args[] = {handler, NULL};
    faas_docker_build_opts_t opts = {.tag = tag, .dockerfile = FAAS_BUILD_DOCKERFILE, .buildargs = det->handler[0] ? args : NULL,
                                     .timeout_ms = (int)cfg->limits.build_timeout_ms, .leftovers_label = leftovers,
                                     .on_line = on_build_line, .cbdata = tail};
    rc = faas_docker_build(app->docker, tar, len, &opts, image, err);
    free(tar);
    return rc;
}

/* Writes the record: a new one, or the existing job's with its new image. *old_image: what to remove. */
static faas_err_t record_job(faas_app_t *app, const char *name, const faas_job_detection_t *det, const char *image,
                             const char *build_id, char function_id[40], char **old_image, faas_error_t *err)
{
    faas_function_t fn = {0};
    int64_t now = faas_clock_now_ms();
    faas_err_t rc = faas_store_function_get(app->store, name, &fn, err);
    if (rc == FAAS_ENOTFOUND) {
        new_id(function_id);
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
        new_id(id);
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
    faas_err_t rc = faas_services_claim(app->services, out->name, err);
    if (rc != FAAS_OK) {
        free(zip);
        return rc;
    }
    faas_config_t *cfg = faas_app_config(app);
    faas_build_context_t *ctx = faas_build_context_create();
    char build_id[40], *old_image = NULL;
    faas_log_tail_t tail = {.len = 0};
    new_id(build_id);
    rc = make_context(app, cfg, out->name, build_id, zip, len, ctx, &out->detection, err);
    free(zip);
    if (rc == FAAS_ENOTFOUND) {
        out->failed = "Failed to detect handler file";
        rc = FAAS_EINVAL;
    } else if (rc != FAAS_OK) {
        out->failed = rc == FAAS_ETOOLARGE ? "File too large" : "Invalid zip file";
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
        faas_error_t rmerr = {0};
        if (faas_docker_image_remove(app->docker, old_image, 1, &rmerr) != FAAS_OK)
            faas_log_warn("submit %s: %s", out->name, rmerr.msg); /* cleanup retries it */
    }
    if (rc == FAAS_OK)
        faas_log_info("submit %s: %s, image %.19s", out->name, out->detection.reason, out->image_id);
    free(old_image);
    faas_build_context_dispose(ctx);
    faas_config_unref(cfg);
    faas_services_release(app->services, out->name);
    return rc;
}

/* ---- execute ----------------------------------------------------------------------------- */

/* The lines of a run's output, as the log API gives them with timestamps. */
typedef struct lines {
    faas_job_line_t *v;
    size_t n, cap;
    int oom;
} lines_t;

/* "2026-11-22T15:26:54.823306496Z text": the time into sec and nsec; returns the text after it. */
static const char *parse_time(const char *p, size_t len, int64_t *sec, int64_t *nsec)
{
    struct tm tm = {0};
    const char *end = len >= 20 ? strptime(p, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    *sec = end != NULL ? (int64_t)timegm(&tm) : 0;
    *nsec = 0;
    if (end == NULL)
        return p;
    int digits = 0;
    if (*end == '.')
        for (end++; end < p + len && *end >= '0' && *end <= '9'; end++, digits++)
            if (digits < 9)
                *nsec = *nsec * 10 + (*end - '0');
    for (; digits < 9; digits++)
        *nsec *= 10;
    if (end < p + len && *end == 'Z')
        end++;
    return end < p + len && *end == ' ' ? end + 1 : end;
}

static void on_line(void *cbdata, int stream, const char *data, size_t len)
{
    lines_t *l = cbdata;
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        faas_job_line_t *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    faas_job_line_t *line = &l->v[l->n];
    const char *text = parse_time(data, len, &line->sec, &line->nsec);
    char *copy = malloc(len - (size_t)(text - data) + 1);
    if (copy == NULL) {
        l->oom = 1;
        return;
    }
    line->len = len - (size_t)(text - data);
    memcpy(copy, text, line->len);
    line->text = copy;
    line->stream = stream;
    l->n++;
}

static void lines_free(lines_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free((char *)l->v[i].text);
    free(l->v);
}

/* The create spec of an execution container; strings live in the caller's arrays. */
static faas_err_t run_spec(const faas_config_t *cfg, const faas_function_t *fn, const char *invocation,
                           const faas_env_var_t *env, size_t n, char **envv, char *labels[5], char *name, size_t nsize,
                           faas_docker_container_spec_t *spec, faas_error_t *err)
{
    if (n + 1 > MAX_ENV)
        return faas_error_set(err, FAAS_EINVAL, "more than %d input variables", MAX_ENV - 1);
    for (size_t i = 0; i < n; i++)
        if (asprintf(&envv[i], "%s=%s", env[i].name, env[i].value) < 0)
            return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (asprintf(&labels[2], "faas.function=%s", fn->name) < 0 || asprintf(&labels[3], "faas.invocation=%s", invocation) < 0)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    labels[0] = "faas.managed=1";
    labels[1] = "faas.kind=job";
    snprintf(name, nsize, "%s-%s-x%.8s", cfg->docker.image_prefix, fn->name, invocation);
    *spec = (faas_docker_container_spec_t){
        .name = name, .image = fn->image_id, .env = (const char *const *)envv, .labels = (const char *const *)labels,
        .network_mode = "none", .memory_bytes = cfg->limits.memory, .nano_cpus = cfg->limits.nano_cpus,
        .pids_limit = cfg->limits.pids, .readonly_rootfs = 1, .tmpfs_tmp = "rw,noexec,nosuid,size=64m",
        .cap_drop_all = 1, .no_new_privileges = 1, .init = 1, .log_max_size = "16m", .user = RUN_AS,
    };
    return FAAS_OK;
}

/* Runs the container to its end or the deadline; returns its exit code (137 when killed). */
static faas_err_t run(faas_app_t *app, const char *id, int64_t timeout_ms, faas_job_result_t *out, faas_error_t *err)
{
    faas_err_t rc = faas_docker_container_start(app->docker, id, err);
    out->started_at_ms = faas_clock_now_ms();
    int64_t t0 = faas_clock_mono_ms();
    if (rc == FAAS_OK)
        rc = faas_docker_container_wait(app->docker, id, (int)timeout_ms, &out->exit_code, err);
    if (rc == FAAS_ETIMEOUT) {
        out->timed_out = 1;
        faas_docker_container_kill(app->docker, id, "SIGKILL", NULL);
        if (faas_docker_container_wait(app->docker, id, KILL_WAIT_MS, &out->exit_code, NULL) != FAAS_OK)
            out->exit_code = 137;
        rc = FAAS_OK;
    }
    out->duration_ms = faas_clock_mono_ms() - t0;
    return rc;
}

static faas_err_t collect_output(faas_app_t *app, const char *id, faas_job_result_t *out, faas_error_t *err)
{
    lines_t lines = {0};
    faas_docker_logs_opts_t opts = {.tail = -1, .timestamps = 1, .whole_frames = 1};
    faas_err_t rc = faas_docker_container_logs_opts(app->docker, id, &opts, on_line, &lines, err);
    if (rc == FAAS_OK && lines.oom)
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory reading the output");
    if (rc == FAAS_OK && (out->output = faas_job_merge_output(lines.v, lines.n, FAAS_JOB_ANSWER_OUTPUT_MAX,
                                                              &out->output_len, &out->truncated)) == NULL)
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory reading the output");
    lines_free(&lines);
    return rc;
}

static faas_err_t on_executed(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    (void)err;
    fn->last_executed = *(int64_t *)cbdata;
    return FAAS_OK;
}

static void record_invocation(faas_app_t *app, const faas_function_t *fn, const faas_job_result_t *r)
{
    faas_error_t err = {0};
    size_t keep = r->output_len < FAAS_JOB_RECORD_OUTPUT_MAX ? r->output_len : FAAS_JOB_RECORD_OUTPUT_MAX;
    char *output = strndup(r->output != NULL ? r->output : "", keep);
    faas_invocation_t inv = {.id = (char *)r->invocation_id, .function_id = fn->id, .started_at = r->started_at_ms,
                             .duration_ms = r->duration_ms, .exit_code = r->exit_code, .output = output,
                             .status = r->timed_out ? FAAS_INVOCATION_TIMEOUT
                                                    : r->exit_code == 0 ? FAAS_INVOCATION_SUCCEEDED : FAAS_INVOCATION_FAILED};
    if (faas_store_invocation_put(app->store, &inv, FAAS_JOB_INVOCATIONS_KEPT, &err) != FAAS_OK)
        faas_log_error("execute %s: cannot record invocation %s: %s", fn->name, r->invocation_id, err.msg);
    free(output);
    int64_t at = r->started_at_ms;
    if (faas_store_function_update(app->store, fn->name, on_executed, &at, NULL, &err) != FAAS_OK)
        faas_log_warn("execute %s: lastExecuted: %s", fn->name, err.msg);
}

/* Creates the container; when a submit replaced the image meanwhile, once more with the new one. */
static faas_err_t create(faas_app_t *app, faas_function_t *fn, faas_docker_container_spec_t *spec,
                         char id[FAAS_DOCKER_ID_MAX], faas_error_t *err)
{
    faas_err_t rc = faas_docker_container_create(app->docker, spec, id, err);
    faas_function_t now = {0};
    if (rc == FAAS_ENOTFOUND && faas_store_function_get_by_id(app->store, fn->id, &now, NULL) == FAAS_OK &&
        now.image_id != NULL && strcmp(now.image_id, fn->image_id) != 0) {
        free(fn->image_id);
        fn->image_id = now.image_id;
        now.image_id = NULL;
        spec->image = fn->image_id;
        rc = faas_docker_container_create(app->docker, spec, id, err);
    }
    faas_function_free(&now);
    if (rc == FAAS_ENOTFOUND) /* not "function not found": its image is gone */
        rc = faas_error_set(err, FAAS_EDOCKER, "the image of '%s' is gone from the engine: submit it again", fn->name);
    return rc;
}

faas_err_t faas_job_execute(faas_app_t *app, const char *function_id, const faas_env_var_t *env, size_t n,
                            faas_job_result_t *out, faas_error_t *err)
{
    memset(out, 0, sizeof(*out));
    faas_function_t fn = {0};
    faas_err_t rc = faas_store_function_get_by_id(app->store, function_id, &fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "function not found: %s", function_id);
    else if (rc == FAAS_OK && (fn.kind != FAAS_KIND_JOB || fn.image_id == NULL))
        rc = faas_error_set(err, FAAS_EINVAL, "'%s' is a service function: call it over HTTP", fn.name);
    if (rc != FAAS_OK) {
        faas_function_free(&fn);
        return rc;
    }
    faas_config_t *cfg = faas_app_config(app);
    char *envv[MAX_ENV] = {0}, *labels[5] = {0}, name[160], id[FAAS_DOCKER_ID_MAX] = "";
    faas_docker_container_spec_t spec;
    new_id(out->invocation_id);
    rc = run_spec(cfg, &fn, out->invocation_id, env, n, envv, labels, name, sizeof(name), &spec, err);
    if (rc == FAAS_OK)
        rc = create(app, &fn, &spec, id, err);
    if (rc == FAAS_OK)
        rc = run(app, id, cfg->limits.run_timeout_ms, out, err);
    if (rc == FAAS_OK)
        rc = collect_output(app, id, out, err);
    if (id[0] != '\0') {
        faas_error_t rmerr = {0};
        if (faas_docker_container_remove(app->docker, id, 1, &rmerr) != FAAS_OK) /* whatever happened */
            faas_log_warn("execute %s: %s", fn.name, rmerr.msg);
    }
    if (rc == FAAS_OK)
        record_invocation(app, &fn, out);
    for (size_t i = 0; i < MAX_ENV && envv[i] != NULL; i++)
        free(envv[i]);
    free(labels[2]);
    free(labels[3]);
    faas_function_free(&fn);
    faas_config_unref(cfg);
    return rc;
}

faas_err_t faas_job_delete(faas_app_t *app, const char *function_id, faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = faas_store_function_get_by_id(app->store, function_id, &fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "function not found: %s", function_id);
    if (rc == FAAS_OK && fn.kind == FAAS_KIND_SERVICE)
        rc = faas_service_delete(app->services, fn.name, err);
    else if (rc == FAAS_OK && (rc = faas_services_claim(app->services, fn.name, err)) == FAAS_OK) {
        rc = faas_store_function_delete(app->store, fn.name, err); /* its invocations go with it */
        if (rc == FAAS_OK && fn.image_id != NULL && faas_docker_image_remove(app->docker, fn.image_id, 1, NULL) != FAAS_OK)
            faas_log_warn("delete %s: image %.19s stays for the cleanup job", fn.name, fn.image_id);
        faas_services_release(app->services, fn.name);
    }
    faas_function_free(&fn);
    return rc;
}

void faas_job_result_free(faas_job_result_t *r)
{
    free(r->output);
    r->output = NULL;
}

void faas_job_remove_leftovers(faas_app_t *app)
{
    cJSON *list = NULL;
    if (faas_docker_container_list(app->docker, "faas.kind=job", 1, &list, NULL) != FAAS_OK)
        return;
    cJSON *c;
    cJSON_ArrayForEach(c, list) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(c, "Id"));
        faas_log_info("execute: removing container %.12s left by an earlier run of faas", id ? id : "?");
        faas_docker_container_remove(app->docker, id, 1, NULL);
    }
    cJSON_Delete(list);
}
