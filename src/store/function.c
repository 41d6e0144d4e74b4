/*
 * function.c: function records (name -> JSON) with the functionId -> name index, and
 * runtime records (name -> JSON).
 * Threads: get/list from any thread (read transactions); put/create/delete/update on worker
 * threads only (they commit, which fsyncs).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/core/log.h"

/* ---- functions: transaction-level steps ---- */

static faas_err_t get_txn(faas_store_t *s, MDB_txn *txn, const char *name, faas_function_t *out,
                          faas_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (!faas_record_valid_name(name))
        return faas_error_set(err, FAAS_ENOTFOUND, "function not found");
    char what[96];
    snprintf(what, sizeof(what), "function '%s'", name);
    cJSON *json;
    faas_err_t rc = faas_store__get_json(s, txn, s->functions, name, &json, what, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_function_from_json(json, out, err);
    cJSON_Delete(json);
    if (rc == FAAS_OK && strcmp(out->name, name) != 0) {
        faas_function_free(out);
        rc = faas_error_set(err, FAAS_EINVAL, "stored under another name");
    }
    return rc == FAAS_OK ? rc : faas_store__corrupt(rc, err, what);
}

/* Copies the name function_ids gives for id into name; an LMDB code (MDB_NOTFOUND when none). */
static int id_owner(faas_store_t *s, MDB_txn *txn, const char *id, char name[FAAS_RECORD_NAME_MAX + 1])
{
    MDB_val k = faas_store__val(id), v;
    int rc = mdb_get(txn, s->function_ids, &k, &v);
    name[0] = '\0';
    if (rc == MDB_SUCCESS && v.mv_size <= FAAS_RECORD_NAME_MAX) {
        memcpy(name, v.mv_data, v.mv_size);
        name[v.mv_size] = '\0';
    }
    return rc;
}

/* FAAS_ECONFLICT when id is the functionId of a function other than name. An index entry whose
 * function no longer carries that id is stale (left by a corrupt record) and does not count. */
static faas_err_t check_id_free(faas_store_t *s, MDB_txn *txn, const char *id, const char *name,
                                faas_error_t *err)
{
    char owner[FAAS_RECORD_NAME_MAX + 1];
    int mrc = id_owner(s, txn, id, owner);
    if (mrc == MDB_NOTFOUND || (mrc == MDB_SUCCESS && strcmp(owner, name) == 0))
        return FAAS_OK;
    if (mrc != MDB_SUCCESS)
        return faas_store__fail(s, mrc, err, "functionId %s", id);
    faas_function_t other;
    faas_error_t probe = {0};
    faas_err_t rc = get_txn(s, txn, owner, &other, &probe);
    int taken = rc == FAAS_OK && strcmp(other.id, id) == 0;
    faas_function_free(&other);
    if (taken)
        return faas_error_set(err, FAAS_ECONFLICT, "functionId %s belongs to function '%s'", id, owner);
    if (rc == FAAS_ENOMEM)
        return faas_error_set(err, rc, "out of memory");
    faas_log_warn("store: dropping stale functionId index entry %s -> '%s'", id, owner);
    return FAAS_OK;
}

/* Drops the old record's index entry when a replace changes the functionId. */
static faas_err_t replace_old(faas_store_t *s, MDB_txn *txn, const faas_function_t *fn, int create_only,
                              faas_error_t *err)
{
    faas_function_t old;
    faas_error_t probe = {0};
    faas_err_t rc = get_txn(s, txn, fn->name, &old, &probe);
    if (rc == FAAS_ENOTFOUND)
        return FAAS_OK;
    if (rc == FAAS_OK && create_only)
        rc = faas_error_set(err, FAAS_ECONFLICT, "function '%s' exists already", fn->name);
    else if (rc == FAAS_OK && strcmp(old.id, fn->id) != 0) {
        char owner[FAAS_RECORD_NAME_MAX + 1];
        MDB_val k = faas_store__val(old.id);
        if (id_owner(s, txn, old.id, owner) == MDB_SUCCESS && strcmp(owner, fn->name) == 0)
            rc = faas_store__fail(s, mdb_del(txn, s->function_ids, &k, NULL), err, "functionId %s", old.id);
    } else if (rc == FAAS_ESTORE && !create_only) {
        faas_log_warn("store: replacing unreadable record of function '%s': %s", fn->name, probe.msg);
        rc = FAAS_OK;
    } else if (rc != FAAS_OK && err != NULL) {
        *err = probe;
    }
    faas_function_free(&old);
    return rc;
}

static faas_err_t verify_function(const cJSON *json, faas_error_t *err)
{
    faas_function_t f;
    faas_err_t rc = faas_function_from_json(json, &f, err);
    faas_function_free(&f);
    return rc;
}

static faas_err_t put_txn(faas_store_t *s, MDB_txn *txn, const faas_function_t *fn, int create_only,
                          faas_error_t *err)
{
    if (!faas_record_valid_name(fn->name))
        return faas_error_set(err, FAAS_EINVAL, "function name must be a DNS label (a-z, 0-9, '-', 1..63)");
    if (!faas_store__valid_id(fn->id))
        return faas_error_set(err, FAAS_EINVAL, "functionId must be 1..%d printable characters", FAAS_STORE_ID_MAX);
    faas_err_t rc = check_id_free(s, txn, fn->id, fn->name, err);
    if (rc == FAAS_OK)
        rc = replace_old(s, txn, fn, create_only, err);
    if (rc != FAAS_OK)
        return rc;
    char what[96];
    snprintf(what, sizeof(what), "function '%s'", fn->name);
    cJSON *json = faas_function_to_json(fn, FAAS_RECORD_STORED);
    rc = faas_store__put_json(s, txn, s->functions, fn->name, json, verify_function, what, err);
    cJSON_Delete(json);
    if (rc != FAAS_OK)
        return rc;
    MDB_val k = faas_store__val(fn->id), v = faas_store__val(fn->name);
    return faas_store__fail(s, mdb_put(txn, s->function_ids, &k, &v, 0), err, "functionId %s", fn->id);
}

/* Finds one functionId that the index maps to name; MDB_NOTFOUND when none is left. */
static int find_id_of(faas_store_t *s, MDB_txn *txn, const char *name, char id[FAAS_STORE_ID_MAX + 1])
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->function_ids, &c);
    if (rc != MDB_SUCCESS)
        return rc;
    MDB_val k, v;
    size_t nlen = strlen(name);
    for (int op = MDB_FIRST;; op = MDB_NEXT) {
        rc = mdb_cursor_get(c, &k, &v, op);
        if (rc != MDB_SUCCESS)
            break;
        if (v.mv_size == nlen && memcmp(v.mv_data, name, nlen) == 0 && k.mv_size <= FAAS_STORE_ID_MAX) {
            memcpy(id, k.mv_data, k.mv_size);
            id[k.mv_size] = '\0';
            break;
        }
    }
    mdb_cursor_close(c);
    return rc;
}

