/*
 * scale.c: a service function's scale settings (see scale.h): one check per field, whatever
 * input it comes from, the JSON of the PUT body and of records, and the settings in force
 * (own, then the hook's, then the `scale` table). Pure code: any thread.
 */
#include "faas/core/scale.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* One setting: its key, its bit, where it lives in faas_scale_t and in the config, its range. */
typedef struct scale_field {
    const char *key;
    unsigned bit;
    size_t off;     /* in faas_scale_t (an int) */
    size_t cfg_off; /* in faas_config_t (an int64_t) */
    int lo, hi;
} scale_field_t;

static const scale_field_t fields[] = {
    {"min", FAAS_SCALE_MIN, offsetof(faas_scale_t, min), offsetof(faas_config_t, scale.min), 0, FAAS_SCALE_REPLICAS_MAX},
    {"max", FAAS_SCALE_MAX, offsetof(faas_scale_t, max), offsetof(faas_config_t, scale.max), 1, FAAS_SCALE_REPLICAS_MAX},
    {"target", FAAS_SCALE_TARGET, offsetof(faas_scale_t, target), offsetof(faas_config_t, scale.target), 1,
     FAAS_SCALE_TARGET_MAX},
    {"concurrency", FAAS_SCALE_CONCURRENCY, offsetof(faas_scale_t, concurrency),
     offsetof(faas_config_t, scale.concurrency), 0, FAAS_SCALE_CONCURRENCY_MAX},
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define SLOT(s, f) ((int *)((char *)(s) + (f)->off))
#define CSLOT(s, f) ((const int *)((const char *)(s) + (f)->off))
#define CFG(cfg, f) (*(const int64_t *)((const char *)(cfg) + (f)->cfg_off))

static const scale_field_t *by_bit(unsigned bit)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].bit == bit)
            return &fields[i];
    return NULL;
}

unsigned faas_scale_bit(const char *key)
{
    for (size_t i = 0; key != NULL && i < NFIELDS; i++)
        if (strcmp(fields[i].key, key) == 0)
            return fields[i].bit;
    return 0;
}

const char *faas_scale_key(unsigned bit)
{
    const scale_field_t *f = by_bit(bit);
    return f != NULL ? f->key : "?";
}

int faas_scale_get(const faas_scale_t *s, unsigned bit)
{
    const scale_field_t *f = by_bit(bit);
    return f != NULL ? *CSLOT(s, f) : 0;
}

faas_err_t faas_scale_set(faas_scale_t *s, unsigned bit, int64_t value, const char *name, faas_error_t *err)
{
    const scale_field_t *f = by_bit(bit);
    if (f == NULL)
        return faas_error_set(err, FAAS_EINVAL, "%s: not a scale setting", name);
    if (value < f->lo || value > f->hi)
        return faas_error_set(err, FAAS_EINVAL, "%s: %lld is out of range %d..%d", name, (long long)value, f->lo, f->hi);
    *SLOT(s, f) = (int)value;
    s->set |= bit;
    return FAAS_OK;
}

faas_err_t faas_scale_set_json(faas_scale_t *s, unsigned bit, const cJSON *item, const char *name, faas_error_t *err)
{
    const scale_field_t *f = by_bit(bit);
    if (f != NULL && cJSON_IsNull(item)) {
        s->set &= ~bit;
        *SLOT(s, f) = 0;
        return FAAS_OK;
    }
    double d = cJSON_IsNumber(item) ? item->valuedouble : NAN;
    if (!isfinite(d) || d != floor(d))
        return faas_error_set(err, FAAS_EINVAL, "%s: must be a whole number or null", name);
    if (f == NULL)
        return faas_scale_set(s, bit, 0, name, err); /* "not a scale setting" */
    if (fabs(d) > 1e12) /* before the cast, so that it is defined */
        return faas_error_set(err, FAAS_EINVAL, "%s: %g is out of range %d..%d", name, d, f->lo, f->hi);
    return faas_scale_set(s, bit, (int64_t)d, name, err);
}

faas_err_t faas_scale_check_order(const faas_scale_t *s, const char *min_name, faas_error_t *err)
{
    if ((s->set & FAAS_SCALE_MIN) && (s->set & FAAS_SCALE_MAX) && s->min > s->max)
        return faas_error_set(err, FAAS_EINVAL, "%s: %d is above max %d", min_name, s->min, s->max);
    return FAAS_OK;
}

void faas_scale_copy(faas_scale_t *dst, const faas_scale_t *src, unsigned bits)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        const scale_field_t *f = &fields[i];
        if (!(bits & f->bit))
            continue;
        *SLOT(dst, f) = (src->set & f->bit) ? *CSLOT(src, f) : 0;
        dst->set = (dst->set & ~f->bit) | (src->set & f->bit);
    }
}

void faas_scale_resolve(const faas_config_t *cfg, const faas_scale_t *own, const faas_scale_t *hook,
                        faas_scale_t *out)
{
    faas_scale_t res = {.set = FAAS_SCALE_ALL};
    for (size_t i = 0; i < NFIELDS; i++) {
        const scale_field_t *f = &fields[i];
        if (own != NULL && (own->set & f->bit))
            *SLOT(&res, f) = *CSLOT(own, f);
        else if (hook != NULL && (hook->set & f->bit))
            *SLOT(&res, f) = *CSLOT(hook, f);
        else
            *SLOT(&res, f) = (int)CFG(cfg, f);
    }
    if (res.min > res.max)
        res.max = res.min;
    *out = res;
}

faas_err_t faas_scale_from_json(const cJSON *obj, faas_scale_t *out, faas_error_t *err)
{
    if (!cJSON_IsObject(obj))
        return faas_error_set(err, FAAS_EINVAL, "the body must be a JSON object like {\"min\":0,\"max\":4}");
    faas_scale_t next = *out;
    const cJSON *item;
    cJSON_ArrayForEach(item, obj) {
        const char *key = item->string != NULL ? item->string : "";
        unsigned bit = faas_scale_bit(key);
        if (bit == 0)
            return faas_error_set(err, FAAS_EINVAL, "%.64s: unknown setting (known: min, max, target, concurrency)",
                                  key);
        if (faas_scale_set_json(&next, bit, item, key, err) != FAAS_OK)
            return FAAS_EINVAL;
    }
    if (faas_scale_check_order(&next, "min", err) != FAAS_OK)
        return FAAS_EINVAL;
    *out = next;
    return FAAS_OK;
}

cJSON *faas_scale_to_json(const faas_scale_t *s)
{
    cJSON *obj = cJSON_CreateObject();
    for (size_t i = 0; obj != NULL && i < NFIELDS; i++) {
        const scale_field_t *f = &fields[i];
        cJSON *v = (s->set & f->bit) ? cJSON_CreateNumber(*CSLOT(s, f)) : cJSON_CreateNull();
        if (v == NULL || !cJSON_AddItemToObject(obj, f->key, v)) {
            cJSON_Delete(v);
            cJSON_Delete(obj);
            return NULL;
        }
    }
    return obj;
}
