/*
 * scale.h: how many replicas a service function runs, and when. A function's own settings
 * (upload fields, PUT /function/scale/:name) come first, then what the Lua hook scale(name)
 * returns, then the `scale` table of faas.conf.lua. Pure: any thread.
 *
 * The per-function settings and their ranges (the `scale` table's min, max, target and
 * concurrency have the same): min 0..1000, max 1..1000, target 1..100000, concurrency
 * 0..100000. Every input that sets them (the PUT body, upload fields, the hook's table, a
 * stored record) goes through faas_scale_set, so they are checked one way everywhere.
 */
#ifndef FAAS_CORE_SCALE_H
#define FAAS_CORE_SCALE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "faas/core/config.h"
#include "faas/core/error.h"

/* Bits of faas_scale_t.set: which settings a level gives (the others are left to the next level). */
enum {
    FAAS_SCALE_MIN = 1 << 0,
    FAAS_SCALE_MAX = 1 << 1,
    FAAS_SCALE_TARGET = 1 << 2,
    FAAS_SCALE_CONCURRENCY = 1 << 3,
};

/* Every bit of faas_scale_t.set. */
#define FAAS_SCALE_ALL (FAAS_SCALE_MIN | FAAS_SCALE_MAX | FAAS_SCALE_TARGET | FAAS_SCALE_CONCURRENCY)

/* The tops of the ranges (see above). */
#define FAAS_SCALE_REPLICAS_MAX 1000
#define FAAS_SCALE_TARGET_MAX 100000
#define FAAS_SCALE_CONCURRENCY_MAX 100000

/* Per-function settings. A zeroed struct sets nothing. */
typedef struct faas_scale {
    unsigned set;    /* FAAS_SCALE_* bits of the fields that hold a value */
    int min;         /* replicas kept while idle; 0: scale to zero */
    int max;         /* most replicas */
    int target;      /* requests in flight per replica the autoscaler aims at */
    int concurrency; /* hard cap of requests in flight per replica, 0 = none */
} faas_scale_t;

/** The FAAS_SCALE_* bit of a key: "min", "max", "target" or "concurrency"; 0 for anything else (NULL too). */
unsigned faas_scale_bit(const char *key);

/** The key of one FAAS_SCALE_* bit ("min", ...); "?" for anything else. */
const char *faas_scale_key(unsigned bit);

/** The value s holds for one FAAS_SCALE_* bit (whether set or not); 0 for anything else. */
int faas_scale_get(const faas_scale_t *s, unsigned bit);

/**
 * The field-by-field check: when value is in the range of bit's setting, stores it in *s and
 * sets the bit; else FAAS_EINVAL "<name>: <value> is out of range <lo>..<hi>" and s is
 * unchanged. name is the field as the caller's input spells it ("min", "scale_min").
 */
faas_err_t faas_scale_set(faas_scale_t *s, unsigned bit, int64_t value, const char *name, faas_error_t *err);

/**
 * faas_scale_set for a JSON value: null unsets the setting, a whole number sets it; anything
 * else is FAAS_EINVAL "<name>: must be a whole number or null" (s unchanged).
 */
faas_err_t faas_scale_set_json(faas_scale_t *s, unsigned bit, const cJSON *item, const char *name, faas_error_t *err);

/** FAAS_EINVAL "<min_name>: <min> is above max <max>" when s sets both min and max with min > max. */
faas_err_t faas_scale_check_order(const faas_scale_t *s, const char *min_name, faas_error_t *err);

/** Copies into *dst the settings of the given bits from src, set or unset as they are there. */
void faas_scale_copy(faas_scale_t *dst, const faas_scale_t *src, unsigned bits);

/**
 * The settings in force: each from own when set there, else from hook when set there, else
 * from cfg's `scale` table. own and hook may be NULL (nothing set). *out has every bit set.
 * When the result has min above max (a level set a min above the max of a later one), max is
 * raised to min: the function keeps the replicas it was asked to keep.
 */
void faas_scale_resolve(const faas_config_t *cfg, const faas_scale_t *own, const faas_scale_t *hook,
                        faas_scale_t *out);

/**
 * Applies a JSON object of settings (the PUT /function/scale body) to *out: each of the keys
 * min, max, target, concurrency that obj has sets its value (a whole number in its range) or,
 * when null, unsets it; keys obj does not have are left as they are. Then min must not be
 * above max. FAAS_EINVAL naming the field ("max: 0 is out of range 1..1000", "x: unknown
 * setting (known: min, max, target, concurrency)", "the body must be a JSON object"), with *out
 * unchanged.
 */
faas_err_t faas_scale_from_json(const cJSON *obj, faas_scale_t *out, faas_error_t *err);

/** {"min":n|null,"max":n|null,"target":n|null,"concurrency":n|null}: null for what s does not set.
 *  The caller owns it; NULL only when out of memory. */
cJSON *faas_scale_to_json(const faas_scale_t *s);

#endif