/* Deletes name's record, index entries, invocations and builds. The ids come from the index, not
 * the record, so a corrupt record can still be deleted; a function normally has one id. */
static faas_err_t delete_txn(faas_store_t *s, MDB_txn *txn, const char *name, faas_error_t *err)
{
    if (!faas_record_valid_name(name))
        return faas_error_set(err, FAAS_ENOTFOUND, "function not found");
    MDB_val k = faas_store__val(name);
    faas_err_t rc = faas_store__fail(s, mdb_del(txn, s->functions, &k, NULL), err, "function '%s'", name);
    char id[FAAS_STORE_ID_MAX + 1];
    while (rc == FAAS_OK) {
        int mrc = find_id_of(s, txn, name, id);
        if (mrc != MDB_SUCCESS) {
            if (mrc != MDB_NOTFOUND)
                rc = faas_store__fail(s, mrc, err, "functionId index");
            break;
        }
        rc = faas_store__invocations_delete_all(s, txn, id, err);
        MDB_val idk = faas_store__val(id);
        if (rc == FAAS_OK)
            rc = faas_store__fail(s, mdb_del(txn, s->function_ids, &idk, NULL), err, "functionId %s", id);
    }
    if (rc == FAAS_OK)
        rc = faas_store__builds_delete_all(s, txn, name, err);
    if (rc == FAAS_OK)
        rc = faas_store__revisions_delete_all(s, txn, name, err);
    return rc;
}

/* ---- functions: public API ---- */

