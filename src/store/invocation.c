/*
 * invocation.c: invocation records (id -> JSON) and their index
 * `invocations_by_function`: "<functionId>\0<8-byte big-endian started_at><invocation id>" -> "",
 * so "newest first" is a backward range scan and retention deletes from the front of the range.
 * Threads: get and list from any thread; put (and the delete used by function delete) on
 * worker threads only (fsync).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/core/log.h"

/* started_at as an unsigned number that sorts like the signed one. */
static uint64_t time_key(int64_t t)
{
    return (uint64_t)t ^ ((uint64_t)1 << 63);
}

/* Builds the index key of inv into buf; returns its length. */
static size_t index_key(char *buf, const char *function_id, int64_t started_at, const char *id)
{
    unsigned char be[8];
    faas_store__be64(be, time_key(started_at));
    size_t len = faas_store__key2(buf, function_id, be, 8);
    size_t idlen = strlen(id);
    memcpy(buf + len, id, idlen);
    return len + idlen;
}

/* Deletes the oldest index entry under prefix and its record; *popped = 0 when none is left. */
static faas_err_t pop_oldest(faas_store_t *s, MDB_txn *txn, MDB_cursor *c, const char *prefix, size_t plen,
                             int *popped, faas_error_t *err)
{
    MDB_val k = {plen, (void *)prefix}, v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    *popped = 0;
    if (rc == MDB_NOTFOUND || (rc == MDB_SUCCESS && !faas_store__has_prefix(&k, prefix, plen)))
        return FAAS_OK;
    if (rc != MDB_SUCCESS)
        return faas_store__fail(s, rc, err, "invocation index");
    /* Copy the invocation id out before the delete invalidates the key. */
    char id[FAAS_STORE_ID_MAX + 1];
    size_t skip = plen + 8, idlen = k.mv_size > skip ? k.mv_size - skip : 0;
    idlen = idlen < FAAS_STORE_ID_MAX ? idlen : FAAS_STORE_ID_MAX;
    memcpy(id, (char *)k.mv_data + skip, idlen);
    rc = mdb_cursor_del(c, 0);
    if (rc != MDB_SUCCESS)
        return faas_store__fail(s, rc, err, "invocation index");
    *popped = 1;
    MDB_val idk = {idlen, id};
    rc = idlen > 0 ? mdb_del(txn, s->invocations, &idk, NULL) : MDB_NOTFOUND;
    return rc == MDB_NOTFOUND ? FAAS_OK : faas_store__fail(s, rc, err, "invocation");
}

faas_err_t faas_store__invocations_delete_all(faas_store_t *s, MDB_txn *txn, const char *function_id,
                                              faas_error_t *err)
{
    char prefix[FAAS_STORE__KEY_MAX];
    size_t plen = faas_store__key2(prefix, function_id, NULL, 0);
    MDB_cursor *c;
    faas_err_t rc = faas_store__fail(s, mdb_cursor_open(txn, s->invocations_by_function, &c), err, "invocations");
    int popped = 1;
    while (rc == FAAS_OK && popped)
        rc = pop_oldest(s, txn, c, prefix, plen, &popped, err);
    if (rc == FAAS_OK)
        mdb_cursor_close(c);
    return rc;
}

/* Deletes the oldest invocations of function_id until at most keep remain. */
static faas_err_t prune_txn(faas_store_t *s, MDB_txn *txn, const char *function_id, size_t keep,
                            faas_error_t *err)
{
    char prefix[FAAS_STORE__KEY_MAX];
    size_t plen = faas_store__key2(prefix, function_id, NULL, 0), count = 0;
    MDB_cursor *c;
    int mrc = mdb_cursor_open(txn, s->invocations_by_function, &c);
    if (mrc != MDB_SUCCESS)
        return faas_store__fail(s, mrc, err, "invocation index");
    MDB_val k = {plen, prefix}, v;
    for (mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); mrc == MDB_SUCCESS; mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (!faas_store__has_prefix(&k, prefix, plen))
            break;
        count++;
    }
    faas_err_t rc = mrc == MDB_SUCCESS || mrc == MDB_NOTFOUND ? FAAS_OK
                                                              : faas_store__fail(s, mrc, err, "invocation index");
    int popped = 1;
    for (; rc == FAAS_OK && popped && count > keep; count--)
        rc = pop_oldest(s, txn, c, prefix, plen, &popped, err);
    if (rc == FAAS_OK)
        mdb_cursor_close(c);
    return rc;
}

/* Drops the index entry of the record inv would replace, if any. */
static faas_err_t unindex_old(faas_store_t *s, MDB_txn *txn, const char *id, faas_error_t *err)
{
    cJSON *json;
    faas_error_t probe = {0};
    if (faas_store__get_json(s, txn, s->invocations, id, &json, "invocation", &probe) != FAAS_OK)
        return FAAS_OK;
    faas_invocation_t old;
    faas_err_t rc = faas_invocation_from_json(json, &old, &probe);
    cJSON_Delete(json);
    if (rc != FAAS_OK || !faas_store__valid_id(old.function_id)) {
        faas_invocation_free(&old);
        return FAAS_OK;
    }
    char key[FAAS_STORE__KEY_MAX];
    MDB_val k = {index_key(key, old.function_id, old.started_at, id), key};
    faas_invocation_free(&old);
    int mrc = mdb_del(txn, s->invocations_by_function, &k, NULL);
    return mrc == MDB_NOTFOUND ? FAAS_OK : faas_store__fail(s, mrc, err, "invocation index");
}

static faas_err_t verify_invocation(const cJSON *json, faas_error_t *err)
{
    faas_invocation_t inv;
    faas_err_t rc = faas_invocation_from_json(json, &inv, err);
    faas_invocation_free(&inv);
    return rc;
}

