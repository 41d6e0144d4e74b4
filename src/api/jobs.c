/*
 * jobs.c (api): the job-function routes of seed 002.
 *   POST       /api/submit                       multipart code (zip)[, name] -> {"functionId","imageId","message"}
 *   GET|POST   /api/execute                      ?functionId= | {"functionId","input":{...}} -> the run's answer
 *   GET        /api/functions                    the job functions
 *   GET        /api/functions/:id/invocations    newest first (?limit=N)
 *   GET|DELETE /api/functions/<id>               one function / delete it
 *   GET        /api/invocations/:id              one invocation
 * Wherever a functionId is taken, the function's name is taken too. Input
 * is checked on the loop; builds, runs and deletes go to the worker pool.
 * Times are Unix seconds, as everywhere in the API.
 */
#include "faas/api/api.h"
#include "faas/http/defer.h"
#include "faas/http/reply.h"
#include "faas/http/request.h"
#include "faas/api/form.h"
#include "faas/core/clock.h"
#include "faas/core/stats.h"
#include "faas/job/execute.h"
#include "faas/job/input.h"
#include "faas/job/job.h"
#include "faas/service/service.h"
#include "faas/store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_INVOCATIONS 50
#define MAX_INVOCATIONS 1000

/* The seed's function shape: functionId, imageId, language, createdAt, lastExecuted, name (+ kind, status). */
static cJSON *function_json(const faas_function_t *fn)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "functionId", fn->id);
    if (fn->image_id != NULL)
        cJSON_AddStringToObject(o, "imageId", fn->image_id);
    if (fn->language != NULL)
        cJSON_AddStringToObject(o, "language", fn->language);
    cJSON_AddNumberToObject(o, "createdAt", (double)(fn->created_at / 1000));
    if (fn->last_executed > 0)
        cJSON_AddNumberToObject(o, "lastExecuted", (double)(fn->last_executed / 1000));
    cJSON_AddStringToObject(o, "name", fn->name);
    cJSON_AddStringToObject(o, "kind", faas_kind_name(fn->kind));
    cJSON_AddStringToObject(o, "status", faas_function_status_name(fn->status));
    return o;
}

/* The id in the path: 404 when it cannot be a functionId or invocation id. */
static int id_or_reply(h2o_req_t *req, h2o_iovec_t v, char *id, size_t size, const char *what)
{
    if (v.len == 0 || v.len >= size || memchr(v.base, '/', v.len) != NULL) {
        char details[96];
        snprintf(details, sizeof(details), "%s not found: %.*s", what, (int)(v.len > 60 ? 60 : v.len), v.base);
        faas_reply_error(req, 404, what[0] == 'f' ? "Function not found" : "Invocation not found", details);
        return -1;
    }
    memcpy(id, v.base, v.len);
    id[v.len] = '\0';
    return 0;
}

/* ---- POST /api/submit ------------------------------------------------------------------ */

typedef struct submit {
    faas_app_t *app;
    char *name;   /* NULL: a new unique name */
    void *zip;    /* taken by faas_job_submit */
    size_t len;
} submit_t;

static void free_submit(void *data)
{
    submit_t *s = data;
    free(s->name);
    free(s->zip);
    free(s);
}

static void do_submit(void *data, faas_defer_result_t *res)
{
    submit_t *s = data;
    faas_job_submitted_t out;
    void *zip = s->zip;
    s->zip = NULL;
    res->rc = faas_job_submit(s->app, s->name, zip, s->len, &out, &res->err);
    if (res->rc != FAAS_OK) {
        res->message = out.failed;
        if (res->rc == FAAS_EDOCKER || res->rc == FAAS_EINVAL) {
            if (res->rc == FAAS_EDOCKER)
                res->error_status = 500; /* the build failed: the seed's 500, with the log's end */
            if (out.log_tail != NULL)
                snprintf(res->err.msg + strlen(res->err.msg), sizeof(res->err.msg) - strlen(res->err.msg),
                         "\n%s", out.log_tail + (strlen(out.log_tail) > 400 ? strlen(out.log_tail) - 400 : 0));
        }
        free(out.log_tail);
        return;
    }
    char message[128];
    snprintf(message, sizeof(message), "Function '%s' deployed successfully", out.name);
    res->json = cJSON_CreateObject();
    cJSON_AddStringToObject(res->json, "functionId", out.function_id);
    cJSON_AddStringToObject(res->json, "imageId", out.image_id);
    cJSON_AddStringToObject(res->json, "message", message);
    cJSON_AddStringToObject(res->json, "name", out.name);
    cJSON_AddStringToObject(res->json, "language", out.detection.language);
    cJSON_AddStringToObject(res->json, "detection", out.detection.reason);
}