faas_err_t faas_store_function_get(faas_store_t *s, const char *name, faas_function_t *out, faas_error_t *err)
{
    MDB_txn *txn;
    memset(out, 0, sizeof(*out));
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = get_txn(s, txn, name, out, err);
    mdb_txn_abort(txn);
    return rc;
}

faas_err_t faas_store_function_get_by_id(faas_store_t *s, const char *id, faas_function_t *out,
                                         faas_error_t *err)
{
    MDB_txn *txn;
    memset(out, 0, sizeof(*out));
    if (!faas_store__valid_id(id))
        return faas_error_set(err, FAAS_ENOTFOUND, "function not found");
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    char owner[FAAS_RECORD_NAME_MAX + 1];
    rc = faas_store__fail(s, id_owner(s, txn, id, owner), err, "function %s", id);
    if (rc == FAAS_OK)
        rc = get_txn(s, txn, owner, out, err);
    if (rc == FAAS_OK && strcmp(out->id, id) != 0) {
        faas_function_free(out);
        rc = faas_error_set(err, FAAS_ENOTFOUND, "function %s not found", id);
    }
    mdb_txn_abort(txn);
    return rc;
}

faas_err_t faas_store_function_find(faas_store_t *s, const char *id_or_name, faas_function_t *out, faas_error_t *err)
{
    faas_err_t rc = faas_store_function_get_by_id(s, id_or_name, out, err);
    if (rc == FAAS_ENOTFOUND && faas_record_valid_name(id_or_name))
        rc = faas_store_function_get(s, id_or_name, out, err);
    return rc;
}

static faas_err_t put_generic(faas_store_t *s, const faas_function_t *fn, int create_only, faas_error_t *err)
{
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = put_txn(s, txn, fn, create_only, err);
    return faas_store__end(s, txn, rc, err);
}

faas_err_t faas_store_function_put(faas_store_t *s, const faas_function_t *fn, faas_error_t *err)
{
    return put_generic(s, fn, 0, err);
}

faas_err_t faas_store_function_create(faas_store_t *s, const faas_function_t *fn, faas_error_t *err)
{
    return put_generic(s, fn, 1, err);
}

faas_err_t faas_store_function_delete(faas_store_t *s, const char *name, faas_error_t *err)
{
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = delete_txn(s, txn, name, err);
    return faas_store__end(s, txn, rc, err);
}

faas_err_t faas_store_function_update(faas_store_t *s, const char *name, faas_store_update_cb cb, void *cbdata,
                                      faas_function_t *out, faas_error_t *err)
{
    MDB_txn *txn;
    faas_function_t fn;
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = get_txn(s, txn, name, &fn, err);
    if (rc == FAAS_OK)
        rc = cb(&fn, cbdata, err);
    if (rc == FAAS_OK && (fn.name == NULL || strcmp(fn.name, name) != 0))
        rc = faas_error_set(err, FAAS_EINVAL, "an update may not rename function '%s'", name);
    if (rc == FAAS_OK)
        rc = put_txn(s, txn, &fn, 0, err);
    rc = faas_store__end(s, txn, rc, err);
    if (rc == FAAS_OK && out != NULL)
        *out = fn;
    else
        faas_function_free(&fn);
    return rc;
}

/* ---- listing (functions, runtimes and API keys share the scan) ---- */

