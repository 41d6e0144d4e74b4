/*
 * scale.c (unit): a function's scale settings: the field-by-field check, the PUT body
 * (subsets, null unsets, unknown keys, wrong types, min above max, nothing changed on an
 * error), their JSON, copies of some settings, and the settings in force (own, then the
 * hook's, then the `scale` table, max raised to min).
 */
#include "faas/core/config.h"
#include "faas/core/scale.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Applies the JSON text to *s; returns the error text ("" on success). */
static const char *apply(const char *text, faas_scale_t *s)
{
    static faas_error_t err;
    memset(&err, 0, sizeof(err));
    cJSON *j = cJSON_Parse(text);
    faas_err_t rc = faas_scale_from_json(j, s, &err);
    cJSON_Delete(j);
    if (rc == FAAS_OK)
        return "";
    testlib_check(rc == FAAS_EINVAL, __FILE__, __LINE__, "EINVAL for %s", text);
    return err.msg;
}

TEST(keys_and_bits)
{
    CHECK_INT(faas_scale_bit("min"), FAAS_SCALE_MIN);
    CHECK_INT(faas_scale_bit("max"), FAAS_SCALE_MAX);
    CHECK_INT(faas_scale_bit("target"), FAAS_SCALE_TARGET);
    CHECK_INT(faas_scale_bit("concurrency"), FAAS_SCALE_CONCURRENCY);
    CHECK_INT(faas_scale_bit("Min"), 0);
    CHECK_INT(faas_scale_bit(NULL), 0);
    CHECK_STR(faas_scale_key(FAAS_SCALE_TARGET), "target");
    CHECK_STR(faas_scale_key(FAAS_SCALE_MIN | FAAS_SCALE_MAX), "?");
    faas_scale_t s = {.min = 2, .max = 5};
    CHECK_INT(faas_scale_get(&s, FAAS_SCALE_MAX), 5);
    CHECK_INT(faas_scale_get(&s, 64), 0);
}

