/*
 * runtimes.c (api): the runtime routes of seed 000, over the service in src/runtimes.c.
 *   POST   /runtime/upload/:name  multipart "file" -> 200 {"fileName":"<uuid>.dockerfile","runtimeName":"<name>"}
 *   GET    /runtime/list                           -> 200 ["default","go","python",...] sorted
 *   GET    /runtime/show/:name                     -> 200 {"name":"<name>","content":"<Dockerfile>"}
 *   DELETE /runtime/delete/:name                   -> 200 {"message":"Deleted"}
 * The built-in runtimes (default, python, go) answer 403 to upload and delete, the reason in details.
 * An upload is parsed and checked on the loop (pure code); file I/O and store writes run on
 * the worker pool (faas_defer_answer). Loop thread (the do_* work functions: worker).
 */
#include "faas/api/api.h"
#include "faas/api/form.h"
#include "faas/http/defer.h"
#include "faas/http/reply.h"
#include "faas/service/runtimes.h"

#include <stdlib.h>
#include <string.h>

/* One request's work: everything is copied out of the request, which may die meanwhile. */
typedef struct runtime_op {
    faas_store_t *store;
    char *data_dir;
    char *name;
    char *content; /* upload: the Dockerfile; show: what was read */
    size_t len;
} runtime_op_t;

static void op_free(void *data)
{
    runtime_op_t *op = data;
    free(op->data_dir);
    free(op->name);
    free(op->content);
    free(op);
}

/* An operation for the runtime named in the path, or NULL after answering 500. */
static runtime_op_t *op_or_reply(faas_loop_t *loop, h2o_req_t *req, h2o_iovec_t name)
{
    runtime_op_t *op = calloc(1, sizeof(*op));
    if (op != NULL) {
        op->store = loop->app->store;
        op->data_dir = strdup(faas_loop_config(loop)->data_dir); /* a reload may swap the config */
        op->name = strndup(name.base, name.len);
        if (op->data_dir != NULL && op->name != NULL)
            return op;
        op_free(op);
    }
    faas_reply_error(req, 500, "Internal server error", NULL);
    return NULL;
}

/* The short "error" of this resource for a client error; the reason goes to details.
 * forbidden is the operation's own, for a built-in runtime. */
static const char *message_for(faas_err_t rc, const char *forbidden)
{
    switch (rc) {
    case FAAS_EINVAL: return "Invalid runtime upload";
    case FAAS_ETOOLARGE: return "File too large";
    case FAAS_ENOTFOUND: return "Runtime not found";
    case FAAS_EFORBIDDEN: return forbidden;
    default: return NULL;
    }
}

#define UPLOAD_FORBIDDEN "Cannot overwrite built-in runtime"

/* The 403 "error" of a delete: default keeps the seed's words. */
static const char *delete_forbidden(const char *name)
{
    if (strcmp(name, FAAS_RUNTIMES_DEFAULT) == 0)
        return "Cannot delete default runtime";
    return "Cannot delete built-in runtime";
}

static void do_put(void *data, faas_defer_result_t *res)
{
    runtime_op_t *op = data;
    faas_runtime_t rt = {0};
    res->rc = faas_runtimes_put(op->store, op->data_dir, op->name, op->content, op->len, SIZE_MAX, &rt, &res->err);
    res->message = message_for(res->rc, UPLOAD_FORBIDDEN);
    if (res->rc == FAAS_OK) {
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "fileName", rt.file);
        cJSON_AddStringToObject(res->json, "runtimeName", rt.name);
    }
    faas_runtime_free(&rt);
}

static void do_read(void *data, faas_defer_result_t *res)
{
    runtime_op_t *op = data;
    res->rc = faas_runtimes_read(op->store, op->data_dir, op->name, &op->content, &op->len, &res->err);
    res->message = message_for(res->rc, NULL);
    if (res->rc == FAAS_OK) {
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "name", op->name);
        cJSON_AddStringToObject(res->json, "content", op->content);
    }
}

static void do_delete(void *data, faas_defer_result_t *res)
{
    runtime_op_t *op = data;
    res->rc = faas_runtimes_delete(op->store, op->data_dir, op->name, &res->err);
    res->message = message_for(res->rc, delete_forbidden(op->name));
    if (res->rc == FAAS_OK) {
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "message", "Deleted");
    }
}

/* Checks the form's "file" part (name, size, Dockerfile) and copies it into op; answers and
 * returns -1 on failure. */
static int take_upload_or_reply(faas_loop_t *loop, h2o_req_t *req, runtime_op_t *op)
{
    faas_multipart_t *form = NULL;
    if (faas_form_or_reply(req, &form) != 0)
        return -1;
    faas_error_t err = {0};
    const faas_multipart_part_t *file = faas_multipart_get(form, "file");
    faas_err_t rc = file == NULL
                        ? faas_error_set(&err, FAAS_EINVAL, "the form has no 'file' part (send the Dockerfile as -F file=@Dockerfile)")
                        : faas_runtimes_check(op->name, file->data, file->len,
                                              (size_t)faas_loop_config(loop)->limits.max_file_size, &err);
    if (rc == FAAS_OK && (op->content = malloc(file->len ? file->len : 1)) == NULL)
        rc = faas_error_set(&err, FAAS_ENOMEM, "out of memory");
    if (rc == FAAS_OK) {
        memcpy(op->content, file->data, file->len); /* the body dies with the request (h2 stream reset) */
        op->len = file->len;
    }
    faas_multipart_free(form);
    if (rc != FAAS_OK) {
        faas_reply_failure(req, message_for(rc, UPLOAD_FORBIDDEN), &err);
        return -1;
    }
    return 0;
}

static int on_post_runtime_upload(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    runtime_op_t *op = op_or_reply(loop, req, params->v[0]);
    if (op == NULL)
        return 0;
    if (take_upload_or_reply(loop, req, op) != 0) {
        op_free(op);
        return 0;
    }
    return faas_defer_answer(loop, req, do_put, op, op_free);
}

/* Store reads only (no fsync, no file): answered on the loop. */
static int on_get_runtime_list(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    char **names;
    size_t n;
    faas_error_t err = {0};
    if (faas_runtimes_list(loop->app->store, &names, &n, &err) != FAAS_OK)
        return faas_reply_failure(req, NULL, &err);
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list != NULL && i < n; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(names[i]));
    faas_runtimes_names_free(names, n);
    return list != NULL ? faas_reply_json(req, 200, list) : faas_reply_error(req, 500, "Internal server error", NULL);
}

static int on_get_runtime_show(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    runtime_op_t *op = op_or_reply(loop, req, params->v[0]);
    return op != NULL ? faas_defer_answer(loop, req, do_read, op, op_free) : 0;
}

static int on_delete_runtime_delete(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    runtime_op_t *op = op_or_reply(loop, req, params->v[0]);
    return op != NULL ? faas_defer_answer(loop, req, do_delete, op, op_free) : 0;
}

const faas_router_route_t faas_api_runtimes_routes[] = {
    {"/runtime/upload/:name", FAAS_M_POST, 0, on_post_runtime_upload, FAAS_SCOPE_DEPLOY},
    {"/runtime/list", FAAS_M_GET, 0, on_get_runtime_list, FAAS_SCOPE_READ},
    {"/runtime/show/:name", FAAS_M_GET, 0, on_get_runtime_show, FAAS_SCOPE_READ},
    {"/runtime/delete/:name", FAAS_M_DELETE, 0, on_delete_runtime_delete, FAAS_SCOPE_DEPLOY},
    {NULL, 0, 0, NULL, 0},
};
