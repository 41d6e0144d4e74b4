/*
 * functions.c: the service-function routes of the seed-000 API.
 *   POST   /function/upload            multipart name, tag, runtime, file[, port, volume, container_port, env,
 *                                       secrets, scale_min, scale_max, scale_target, concurrency, memory, cpus,
 *                                       placement (backend "swarm")]
 *   GET    /function/get/:name         the record (?wait=<build id>[&timeout=s]: once that build ended, wait.c)
 *   GET    /function/list              {"keys":[names],"functions":[records]}
 *   GET    /function/listrunning       platform containers running (?all=1: every container)
 *   GET    /function/listinstalled     platform images "repo:tag" (?all=1: every image)
 *   DELETE /function/delete/:name      {"message":"Deleted"}
 *   GET    /function/start/:name       {"message":"Started"}  (POST too; a running one: 200 as well)
 *   GET    /function/stop/:name        {"message":"Stopped"}  (POST too; a stopped one: 200 as well)
 *   GET    /function/logs/:name        (logs.c)
 *   PUT    /function/scale/:name       the function's own scale settings (handler in scale.c)
 * Validation that needs the policy runs here on the loop (each loop has its
 * own Lua state); Docker and store writes run on the worker pool.
 */
#include "faas/api/api.h"
#include "faas/http/defer.h"
#include "faas/http/reply.h"
#include "faas/http/request.h"
#include "faas/api/form.h"
#include "faas/api/scale.h"
#include "faas/api/upload.h"
#include "faas/api/wait.h"
#include "faas/core/labels.h"
#include "faas/docker/docker.h"
#include "faas/job/job.h"
#include "faas/service/deploy.h"
#include "faas/service/service.h"
#include "faas/store/secret.h"
#include "faas/store/store.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CONTAINER_PORT 8080
#define MAX_FIELD 65536

/* ---- the upload form ---- */

/* A field's text (NUL-terminated, malloc'd), or NULL when absent; "" stays "". */
static char *field(const faas_multipart_t *form, const char *name)
{
    const faas_multipart_part_t *p = faas_multipart_get(form, name);
    if (p == NULL || p->len > MAX_FIELD)
        return NULL;
    return strndup(p->data, p->len);
}

/* 1..65535 from text; -1 when it is not one. */
static int parse_port(const char *text)
{
    char *end;
    long v = text != NULL && isdigit((unsigned char)text[0]) ? strtol(text, &end, 10) : -1;
    return v >= 1 && v <= 65535 && *end == '\0' ? (int)v : -1;
}

/* Answers an error and returns -1: for the _or_reply checks. */
static int reject(h2o_req_t *req, int status, const char *message, const char *details)
{
    faas_reply_error(req, status, message, details);
    return -1;
}

static int missing_or_reply(h2o_req_t *req, const faas_multipart_t *form)
{
    static const char *const required[] = {"name", "tag", "runtime", "file"};
    char missing[80] = "";
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        const faas_multipart_part_t *p = faas_multipart_get(form, required[i]);
        if (p == NULL || p->len == 0)
            snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s", missing[0] ? ", " : "",
                     required[i]);
    }
    if (missing[0] == '\0')
        return 0;
    char details[120];
    snprintf(details, sizeof(details), "missing: %s", missing);
    return reject(req, 400, "Missing required fields", details);
}

/* The loopback port: none (absent, empty or 0), or a number allowed by the policy, not one of faas's own. */
static int port_or_reply(faas_loop_t *loop, h2o_req_t *req, const char *text, int *port)
{
    char reason[256] = "";
    int allowed = 0;
    faas_error_t err = {0};
    *port = 0;
    if (text == NULL || text[0] == '\0' || strcmp(text, "0") == 0)
        return 0; /* served by its subdomain only */
    if ((*port = parse_port(text)) < 0)
        return reject(req, 400, "Invalid port", "port must be a number from 1 to 65535, or 0 for none");
    for (size_t i = 0; i < loop->app->n_own_ports; i++)
        if (*port == loop->app->own_ports[i])
            return reject(req, 403, "Port not allowed", "that port is faas's own");
    if (faas_policy_port_allowed(loop->policy, *port, &allowed, reason, sizeof(reason), &err) != FAAS_OK)
        return reject(req, 403, "Port not allowed", "the port_allowed policy failed (see the faas log)");
    if (!allowed)
        return reject(req, 403, "Port not allowed", reason);
    return 0;
}

