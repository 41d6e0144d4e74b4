/*
 * secrets.c (api): secrets, write-only (issue 12).
 *   PUT    /secret/:name   body: the value (1 byte to 64 KiB, any bytes)
 *                          -> 200 {"message":"Secret set","data":{"name","createdAt","updatedAt"}}
 *   GET    /secret/list    -> 200 {"data":[{"name","createdAt","updatedAt","usedBy":["fn",...]}]}
 *   DELETE /secret/:name   -> 200 {"message":"Deleted"}; 409 while a function's record lists it
 * No answer ever carries a value, and no log line either (they name secrets, never values). Names
 * are [A-Za-z0-9_][A-Za-z0-9_.-]{0,63}. Times are Unix seconds. Every route needs the admin scope.
 * The value is copied off the request and the request's copy wiped on the loop; sealing and the
 * store write run on the worker pool, and the copy is wiped when the work is done. Loop thread
 * (the do_* work functions: worker).
 */
#include "faas/api/api.h"
#include "faas/core/log.h"
#include "faas/http/defer.h"
#include "faas/http/reply.h"
#include "faas/service/deploy.h"
#include "faas/store/secret.h"

#include <stdlib.h>
#include <string.h>

#define API_TIME(ms) ((double)((ms) / 1000))

/* One request's work: copied out of the request, which may die meanwhile. */
typedef struct secret_op {
    faas_app_t *app;
    char name[FAAS_RECORD_SECRET_NAME_MAX + 1];
    char *value; /* PUT: the plaintext, wiped with the op */
    size_t len;
} secret_op_t;

static void op_free(void *data)
{
    secret_op_t *op = data;
    faas_secretbox_free(op->value, op->len);
    free(op);
}

/* The op of the secret named by the path, or NULL after answering (bad name: bad_status). */
static secret_op_t *op_or_reply(faas_loop_t *loop, h2o_req_t *req, h2o_iovec_t name, int bad_status)
{
    secret_op_t *op = calloc(1, sizeof(*op));
    if (op == NULL) {
        faas_reply_error(req, 500, "Internal server error", NULL);
        return NULL;
    }
    op->app = loop->app;
    if (name.len < sizeof(op->name))
        memcpy(op->name, name.base, name.len);
    if (name.len >= sizeof(op->name) || !faas_record_valid_secret_name(op->name)) {
        free(op);
        if (bad_status == 404)
            faas_reply_error(req, 404, "Secret not found", NULL);
        else
            faas_reply_error(req, 400, "Invalid secret name",
                             "a secret name is 1 to 64 of A-Z, a-z, 0-9, '_', '.' and '-', not starting with '.' or '-'");
        return NULL;
    }
    return op;
}

static cJSON *info_json(const faas_secret_info_t *info, int with_users)
{
    cJSON *o = cJSON_CreateObject(), *users = NULL;
    cJSON_AddStringToObject(o, "name", info->name);
    cJSON_AddNumberToObject(o, "createdAt", API_TIME(info->created_at));
    cJSON_AddNumberToObject(o, "updatedAt", API_TIME(info->updated_at));
    if (with_users)
        users = cJSON_AddArrayToObject(o, "usedBy");
    for (size_t i = 0; users != NULL && i < info->n_used_by; i++)
        cJSON_AddItemToArray(users, cJSON_CreateString(info->used_by[i]));
    return o;
}

/*
 * A PUT replaced the value of secret name, which the functions users (n of them) mount. Their
 * running replicas still hold the old value (a container's secret files are written when it is
 * made): each function is restarted on new replicas with zero downtime, on the worker pool,
 * so the PUT answers at once. Worker thread.
 */
static void on_secret_changed(faas_app_t *app, const char *name, char *const *users, size_t n)
{
    faas_log_info("secret %s changed; %zu function(s) use it: restarting their replicas", name, n);
    char why[128];
    snprintf(why, sizeof(why), "secret %s changed", name);
    for (size_t i = 0; i < n; i++)
        faas_deploy_restart_later(app->services, users[i], why);
}