/* Parses one listed value into the next slot of *out; a record that does not parse is skipped. */
static faas_err_t list_one(const MDB_val *k, const MDB_val *v, const char *what, faas_store__parse_cb parse,
                           size_t size, void **out, size_t *cap, size_t *n, faas_error_t *err)
{
    void *grown = faas_store__grow(*out, cap, *n, size);
    if (grown == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    *out = grown;
    cJSON *json = cJSON_ParseWithLength(v->mv_data, v->mv_size);
    faas_error_t perr = {0};
    faas_err_t rc = json != NULL ? parse(json, (char *)*out + *n * size, &perr)
                                 : faas_error_set(&perr, FAAS_EINVAL, "not JSON");
    cJSON_Delete(json);
    if (rc == FAAS_OK)
        (*n)++;
    else if (rc == FAAS_ENOMEM)
        return faas_error_set(err, rc, "out of memory");
    else
        faas_log_error("store: skipping corrupt %s '%.*s': %s", what, (int)k->mv_size, (char *)k->mv_data, perr.msg);
    return FAAS_OK;
}

faas_err_t faas_store__list(faas_store_t *s, MDB_dbi dbi, const char *what, faas_store__parse_cb parse, size_t size,
                            void **out, size_t *n, faas_error_t *err)
{
    MDB_txn *txn;
    MDB_cursor *c;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    int mrc = mdb_cursor_open(txn, dbi, &c);
    if (mrc == MDB_SUCCESS) {
        for (int op = MDB_FIRST; rc == FAAS_OK; op = MDB_NEXT) {
            MDB_val k, v;
            mrc = mdb_cursor_get(c, &k, &v, op);
            if (mrc != MDB_SUCCESS)
                break;
            rc = list_one(&k, &v, what, parse, size, out, &cap, n, err);
        }
        mdb_cursor_close(c);
    }
    if (rc == FAAS_OK && mrc != MDB_NOTFOUND)
        rc = faas_store__fail(s, mrc, err, "%s list", what);
    mdb_txn_abort(txn);
    return rc;
}

static faas_err_t parse_function(const cJSON *json, void *out, faas_error_t *err)
{
    return faas_function_from_json(json, out, err);
}

static faas_err_t parse_runtime(const cJSON *json, void *out, faas_error_t *err)
{
    return faas_runtime_from_json(json, out, err);
}

faas_err_t faas_store_function_list(faas_store_t *s, faas_function_t **out, size_t *n, faas_error_t *err)
{
    void *arr;
    faas_err_t rc = faas_store__list(s, s->functions, "function", parse_function, sizeof(**out), &arr, n, err);
    *out = arr;
    if (rc != FAAS_OK) {
        faas_function_array_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- runtimes ---- */

static faas_err_t verify_runtime(const cJSON *json, faas_error_t *err)
{
    faas_runtime_t r;
    faas_err_t rc = faas_runtime_from_json(json, &r, err);
    faas_runtime_free(&r);
    return rc;
}

faas_err_t faas_store_runtime_put(faas_store_t *s, const faas_runtime_t *rt, faas_error_t *err)
{
    if (!faas_store__valid_id(rt->name))
        return faas_error_set(err, FAAS_EINVAL, "runtime name must be 1..%d printable characters", FAAS_STORE_ID_MAX);
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    char what[160];
    snprintf(what, sizeof(what), "runtime '%s'", rt->name);
    cJSON *json = faas_runtime_to_json(rt, FAAS_RECORD_STORED);
    rc = faas_store__put_json(s, txn, s->runtimes, rt->name, json, verify_runtime, what, err);
    cJSON_Delete(json);
    return faas_store__end(s, txn, rc, err);
}

faas_err_t faas_store_runtime_get(faas_store_t *s, const char *name, faas_runtime_t *out, faas_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (!faas_store__valid_id(name))
        return faas_error_set(err, FAAS_ENOTFOUND, "runtime not found");
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    char what[160];
    snprintf(what, sizeof(what), "runtime '%s'", name);
    cJSON *json;
    rc = faas_store__get_json(s, txn, s->runtimes, name, &json, what, err);
    mdb_txn_abort(txn);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_runtime_from_json(json, out, err);
    cJSON_Delete(json);
    return rc == FAAS_OK ? rc : faas_store__corrupt(rc, err, what);
}

faas_err_t faas_store_runtime_delete(faas_store_t *s, const char *name, faas_error_t *err)
{
    if (!faas_store__valid_id(name))
        return faas_error_set(err, FAAS_ENOTFOUND, "runtime not found");
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    MDB_val k = faas_store__val(name);
    rc = faas_store__fail(s, mdb_del(txn, s->runtimes, &k, NULL), err, "runtime '%s'", name);
    return faas_store__end(s, txn, rc, err);
}

faas_err_t faas_store_runtime_list(faas_store_t *s, faas_runtime_t **out, size_t *n, faas_error_t *err)
{
    void *arr;
    faas_err_t rc = faas_store__list(s, s->runtimes, "runtime", parse_runtime, sizeof(**out), &arr, n, err);
    *out = arr;
    if (rc != FAAS_OK) {
        faas_runtime_array_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
