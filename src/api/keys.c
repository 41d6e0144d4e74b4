/*
 * keys.c (api): named API keys (core/keys.h), beside the passkey.
 *   POST   /keys         {"name","scope"} -> 201 {"data":{"name","scope","key","createdAt"},"message"}
 *   GET    /keys         -> {"data":[{"name","scope","createdAt","lastUsedAt"}]} (never a key or its hash)
 *   DELETE /keys/:name   -> {"message":"Key revoked"}: refused by every request that starts after
 *   GET    /keys/self    -> {"data":{"name","scope"}} of the key presented (the passkey: "passkey", admin)
 * All need scope admin except /keys/self, which any valid key may call. A key is made on the
 * worker pool (random bytes, the store write), shown once in the answer that made it and never
 * kept: the store and the table hold its SHA-256. Creates and revocations write the store, then
 * the table, under the table's change lock, so the two never disagree. Loop thread (the do_*
 * work functions: worker).
 */
#include "faas/api/api.h"
#include "faas/core/clock.h"
#include "faas/core/keys.h"
#include "faas/http/defer.h"
#include "faas/http/reply.h"
#include "faas/store/store.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A key request is two short strings: anything larger is not one. */
#define BODY_MAX 4096

#define INVALID_KEY "Invalid key"
#define NAME_RULE "'name' must be 1 to 63 of a-z, 0-9, '_' and '-', starting with a letter or digit, " \
                  "and not 'self' or 'passkey'"

typedef struct key_op {
    faas_app_t *app;
    char name[FAAS_KEYS_NAME_MAX + 1];
    faas_scope_t scope;
} key_op_t;

/* ---- POST /keys ---- */

/* Store first, then the table; undoes the store write when the table refuses. Change lock held. */
static faas_err_t create_locked(key_op_t *op, const unsigned char digest[FAAS_KEYS_DIGEST_LEN], int64_t now,
                                faas_error_t *err)
{
    char hex[FAAS_KEYS_HEX_LEN + 1];
    faas_keys_hex(digest, hex);
    faas_apikey_t rec = {.name = op->name, .scope = op->scope, .hash = hex, .created_at = now};
    faas_err_t rc = faas_keys_can_add(op->app->keys, op->name, err);
    if (rc == FAAS_OK)
        rc = faas_store_apikey_create(op->app->store, &rec, err);
    if (rc == FAAS_OK && (rc = faas_keys_add(op->app->keys, op->name, op->scope, digest, now, 0, err)) != FAAS_OK) {
        faas_error_t undo = {0};
        faas_store_apikey_delete(op->app->store, op->name, &undo);
    }
    return rc;
}

static cJSON *created_json(const key_op_t *op, const char *key, int64_t now)
{
    cJSON *body = cJSON_CreateObject(), *data = cJSON_AddObjectToObject(body, "data");
    if (data == NULL || cJSON_AddStringToObject(data, "name", op->name) == NULL ||
        cJSON_AddStringToObject(data, "scope", faas_scope_name(op->scope)) == NULL ||
        cJSON_AddStringToObject(data, "key", key) == NULL ||
        cJSON_AddNumberToObject(data, "createdAt", (double)(now / 1000)) == NULL ||
        cJSON_AddStringToObject(body, "message", "Key created; it is shown only once") == NULL) {
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}

static void do_create(void *data, faas_defer_result_t *res)
{
    key_op_t *op = data;
    char key[FAAS_KEYS_TEXT_SIZE];
    unsigned char digest[FAAS_KEYS_DIGEST_LEN];
    int64_t now = faas_clock_now_ms();
    if ((res->rc = faas_keys_generate(key, digest, &res->err)) != FAAS_OK)
        return;
    faas_keys_change_lock(op->app->keys);
    res->rc = create_locked(op, digest, now, &res->err);
    faas_keys_change_unlock(op->app->keys);
    if (res->rc == FAAS_OK) {
        res->status = 201;
        res->json = created_json(op, key, now);
    } else if (res->rc == FAAS_ECONFLICT) {
        res->message = "Key exists";
    }
    OPENSSL_cleanse(key, sizeof(key));
}

/* A string field of body into out: 0, or -1 after answering 400 naming it. */
static int field_or_reply(h2o_req_t *req, const cJSON *body, const char *field, char *out, size_t size)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, field);
    char details[96];
    if (cJSON_IsString(item) && strlen(item->valuestring) < size) {
        memcpy(out, item->valuestring, strlen(item->valuestring) + 1);
        return 0;
    }
    snprintf(details, sizeof(details), item == NULL ? "'%s' is missing" : "'%s' must be a short string", field);
    return faas_reply_error(req, 400, INVALID_KEY, details) - 1;
}

/* The name and scope of the body into op; answers 400 (naming the field) and returns -1 when bad. */
static int request_or_reply(h2o_req_t *req, key_op_t *op)
{
    cJSON *body = req->entity.len > 0 ? cJSON_ParseWithLength(req->entity.base, req->entity.len) : NULL;
    char scope[16];
    int rc = 0;
    if (!cJSON_IsObject(body))
        rc = faas_reply_error(req, 400, INVALID_KEY,
                              req->entity.len ? "the body is not a JSON object" : "the body is empty") - 1;
    else if (field_or_reply(req, body, "name", op->name, sizeof(op->name)) != 0)
        rc = -1;
    else if (!faas_keys_valid_name(op->name))
        rc = faas_reply_error(req, 400, INVALID_KEY, NAME_RULE) - 1;
    else if (field_or_reply(req, body, "scope", scope, sizeof(scope)) != 0)
        rc = -1;
    else if (faas_scope_parse(scope, &op->scope) != 0)
        rc = faas_reply_error(req, 400, INVALID_KEY, "'scope' must be one of read, invoke, deploy, admin") - 1;
    cJSON_Delete(body);
    return rc;
}

