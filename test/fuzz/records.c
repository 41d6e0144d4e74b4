/*
 * records.c (fuzz): the stored records read back from JSON (src/store/record.c and beside it):
 * faas_function_from_json, faas_runtime_from_json, faas_build_from_json and
 * faas_invocation_from_json, behind cJSON_ParseWithLength as the store calls them. Input: one
 * byte choosing the record type, then the JSON text (not NUL-terminated).
 * Properties: a refusal leaves the record empty; an accepted record written back with to_json
 * (the stored view) is accepted again and written the same way; the API view is written too.
 */
#include "fuzz.h"
#include "faas/store/record.h"

#include <cjson/cJSON.h>

FUZZ_QUIET_INIT

/* One record type as a table row, so the properties are written once. */
typedef struct kind {
    size_t size;
    faas_err_t (*from)(const cJSON *, void *, faas_error_t *);
    cJSON *(*to)(const void *, faas_record_view_t);
    void (*free_)(void *);
} kind_t;

/* Each record's functions behind one prototype (a call through a pointer of another type is
   undefined). */
static faas_err_t fn_from(const cJSON *j, void *o, faas_error_t *e) { return faas_function_from_json(j, o, e); }
static cJSON *fn_to(const void *r, faas_record_view_t v) { return faas_function_to_json(r, v); }
static void fn_free(void *r) { faas_function_free(r); }
static faas_err_t rt_from(const cJSON *j, void *o, faas_error_t *e) { return faas_runtime_from_json(j, o, e); }
static cJSON *rt_to(const void *r, faas_record_view_t v) { return faas_runtime_to_json(r, v); }
static void rt_free(void *r) { faas_runtime_free(r); }
static faas_err_t b_from(const cJSON *j, void *o, faas_error_t *e) { return faas_build_from_json(j, o, e); }
static cJSON *b_to(const void *r, faas_record_view_t v) { return faas_build_to_json(r, v); }
static void b_free(void *r) { faas_build_free(r); }
static faas_err_t inv_from(const cJSON *j, void *o, faas_error_t *e) { return faas_invocation_from_json(j, o, e); }
static cJSON *inv_to(const void *r, faas_record_view_t v) { return faas_invocation_to_json(r, v); }
static void inv_free(void *r) { faas_invocation_free(r); }

static const kind_t kinds[] = {
    {sizeof(faas_function_t), fn_from, fn_to, fn_free},
    {sizeof(faas_runtime_t), rt_from, rt_to, rt_free},
    {sizeof(faas_build_t), b_from, b_to, b_free},
    {sizeof(faas_invocation_t), inv_from, inv_to, inv_free},
};

/* 1 when the size bytes at p are all zero. */
static int zeroed(const void *p, size_t size)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < size; i++)
        if (c[i] != 0)
            return 0;
    return 1;
}

/* The record written as JSON text (malloc'd). */
static char *text_of(const kind_t *k, const void *rec, faas_record_view_t view)
{
    cJSON *j = k->to(rec, view);
    FUZZ_CHECK(j != NULL);
    char *text = cJSON_PrintUnformatted(j);
    FUZZ_CHECK(text != NULL);
    cJSON_Delete(j);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    const kind_t *k = &kinds[fuzz_byte(&in) % (sizeof(kinds) / sizeof(kinds[0]))];
    char *text = fuzz_dup(in.p, in.len);
    cJSON *json = cJSON_ParseWithLength(text, in.len);
    free(text);
    if (json == NULL)
        return 0;
    unsigned char rec[512], again[512];
    FUZZ_CHECK(k->size <= sizeof(rec));
    memset(rec, 0x5a, sizeof(rec));
    faas_error_t err = {0};
    if (k->from(json, rec, &err) != FAAS_OK) {
        FUZZ_CHECK(zeroed(rec, k->size) && err.msg[0] != '\0');
    } else {
        char *stored = text_of(k, rec, FAAS_RECORD_STORED);
        free(text_of(k, rec, FAAS_RECORD_API));
        cJSON *back = cJSON_Parse(stored);
        FUZZ_CHECK(back != NULL);
        FUZZ_CHECK(k->from(back, again, &err) == FAAS_OK);
        char *stored2 = text_of(k, again, FAAS_RECORD_STORED);
        FUZZ_CHECK(strcmp(stored, stored2) == 0);
        free(stored2);
        k->free_(again);
        cJSON_Delete(back);
        free(stored);
        k->free_(rec);
    }
    cJSON_Delete(json);
    return 0;
}
