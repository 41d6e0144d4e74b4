/*
 * record_fields.c: the field-table engine behind record.c (its types in internal.h): a record type's fields written once
 * as a table (key, type, offset, range) and walked to free, serialise and parse it, so every
 * record's JSON follows the same rules (record.h). Pure functions: any thread.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *faas_store__enum_name(const char *const *names, size_t n, int v)
{
    return (v >= 0 && (size_t)v < n) ? names[v] : "?";
}

int faas_store__enum_parse(const char *const *names, size_t n, const char *s, int *out)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    return -1;
}

/* ---- generic field table walkers ---- */

#define AT(rec, f, T) ((T *)((char *)(rec) + (f)->off))
#define CAT(rec, f, T) ((const T *)((const char *)(rec) + (f)->off))

void faas_store__fields_free(const field_t *fields, size_t n, void *rec)
{
    for (size_t i = 0; i < n; i++) {
        if (fields[i].type == F_STR) {
            free(*AT(rec, &fields[i], char *));
            *AT(rec, &fields[i], char *) = NULL;
        }
    }
}

/* Adds every field of rec to obj as view shows it; returns 0, or -1 when out of memory. */
int faas_store__fields_to_json(const field_t *fields, size_t n, const void *rec, faas_record_view_t view, cJSON *obj)
{
    for (size_t i = 0; i < n; i++) {
        const field_t *f = &fields[i];
        cJSON *item = NULL;
        switch (f->type) {
        case F_STR: {
            const char *s = *CAT(rec, f, char *);
            item = s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
            break;
        }
        case F_INT: item = cJSON_CreateNumber((double)*CAT(rec, f, int)); break;
        case F_I64: item = cJSON_CreateNumber((double)*CAT(rec, f, int64_t)); break;
        case F_TIME: {
            int64_t ms = *CAT(rec, f, int64_t);
            item = cJSON_CreateNumber((double)(view == FAAS_RECORD_API ? ms / 1000 : ms));
            break;
        }
        case F_ENUM: item = cJSON_CreateString(faas_store__enum_name(f->names, f->nnames, *CAT(rec, f, int))); break;
        case F_NANO: item = cJSON_CreateNumber((double)*CAT(rec, f, int64_t) / NANO_PER_UNIT); break;
        }
        if (item == NULL || !cJSON_AddItemToObject(obj, f->key, item)) {
            cJSON_Delete(item);
            return -1;
        }
    }
    return 0;
}

static faas_err_t parse_str(const field_t *f, const cJSON *item, void *rec, faas_error_t *err)
{
    if (!cJSON_IsString(item) || item->valuestring == NULL)
        return faas_error_set(err, FAAS_EINVAL, "'%s' must be a string", f->key);
    char *s = strdup(item->valuestring);
    if (s == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    *AT(rec, f, char *) = s;
    return FAAS_OK;
}

static faas_err_t parse_number(const field_t *f, const cJSON *item, void *rec, faas_error_t *err)
{
    double d = cJSON_IsNumber(item) ? item->valuedouble : NAN;
    /* The range check comes first so the cast that tests integrality is defined. */
    if (!isfinite(d) || d < (double)f->min || d > (double)f->max || d != (double)(int64_t)d)
        return faas_error_set(err, FAAS_EINVAL, "'%s' must be an integer in %lld..%lld", f->key,
                              (long long)f->min, (long long)f->max);
    if (f->type == F_INT)
        *AT(rec, f, int) = (int)d;
    else
        *AT(rec, f, int64_t) = (int64_t)d;
    return FAAS_OK;
}

static faas_err_t parse_nano(const field_t *f, const cJSON *item, void *rec, faas_error_t *err)
{
    double d = cJSON_IsNumber(item) ? item->valuedouble : NAN;
    if (!isfinite(d) || d < (double)f->min || d > (double)f->max)
        return faas_error_set(err, FAAS_EINVAL, "'%s' must be a number in %lld..%lld", f->key, (long long)f->min,
                              (long long)f->max);
    *AT(rec, f, int64_t) = llround(d * NANO_PER_UNIT);
    return FAAS_OK;
}

static faas_err_t parse_enum(const field_t *f, const cJSON *item, void *rec, faas_error_t *err)
{
    int v;
    if (!cJSON_IsString(item) || faas_store__enum_parse(f->names, f->nnames, item->valuestring, &v) != 0) {
        char list[128] = "";
        size_t len = 0;
        for (size_t i = 0; i < f->nnames && len < sizeof(list); i++)
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", f->names[i]);
        return faas_error_set(err, FAAS_EINVAL, "'%s' must be one of %s", f->key, list);
    }
    *AT(rec, f, int) = v;
    return FAAS_OK;
}

/* Fills rec's fields from obj; on error rec's strings may be half set (fields_free them). */
faas_err_t faas_store__fields_from_json(const field_t *fields, size_t n, const cJSON *obj, void *rec,
                                   faas_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        const field_t *f = &fields[i];
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, f->key);
        if (item == NULL || cJSON_IsNull(item)) {
            if (f->required)
                return faas_error_set(err, FAAS_EINVAL, "'%s' is missing", f->key);
            continue;
        }
        faas_err_t rc = FAAS_OK;
        switch (f->type) {
        case F_STR: rc = parse_str(f, item, rec, err); break;
        case F_INT:
        case F_I64:
        case F_TIME: rc = parse_number(f, item, rec, err); break;
        case F_ENUM: rc = parse_enum(f, item, rec, err); break;
        case F_NANO: rc = parse_nano(f, item, rec, err); break;
        }
        if (rc != FAAS_OK)
            return rc;
    }
    return FAAS_OK;
}

/* The common shape of a parser: zero, check it is an object, walk the table, clean up on error. */
faas_err_t faas_store__record_from_json(const char *what, const field_t *fields, size_t n, const cJSON *json,
                                   void *rec, size_t size, faas_error_t *err)
{
    memset(rec, 0, size);
    faas_err_t rc = cJSON_IsObject(json) ? faas_store__fields_from_json(fields, n, json, rec, err)
                                         : faas_error_set(err, FAAS_EINVAL, "not a JSON object");
    if (rc != FAAS_OK) {
        faas_store__fields_free(fields, n, rec);
        memset(rec, 0, size); /* numbers read before the bad key too: the record is empty on error */
        faas_error_prefix(err, rc, "%s record", what);
    }
    return rc;
}

cJSON *faas_store__record_to_json(const field_t *fields, size_t n, const void *rec, faas_record_view_t view)
{
    cJSON *obj = cJSON_CreateObject();
    if (obj != NULL && faas_store__fields_to_json(fields, n, rec, view, obj) != 0) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}