/* The link reader of faas_upload_resolve, on the real file system. */
static int read_link(void *ctx, const char *path, char *target, size_t size)
{
    (void)ctx;
    ssize_t n = readlink(path, target, size);
    if (n >= 0 && (size_t)n < size) {
        target[n] = '\0';
        return 1;
    }
    if (n >= 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return errno == EINVAL || errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

/*
 * Volumes under <data_dir>/volumes/<name>; anything else must be allowed by volume_allowed. Host
 * sides are judged by where they lead, every symlink followed (one the function planted through
 * a writable volume included), and bound by that resolved path. The few readlink calls run here
 * on the loop because the policy's Lua state belongs to it; they touch local folders only.
 */
static int binds_or_reply(faas_loop_t *loop, h2o_req_t *req, const char *name, const char *volume, char **binds)
{
    faas_upload_volume_t vols[FAAS_UPLOAD_MAX_VOLUMES];
    size_t n = 0;
    char data_dir[1024], base[1100], details[2400];
    int links = 0;
    faas_error_t err = {0};
    if (faas_upload_resolve(faas_loop_config(loop)->data_dir, read_link, NULL, data_dir, sizeof(data_dir), &links,
                            &err) != FAAS_OK)
        return reject(req, 500, "Internal server error", NULL);
    snprintf(base, sizeof(base), "%s/volumes/%s", data_dir, name);
    if (faas_upload_parse_volumes(volume, base, vols, FAAS_UPLOAD_MAX_VOLUMES, &n, &err) != FAAS_OK ||
        faas_upload_resolve_volumes(vols, n, base, read_link, NULL, &err) != FAAS_OK ||
        faas_upload_check_nesting(vols, n, &err) != FAAS_OK)
        return reject(req, 400, "Invalid volume", err.msg);
    for (size_t i = 0; i < n; i++) {
        if (!vols[i].needs_policy)
            continue;
        int allowed = 0;
        faas_err_t rc = faas_policy_volume_allowed(loop->policy, vols[i].host, vols[i].container, &allowed, &err);
        if (rc == FAAS_OK && allowed)
            continue;
        snprintf(details, sizeof(details), "%.1000s%s is outside the function's folder %.1000s%s", vols[i].host,
                 vols[i].through_link ? " (where a symlink leads)" : "", base,
                 rc == FAAS_ENOTFOUND ? " (a volume_allowed policy can allow it)" : " and the volume_allowed policy refused it");
        return reject(req, 403, "Volume not allowed", details);
    }
    if ((*binds = n > 0 ? faas_upload_binds(vols, n) : NULL) == NULL && n > 0)
        return reject(req, 500, "Internal server error", NULL);
    return 0;
}

static int zip_or_reply(faas_loop_t *loop, h2o_req_t *req, const faas_multipart_t *form, faas_deploy_spec_t *spec)
{
    const faas_multipart_part_t *file = faas_multipart_get(form, "file");
    if (faas_form_zip_or_reply(req, file, faas_loop_config(loop)->limits.max_file_size) != 0)
        return -1;
    spec->source = strdup(file->filename != NULL ? file->filename : "upload.zip");
    if ((spec->zip = malloc(file->len)) == NULL || spec->source == NULL)
        return reject(req, 500, "Internal server error", NULL);
    memcpy(spec->zip, file->data, file->len); /* the body is freed with the request; the deploy outlives it */
    spec->zip_len = file->len;
    return 0;
}

/* The secrets field: absent keeps the function's list, "" clears it; each name must exist (checked
 * on the worker, do_upload). */
static int secrets_or_reply(h2o_req_t *req, const faas_multipart_t *form, faas_deploy_spec_t *spec)
{
    const faas_multipart_part_t *p = faas_multipart_get(form, "secrets");
    faas_error_t err = {0};
    spec->secrets_given = p != NULL;
    if (p != NULL && faas_upload_parse_secrets(p->data, p->len, &spec->secrets, &spec->n_secrets, &err) != FAAS_OK)
        return reject(req, 400, "Invalid secrets", err.msg);
    return 0;
}

/* The placement field (Swarm placement constraints): absent keeps the function's, "" clears them.
 * Refused with the local backend, where there is one engine to place on. */
static int placement_or_reply(faas_loop_t *loop, h2o_req_t *req, const faas_multipart_t *form,
                              faas_deploy_spec_t *spec)
{
    const faas_multipart_part_t *p = faas_multipart_get(form, "placement");
    faas_error_t err = {0};
    spec->placement_given = p != NULL;
    if (p != NULL && faas_upload_parse_placement(p->data, p->len, &spec->placement, &spec->n_placement, &err) != FAAS_OK)
        return reject(req, 400, "Invalid placement", err.msg);
    if (spec->n_placement > 0 && !faas_services_swarm(loop->app->services))
        return reject(req, 400, "Invalid placement",
                      "placement constraints need backend \"swarm\": with backend \"docker\" every function runs "
                      "on this host's engine");
    return 0;
}

/* Every check that needs no store or Docker; then the spec the deploy takes over. */
static int spec_or_reply(faas_loop_t *loop, h2o_req_t *req, const faas_multipart_t *form, faas_deploy_spec_t *spec)
{
    char *port = field(form, "port"), *cport = field(form, "container_port"), *env = field(form, "env");
    faas_error_t err = {0};
    int rc = missing_or_reply(req, form);
    spec->name = field(form, "name");
    spec->tag = field(form, "tag");
    spec->runtime = field(form, "runtime");
    spec->volume = field(form, "volume");
    spec->container_port = DEFAULT_CONTAINER_PORT;
    spec->env_given = env != NULL; /* an env field, even empty, replaces the function's env */
    if (rc != 0) {
    } else if (!faas_record_valid_name(spec->name)) {
        rc = reject(req, 400, "Invalid function name",
                    "a name is a DNS label: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'");
    } else if (!faas_upload_valid_tag(spec->tag)) {
        rc = reject(req, 400, "Invalid tag", "expected an image name like \"hello\" or \"hello:v2\"");
    } else if (!faas_record_valid_name(spec->runtime)) {
        rc = reject(req, 404, "Runtime not found", NULL);
    } else if (cport != NULL && cport[0] != '\0' && (spec->container_port = parse_port(cport)) < 0) {
        rc = reject(req, 400, "Invalid container_port", "a number from 1 to 65535");
    } else if (env != NULL && faas_upload_parse_env(env, strlen(env), &spec->env, &spec->env_len, &err) != FAAS_OK) {
        rc = reject(req, 400, "Invalid env", err.msg);
    } else if (secrets_or_reply(req, form, spec) != 0 || placement_or_reply(loop, req, form, spec) != 0) {
        rc = -1;
    } else if (faas_api_scale_fields_or_reply(loop, req, form, spec) != 0) {
        rc = -1;
    } else if (port_or_reply(loop, req, port, &spec->port) != 0 ||
               binds_or_reply(loop, req, spec->name, spec->volume, &spec->binds) != 0 ||
               zip_or_reply(loop, req, form, spec) != 0) {
        rc = -1;
    }
    free(port);
    free(cport);
    free(env);
    return rc;
}

/* ---- work on the worker pool ---- */

static cJSON *message(const char *text)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "message", text);
    return o;
}