static int on_submit(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    faas_multipart_t *form = NULL;
    if (faas_form_or_reply(req, &form) != 0)
        return 0;
    const faas_multipart_part_t *code = faas_multipart_get(form, "code"), *name = faas_multipart_get(form, "name");
    int64_t max = faas_loop_config(loop)->limits.max_file_size;
    submit_t *s = calloc(1, sizeof(*s));
    int rc = 0;
    if (s == NULL) {
        rc = faas_reply_error(req, 500, "Internal server error", NULL) - 1;
    } else if (code == NULL || code->len == 0) {
        rc = faas_reply_error(req, 400, "Failed to retrieve zip file", "the form has no 'code' file") - 1;
    } else if (faas_form_zip_or_reply(req, code, max) != 0) {
        rc = -1;
    } else if (name != NULL && name->len > 0 &&
               ((s->name = strndup(name->data, name->len)) == NULL || !faas_record_valid_name(s->name))) {
        rc = faas_reply_error(req, 400, "Invalid function name",
                                 "a name is a DNS label: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'") - 1;
    } else if ((s->zip = malloc(code->len)) == NULL) {
        rc = faas_reply_error(req, 500, "Internal server error", NULL) - 1;
    }
    if (rc == 0) {
        memcpy(s->zip, code->data, code->len); /* the body goes with the request; the build outlives it */
        s->len = code->len;
        s->app = loop->app;
    }
    faas_multipart_free(form);
    if (rc != 0) {
        free_submit(s);
        return 0;
    }
    return faas_defer_answer(loop, req, do_submit, s, free_submit);
}

/* ---- GET|POST /api/execute --------------------------------------------------------------- */

typedef struct execute {
    faas_app_t *app;
    char function_id[160];
    faas_env_var_t *env;
    size_t n;
    int counted;  /* still holds one of app->executions */
    int64_t started_ms; /* faas_clock_mono_ms() when the request was taken */
} execute_t;

/* Gives back the execution's slot: as soon as its container is gone, so the next caller can have it. */
static void release_slot(execute_t *e)
{
    if (e->counted)
        atomic_fetch_sub(&e->app->executions, 1);
    e->counted = 0;
}

static void free_execute(void *data)
{
    execute_t *e = data;
    release_slot(e); /* when the work never ran */
    faas_env_free(e->env, e->n);
    free(e);
}

/* The run's answer: 200 with the output, 500 on a non-zero exit, 504 when it was killed. */
static cJSON *run_json(const faas_execute_result_t *r, int *status)
{
    char details[96];
    cJSON *o;
    if (r->timed_out) {
        *status = 504;
        snprintf(details, sizeof(details), "killed after %lld ms (limits.run_timeout, DOCKER_RUN_TIMEOUT)",
                 (long long)r->duration_ms);
        o = faas_reply_error_json(504, "Function execution timed out", details);
    } else if (r->exit_code != 0) {
        *status = 500;
        snprintf(details, sizeof(details), "the function exited with code %d", r->exit_code);
        o = faas_reply_error_json(500, "Function execution failed", details);
    } else {
        *status = 200;
        o = cJSON_CreateObject();
    }
    cJSON_AddStringToObject(o, "output", r->output != NULL ? r->output : "");
    cJSON_AddNumberToObject(o, "statusCode", *status);
    cJSON_AddNumberToObject(o, "executedAt", (double)(r->started_at_ms / 1000));
    cJSON_AddNumberToObject(o, "exitCode", r->exit_code);
    cJSON_AddNumberToObject(o, "durationMs", (double)r->duration_ms);
    cJSON_AddStringToObject(o, "invocationId", r->invocation_id);
    if (r->truncated)
        cJSON_AddBoolToObject(o, "truncated", 1);
    return o;
}

/* An execution counts as an invocation of its function, as OpenFaaS counts job calls: by the
 * status this answer will have (GET /metrics adds them to gateway_function_invocation_total). */
static void count_invocation(const execute_t *e, const faas_execute_result_t *r, const faas_defer_result_t *res)
{
    if (r->function_name[0] == '\0')
        return; /* no such job function */
    char code[8];
    snprintf(code, sizeof(code), "%d", res->rc == FAAS_OK ? res->status : faas_err_http_status(res->rc));
    faas_stats_count(FAAS_STAT_INVOCATIONS, r->function_name, code);
    faas_stats_observe(FAAS_STAT_INVOCATION_SECONDS, r->function_name,
                       (double)(faas_clock_mono_ms() - e->started_ms) / 1000.0);
}