static void do_put(void *data, faas_defer_result_t *res)
{
    secret_op_t *op = data;
    faas_secret_info_t info;
    int replaced = 0;
    res->rc = faas_store_secret_set(op->app->store, &op->app->secretbox, op->name, op->value, op->len, &info,
                                    &replaced, &res->err);
    faas_secretbox_wipe(op->value, op->len); /* sealed now: the plaintext is not needed any more */
    if (res->rc != FAAS_OK) {
        res->message = res->rc == FAAS_ETOOLARGE ? "Secret too large" : res->rc == FAAS_EINVAL ? "Invalid secret" : NULL;
        return;
    }
    faas_log_info("secret %s %s", op->name, replaced ? "changed" : "created");
    char **users = NULL;
    size_t n = 0;
    faas_error_t err = {0};
    if (replaced && faas_store_secret_users(op->app->store, op->name, &users, &n, &err) != FAAS_OK)
        faas_log_error("secret %s: cannot find the functions that use it: %s", op->name, err.msg);
    else if (replaced)
        on_secret_changed(op->app, op->name, users, n);
    faas_secret_names_free(users, n);
    res->json = cJSON_CreateObject();
    cJSON_AddStringToObject(res->json, "message", "Secret set");
    cJSON_AddItemToObject(res->json, "data", info_json(&info, 0));
}

static void do_delete(void *data, faas_defer_result_t *res)
{
    secret_op_t *op = data;
    res->rc = faas_store_secret_delete(op->app->store, op->name, NULL, NULL, &res->err);
    if (res->rc == FAAS_ENOTFOUND)
        res->message = "Secret not found";
    else if (res->rc == FAAS_ECONFLICT)
        res->message = "Secret in use";
    if (res->rc != FAAS_OK)
        return;
    faas_log_info("secret %s deleted", op->name);
    res->json = cJSON_CreateObject();
    cJSON_AddStringToObject(res->json, "message", "Deleted");
}

static int on_put_secret(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    if (req->entity.len == 0)
        return faas_reply_error(req, 400, "Invalid secret", "the body is the secret's value, and it is empty");
    if (req->entity.len > FAAS_STORE_SECRET_MAX)
        return faas_reply_error(req, 413, "Secret too large", "a secret's value holds at most 65536 bytes");
    secret_op_t *op = op_or_reply(loop, req, params->v[0], 400);
    if (op == NULL)
        return 0;
    if ((op->value = malloc(req->entity.len)) == NULL) {
        op_free(op);
        return faas_reply_error(req, 500, "Internal server error", NULL);
    }
    memcpy(op->value, req->entity.base, req->entity.len);
    op->len = req->entity.len;
    faas_secretbox_wipe(req->entity.base, req->entity.len); /* the request's buffers outlive this handler */
    return faas_defer_answer(loop, req, do_put, op, op_free);
}

/* Store reads only: answered on the loop. */
static int on_get_secret_list(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    faas_secret_info_t *infos = NULL;
    size_t n = 0;
    faas_error_t err = {0};
    if (faas_store_secret_list(loop->app->store, &infos, &n, &err) != FAAS_OK)
        return faas_reply_failure(req, NULL, &err);
    cJSON *body = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(body, "data");
    for (size_t i = 0; list != NULL && i < n; i++)
        cJSON_AddItemToArray(list, info_json(&infos[i], 1));
    faas_secret_info_array_free(infos, n);
    return list != NULL ? faas_reply_json(req, 200, body) : faas_reply_error(req, 500, "Internal server error", NULL);
}

static int on_delete_secret(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    secret_op_t *op = op_or_reply(loop, req, params->v[0], 404);
    return op != NULL ? faas_defer_answer(loop, req, do_delete, op, op_free) : 0;
}

/* One route, two methods (the router has checked the method is one of them). */
static int on_secret(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    if (faas_router_method_bit(req->method.base, req->method.len) == FAAS_M_PUT)
        return on_put_secret(loop, req, params);
    return on_delete_secret(loop, req, params);
}

/* "/secret/list" comes first: a secret cannot be called "list" (PUT /secret/list is a 405). */
const faas_router_route_t faas_api_secrets_routes[] = {
    {"/secret/list", FAAS_M_GET, 0, on_get_secret_list, FAAS_SCOPE_ADMIN},
    {"/secret/:name", FAAS_M_PUT | FAAS_M_DELETE, 0, on_secret, FAAS_SCOPE_ADMIN},
    {NULL, 0, 0, NULL, 0},
};
