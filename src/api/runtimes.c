/*
 * runtimes.c (api): the runtime routes of seed 000, over the service in src/runtimes.c.
 *   POST   /runtime/upload/:name  multipart "file" -> 200 {"fileName":"<uuid>.dockerfile","runtimeName":"<name>"}
 *   GET    /runtime/list                           -> 200 ["default","go","python",...] sorted
 *   GET    /runtime/show/:name                     -> 200 {"name":"<name>","content":"<Dockerfile>"}
 *   DELETE /runtime/delete/:name                   -> 200 {"message":"Deleted"}
 * An upload is parsed and checked on the loop (pure code); file I/O and store writes run on
 * the worker pool (faas_api_run). Loop thread (the do_* work functions: worker).
 */
#include "faas/http/reply.h"
#include "faas/api/multipart.h"
#include "faas/service/runtimes.h"

#include <stdlib.h>
#include <string.h>

/* One request's work: everything is copied out of the request, which may die meanwhile. */
typedef struct runtime_job {
    faas_store_t *store;
    char *data_dir;
    char *name;
    char *content; /* upload: the Dockerfile; show: what was read */
    size_t len;
} runtime_job_t;

static void job_free(void *data)
{
    runtime_job_t *job = data;
    free(job->data_dir);
    free(job->name);
    free(job->content);
    free(job);
}

/* A job for the runtime named in the path, or NULL after answering 500. */
static runtime_job_t *job_or_reply(faas_loop_t *loop, h2o_req_t *req, h2o_iovec_t name)
{
    runtime_job_t *job = calloc(1, sizeof(*job));
    if (job != NULL) {
        job->store = loop->app->store;
        job->data_dir = strdup(faas_loop_config(loop)->data_dir); /* a reload may swap the config */
        job->name = strndup(name.base, name.len);
        if (job->data_dir != NULL && job->name != NULL)
            return job;
        job_free(job);
    }
    faas_api_send_error(req, 500, "Internal server error", NULL);
    return NULL;
}

/* The short "error" of this resource for a client error; the reason goes to details. */
static const char *message_for(faas_err_t rc)
{
    switch (rc) {
    case FAAS_EINVAL: return "Invalid runtime upload";
    case FAAS_ETOOLARGE: return "File too large";
    case FAAS_ENOTFOUND: return "Runtime not found";
    default: return NULL; /* 403 "Cannot delete default runtime" is its own message */
    }
}

static void do_put(void *data, faas_api_result_t *res)
{
    runtime_job_t *job = data;
    faas_runtime_t rt = {0};
    res->rc = faas_runtimes_put(job->store, job->data_dir, job->name, job->content, job->len, SIZE_MAX, &rt, &res->err);
    res->message = message_for(res->rc);
    if (res->rc == FAAS_OK) {
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "fileName", rt.file);
        cJSON_AddStringToObject(res->json, "runtimeName", rt.name);
    }
    faas_runtime_free(&rt);
}

static void do_read(void *data, faas_api_result_t *res)
{
    runtime_job_t *job = data;
    res->rc = faas_runtimes_read(job->store, job->data_dir, job->name, &job->content, &job->len, &res->err);
    res->message = message_for(res->rc);
    if (res->rc == FAAS_OK) {
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "name", job->name);
        cJSON_AddStringToObject(res->json, "content", job->content);
    }
}

static void do_delete(void *data, faas_api_result_t *res)
{
    runtime_job_t *job = data;
    res->rc = faas_runtimes_delete(job->store, job->data_dir, job->name, &res->err);
    res->message = message_for(res->rc);
    if (res->rc == FAAS_OK) {
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "message", "Deleted");
    }
}

/* Checks the form's "file" part (name, size, Dockerfile) and copies it into job; answers and
 * returns -1 on failure. */
static int take_upload_or_reply(faas_loop_t *loop, h2o_req_t *req, runtime_job_t *job)
{
    faas_multipart_t *form = NULL;
    if (faas_api_form_or_reply(req, &form) != 0)
        return -1;
    faas_error_t err = {0};
    const faas_multipart_part_t *file = faas_multipart_get(form, "file");
    faas_err_t rc = file == NULL
                        ? faas_error_set(&err, FAAS_EINVAL, "the form has no 'file' part (send the Dockerfile as -F file=@Dockerfile)")
                        : faas_runtimes_check(job->name, file->data, file->len,
                                              (size_t)faas_loop_config(loop)->limits.max_file_size, &err);
    if (rc == FAAS_OK && (job->content = malloc(file->len ? file->len : 1)) == NULL)
        rc = faas_error_set(&err, FAAS_ENOMEM, "out of memory");
    if (rc == FAAS_OK) {
        memcpy(job->content, file->data, file->len); /* the body dies with the request (h2 stream reset) */
        job->len = file->len;
    }
    faas_multipart_free(form);
    if (rc != FAAS_OK) {
        faas_api_send_err_as(req, message_for(rc), &err);
        return -1;
    }
    return 0;
}

static int on_post_runtime_upload(faas_loop_t *loop, h2o_req_t *req, const faas_api_params_t *params)
{
    runtime_job_t *job = job_or_reply(loop, req, params->v[0]);
    if (job == NULL)
        return 0;
    if (take_upload_or_reply(loop, req, job) != 0) {
        job_free(job);
        return 0;
    }
    return faas_api_run(loop, req, do_put, job, job_free);
}

/* Store reads only (no fsync, no file): answered on the loop. */
static int on_get_runtime_list(faas_loop_t *loop, h2o_req_t *req, const faas_api_params_t *params)
{
    (void)params;
    char **names;
    size_t n;
    faas_error_t err = {0};
    if (faas_runtimes_list(loop->app->store, &names, &n, &err) != FAAS_OK)
        return faas_api_send_err(req, &err);
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list != NULL && i < n; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(names[i]));
    faas_runtimes_names_free(names, n);
    return list != NULL ? faas_api_send_json(req, 200, list) : faas_api_send_error(req, 500, "Internal server error", NULL);
}

static int on_get_runtime_show(faas_loop_t *loop, h2o_req_t *req, const faas_api_params_t *params)
{
    runtime_job_t *job = job_or_reply(loop, req, params->v[0]);
    return job != NULL ? faas_api_run(loop, req, do_read, job, job_free) : 0;
}

static int on_delete_runtime_delete(faas_loop_t *loop, h2o_req_t *req, const faas_api_params_t *params)
{
    runtime_job_t *job = job_or_reply(loop, req, params->v[0]);
    return job != NULL ? faas_api_run(loop, req, do_delete, job, job_free) : 0;
}

const faas_api_route_t faas_api_runtimes_routes[] = {
    {"/runtime/upload/:name", FAAS_M_POST, 0, on_post_runtime_upload},
    {"/runtime/list", FAAS_M_GET, 0, on_get_runtime_list},
    {"/runtime/show/:name", FAAS_M_GET, 0, on_get_runtime_show},
    {"/runtime/delete/:name", FAAS_M_DELETE, 0, on_delete_runtime_delete},
    {NULL, 0, 0, NULL},
};