typedef struct upload {
    faas_services_t *services;
    faas_store_t *store;
    faas_deploy_spec_t *spec; /* NULL once the deploy took it */
} upload_t;

static void free_upload(void *data)
{
    upload_t *u = data;
    faas_deploy_spec_free(u->spec);
    free(u);
}

/* Each secret the upload names exists (else nothing changes). A secret deleted between this check
 * and a container's start fails that start, naming it. */
static faas_err_t secrets_exist(faas_store_t *store, const faas_deploy_spec_t *spec, faas_defer_result_t *res)
{
    for (size_t i = 0; i < spec->n_secrets; i++) {
        faas_err_t rc = faas_store_secret_exists(store, spec->secrets[i], &res->err);
        if (rc == FAAS_ENOTFOUND) {
            res->message = "Unknown secret";
            return faas_error_set(&res->err, FAAS_EINVAL, "secret %s does not exist (PUT /secret/%s first)",
                                  spec->secrets[i], spec->secrets[i]);
        }
        if (rc != FAAS_OK)
            return rc;
    }
    return FAAS_OK;
}

static void do_upload(void *data, faas_defer_result_t *res)
{
    upload_t *u = data;
    faas_function_t fn = {0};
    if ((res->rc = secrets_exist(u->store, u->spec, res)) != FAAS_OK)
        return;
    faas_deploy_spec_t *spec = u->spec;
    u->spec = NULL; /* faas_deploy_start takes it over whatever happens */
    res->rc = faas_deploy_start(u->services, spec, &fn, &res->message, &res->err);
    if (res->rc != FAAS_OK)
        return;
    res->json = message("Code uploaded, build process started");
    cJSON_AddItemToObject(res->json, "data", faas_function_to_json(&fn, FAAS_RECORD_API));
    cJSON_AddStringToObject(res->json, "buildId", fn.build.id);
    faas_function_free(&fn);
}