static void do_execute(void *data, faas_defer_result_t *res)
{
    execute_t *e = data;
    faas_execute_result_t r;
    res->rc = faas_execute(e->app, e->function_id, e->env, e->n, &r, &res->err);
    release_slot(e);
    if (res->rc == FAAS_ENOTFOUND)
        res->message = "Function not found";
    else if (res->rc != FAAS_OK)
        res->message = "Function execution failed";
    else
        res->json = run_json(&r, &res->status);
    count_invocation(e, &r, res);
    faas_execute_result_free(&r);
}

/* functionId and input from the query (GET) or the JSON body (POST); answers 400 itself. */
static int read_request_or_reply(h2o_req_t *req, execute_t *e)
{
    faas_error_t err = {0};
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"))) {
        if (faas_request_query(req, "functionId", e->function_id, sizeof(e->function_id)) <= 0)
            return faas_reply_error(req, 400, "Missing function ID", "The 'functionId' query parameter is required") - 1;
        return 0;
    }
    cJSON *body = req->entity.len > 0 ? cJSON_ParseWithLength(req->entity.base, req->entity.len) : NULL;
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(body, "functionId"));
    int rc = 0;
    if (body == NULL || !cJSON_IsObject(body))
        rc = faas_reply_error(req, 400, "Invalid request body", req->entity.len ? "the body is not a JSON object" : "the body is empty") - 1;
    else if (id == NULL || id[0] == '\0' || strlen(id) >= sizeof(e->function_id))
        rc = faas_reply_error(req, 400, "Missing function ID", "The 'functionId' field is required") - 1;
    else if (faas_input_to_env(cJSON_GetObjectItem(body, "input"), &e->env, &e->n, &err) != FAAS_OK)
        rc = faas_reply_error(req, 400, "Invalid request body", err.msg) - 1;
    else
        snprintf(e->function_id, sizeof(e->function_id), "%s", id);
    cJSON_Delete(body);
    return rc;
}

static int on_execute(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    execute_t *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return faas_reply_error(req, 500, "Internal server error", NULL);
    if (read_request_or_reply(req, e) != 0) {
        faas_env_free(e->env, e->n);
        free(e);
        return 0;
    }
    int64_t limit = faas_loop_config(loop)->limits.containers;
    if (atomic_fetch_add(&loop->app->executions, 1) >= limit) {
        atomic_fetch_sub(&loop->app->executions, 1);
        faas_env_free(e->env, e->n);
        free(e);
        char details[128];
        snprintf(details, sizeof(details), "%lld executions are running, the most limits.containers allows; retry later",
                 (long long)limit);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
        return faas_reply_error(req, 429, "Too many executions", details);
    }
    e->app = loop->app;
    e->counted = 1;
    e->started_ms = faas_clock_mono_ms();
    return faas_defer_answer(loop, req, do_execute, e, free_execute);
}

/* ---- functions and invocations ------------------------------------------------------------- */

static int on_list(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    faas_function_t *fns = NULL;
    size_t n = 0;
    faas_error_t err = {0};
    if (faas_store_function_list(loop->app->store, &fns, &n, &err) != FAAS_OK)
        return faas_reply_failure(req, NULL, &err);
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        if (fns[i].kind == FAAS_KIND_JOB)
            cJSON_AddItemToArray(list, function_json(&fns[i]));
    faas_function_array_free(fns, n);
    return faas_reply_json(req, 200, list);
}

/* The function named by the path's id, or a 404/500 answered here (then -1). */
static int function_or_reply(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params, char id[160],
                             faas_function_t *fn)
{
    if (id_or_reply(req, params->v[0], id, 160, "function") != 0)
        return -1;
    faas_error_t err = {0};
    faas_err_t rc = faas_store_function_find(loop->app->store, id, fn, &err);
    if (rc == FAAS_ENOTFOUND) {
        char details[200];
        snprintf(details, sizeof(details), "function not found: %s", id);
        faas_reply_error(req, 404, "Function not found", details);
    } else if (rc != FAAS_OK) {
        faas_reply_failure(req, NULL, &err);
    }
    return rc == FAAS_OK ? 0 : -1;
}

