/*
 * execute.c: executing a job function once (see execute.h): a container with
 * the call's input as its environment, run to its end or its deadline, its
 * output, an invocation record. Worker threads only: every call blocks.
 *
 * DESIGN
 * - Each call gets a container of its own: an input never meets another
 *   call's state. It is one started ahead by warm.c when one waits, else
 *   made now; either way it has the same sandbox (sandbox.c), and
 *   it is removed whatever happens.
 * - The output is read from the container's log with timestamps, so stdout
 *   and stderr written separately come back in time order (the built-in
 *   runtimes join them in one pipe, which keeps the exact order).
 */
#include "internal.h"
#include "faas/core/labels.h"
#include "faas/core/uuid.h"
#include "faas/job/execute.h"
#include "faas/job/output.h"
#include "faas/store/store.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/core/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KILL_WAIT_MS 5000

/* ---- starting the run ---------------------------------------------------------------------- */

/* Creates the container; when a submit replaced the image meanwhile, once more with the new one. */
static faas_err_t create(faas_app_t *app, faas_function_t *fn, faas_job__sandbox_t *spec, char id[FAAS_DOCKER_ID_MAX],
                         faas_error_t *err)
{
    faas_err_t rc = faas_docker_container_create(app->docker, &spec->docker, id, err);
    faas_function_t now = {0};
    if (rc == FAAS_ENOTFOUND && faas_store_function_get_by_id(app->store, fn->id, &now, NULL) == FAAS_OK &&
        now.image_id != NULL && strcmp(now.image_id, fn->image_id) != 0) {
        free(fn->image_id);
        fn->image_id = now.image_id;
        now.image_id = NULL;
        spec->docker.image = fn->image_id;
        rc = faas_docker_container_create(app->docker, &spec->docker, id, err);
    }
    faas_function_free(&now);
    if (rc == FAAS_ENOTFOUND) /* not "function not found": its image is gone */
        rc = faas_error_set(err, FAAS_EDOCKER, "the image of '%s' is gone from the engine: submit it again", fn->name);
    return rc;
}

/* A container made for this call, started. */
static faas_err_t start_new(faas_app_t *app, const faas_config_t *cfg, faas_function_t *fn, const char *invocation,
                            const faas_env_var_t *env, size_t n, char id[FAAS_DOCKER_ID_MAX], faas_error_t *err)
{
    faas_job__sandbox_t spec;
    char suffix[16], label[80];
    snprintf(suffix, sizeof(suffix), "x%.8s", invocation);
    snprintf(label, sizeof(label), FAAS_LABEL_INVOCATION "=%s", invocation);
    faas_err_t rc = faas_job__sandbox_init(&spec, app, cfg, fn->name, fn->image_id, suffix, label, env, n, err);
    if (rc == FAAS_OK)
        rc = create(app, fn, &spec, id, err);
    if (rc == FAAS_OK)
        rc = faas_docker_container_start(app->docker, id, err);
    faas_job__sandbox_free(&spec);
    return rc;
}

/* A container started ahead, given the input: 0, or -1 when there was none (or it failed: removed). */
static int start_warm(faas_app_t *app, const faas_function_t *fn, const faas_env_var_t *env, size_t n,
                      faas_job__slot_t *slot)
{
    if (faas_job__warm_take(app->warm, fn->name, fn->image_id, slot) != 0)
        return -1;
    faas_error_t err = {0};
    if (faas_job__warm_deliver(slot, env, n, &err) == FAAS_OK)
        return 0;
    faas_log_warn("execute %s: %s; making a container for the call", fn->name, err.msg);
    faas_docker_container_remove(app->docker, slot->id, 1, NULL);
    faas_job__warm_release(slot);
    return -1;
}

