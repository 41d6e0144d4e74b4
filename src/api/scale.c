/*
 * scale.c (api): the scale settings of service functions (see api/scale.h).
 *   PUT /function/scale/:name   {"min","max","target","concurrency"} (any subset; null unsets one)
 *                               -> the record as GET /function/get/:name shows it
 * plus the upload fields (scale_min, scale_max, scale_target, concurrency, memory, cpus) and
 * the "scaleInForce" view of a record. The body is checked on the loop; the record changes on
 * the worker pool, under the function's name lock; the answer is built back on the loop, whose
 * Lua state the scale hook runs in.
 */
#include "faas/api/scale.h"
#include "faas/api/upload.h"
#include "faas/core/clock.h"
#include "faas/core/fnlock.h"
#include "faas/core/scale.h"
#include "faas/http/defer.h"
#include "faas/http/reply.h"
#include "faas/service/service.h"
#include "faas/store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVALID_SCALE "Invalid scale settings"

/* ---- the record with the settings in force ---- */

static int add_number(cJSON *obj, const char *key, double value)
{
    return cJSON_AddNumberToObject(obj, key, value) != NULL ? 0 : -1;
}

/* {"min","max","target","concurrency", the config's durations in ms, "queue"}; NULL when out of memory. */
static cJSON *in_force_json(faas_loop_t *loop, const faas_function_t *fn)
{
    const faas_config_t *cfg = faas_loop_config(loop);
    faas_scale_t hook, res;
    faas_policy_scale(loop->policy, fn->name, &hook);
    faas_scale_resolve(cfg, &fn->scale, &hook, &res);
    cJSON *obj = cJSON_CreateObject();
    if (obj == NULL || add_number(obj, "min", res.min) || add_number(obj, "max", res.max) ||
        add_number(obj, "target", res.target) || add_number(obj, "concurrency", res.concurrency) ||
        add_number(obj, "windowMs", (double)cfg->scale.window_ms) ||
        add_number(obj, "pauseAfterMs", (double)cfg->scale.pause_after_ms) ||
        add_number(obj, "stopAfterMs", (double)cfg->scale.stop_after_ms) ||
        add_number(obj, "wakeTimeoutMs", (double)cfg->scale.wake_timeout_ms) ||
        add_number(obj, "queue", (double)cfg->scale.queue)) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

/* Where the function answers: https on the HTTPS port when faas has one, else the first listener. */
static cJSON *url_json(faas_loop_t *loop, const faas_function_t *fn)
{
    const faas_config_t *cfg = faas_loop_config(loop);
    const faas_app_t *app = loop->app;
    int tls = app->https_port > 0, port = tls ? app->https_port : (app->n_own_ports > 0 ? app->own_ports[0] : 0);
    if (cfg->domain == NULL || cfg->domain[0] == '\0' || port == 0)
        return cJSON_CreateNull();
    char url[400], suffix[16] = "";
    if (port != (tls ? 443 : 80))
        snprintf(suffix, sizeof(suffix), ":%d", port);
    snprintf(url, sizeof(url), "%s://%s.%s%s/", tls ? "https" : "http", fn->name, cfg->domain, suffix);
    return cJSON_CreateString(url);
}

cJSON *faas_api_scale_function_json(faas_loop_t *loop, const faas_function_t *fn)
{
    cJSON *json = faas_function_to_json(fn, FAAS_RECORD_API);
    if (json == NULL || fn->kind != FAAS_KIND_SERVICE)
        return json;
    cJSON *url = url_json(loop, fn);
    if (url == NULL || !cJSON_AddItemToObject(json, "url", url)) {
        cJSON_Delete(url);
        cJSON_Delete(json);
        return NULL;
    }
    cJSON *in_force = in_force_json(loop, fn);
    if (in_force == NULL || !cJSON_AddItemToObject(json, "scaleInForce", in_force)) {
        cJSON_Delete(in_force);
        cJSON_Delete(json);
        return NULL;
    }
    /* The autoscaler's last decision and why (null before its first). */
    char reason[160];
    int desired = faas_service_desired(loop->app->services, fn->name, reason, sizeof(reason));
    if ((desired >= 0 ? cJSON_AddNumberToObject(json, "desired", desired) : cJSON_AddNullToObject(json, "desired")) ==
            NULL ||
        (desired >= 0 ? cJSON_AddStringToObject(json, "desiredReason", reason)
                      : cJSON_AddNullToObject(json, "desiredReason")) == NULL) {
        cJSON_Delete(json);
        return NULL;
    }
    return json;
}

/* ---- upload fields ---- */

/* The text of an upload field into buf: 1 when present, 0 when absent, -1 when too long or holding a NUL. */
static int field_text(const faas_multipart_t *form, const char *name, char *buf, size_t size)
{
    const faas_multipart_part_t *p = faas_multipart_get(form, name);
    if (p == NULL)
        return 0;
    if (p->len >= size || memchr(p->data, '\0', p->len) != NULL)
        return -1;
    memcpy(buf, p->data, p->len);
    buf[p->len] = '\0';
    return 1;
}

static int invalid_field(h2o_req_t *req, const char *field, const char *details)
{
    char message[48];
    snprintf(message, sizeof(message), "Invalid %s", field);
    faas_reply_error(req, 400, message, details);
    return -1;
}

/* The field's text into buf and *given; answers 400 and returns -1 when it cannot be one. */
static int text_or_reply(h2o_req_t *req, const faas_multipart_t *form, const char *field, char *buf, size_t size,
                         int *given)
{
    int rc = field_text(form, field, buf, size);
    char details[96];
    *given = rc != 0;
    if (rc >= 0)
        return 0;
    snprintf(details, sizeof(details), "%s: too long, or holds a NUL byte", field);
    return invalid_field(req, field, details);
}

int faas_api_scale_fields_or_reply(faas_loop_t *loop, h2o_req_t *req, const faas_multipart_t *form,
                                   faas_deploy_spec_t *spec)
{
    const faas_config_t *cfg = faas_loop_config(loop);
    faas_error_t err = {0};
    char text[64];
    int given;
    for (unsigned bit = 1; bit & FAAS_SCALE_ALL; bit <<= 1) {
        const char *field = faas_upload_scale_field(bit);
        if (text_or_reply(req, form, field, text, sizeof(text), &given) != 0)
            return -1;
        if (!given)
            continue;
        spec->scale_given |= bit;
        if (faas_upload_parse_scale(bit, text, &spec->scale, &err) != FAAS_OK)
            return invalid_field(req, field, err.msg);
    }
    if (faas_scale_check_order(&spec->scale, "scale_min", &err) != FAAS_OK)
        return invalid_field(req, "scale_min", err.msg);
    if (text_or_reply(req, form, "memory", text, sizeof(text), &spec->memory_given) != 0)
        return -1;
    if (spec->memory_given && faas_upload_parse_memory(text, cfg->limits.memory, &spec->memory, &err) != FAAS_OK)
        return invalid_field(req, "memory", err.msg);
    if (text_or_reply(req, form, "cpus", text, sizeof(text), &spec->cpus_given) != 0)
        return -1;
    if (spec->cpus_given && faas_upload_parse_cpus(text, cfg->limits.nano_cpus, &spec->nano_cpus, &err) != FAAS_OK)
        return invalid_field(req, "cpus", err.msg);
    return 0;
}

/* ---- PUT /function/scale/:name ---- */

typedef struct scale_put {
    faas_loop_t *loop;
    char name[FAAS_RECORD_NAME_MAX + 1];
    cJSON *body;        /* the settings to apply, checked on the loop */
    int job;            /* the name is a job function's */
    faas_function_t fn; /* the record after the change */
    faas_err_t rc;
    faas_error_t err;
} scale_put_t;

/* Inside the store's write transaction: the body applied to the function's own settings. */
static faas_err_t on_update(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    scale_put_t *p = cbdata;
    faas_scale_t next = fn->scale;
    if (fn->kind != FAAS_KIND_SERVICE) {
        p->job = 1;
        return faas_error_set(err, FAAS_EINVAL, "'%s' is a job function: it has no replicas to scale", fn->name);
    }
    if (faas_scale_from_json(p->body, &next, err) != FAAS_OK) /* with the settings it keeps: min above max? */
        return FAAS_EINVAL;
    fn->scale = next;
    fn->updated_at = faas_clock_now_ms();
    return FAAS_OK;
}

/* Worker: the change under the function's name lock, then what serves follows it. */
static void do_put(void *data)
{
    scale_put_t *p = data;
    faas_app_t *app = p->loop->app;
    if ((p->rc = faas_fnlock_take(app->locks, p->name, NULL, &p->err)) != FAAS_OK)
        return;
    p->rc = faas_store_function_update(app->store, p->name, on_update, p, &p->fn, &p->err);
    faas_fnlock_release(app->locks, p->name);
    if (p->rc == FAAS_ENOTFOUND)
        faas_error_set(&p->err, FAAS_ENOTFOUND, "Function not found");
    if (p->rc == FAAS_OK)
        faas_service_scale_changed(app->services, p->name, NULL); /* logs a failure; the record holds the change */
}

/* Loop: the answer, built here because the scale hook runs in this loop's Lua state. */
static void on_put_done(h2o_req_t *req, void *data)
{
    scale_put_t *p = data;
    if (req != NULL && p->rc != FAAS_OK) {
        faas_reply_failure(req, p->rc == FAAS_EINVAL && !p->job ? INVALID_SCALE : NULL, &p->err);
    } else if (req != NULL) {
        cJSON *json = faas_api_scale_function_json(p->loop, &p->fn);
        if (json != NULL)
            faas_reply_json(req, 200, json);
        else
            faas_reply_error(req, 500, "Internal server error", "out of memory");
    }
    cJSON_Delete(p->body);
    faas_function_free(&p->fn);
    free(p);
}

/* The JSON body, checked as far as it can be without the record; answers 400 and returns NULL when bad. */
static cJSON *body_or_reply(h2o_req_t *req)
{
    cJSON *body = req->entity.len > 0 ? cJSON_ParseWithLength(req->entity.base, req->entity.len) : NULL;
    faas_scale_t check = {0};
    faas_error_t err = {0};
    if (body == NULL) {
        faas_reply_error(req, 400, INVALID_SCALE, req->entity.len > 0 ? "the body is not JSON" : "the body is empty");
        return NULL;
    }
    if (faas_scale_from_json(body, &check, &err) != FAAS_OK) {
        cJSON_Delete(body);
        faas_reply_error(req, 400, INVALID_SCALE, err.msg);
        return NULL;
    }
    return body;
}

int faas_api_scale_on_put(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    scale_put_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return faas_reply_error(req, 500, "Internal server error", NULL);
    if (params->n > 0 && params->v[0].len < sizeof(p->name)) {
        memcpy(p->name, params->v[0].base, params->v[0].len);
        p->name[params->v[0].len] = '\0';
    }
    if (!faas_record_valid_name(p->name)) {
        free(p);
        return faas_reply_error(req, 404, "Function not found", NULL);
    }
    if ((p->body = body_or_reply(req)) == NULL) {
        free(p);
        return 0;
    }
    p->loop = loop;
    return faas_defer(loop, req, do_put, on_put_done, p);
}