static faas_err_t put_txn(faas_store_t *s, MDB_txn *txn, const faas_invocation_t *inv, size_t keep,
                          faas_error_t *err)
{
    MDB_val fk = faas_store__val(inv->function_id), fv;
    faas_err_t rc = faas_store__fail(s, mdb_get(txn, s->function_ids, &fk, &fv), err, "function %s",
                                     inv->function_id);
    if (rc == FAAS_OK)
        rc = unindex_old(s, txn, inv->id, err);
    if (rc != FAAS_OK)
        return rc;
    char what[160];
    snprintf(what, sizeof(what), "invocation %s", inv->id);
    cJSON *json = faas_invocation_to_json(inv, FAAS_RECORD_STORED);
    rc = faas_store__put_json(s, txn, s->invocations, inv->id, json, verify_invocation, what, err);
    cJSON_Delete(json);
    char key[FAAS_STORE__KEY_MAX];
    MDB_val k = {index_key(key, inv->function_id, inv->started_at, inv->id), key}, v = {0, ""};
    if (rc == FAAS_OK)
        rc = faas_store__fail(s, mdb_put(txn, s->invocations_by_function, &k, &v, 0), err, "invocation index");
    if (rc == FAAS_OK && keep > 0)
        rc = prune_txn(s, txn, inv->function_id, keep, err);
    return rc;
}

faas_err_t faas_store_invocation_put(faas_store_t *s, const faas_invocation_t *inv, size_t keep,
                                     faas_error_t *err)
{
    if (!faas_store__valid_id(inv->id) || !faas_store__valid_id(inv->function_id))
        return faas_error_set(err, FAAS_EINVAL, "invocation and function ids must be 1..%d printable characters",
                              FAAS_STORE_ID_MAX);
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = put_txn(s, txn, inv, keep, err);
    return faas_store__end(s, txn, rc, err);
}

/* Reads invocation id inside txn into *out (zeroed first). */
static faas_err_t get_txn(faas_store_t *s, MDB_txn *txn, const char *id, faas_invocation_t *out,
                          faas_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (!faas_store__valid_id(id))
        return faas_error_set(err, FAAS_ENOTFOUND, "invocation not found");
    char what[160];
    snprintf(what, sizeof(what), "invocation %s", id);
    cJSON *json;
    faas_err_t rc = faas_store__get_json(s, txn, s->invocations, id, &json, what, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_invocation_from_json(json, out, err);
    cJSON_Delete(json);
    return rc == FAAS_OK ? rc : faas_store__corrupt(rc, err, what);
}

faas_err_t faas_store_invocation_get(faas_store_t *s, const char *id, faas_invocation_t *out,
                                     faas_error_t *err)
{
    MDB_txn *txn;
    memset(out, 0, sizeof(*out));
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = get_txn(s, txn, id, out, err);
    mdb_txn_abort(txn);
    return rc;
}

/* Appends the record an index key names to *out; a missing or corrupt record is skipped. */
static faas_err_t list_one(faas_store_t *s, MDB_txn *txn, const MDB_val *k, size_t skip, faas_invocation_t **out,
                           size_t *cap, size_t *n, faas_error_t *err)
{
    char id[FAAS_STORE_ID_MAX + 1];
    size_t idlen = k->mv_size - skip;
    if (k->mv_size <= skip || idlen > FAAS_STORE_ID_MAX)
        return FAAS_OK;
    memcpy(id, (char *)k->mv_data + skip, idlen);
    id[idlen] = '\0';
    faas_invocation_t *grown = faas_store__grow(*out, cap, *n, sizeof(**out));
    if (grown == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    *out = grown;
    faas_error_t perr = {0};
    faas_err_t rc = get_txn(s, txn, id, &(*out)[*n], &perr);
    if (rc == FAAS_OK)
        (*n)++;
    else if (rc == FAAS_ENOMEM)
        return faas_error_set(err, rc, "out of memory");
    else
        faas_log_warn("store: skipping invocation %s: %s", id, perr.msg);
    return FAAS_OK;
}

static faas_err_t list_txn(faas_store_t *s, MDB_txn *txn, const char *function_id, size_t limit,
                           faas_invocation_t **out, size_t *n, faas_error_t *err)
{
    char prefix[FAAS_STORE__KEY_MAX];
    size_t plen = faas_store__key2(prefix, function_id, NULL, 0), cap = 0;
    MDB_cursor *c;
    int mrc = mdb_cursor_open(txn, s->invocations_by_function, &c);
    if (mrc != MDB_SUCCESS)
        return faas_store__fail(s, mrc, err, "invocation index");
    MDB_val k, v;
    faas_err_t rc = FAAS_OK;
    mrc = faas_store__seek_last(c, prefix, plen, &k, &v);
    while (rc == FAAS_OK && mrc == MDB_SUCCESS && faas_store__has_prefix(&k, prefix, plen) &&
           (limit == 0 || *n < limit)) {
        rc = list_one(s, txn, &k, plen + 8, out, &cap, n, err);
        mrc = mdb_cursor_get(c, &k, &v, MDB_PREV);
    }
    mdb_cursor_close(c);
    if (rc == FAAS_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND)
        rc = faas_store__fail(s, mrc, err, "invocation index");
    return rc;
}

faas_err_t faas_store_invocation_list(faas_store_t *s, const char *function_id, size_t limit,
                                      faas_invocation_t **out, size_t *n, faas_error_t *err)
{
    *out = NULL;
    *n = 0;
    if (!faas_store__valid_id(function_id))
        return FAAS_OK;
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = list_txn(s, txn, function_id, limit, out, n, err);
    mdb_txn_abort(txn);
    if (rc != FAAS_OK) {
        faas_invocation_array_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