/* An operation on one function (or the platform), on the worker pool. */
typedef struct op {
    faas_app_t *app;
    char name[64];
    int all;        /* ?all=1 */
} op_t;

static void do_start(void *data, faas_defer_result_t *res)
{
    op_t *op = data;
    if ((res->rc = faas_service_start(op->app->services, op->name, &res->err)) == FAAS_OK)
        res->json = message("Started");
}

static void do_stop(void *data, faas_defer_result_t *res)
{
    op_t *op = data;
    if ((res->rc = faas_service_stop(op->app->services, op->name, &res->err)) == FAAS_OK)
        res->json = message("Stopped");
}

/* Deletes a function of either kind: a job function named here goes as a job (image, waiting containers). */
static void do_delete(void *data, faas_defer_result_t *res)
{
    op_t *op = data;
    faas_function_t fn = {0};
    int job = faas_store_function_get(op->app->store, op->name, &fn, NULL) == FAAS_OK && fn.kind == FAAS_KIND_JOB;
    faas_function_free(&fn);
    res->rc = job ? faas_job_delete(op->app, op->name, &res->err)
                  : faas_service_delete(op->app->services, op->name, &res->err);
    if (res->rc == FAAS_OK)
        res->json = message("Deleted");
}

static void do_listrunning(void *data, faas_defer_result_t *res)
{
    op_t *op = data;
    /* Running containers only (all=0); ?all=1 widens it from faas's own to every one on the host. */
    const char *labels[3];
    res->rc = faas_docker_container_list(op->app->docker, op->all ? NULL : faas_app_labels(op->app, NULL, labels, 3), 0,
                                         &res->json, &res->err);
    if (res->rc != FAAS_OK || !faas_services_swarm(op->app->services))
        return;
    /* Swarm backend: a service function's replicas are tasks, on any node; listed with their node
       instead of the containers they have on this one. */
    cJSON *tasks = NULL, *c;
    if ((res->rc = faas_services_tasks(op->app->services, &tasks, &res->err)) != FAAS_OK) {
        cJSON_Delete(res->json);
        res->json = NULL;
        return;
    }
    cJSON *merged = cJSON_CreateArray();
    cJSON_ArrayForEach(c, res->json) {
        if (cJSON_GetObjectItem(cJSON_GetObjectItem(c, "Labels"), "com.docker.swarm.task.id") == NULL)
            cJSON_AddItemToArray(merged, cJSON_Duplicate(c, 1));
    }
    cJSON_ArrayForEach(c, tasks)
        cJSON_AddItemToArray(merged, cJSON_Duplicate(c, 1));
    cJSON_Delete(tasks);
    cJSON_Delete(res->json);
    res->json = merged;
}

static void do_listinstalled(void *data, faas_defer_result_t *res)
{
    op_t *op = data;
    cJSON *images = NULL;
    const char *labels[3];
    res->rc = faas_docker_image_list(op->app->docker, op->all ? NULL : faas_app_labels(op->app, NULL, labels, 3), &images,
                                     &res->err);
    if (res->rc != FAAS_OK)
        return;
    res->json = cJSON_CreateArray();
    cJSON *image, *tag;
    cJSON_ArrayForEach(image, images) {
        cJSON_ArrayForEach(tag, cJSON_GetObjectItem(image, "RepoTags")) {
            const char *t = cJSON_GetStringValue(tag);
            if (t != NULL && strcmp(t, "<none>:<none>") != 0)
                cJSON_AddItemToArray(res->json, cJSON_CreateString(t));
        }
    }
    cJSON_Delete(images);
}

/* ---- handlers ---- */

/* A new op for the function named by the path, or NULL after answering 404. */
static op_t *op_or_reply(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    op_t *op = calloc(1, sizeof(*op));
    if (op == NULL) {
        faas_reply_error(req, 500, "Internal server error", NULL);
        return NULL;
    }
    op->app = loop->app;
    if (params->n > 0) {
        snprintf(op->name, sizeof(op->name), "%.*s", (int)params->v[0].len, params->v[0].base);
        if (params->v[0].len >= sizeof(op->name) || !faas_record_valid_name(op->name)) {
            free(op);
            faas_reply_error(req, 404, "Function not found", NULL);
            return NULL;
        }
    }
    char value[16];
    op->all = faas_request_query(req, "all", value, sizeof(value)) >= 0 && strcmp(value, "0") != 0;
    return op;
}