TEST(field_ranges)
{
    static const struct { unsigned bit; int lo, hi; } ranges[] = {
        {FAAS_SCALE_MIN, 0, 1000}, {FAAS_SCALE_MAX, 1, 1000}, {FAAS_SCALE_TARGET, 1, 100000},
        {FAAS_SCALE_CONCURRENCY, 0, 100000},
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        faas_scale_t s = {0};
        faas_error_t err = {0};
        CHECK_INT(faas_scale_set(&s, ranges[i].bit, ranges[i].lo, "f", &err), FAAS_OK);
        CHECK_INT(faas_scale_set(&s, ranges[i].bit, ranges[i].hi, "f", &err), FAAS_OK);
        CHECK_INT(faas_scale_get(&s, ranges[i].bit), ranges[i].hi);
        CHECK_INT(s.set, ranges[i].bit);
        CHECK_INT(faas_scale_set(&s, ranges[i].bit, ranges[i].lo - 1, "f", &err), FAAS_EINVAL);
        CHECK_INT(faas_scale_set(&s, ranges[i].bit, (int64_t)ranges[i].hi + 1, "f", &err), FAAS_EINVAL);
        CHECK_INT(faas_scale_get(&s, ranges[i].bit), ranges[i].hi); /* unchanged */
    }
    faas_scale_t s = {0};
    faas_error_t err = {0};
    CHECK_INT(faas_scale_set(&s, FAAS_SCALE_MAX, 0, "scale_max", &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "scale_max: 0 is out of range 1..1000");
    CHECK_INT(s.set, 0);
    CHECK_INT(faas_scale_set(&s, FAAS_SCALE_MIN, 5000000000LL, "min", &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "min: 5000000000 is out of range 0..1000");
}

TEST(put_body)
{
    faas_scale_t s = {0};
    CHECK_STR(apply("{}", &s), "");
    CHECK_INT(s.set, 0);
    CHECK_STR(apply("{\"min\":0,\"max\":4,\"target\":10,\"concurrency\":0}", &s), "");
    CHECK_INT(s.set, FAAS_SCALE_ALL);
    CHECK_INT(s.max, 4);
    CHECK_INT(s.target, 10);
    CHECK_STR(apply("{\"max\":6}", &s), ""); /* a subset: the others stay */
    CHECK_INT(s.max, 6);
    CHECK_INT(s.set, FAAS_SCALE_ALL);
    CHECK_STR(apply("{\"target\":null,\"concurrency\":null}", &s), "");
    CHECK_INT(s.set, FAAS_SCALE_MIN | FAAS_SCALE_MAX);
    CHECK_INT(s.target, 0);
    CHECK_STR(apply("{\"min\":2.0}", &s), ""); /* JSON has one number type: 2.0 is a whole number */
    CHECK_INT(s.min, 2);

    faas_scale_t before = s;
    CHECK_STR(apply("{\"max\":0}", &s), "max: 0 is out of range 1..1000");
    CHECK_STR(apply("{\"min\":-1}", &s), "min: -1 is out of range 0..1000");
    CHECK_STR(apply("{\"target\":\"x\"}", &s), "target: must be a whole number or null");
    CHECK_STR(apply("{\"target\":1.5}", &s), "target: must be a whole number or null");
    CHECK_STR(apply("{\"concurrency\":true}", &s), "concurrency: must be a whole number or null");
    CHECK_STR(apply("{\"concurrency\":1e300}", &s), "concurrency: 1e+300 is out of range 0..100000");
    CHECK_STR(apply("{\"max\":3,\"replicas\":2}", &s), "replicas: unknown setting (known: min, max, target, concurrency)");
    CHECK_STR(apply("{\"min\":3,\"max\":2}", &s), "min: 3 is above max 2");
    CHECK_STR(apply("{\"min\":7}", &s), "min: 7 is above max 6"); /* against the max it keeps */
    CHECK_STR(apply("[1]", &s), "the body must be a JSON object like {\"min\":0,\"max\":4}");
    CHECK_STR(apply("3", &s), "the body must be a JSON object like {\"min\":0,\"max\":4}");
    CHECK(memcmp(&s, &before, sizeof(s)) == 0); /* no error changed anything, not even the keys before it */
    CHECK_STR(apply("{\"min\":7,\"max\":null}", &s), ""); /* no own max: the level below decides */
    CHECK_INT(s.set, FAAS_SCALE_MIN);
    cJSON *obj = faas_scale_to_json(&s);
    char *text = cJSON_PrintUnformatted(obj);
    CHECK_STR(text, "{\"min\":7,\"max\":null,\"target\":null,\"concurrency\":null}");
    free(text);
    cJSON_Delete(obj);
}

TEST(copy_some_settings)
{
    faas_scale_t dst = {.set = FAAS_SCALE_MIN | FAAS_SCALE_TARGET, .min = 1, .target = 5};
    faas_scale_t src = {.set = FAAS_SCALE_MAX | FAAS_SCALE_CONCURRENCY, .max = 9, .concurrency = 2};
    faas_scale_copy(&dst, &src, FAAS_SCALE_MAX | FAAS_SCALE_TARGET);
    CHECK_INT(dst.set, FAAS_SCALE_MIN | FAAS_SCALE_MAX); /* max copied, target unset as in src */
    CHECK_INT(dst.max, 9);
    CHECK_INT(dst.target, 0);
    CHECK_INT(dst.min, 1);
    CHECK_INT(dst.concurrency, 0); /* not asked for */
}

TEST(settings_in_force)
{
    faas_config_t *cfg = faas_config_new();
    faas_scale_t out;
    faas_scale_resolve(cfg, NULL, NULL, &out);
    CHECK_INT(out.set, FAAS_SCALE_ALL);
    CHECK_INT(out.min, 0);
    CHECK_INT(out.max, 1);
    CHECK_INT(out.target, 10);
    CHECK_INT(out.concurrency, 0);

    faas_scale_t own = {.set = FAAS_SCALE_MAX, .max = 8};
    faas_scale_t hook = {.set = FAAS_SCALE_MAX | FAAS_SCALE_TARGET, .max = 3, .target = 50};
    faas_scale_resolve(cfg, &own, &hook, &out);
    CHECK_INT(out.max, 8);     /* own first */
    CHECK_INT(out.target, 50); /* then the hook */
    CHECK_INT(out.min, 0);     /* then the table */
    CHECK_INT(out.concurrency, 0);

    faas_scale_t big_min = {.set = FAAS_SCALE_MIN, .min = 5};
    faas_scale_resolve(cfg, &big_min, NULL, &out);
    CHECK_INT(out.min, 5);
    CHECK_INT(out.max, 5); /* raised to min, not below it */
    faas_scale_resolve(cfg, NULL, &big_min, &out);
    CHECK_INT(out.max, 5);
    faas_config_unref(cfg);
}

int main(void)
{
    RUN(keys_and_bits);
    RUN(field_ranges);
    RUN(put_body);
    RUN(copy_some_settings);
    RUN(settings_in_force);
    return testlib_done();
}