static int on_get_function(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    char id[160];
    faas_function_t fn = {0};
    if (function_or_reply(loop, req, params, id, &fn) != 0)
        return 0;
    cJSON *json = function_json(&fn);
    faas_function_free(&fn);
    return faas_reply_json(req, 200, json);
}

typedef struct delete {
    faas_app_t *app;
    char id[160];
} delete_t;

/* A job function is deleted here; a service function named by its functionId too, as a service. */
static void do_delete(void *data, faas_defer_result_t *res)
{
    delete_t *d = data;
    faas_function_t fn = {0};
    res->rc = faas_store_function_find(d->app->store, d->id, &fn, &res->err);
    if (res->rc == FAAS_ENOTFOUND)
        faas_error_set(&res->err, FAAS_ENOTFOUND, "function not found: %s", d->id);
    else if (res->rc == FAAS_OK && fn.kind == FAAS_KIND_SERVICE)
        res->rc = faas_service_delete(d->app->services, fn.name, &res->err);
    else if (res->rc == FAAS_OK)
        res->rc = faas_job_delete(d->app, fn.name, &res->err);
    faas_function_free(&fn);
    res->message = res->rc == FAAS_ENOTFOUND ? "Function not found" : NULL;
    if (res->rc == FAAS_OK) {
        char message[200];
        snprintf(message, sizeof(message), "Function %s deleted successfully", d->id);
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "message", message);
    }
}

static int on_function(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    if (params->v[0].len == 0)
        return faas_reply_error(req, 400, "Invalid function path", "Function ID is required");
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("DELETE")))
        return on_get_function(loop, req, params);
    delete_t *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return faas_reply_error(req, 500, "Internal server error", NULL);
    if (id_or_reply(req, params->v[0], d->id, sizeof(d->id), "function") != 0) {
        free(d);
        return 0;
    }
    d->app = loop->app;
    return faas_defer_answer(loop, req, do_delete, d, NULL);
}

static int on_invocations(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    char id[160], value[16];
    faas_function_t fn = {0};
    if (function_or_reply(loop, req, params, id, &fn) != 0)
        return 0;
    snprintf(id, sizeof(id), "%s", fn.id); /* it may have been named by its name */
    faas_function_free(&fn);
    faas_error_t err = {0};
    int limit = faas_request_query(req, "limit", value, sizeof(value)) > 0 ? atoi(value) : DEFAULT_INVOCATIONS;
    limit = limit < 1 ? 1 : limit > MAX_INVOCATIONS ? MAX_INVOCATIONS : limit;
    faas_invocation_t *invs = NULL;
    size_t n = 0;
    if (faas_store_invocation_list(loop->app->store, id, (size_t)limit, &invs, &n, &err) != FAAS_OK)
        return faas_reply_failure(req, NULL, &err);
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(list, faas_invocation_to_json(&invs[i], FAAS_RECORD_API));
    faas_invocation_array_free(invs, n);
    return faas_reply_json(req, 200, list);
}

static int on_invocation(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    char id[160];
    if (id_or_reply(req, params->v[0], id, sizeof(id), "invocation") != 0)
        return 0;
    faas_invocation_t inv = {0};
    faas_error_t err = {0};
    faas_err_t rc = faas_store_invocation_get(loop->app->store, id, &inv, &err);
    if (rc == FAAS_ENOTFOUND || rc == FAAS_EINVAL)
        return faas_reply_error(req, 404, "Invocation not found", NULL);
    if (rc != FAAS_OK)
        return faas_reply_failure(req, NULL, &err);
    cJSON *json = faas_invocation_to_json(&inv, FAAS_RECORD_API);
    faas_invocation_free(&inv);
    return faas_reply_json(req, 200, json);
}

const faas_router_route_t faas_api_jobs_routes[] = {
    {"/api/submit", FAAS_M_POST, 0, on_submit, FAAS_SCOPE_DEPLOY},
    {"/api/execute", FAAS_M_GET | FAAS_M_POST, 0, on_execute, FAAS_SCOPE_INVOKE},
    {"/api/functions", FAAS_M_GET, 0, on_list, FAAS_SCOPE_READ},
    {"/api/functions/:id/invocations", FAAS_M_GET, 0, on_invocations, FAAS_SCOPE_READ},
    {"/api/functions/*id", FAAS_M_GET | FAAS_M_DELETE, FAAS_ROUTE_READ_GET, on_function, FAAS_SCOPE_DEPLOY},
    {"/api/invocations/:id", FAAS_M_GET, 0, on_invocation, FAAS_SCOPE_READ},
    {NULL, 0, 0, NULL, 0},
};