static int on_post(faas_loop_t *loop, h2o_req_t *req)
{
    if (req->entity.len > BODY_MAX) {
        char details[64];
        snprintf(details, sizeof(details), "a key request is at most %d bytes", BODY_MAX);
        return faas_reply_error(req, 413, "Request body too large", details);
    }
    key_op_t *op = calloc(1, sizeof(*op));
    if (op == NULL)
        return faas_reply_error(req, 500, "Internal server error", NULL);
    if (request_or_reply(req, op) != 0) {
        free(op);
        return 0;
    }
    op->app = loop->app;
    return faas_defer_answer(loop, req, do_create, op, NULL);
}

/* ---- GET /keys ---- */

static int on_get_list(faas_loop_t *loop, h2o_req_t *req)
{
    faas_key_info_t *keys;
    int oom;
    size_t n = faas_keys_list(loop->app->keys, &keys, &oom);
    cJSON *body = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(body, "data");
    for (size_t i = 0; arr != NULL && i < n; i++) {
        /* The record's own API view: times in seconds, no "hash" (the table holds none anyway). */
        faas_apikey_t rec = {.name = keys[i].name, .scope = keys[i].scope, .created_at = keys[i].created_ms,
                             .last_used_at = keys[i].last_used_ms};
        cJSON *item = faas_apikey_to_json(&rec, FAAS_RECORD_API);
        if (item == NULL || !cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            arr = NULL;
        }
    }
    free(keys);
    if (oom || arr == NULL) {
        cJSON_Delete(body);
        return faas_reply_error(req, 500, "Internal server error", "out of memory");
    }
    return faas_reply_json(req, 200, body);
}

static int on_keys(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
        return on_post(loop, req);
    return on_get_list(loop, req);
}

/* ---- DELETE /keys/:name ---- */

static void do_delete(void *data, faas_defer_result_t *res)
{
    key_op_t *op = data;
    faas_keys_change_lock(op->app->keys);
    res->rc = faas_store_apikey_delete(op->app->store, op->name, &res->err);
    /* Out of the table whatever the store said: a key being revoked must stop working now, even
     * when the store cannot record it (the answer says it failed; it comes back at a restart). */
    int removed = faas_keys_remove(op->app->keys, op->name);
    faas_keys_change_unlock(op->app->keys);
    if (res->rc == FAAS_ENOTFOUND && removed)
        res->rc = FAAS_OK;
    if (res->rc == FAAS_OK) {
        res->json = cJSON_CreateObject();
        if (cJSON_AddStringToObject(res->json, "message", "Key revoked") == NULL) {
            cJSON_Delete(res->json);
            res->json = NULL; /* answered 500 "out of memory" */
        }
    } else if (res->rc == FAAS_ENOTFOUND) {
        res->message = "Key not found";
    }
}

static int on_delete(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    key_op_t *op = calloc(1, sizeof(*op));
    if (op == NULL)
        return faas_reply_error(req, 500, "Internal server error", NULL);
    if (params->n > 0 && params->v[0].len < sizeof(op->name))
        memcpy(op->name, params->v[0].base, params->v[0].len);
    if (!faas_keys_valid_name(op->name)) {
        free(op);
        return faas_reply_error(req, 404, "Key not found", NULL);
    }
    op->app = loop->app;
    return faas_defer_answer(loop, req, do_delete, op, NULL);
}

/* ---- GET /keys/self ---- */

static int on_get_self(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    faas_key_info_t who;
    /* The router let the key in; it may have been revoked since (then it is refused as the router would). */
    if (i < 0 || !faas_keys_check(loop->app->keys, req->headers.entries[i].value.base,
                                  req->headers.entries[i].value.len, 0, &who))
        return faas_reply_error(req, 401, "unauthorized", NULL);
    cJSON *body = cJSON_CreateObject(), *data = cJSON_AddObjectToObject(body, "data");
    if (data == NULL || cJSON_AddStringToObject(data, "name", who.name) == NULL ||
        cJSON_AddStringToObject(data, "scope", faas_scope_name(who.scope)) == NULL) {
        cJSON_Delete(body);
        return faas_reply_error(req, 500, "Internal server error", "out of memory");
    }
    return faas_reply_json(req, 200, body);
}

/* /keys/self comes before /keys/:name: the first match wins (and no key may be called "self"). */
const faas_router_route_t faas_api_keys_routes[] = {
    {"/keys", FAAS_M_GET | FAAS_M_POST, 0, on_keys, FAAS_SCOPE_ADMIN},
    {"/keys/self", FAAS_M_GET, FAAS_ROUTE_ANY_KEY, on_get_self, FAAS_SCOPE_READ},
    {"/keys/:name", FAAS_M_DELETE, 0, on_delete, FAAS_SCOPE_ADMIN},
    {NULL, 0, 0, NULL, 0},
};