/* Waits for the end or the deadline; past it, kills. exit_code 137 when killed without an answer. */
static faas_err_t wait_end(faas_app_t *app, const char *id, int64_t timeout_ms, faas_execute_result_t *out, faas_error_t *err)
{
    int64_t t0 = faas_clock_mono_ms();
    faas_err_t rc = faas_docker_container_wait(app->docker, id, (int)timeout_ms, &out->exit_code, err);
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

/* ---- output and record ------------------------------------------------------------------------ */

/* The lines of a run's output, as the log API gives them with timestamps. */
typedef struct lines {
    faas_output_line_t *v;
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
        faas_output_line_t *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    faas_output_line_t *line = &l->v[l->n];
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

static faas_err_t collect_output(faas_app_t *app, const char *id, faas_execute_result_t *out, faas_error_t *err)
{
    lines_t lines = {0};
    faas_docker_logs_opts_t opts = {.tail = -1, .timestamps = 1, .whole_frames = 1};
    faas_err_t rc = faas_docker_container_logs_opts(app->docker, id, &opts, on_line, &lines, err);
    if (rc == FAAS_OK && lines.oom)
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory reading the output");
    if (rc == FAAS_OK && (out->output = faas_output_merge(lines.v, lines.n, FAAS_EXECUTE_ANSWER_OUTPUT_MAX,
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

static void record_invocation(faas_app_t *app, const faas_function_t *fn, const faas_execute_result_t *r)
{
    faas_error_t err = {0};
    size_t keep = r->output_len < FAAS_EXECUTE_RECORD_OUTPUT_MAX ? r->output_len : FAAS_EXECUTE_RECORD_OUTPUT_MAX;
    char *output = strndup(r->output != NULL ? r->output : "", keep);
    faas_invocation_t inv = {.id = (char *)r->invocation_id, .function_id = fn->id, .started_at = r->started_at_ms,
                             .duration_ms = r->duration_ms, .exit_code = r->exit_code, .output = output,
                             .status = r->timed_out ? FAAS_INVOCATION_TIMEOUT
                                                    : r->exit_code == 0 ? FAAS_INVOCATION_SUCCEEDED : FAAS_INVOCATION_FAILED};
    if (faas_store_invocation_put(app->store, &inv, FAAS_EXECUTE_INVOCATIONS_KEPT, &err) != FAAS_OK)
        faas_log_error("execute %s: cannot record invocation %s: %s", fn->name, r->invocation_id, err.msg);
    free(output);
    int64_t at = r->started_at_ms;
    if (faas_store_function_update(app->store, fn->name, on_executed, &at, NULL, &err) != FAAS_OK)
        faas_log_warn("execute %s: lastExecuted: %s", fn->name, err.msg);
}

/* ---- one call ------------------------------------------------------------------------------- */

static faas_err_t job_of(faas_app_t *app, const char *function_id, faas_function_t *fn, faas_error_t *err)
{
    faas_err_t rc = faas_store_function_find(app->store, function_id, fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "function not found: %s", function_id);
    else if (rc == FAAS_OK && (fn->kind != FAAS_KIND_JOB || fn->image_id == NULL))
        rc = faas_error_set(err, FAAS_EINVAL, "'%s' is a service function: call it over HTTP", fn->name);
    return rc;
}

faas_err_t faas_execute(faas_app_t *app, const char *function_id, const faas_env_var_t *env, size_t n,
                            faas_execute_result_t *out, faas_error_t *err)
{
    memset(out, 0, sizeof(*out));
    faas_function_t fn = {0};
    faas_err_t rc = job_of(app, function_id, &fn, err);
    if (rc != FAAS_OK) {
        faas_function_free(&fn);
        return rc;
    }
    faas_config_t *cfg = faas_app_config(app);
    faas_job__slot_t slot = {.id = ""};
    char id[FAAS_DOCKER_ID_MAX] = "";
    faas_uuid_new(out->invocation_id);
    int warm = start_warm(app, &fn, env, n, &slot) == 0;
    if (warm)
        memcpy(id, slot.id, sizeof(id));
    else
        rc = start_new(app, cfg, &fn, out->invocation_id, env, n, id, err);
    out->started_at_ms = faas_clock_now_ms();
    faas_job__warm_refill(app->warm, fn.name, fn.image_id, !warm); /* in the background, for the next calls */
    if (rc == FAAS_OK)
        rc = wait_end(app, id, cfg->limits.run_timeout_ms, out, err);
    if (rc == FAAS_OK)
        rc = collect_output(app, id, out, err);
    if (id[0] != '\0') {
        faas_error_t rmerr = {0};
        if (faas_docker_container_remove(app->docker, id, 1, &rmerr) != FAAS_OK) /* whatever happened */
            faas_log_warn("execute %s: %s", fn.name, rmerr.msg);
    }
    if (warm)
        faas_job__warm_release(&slot);
    if (rc == FAAS_OK)
        record_invocation(app, &fn, out);
    snprintf(out->function_name, sizeof(out->function_name), "%s", fn.name);
    faas_stats_count(FAAS_STAT_JOBS, fn.name, rc != FAAS_OK ? "failure" : out->timed_out ? "timeout"
                                              : out->exit_code != 0 ? "error" : "success");
    if (rc == FAAS_OK)
        faas_stats_observe(FAAS_STAT_JOB_SECONDS, fn.name, (double)out->duration_ms / 1000.0);
    faas_function_free(&fn);
    faas_config_unref(cfg);
    return rc;
}

void faas_execute_result_free(faas_execute_result_t *r)
{
    free(r->output);
    r->output = NULL;
}
