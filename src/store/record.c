/*
 * record.c: JSON serialisers and parsers of the faas records, driven by one field table per
 * record type so the key names, types and ranges are written down once.
 * Pure functions without shared state: any thread may call them.
 */
#include "faas/store/record.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Enum fields are read and written through an int; these hold for GCC and Clang on Linux. */
_Static_assert(sizeof(faas_kind_t) == sizeof(int), "enum size");
_Static_assert(sizeof(faas_function_status_t) == sizeof(int), "enum size");
_Static_assert(sizeof(faas_build_status_t) == sizeof(int), "enum size");
_Static_assert(sizeof(faas_invocation_status_t) == sizeof(int), "enum size");
_Static_assert(sizeof(faas_replica_state_t) == sizeof(int), "enum size");
_Static_assert(sizeof(faas_scope_t) == sizeof(int), "enum size");

#include "internal.h"

static const field_t function_fields[] = {
    STR(faas_function_t, id, "functionId", 1),
    STR(faas_function_t, name, "name", 1),
    ENUM(faas_function_t, kind, "kind", kind_names),
    STR(faas_function_t, language, "language", 0),
    STR(faas_function_t, runtime, "runtime", 0),
    STR(faas_function_t, tag, "tag", 0),
    INT(faas_function_t, port, "port", 0, 65535),
    INT(faas_function_t, container_port, "container_port", 0, 65535),
    STR(faas_function_t, volume, "volume", 0),
    ENUM(faas_function_t, status, "status", function_status_names),
    STR(faas_function_t, image_id, "imageId", 0),
    STR(faas_function_t, prev_image, "previousImage", 0),
    STR(faas_function_t, binds, "binds", 0),
    STR(faas_function_t, source, "source", 0),
    TIME(faas_function_t, created_at, "createdAt"),
    TIME(faas_function_t, updated_at, "updatedAt"),
    TIME(faas_function_t, last_executed, "lastExecuted"),
    INT(faas_function_t, restarts, "restarts", 0, 2147483647LL),
    STR(faas_function_t, last_output, "lastOutput", 0),
    {"memory", F_I64, offsetof(faas_function_t, memory), 0, 0, MAX_EXACT, NULL, 0},
    NANO(faas_function_t, nano_cpus, "cpus", 1024),
    {"revision", F_I64, offsetof(faas_function_t, revision), 0, 0, MAX_EXACT, NULL, 0},
};

static const field_t revision_fields[] = {
    STR(faas_revision_t, function, "functionName", 1),
    {"revision", F_I64, offsetof(faas_revision_t, number), 1, 1, MAX_EXACT, NULL, 0},
    STR(faas_revision_t, image_id, "imageId", 1),
    STR(faas_revision_t, build_id, "buildId", 0),
    TIME(faas_revision_t, created_at, "createdAt"),
};

static const field_t replica_fields[] = {
    STR(faas_replica_t, id, "id", 1),
    STR(faas_replica_t, address, "address", 0),
    ENUM(faas_replica_t, state, "state", replica_state_names),
};

static const field_t build_info_fields[] = {
    STR(faas_build_info_t, id, "id", 1),
    ENUM(faas_build_info_t, status, "status", build_status_names),
    TIME(faas_build_info_t, started_at, "startedAt"),
    TIME(faas_build_info_t, finished_at, "finishedAt"),
    STR(faas_build_info_t, error, "error", 0),
};

static const field_t runtime_fields[] = {
    STR(faas_runtime_t, name, "name", 1),
    STR(faas_runtime_t, file, "fileName", 0),
    TIME(faas_runtime_t, created_at, "createdAt"),
};

static const field_t build_fields[] = {
    STR(faas_build_t, id, "id", 1),
    STR(faas_build_t, function, "functionName", 0),
    ENUM(faas_build_t, status, "status", build_status_names),
    TIME(faas_build_t, started_at, "startedAt"),
    TIME(faas_build_t, finished_at, "finishedAt"),
    STR(faas_build_t, error, "error", 0),
};

