/*
 * apikey.c: named API key records (name -> JSON in `apikeys`; see core/keys.h). The store holds
 * each key's SHA-256, never the key. Threads: list from any thread (a read transaction); create,
 * delete and the last-use update on worker threads only (they commit, which fsyncs).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static faas_err_t verify_apikey(const cJSON *json, faas_error_t *err)
{
    faas_apikey_t k;
    faas_err_t rc = faas_apikey_from_json(json, &k, err);
    faas_apikey_free(&k);
    return rc;
}

faas_err_t faas_store_apikey_create(faas_store_t *s, const faas_apikey_t *k, faas_error_t *err)
{
    if (!faas_keys_valid_name(k->name))
        return faas_error_set(err, FAAS_EINVAL, "'%s' is not a key name", k->name ? k->name : "");
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    char what[96];
    snprintf(what, sizeof(what), "key '%s'", k->name);
    MDB_val key = faas_store__val(k->name), v;
    int mrc = mdb_get(txn, s->apikeys, &key, &v);
    if (mrc == MDB_SUCCESS)
        rc = faas_error_set(err, FAAS_ECONFLICT, "a key called '%s' exists already", k->name);
    else if (mrc != MDB_NOTFOUND)
        rc = faas_store__fail(s, mrc, err, "%s", what);
    cJSON *json = rc == FAAS_OK ? faas_apikey_to_json(k, FAAS_RECORD_STORED) : NULL;
    if (rc == FAAS_OK)
        rc = faas_store__put_json(s, txn, s->apikeys, k->name, json, verify_apikey, what, err);
    cJSON_Delete(json);
    return faas_store__end(s, txn, rc, err);
}

faas_err_t faas_store_apikey_delete(faas_store_t *s, const char *name, faas_error_t *err)
{
    if (!faas_keys_valid_name(name))
        return faas_error_set(err, FAAS_ENOTFOUND, "key not found");
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    MDB_val k = faas_store__val(name);
    rc = faas_store__fail(s, mdb_del(txn, s->apikeys, &k, NULL), err, "key '%s'", name);
    return faas_store__end(s, txn, rc, err);
}

static faas_err_t parse_apikey(const cJSON *json, void *out, faas_error_t *err)
{
    return faas_apikey_from_json(json, out, err);
}

faas_err_t faas_store_apikey_list(faas_store_t *s, faas_apikey_t **out, size_t *n, faas_error_t *err)
{
    void *arr;
    faas_err_t rc = faas_store__list(s, s->apikeys, "key", parse_apikey, sizeof(**out), &arr, n, err);
    *out = arr;
    if (rc != FAAS_OK) {
        faas_apikey_array_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* Sets lastUsedAt of the key called name to used_ms (never back); a key gone meanwhile is skipped. */
static faas_err_t set_used_txn(faas_store_t *s, MDB_txn *txn, const char *name, int64_t used_ms, faas_error_t *err)
{
    char what[96];
    snprintf(what, sizeof(what), "key '%s'", name);
    cJSON *json;
    faas_error_t probe = {0};
    faas_err_t rc = faas_store__get_json(s, txn, s->apikeys, name, &json, what, &probe);
    if (rc == FAAS_ENOTFOUND)
        return FAAS_OK; /* revoked since it was used */
    if (rc != FAAS_OK) {
        *err = probe;
        return rc;
    }
    faas_apikey_t k;
    rc = faas_apikey_from_json(json, &k, err);
    cJSON_Delete(json);
    if (rc != FAAS_OK)
        return faas_store__corrupt(rc, err, what);
    if (used_ms > k.last_used_at) {
        k.last_used_at = used_ms;
        json = faas_apikey_to_json(&k, FAAS_RECORD_STORED);
        rc = faas_store__put_json(s, txn, s->apikeys, name, json, verify_apikey, what, err);
        cJSON_Delete(json);
    }
    faas_apikey_free(&k);
    return rc;
}

faas_err_t faas_store_apikey_set_used(faas_store_t *s, const faas_key_info_t *uses, size_t n, faas_error_t *err)
{
    if (n == 0)
        return FAAS_OK;
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    for (size_t i = 0; rc == FAAS_OK && i < n; i++)
        rc = set_used_txn(s, txn, uses[i].name, uses[i].last_used_ms, err);
    return faas_store__end(s, txn, rc, err);
}