static int run_op(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params, faas_defer_work_cb work)
{
    op_t *op = op_or_reply(loop, req, params);
    return op != NULL ? faas_defer_answer(loop, req, work, op, NULL) : 0;
}

static int on_post_upload(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    faas_multipart_t *form = NULL;
    if (faas_form_or_reply(req, &form) != 0)
        return 0;
    upload_t *u = calloc(1, sizeof(*u));
    faas_deploy_spec_t *spec = calloc(1, sizeof(*spec));
    if (u == NULL || spec == NULL) {
        free(u);
        free(spec);
        faas_multipart_free(form);
        return faas_reply_error(req, 500, "Internal server error", NULL);
    }
    int rc = spec_or_reply(loop, req, form, spec);
    faas_multipart_free(form);
    if (rc != 0) {
        faas_deploy_spec_free(spec);
        free(u);
        return 0;
    }
    *u = (upload_t){.services = loop->app->services, .store = loop->app->store, .spec = spec};
    return faas_defer_answer(loop, req, do_upload, u, free_upload);
}

static int on_get_function(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    op_t *op = op_or_reply(loop, req, params);
    if (op == NULL)
        return 0;
    if (faas_api_wait_build(loop, req, op->name)) {
        free(op);
        return 0;
    }
    faas_function_t fn = {0};
    faas_error_t err = {0};
    faas_err_t rc = faas_store_function_get(loop->app->store, op->name, &fn, &err); /* a read: loop-safe */
    free(op);
    if (rc == FAAS_ENOTFOUND)
        return faas_reply_error(req, 404, "Function not found", NULL);
    if (rc != FAAS_OK)
        return faas_reply_failure(req, NULL, &err);
    cJSON *json = faas_api_scale_function_json(loop, &fn);
    faas_function_free(&fn);
    return json != NULL ? faas_reply_json(req, 200, json) : faas_reply_error(req, 500, "Internal server error", NULL);
}

static int on_get_list(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    faas_function_t *fns = NULL;
    size_t n = 0;
    faas_error_t err = {0};
    if (faas_store_function_list(loop->app->store, &fns, &n, &err) != FAAS_OK)
        return faas_reply_failure(req, NULL, &err);
    cJSON *body = cJSON_CreateObject(), *keys = cJSON_AddArrayToObject(body, "keys");
    cJSON *functions = cJSON_AddArrayToObject(body, "functions");
    for (size_t i = 0; i < n; i++) {
        cJSON_AddItemToArray(keys, cJSON_CreateString(fns[i].name));
        cJSON_AddItemToArray(functions, faas_api_scale_function_json(loop, &fns[i]));
    }
    faas_function_array_free(fns, n);
    return faas_reply_json(req, 200, body);
}

static int on_listrunning(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    return run_op(loop, req, params, do_listrunning);
}

static int on_listinstalled(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    return run_op(loop, req, params, do_listinstalled);
}

static int on_delete(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    return run_op(loop, req, params, do_delete);
}

static int on_start(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    return run_op(loop, req, params, do_start);
}

static int on_stop(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    return run_op(loop, req, params, do_stop);
}

const faas_router_route_t faas_api_functions_routes[] = {
    {"/function/upload", FAAS_M_POST, 0, on_post_upload, FAAS_SCOPE_DEPLOY},
    {"/function/get/:name", FAAS_M_GET, 0, on_get_function, FAAS_SCOPE_READ},
    {"/function/list", FAAS_M_GET, 0, on_get_list, FAAS_SCOPE_READ},
    {"/function/listrunning", FAAS_M_GET, 0, on_listrunning, FAAS_SCOPE_READ},
    {"/function/listinstalled", FAAS_M_GET, 0, on_listinstalled, FAAS_SCOPE_READ},
    {"/function/delete/:name", FAAS_M_DELETE, 0, on_delete, FAAS_SCOPE_DEPLOY},
    {"/function/start/:name", FAAS_M_GET | FAAS_M_POST, 0, on_start, FAAS_SCOPE_DEPLOY},
    {"/function/stop/:name", FAAS_M_GET | FAAS_M_POST, 0, on_stop, FAAS_SCOPE_DEPLOY},
    {"/function/scale/:name", FAAS_M_PUT, 0, faas_api_scale_on_put, FAAS_SCOPE_DEPLOY},
    {NULL, 0, 0, NULL, 0},
};