static const field_t invocation_fields[] = {
    STR(faas_invocation_t, id, "invocationId", 1),
    STR(faas_invocation_t, function_id, "functionId", 1),
    TIME(faas_invocation_t, started_at, "startedAt"),
    I64(faas_invocation_t, duration_ms, "durationMs"),
    INT(faas_invocation_t, exit_code, "exitCode", -2147483647LL - 1, 2147483647LL),
    ENUM(faas_invocation_t, status, "status", invocation_status_names),
    STR(faas_invocation_t, output, "output", 0),
};

static const field_t apikey_fields[] = {
    STR(faas_apikey_t, name, "name", 1),
    ENUM(faas_apikey_t, scope, "scope", faas_scope_names),
    STR(faas_apikey_t, hash, "hash", 1),
    TIME(faas_apikey_t, created_at, "createdAt"),
    TIME(faas_apikey_t, last_used_at, "lastUsedAt"),
};

/* ---- names and enums ---- */

int faas_record_valid_name(const char *name)
{
    if (name == NULL)
        return 0;
    size_t len = strlen(name);
    if (len == 0 || len > FAAS_RECORD_NAME_MAX || name[0] == '-' || name[len - 1] == '-')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

int faas_record_valid_secret_name(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;
    if (len == 0 || len > FAAS_RECORD_SECRET_NAME_MAX || name[0] == '.' || name[0] == '-')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return 0;
    }
    return 1;
}

#define ENUM_API(prefix, type, tab)                                                                     \
    const char *prefix##_name(type v) { return faas_store__enum_name(tab, NELEMS(tab), (int)v); }                   \
    int prefix##_parse(const char *s, type *out)                                                        \
    {                                                                                                   \
        int v;                                                                                          \
        if (faas_store__enum_parse(tab, NELEMS(tab), s, &v) != 0)                                                   \
            return -1;                                                                                  \
        *out = (type)v;                                                                                 \
        return 0;                                                                                       \
    }

ENUM_API(faas_kind, faas_kind_t, kind_names)
ENUM_API(faas_function_status, faas_function_status_t, function_status_names)
ENUM_API(faas_build_status, faas_build_status_t, build_status_names)
ENUM_API(faas_invocation_status, faas_invocation_status_t, invocation_status_names)
ENUM_API(faas_replica_state, faas_replica_state_t, replica_state_names)

/* ---- function ---- */

void faas_env_free(faas_env_var_t *env, size_t n)
{
    for (size_t i = 0; env != NULL && i < n; i++) {
        free(env[i].name);
        free(env[i].value);
    }
    free(env);
}

