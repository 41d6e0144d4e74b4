/*
 * revisions.c (api): the revisions of a service function and the rollback to one.
 *   GET  /function/revisions/:name   {"data":[{"revision","imageId","buildId","createdAt","current"}]}, newest first
 *   POST /function/rollback/:name    optional JSON {"revision":N} (default: the one before the current)
 *                                    -> {"data":{record},"message":"Rolled back to revision N"} once switched
 * The list is a store read (loop-safe); the rollback starts containers, so it runs on the worker
 * pool and answers when the switch is done.
 */
#include "faas/api/api.h"
#include "faas/http/defer.h"
#include "faas/http/reply.h"
#include "faas/service/deploy.h"
#include "faas/store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY 4096

typedef struct rollback {
    faas_app_t *app;
    char name[FAAS_RECORD_NAME_MAX + 1];
    int64_t revision;
} rollback_t;

/* The function name of the path into name; answers 404 and returns -1 when it is not one. */
static int name_or_reply(h2o_req_t *req, const faas_router_params_t *params, char name[FAAS_RECORD_NAME_MAX + 1])
{
    h2o_iovec_t v = params->v[0];
    snprintf(name, FAAS_RECORD_NAME_MAX + 1, "%.*s", (int)v.len, v.base);
    if (v.len > FAAS_RECORD_NAME_MAX || !faas_record_valid_name(name)) {
        faas_reply_error(req, 404, "Function not found", NULL);
        return -1;
    }
    return 0;
}

static cJSON *revision_json(const faas_revision_t *rev, int64_t current)
{
    cJSON *obj = cJSON_CreateObject();
    if (obj == NULL || cJSON_AddNumberToObject(obj, "revision", (double)rev->number) == NULL ||
        cJSON_AddStringToObject(obj, "imageId", rev->image_id) == NULL ||
        (rev->build_id ? cJSON_AddStringToObject(obj, "buildId", rev->build_id) : cJSON_AddNullToObject(obj, "buildId")) ==
            NULL ||
        cJSON_AddStringToObject(obj, "tag", rev->settings.tag ? rev->settings.tag : "") == NULL ||
        cJSON_AddNumberToObject(obj, "createdAt", (double)(rev->created_at / 1000)) == NULL ||
        cJSON_AddBoolToObject(obj, "current", rev->number == current) == NULL) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

static int on_get_revisions(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    char name[FAAS_RECORD_NAME_MAX + 1];
    if (name_or_reply(req, params, name) != 0)
        return 0;
    faas_function_t fn = {0};
    faas_revision_t *revs = NULL;
    size_t n = 0;
    faas_error_t err = {0};
    faas_err_t rc = faas_store_function_get(loop->app->store, name, &fn, &err); /* reads: loop-safe */
    if (rc == FAAS_OK)
        rc = faas_store_revision_list(loop->app->store, name, &revs, &n, &err);
    cJSON *body = rc == FAAS_OK ? cJSON_CreateObject() : NULL, *data = cJSON_AddArrayToObject(body, "data");
    for (size_t i = 0; data != NULL && i < n; i++)
        if (!cJSON_AddItemToArray(data, revision_json(&revs[i], fn.revision)))
            data = NULL;
    faas_revision_array_free(revs, n);
    faas_function_free(&fn);
    if (rc == FAAS_ENOTFOUND)
        return faas_reply_error(req, 404, "Function not found", NULL);
    if (rc != FAAS_OK)
        return faas_reply_failure(req, NULL, &err);
    if (data == NULL) {
        cJSON_Delete(body);
        return faas_reply_error(req, 500, "Internal server error", "out of memory");
    }
    return faas_reply_json(req, 200, body);
}

static void do_rollback(void *data, faas_defer_result_t *res)
{
    rollback_t *r = data;
    faas_function_t fn = {0};
    res->rc = faas_deploy_rollback(r->app->services, r->name, r->revision, &fn, &res->err);
    if (res->rc == FAAS_ENOTFOUND)
        res->message = "Not found";
    else if (res->rc == FAAS_ECONFLICT)
        res->message = "Cannot roll back";
    if (res->rc != FAAS_OK)
        return;
    char message[64];
    snprintf(message, sizeof(message), "Rolled back to revision %lld", (long long)fn.revision);
    res->json = cJSON_CreateObject();
    if (res->json != NULL && (!cJSON_AddItemToObject(res->json, "data", faas_function_to_json(&fn, FAAS_RECORD_API)) ||
                              cJSON_AddStringToObject(res->json, "message", message) == NULL)) {
        cJSON_Delete(res->json);
        res->json = NULL;
    }
    if (res->json == NULL)
        res->rc = faas_error_set(&res->err, FAAS_ENOMEM, "out of memory");
    faas_function_free(&fn);
}

/* The optional {"revision":N}: 0 when absent; answers 400 and returns -1 when bad. */
static int revision_or_reply(h2o_req_t *req, int64_t *revision)
{
    *revision = 0;
    if (req->entity.len == 0)
        return 0;
    if (req->entity.len > MAX_BODY) {
        faas_reply_error(req, 413, "Payload too large", "a rollback body is at most 4096 bytes");
        return -1;
    }
    cJSON *body = cJSON_ParseWithLength(req->entity.base, req->entity.len);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(body, "revision");
    const char *why = NULL;
    if (!cJSON_IsObject(body))
        why = "the body must be a JSON object such as {\"revision\":2}";
    else if (n != NULL && !cJSON_IsNull(n) &&
             (!cJSON_IsNumber(n) || n->valuedouble < 1 || n->valuedouble > 9007199254740992.0 ||
              floor(n->valuedouble) != n->valuedouble))
        why = "'revision' must be a whole number from 1";
    else if (cJSON_IsNumber(n))
        *revision = (int64_t)n->valuedouble;
    cJSON_Delete(body);
    if (why != NULL) {
        faas_reply_error(req, 400, "Invalid rollback", why);
        return -1;
    }
    return 0;
}

static int on_post_rollback(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    rollback_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return faas_reply_error(req, 500, "Internal server error", NULL);
    r->app = loop->app;
    if (name_or_reply(req, params, r->name) != 0 || revision_or_reply(req, &r->revision) != 0) {
        free(r);
        return 0;
    }
    return faas_defer_answer(loop, req, do_rollback, r, NULL);
}

const faas_router_route_t faas_api_revisions_routes[] = {
    {"/function/revisions/:name", FAAS_M_GET, 0, on_get_revisions, FAAS_SCOPE_READ},
    {"/function/rollback/:name", FAAS_M_POST, 0, on_post_rollback, FAAS_SCOPE_DEPLOY},
    {NULL, 0, 0, NULL, 0},
};