faas_err_t faas_env_copy(const faas_env_var_t *src, size_t n, faas_env_var_t **dst, faas_error_t *err)
{
    *dst = NULL;
    if (n == 0)
        return FAAS_OK;
    faas_env_var_t *copy = calloc(n, sizeof(*copy));
    for (size_t i = 0; copy != NULL && i < n; i++) {
        copy[i].name = strdup(src[i].name);
        copy[i].value = strdup(src[i].value);
        if (copy[i].name == NULL || copy[i].value == NULL) {
            faas_env_free(copy, i + 1);
            copy = NULL;
        }
    }
    if (copy == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    *dst = copy;
    return FAAS_OK;
}

static void env_free(faas_function_t *f)
{
    faas_env_free(f->env, f->env_len);
    f->env = NULL;
    f->env_len = 0;
}

int faas_record_valid_constraint(const char *c)
{
    size_t len = c != NULL ? strlen(c) : 0;
    if (len == 0 || len > FAAS_RECORD_CONSTRAINT_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (c[i] < 0x20 || c[i] > 0x7e)
            return 0;
    /* The first operator splits: the value may hold more ("node.labels.x==a==b"), the key never does. */
    const char *op = strstr(c, "=="), *ne = strstr(c, "!=");
    if (op == NULL || (ne != NULL && ne < op))
        op = ne;
    if (op == NULL)
        return 0;
    const char *k = c, *kend = op, *v = op + 2;
    while (k < kend && *k == ' ')
        k++;
    while (kend > k && kend[-1] == ' ')
        kend--;
    while (*v == ' ')
        v++;
    if (k == kend || *v == '\0')
        return 0;
    for (const char *p = k; p < kend; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return 0;
    return 1;
}

void faas_secret_names_free(char **names, size_t n)
{
    for (size_t i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
}

faas_err_t faas_secret_names_copy(char *const *src, size_t n, char ***dst, faas_error_t *err)
{
    *dst = NULL;
    if (n == 0)
        return FAAS_OK;
    char **copy = calloc(n, sizeof(*copy));
    for (size_t i = 0; copy != NULL && i < n; i++) {
        if ((copy[i] = strdup(src[i])) == NULL) {
            faas_secret_names_free(copy, i);
            copy = NULL;
        }
    }
    if (copy == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    *dst = copy;
    return FAAS_OK;
}

void faas_replicas_free(faas_replica_t *replicas, size_t n)
{
    for (size_t i = 0; replicas != NULL && i < n; i++)
        faas_store__fields_free(replica_fields, NELEMS(replica_fields), &replicas[i]);
    free(replicas);
}

faas_err_t faas_replicas_copy(const faas_replica_t *src, size_t n, faas_replica_t **dst, faas_error_t *err)
{
    *dst = NULL;
    if (n == 0)
        return FAAS_OK;
    faas_replica_t *copy = calloc(n, sizeof(*copy));
    for (size_t i = 0; copy != NULL && i < n; i++) {
        copy[i].state = src[i].state;
        copy[i].id = src[i].id != NULL ? strdup(src[i].id) : NULL;
        copy[i].address = src[i].address != NULL ? strdup(src[i].address) : NULL;
        if ((src[i].id != NULL && copy[i].id == NULL) || (src[i].address != NULL && copy[i].address == NULL)) {
            faas_replicas_free(copy, i + 1);
            copy = NULL;
        }
    }
    if (copy == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    *dst = copy;
    return FAAS_OK;
}

void faas_function_free(faas_function_t *f)
{
    if (f == NULL)
        return;
    faas_store__fields_free(function_fields, NELEMS(function_fields), f);
    faas_store__fields_free(build_info_fields, NELEMS(build_info_fields), &f->build);
    env_free(f);
    faas_secret_names_free(f->secrets, f->n_secrets);
    faas_secret_names_free(f->placement, f->n_placement);
    faas_replicas_free(f->replicas, f->n_replicas);
    memset(f, 0, sizeof(*f));
}

void faas_function_array_free(faas_function_t *arr, size_t n)
{
    for (size_t i = 0; arr != NULL && i < n; i++)
        faas_function_free(&arr[i]);
    free(arr);
}

static cJSON *env_to_json(const faas_function_t *f)
{
    cJSON *obj = cJSON_CreateObject();
    for (size_t i = 0; obj != NULL && i < f->env_len; i++) {
        const faas_env_var_t *v = &f->env[i];
        if (cJSON_AddStringToObject(obj, v->name ? v->name : "", v->value ? v->value : "") == NULL) {
            cJSON_Delete(obj);
            return NULL;
        }
    }
    return obj;
}

/* "secrets" (the names only; the values never leave the secrets table) or "placement". */
static cJSON *strings_to_json(char *const *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        if (!cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]))) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static cJSON *replicas_to_json(const faas_function_t *f, faas_record_view_t view)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr != NULL && i < f->n_replicas; i++) {
        cJSON *r = faas_store__record_to_json(replica_fields, NELEMS(replica_fields), &f->replicas[i], view);
        if (r == NULL || !cJSON_AddItemToArray(arr, r)) {
            cJSON_Delete(r);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

/* Adds item under key; deletes it (and returns -1) when it is NULL or cannot be added. */
static int add_item(cJSON *obj, const char *key, cJSON *item)
{
    if (item != NULL && cJSON_AddItemToObject(obj, key, item))
        return 0;
    cJSON_Delete(item); /* cJSON_AddItemToObject leaves the item unattached when it fails */
    return -1;
}

/* Seed 000's "id" (the container) and "address": the first replica's, and the first ready one's
 * address (where the proxy would go); null without one. */
static int add_first_replica(cJSON *obj, const faas_function_t *f)
{
    const faas_replica_t *ready = NULL;
    for (size_t i = 0; i < f->n_replicas && ready == NULL; i++)
        if (f->replicas[i].state == FAAS_REPLICA_READY)
            ready = &f->replicas[i];
    const char *id = f->n_replicas > 0 ? f->replicas[0].id : NULL, *address = ready ? ready->address : NULL;
    return add_item(obj, "id", id ? cJSON_CreateString(id) : cJSON_CreateNull()) != 0 ||
                   add_item(obj, "address", address ? cJSON_CreateString(address) : cJSON_CreateNull()) != 0
               ? -1
               : 0;
}

cJSON *faas_function_to_json(const faas_function_t *f, faas_record_view_t view)
{
    cJSON *obj = faas_store__record_to_json(function_fields, NELEMS(function_fields), f, view);
    if (obj == NULL)
        return NULL;
    /* cJSON_AddItemToObject leaves the item unattached when it fails, so it is deleted here. */
    cJSON *env = env_to_json(f);
    if (env == NULL || !cJSON_AddItemToObject(obj, "env", env)) {
        cJSON_Delete(env);
        goto fail;
    }
    cJSON *build = f->build.id == NULL ? cJSON_CreateNull()
                                       : faas_store__record_to_json(build_info_fields, NELEMS(build_info_fields), &f->build, view);
    if (build == NULL || !cJSON_AddItemToObject(obj, "build", build)) {
        cJSON_Delete(build);
        goto fail;
    }
    if (add_item(obj, "secrets", strings_to_json(f->secrets, f->n_secrets)) != 0 ||
        add_item(obj, "placement", strings_to_json(f->placement, f->n_placement)) != 0 ||
        add_item(obj, "scale", faas_scale_to_json(&f->scale)) != 0 ||
        add_item(obj, "replicas", replicas_to_json(f, view)) != 0 || add_first_replica(obj, f) != 0)
        goto fail;
    return obj;
fail:
    cJSON_Delete(obj);
    return NULL;
}

static faas_err_t env_from_json(const cJSON *env, faas_function_t *f, faas_error_t *err)
{
    if (env == NULL || cJSON_IsNull(env))
        return FAAS_OK;
    if (!cJSON_IsObject(env))
        return faas_error_set(err, FAAS_EINVAL, "'env' must be an object");
    size_t n = (size_t)cJSON_GetArraySize(env);
    if (n == 0)
        return FAAS_OK;
    f->env = calloc(n, sizeof(*f->env));
    if (f->env == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    const cJSON *item;
    cJSON_ArrayForEach(item, env) {
        if (item->string == NULL || item->string[0] == '\0' || !cJSON_IsString(item))
            return faas_error_set(err, FAAS_EINVAL, "'env' must map non-empty names to strings");
        faas_env_var_t *v = &f->env[f->env_len++];
        v->name = strdup(item->string);
        v->value = strdup(item->valuestring);
        if (v->name == NULL || v->value == NULL)
            return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    }
    return FAAS_OK;
}

/* "secrets": ["name",...]; missing or null: none (a record of an older faas). */
static faas_err_t secrets_from_json(const cJSON *arr, faas_function_t *f, faas_error_t *err)
{
    if (arr == NULL || cJSON_IsNull(arr))
        return FAAS_OK;
    if (!cJSON_IsArray(arr))
        return faas_error_set(err, FAAS_EINVAL, "'secrets' must be an array");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n > 0 && (f->secrets = calloc(n, sizeof(*f->secrets))) == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        if (!cJSON_IsString(item) || !faas_record_valid_secret_name(item->valuestring))
            return faas_error_set(err, FAAS_EINVAL, "'secrets' must hold secret names");
        if ((f->secrets[f->n_secrets++] = strdup(item->valuestring)) == NULL)
            return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    }
    return FAAS_OK;
}

/* "placement": ["constraint",...]; missing or null: none (a record of an older faas). */
static faas_err_t placement_from_json(const cJSON *arr, faas_function_t *f, faas_error_t *err)
{
    if (arr == NULL || cJSON_IsNull(arr))
        return FAAS_OK;
    size_t n = cJSON_IsArray(arr) ? (size_t)cJSON_GetArraySize(arr) : 0;
    if (!cJSON_IsArray(arr) || n > FAAS_RECORD_PLACEMENT_MAX)
        return faas_error_set(err, FAAS_EINVAL, "'placement' must be an array of at most %d constraints",
                              FAAS_RECORD_PLACEMENT_MAX);
    if (n > 0 && (f->placement = calloc(n, sizeof(*f->placement))) == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        if (!cJSON_IsString(item) || !faas_record_valid_constraint(item->valuestring))
            return faas_error_set(err, FAAS_EINVAL, "'placement' must hold placement constraints");
        if ((f->placement[f->n_placement++] = strdup(item->valuestring)) == NULL)
            return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    }
    return FAAS_OK;
}

static faas_err_t build_info_from_json(const cJSON *build, faas_build_info_t *b, faas_error_t *err)
{
    if (build == NULL || cJSON_IsNull(build))
        return FAAS_OK;
    if (!cJSON_IsObject(build))
        return faas_error_set(err, FAAS_EINVAL, "'build' must be an object or null");
    faas_err_t rc = faas_store__fields_from_json(build_info_fields, NELEMS(build_info_fields), build, b, err);
    return rc == FAAS_OK ? rc : faas_error_prefix(err, rc, "build");
}

/* "scale": {"min":n|null,...} or null; a missing key or null is unset, other keys are ignored. */
static faas_err_t scale_from_json(const cJSON *scale, faas_scale_t *s, faas_error_t *err)
{
    if (scale == NULL || cJSON_IsNull(scale))
        return FAAS_OK;
    if (!cJSON_IsObject(scale))
        return faas_error_set(err, FAAS_EINVAL, "'scale' must be an object or null");
    for (unsigned bit = 1; bit & FAAS_SCALE_ALL; bit <<= 1) {
        char name[32];
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(scale, faas_scale_key(bit));
        snprintf(name, sizeof(name), "'scale.%s'", faas_scale_key(bit));
        if (item != NULL && faas_scale_set_json(s, bit, item, name, err) != FAAS_OK)
            return FAAS_EINVAL;
    }
    return FAAS_OK;
}

/* "replicas": [{"id","address","state"}]; missing or null: none (a record of an older faas). */
static faas_err_t replicas_from_json(const cJSON *arr, faas_function_t *f, faas_error_t *err)
{
    if (arr == NULL || cJSON_IsNull(arr))
        return FAAS_OK;
    if (!cJSON_IsArray(arr))
        return faas_error_set(err, FAAS_EINVAL, "'replicas' must be an array");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0)
        return FAAS_OK;
    if ((f->replicas = calloc(n, sizeof(*f->replicas))) == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        faas_replica_t *r = &f->replicas[f->n_replicas++];
        faas_err_t rc = cJSON_IsObject(item) ? faas_store__fields_from_json(replica_fields, NELEMS(replica_fields), item, r, err)
                                             : faas_error_set(err, FAAS_EINVAL, "not an object");
        if (rc != FAAS_OK)
            return faas_error_prefix(err, rc, "'replicas'[%zu]", f->n_replicas - 1);
    }
    return FAAS_OK;
}

/* A record written before replicas names its one container in "id" and "address": it becomes the
 * one replica, ready when the function was running, else stopped. */
static faas_err_t replica_from_container(const cJSON *json, faas_function_t *f, faas_error_t *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
    const cJSON *address = cJSON_GetObjectItemCaseSensitive(json, "address");
    if (id == NULL || cJSON_IsNull(id))
        return FAAS_OK;
    if (!cJSON_IsString(id) || (address != NULL && !cJSON_IsNull(address) && !cJSON_IsString(address)))
        return faas_error_set(err, FAAS_EINVAL, "'id' and 'address' must be strings");
    if ((f->replicas = calloc(1, sizeof(*f->replicas))) == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    faas_replica_t *r = &f->replicas[0];
    f->n_replicas = 1;
    r->state = f->status == FAAS_FUNCTION_RUNNING ? FAAS_REPLICA_READY : FAAS_REPLICA_STOPPED;
    r->id = strdup(id->valuestring);
    r->address = cJSON_IsString(address) ? strdup(address->valuestring) : NULL;
    if (r->id == NULL || (cJSON_IsString(address) && r->address == NULL))
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    return FAAS_OK;
}

faas_err_t faas_function_from_json(const cJSON *json, faas_function_t *out, faas_error_t *err)
{
    faas_err_t rc = faas_store__record_from_json("function", function_fields, NELEMS(function_fields), json, out,
                                     sizeof(*out), err);
    if (rc != FAAS_OK)
        return rc;
    if (!faas_record_valid_name(out->name))
        rc = faas_error_set(err, FAAS_EINVAL, "'name' is not a valid DNS label");
    if (rc == FAAS_OK)
        rc = env_from_json(cJSON_GetObjectItemCaseSensitive(json, "env"), out, err);
    if (rc == FAAS_OK)
        rc = secrets_from_json(cJSON_GetObjectItemCaseSensitive(json, "secrets"), out, err);
    if (rc == FAAS_OK)
        rc = placement_from_json(cJSON_GetObjectItemCaseSensitive(json, "placement"), out, err);
    if (rc == FAAS_OK)
        rc = build_info_from_json(cJSON_GetObjectItemCaseSensitive(json, "build"), &out->build, err);
    if (rc == FAAS_OK)
        rc = scale_from_json(cJSON_GetObjectItemCaseSensitive(json, "scale"), &out->scale, err);
    if (rc == FAAS_OK)
        rc = replicas_from_json(cJSON_GetObjectItemCaseSensitive(json, "replicas"), out, err);
    if (rc == FAAS_OK && cJSON_GetObjectItemCaseSensitive(json, "replicas") == NULL)
        rc = replica_from_container(json, out, err);
    if (rc != FAAS_OK) {
        faas_function_free(out);
        faas_error_prefix(err, rc, "function record");
    }
    return rc;
}

/* ---- runtime, build, invocation ---- */

void faas_runtime_free(faas_runtime_t *r)
{
    if (r == NULL)
        return;
    faas_store__fields_free(runtime_fields, NELEMS(runtime_fields), r);
    memset(r, 0, sizeof(*r));
}

void faas_runtime_array_free(faas_runtime_t *arr, size_t n)
{
    for (size_t i = 0; arr != NULL && i < n; i++)
        faas_runtime_free(&arr[i]);
    free(arr);
}

cJSON *faas_runtime_to_json(const faas_runtime_t *r, faas_record_view_t view)
{
    return faas_store__record_to_json(runtime_fields, NELEMS(runtime_fields), r, view);
}

faas_err_t faas_runtime_from_json(const cJSON *json, faas_runtime_t *out, faas_error_t *err)
{
    return faas_store__record_from_json("runtime", runtime_fields, NELEMS(runtime_fields), json, out, sizeof(*out), err);
}

void faas_build_free(faas_build_t *b)
{
    if (b == NULL)
        return;
    faas_store__fields_free(build_fields, NELEMS(build_fields), b);
    memset(b, 0, sizeof(*b));
}

cJSON *faas_build_to_json(const faas_build_t *b, faas_record_view_t view)
{
    return faas_store__record_to_json(build_fields, NELEMS(build_fields), b, view);
}

faas_err_t faas_build_from_json(const cJSON *json, faas_build_t *out, faas_error_t *err)
{
    return faas_store__record_from_json("build", build_fields, NELEMS(build_fields), json, out, sizeof(*out), err);
}

void faas_invocation_free(faas_invocation_t *inv)
{
    if (inv == NULL)
        return;
    faas_store__fields_free(invocation_fields, NELEMS(invocation_fields), inv);
    memset(inv, 0, sizeof(*inv));
}

void faas_invocation_array_free(faas_invocation_t *arr, size_t n)
{
    for (size_t i = 0; arr != NULL && i < n; i++)
        faas_invocation_free(&arr[i]);
    free(arr);
}

cJSON *faas_invocation_to_json(const faas_invocation_t *inv, faas_record_view_t view)
{
    return faas_store__record_to_json(invocation_fields, NELEMS(invocation_fields), inv, view);
}

faas_err_t faas_invocation_from_json(const cJSON *json, faas_invocation_t *out, faas_error_t *err)
{
    return faas_store__record_from_json("invocation", invocation_fields, NELEMS(invocation_fields), json, out,
                            sizeof(*out), err);
}

void faas_revision_free(faas_revision_t *rev)
{
    if (rev == NULL)
        return;
    faas_store__fields_free(revision_fields, NELEMS(revision_fields), rev);
    faas_function_free(&rev->settings);
    memset(rev, 0, sizeof(*rev));
}

void faas_revision_array_free(faas_revision_t *arr, size_t n)
{
    for (size_t i = 0; arr != NULL && i < n; i++)
        faas_revision_free(&arr[i]);
    free(arr);
}

cJSON *faas_revision_to_json(const faas_revision_t *rev, faas_record_view_t view)
{
    cJSON *obj = faas_store__record_to_json(revision_fields, NELEMS(revision_fields), rev, view);
    if (obj != NULL && add_item(obj, "settings", faas_function_to_json(&rev->settings, view)) != 0) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

faas_err_t faas_revision_from_json(const cJSON *json, faas_revision_t *out, faas_error_t *err)
{
    faas_err_t rc = faas_store__record_from_json("revision", revision_fields, NELEMS(revision_fields), json, out, sizeof(*out), err);
    if (rc != FAAS_OK)
        return rc;
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(json, "settings");
    rc = cJSON_IsObject(settings) ? faas_function_from_json(settings, &out->settings, err)
                                  : faas_error_set(err, FAAS_EINVAL, "revision: 'settings' must be an object");
    if (rc != FAAS_OK) {
        faas_revision_free(out);
        faas_error_prefix(err, rc, "revision record");
    }
    return rc;
}

/* ---- API key ---- */

void faas_apikey_free(faas_apikey_t *k)
{
    if (k == NULL)
        return;
    faas_store__fields_free(apikey_fields, NELEMS(apikey_fields), k);
    memset(k, 0, sizeof(*k));
}

void faas_apikey_array_free(faas_apikey_t *arr, size_t n)
{
    for (size_t i = 0; arr != NULL && i < n; i++)
        faas_apikey_free(&arr[i]);
    free(arr);
}

cJSON *faas_apikey_to_json(const faas_apikey_t *k, faas_record_view_t view)
{
    cJSON *obj = faas_store__record_to_json(apikey_fields, NELEMS(apikey_fields), k, view);
    if (obj != NULL && view == FAAS_RECORD_API)
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "hash"); /* what the key hashes to is the store's alone */
    return obj;
}

faas_err_t faas_apikey_from_json(const cJSON *json, faas_apikey_t *out, faas_error_t *err)
{
    faas_err_t rc = faas_store__record_from_json("key", apikey_fields, NELEMS(apikey_fields), json, out, sizeof(*out), err);
    if (rc != FAAS_OK)
        return rc;
    unsigned char digest[FAAS_KEYS_DIGEST_LEN];
    if (!faas_keys_valid_name(out->name))
        rc = faas_error_set(err, FAAS_EINVAL, "'name' is not a key name");
    else if (faas_keys_unhex(out->hash, digest) != 0)
        rc = faas_error_set(err, FAAS_EINVAL, "'hash' must be %d hex digits", FAAS_KEYS_HEX_LEN);
    if (rc != FAAS_OK) {
        faas_apikey_free(out);
        faas_error_prefix(err, rc, "key record");
    }
    return rc;
}
