/*
 * revision.c: the revisions of service functions: name \0 be64(number) -> revision JSON, so a
 * function's revisions sit together in number order. Adding one prunes the oldest beyond what
 * the caller keeps and hands them back, so the caller can remove their images.
 * Threads: as store.h (reads any thread, writes on workers).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static size_t revision_key(char *buf, const char *name, int64_t number)
{
    unsigned char be[8];
    faas_store__be64(be, (uint64_t)number);
    return faas_store__key2(buf, name, be, sizeof(be));
}

static faas_err_t verify_revision(const cJSON *json, faas_error_t *err)
{
    faas_revision_t rev;
    faas_err_t rc = faas_revision_from_json(json, &rev, err);
    faas_revision_free(&rev);
    return rc;
}

static faas_err_t parse_value(const MDB_val *v, faas_revision_t *out, faas_error_t *err)
{
    cJSON *json = cJSON_ParseWithLength(v->mv_data, v->mv_size);
    faas_err_t rc = json != NULL ? faas_revision_from_json(json, out, err)
                                 : faas_error_set(err, FAAS_EINVAL, "not JSON");
    cJSON_Delete(json);
    return rc == FAAS_OK ? rc : faas_store__corrupt(rc, err, "revision");
}

/* Appends the revision v holds to *arr (n used of *cap); a record that does not parse is skipped. */
static faas_err_t collect(const MDB_val *v, faas_revision_t **arr, size_t *cap, size_t *n, faas_error_t *err)
{
    faas_revision_t *grown = faas_store__grow(*arr, cap, *n, sizeof(**arr));
    if (grown == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    *arr = grown;
    faas_error_t why = {0};
    faas_err_t rc = parse_value(v, &grown[*n], &why);
    if (rc == FAAS_OK)
        (*n)++;
    return rc == FAAS_ENOMEM ? faas_error_set(err, rc, "out of memory") : FAAS_OK;
}

/* Deletes the oldest revisions of name while more than keep remain, collecting them (keep 0: all). */
static faas_err_t prune_txn(faas_store_t *s, MDB_txn *txn, const char *name, size_t keep, faas_revision_t **pruned,
                            size_t *n_pruned, faas_error_t *err)
{
    char prefix[FAAS_STORE__KEY_MAX];
    size_t plen = faas_store__key2(prefix, name, NULL, 0), count = 0, cap = 0;
    MDB_cursor *c;
    faas_err_t rc = faas_store__fail(s, mdb_cursor_open(txn, s->revisions, &c), err, "revisions");
    if (rc != FAAS_OK)
        return rc;
    MDB_val k = {plen, prefix}, v;
    int mrc;
    for (mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); mrc == MDB_SUCCESS && faas_store__has_prefix(&k, prefix, plen);
         mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        count++;
    k = (MDB_val){plen, prefix};
    for (mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == FAAS_OK && count > keep && mrc == MDB_SUCCESS &&
                                                         faas_store__has_prefix(&k, prefix, plen);
         mrc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT), count--) {
        if (pruned != NULL)
            rc = collect(&v, pruned, &cap, n_pruned, err);
        if (rc == FAAS_OK)
            rc = faas_store__fail(s, mdb_cursor_del(c, 0), err, "revision of '%s'", name);
    }
    mdb_cursor_close(c);
    return rc;
}

faas_err_t faas_store_revision_add(faas_store_t *s, const faas_revision_t *rev, size_t keep, faas_revision_t **pruned,
                                   size_t *n_pruned, faas_error_t *err)
{
    if (pruned != NULL)
        *pruned = NULL, *n_pruned = 0;
    if (!faas_record_valid_name(rev->function) || rev->number <= 0)
        return faas_error_set(err, FAAS_EINVAL, "a revision needs a function name and a number above 0");
    cJSON *json = faas_revision_to_json(rev, FAAS_RECORD_STORED);
    if (json == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc == FAAS_OK) {
        char key[FAAS_STORE__KEY_MAX];
        MDB_val fk = faas_store__val(rev->function), fv;
        if (mdb_get(txn, s->functions, &fk, &fv) != MDB_SUCCESS)
            rc = faas_error_set(err, FAAS_ENOTFOUND, "function '%s' not found", rev->function);
        MDB_val k = {revision_key(key, rev->function, rev->number), key};
        if (rc == FAAS_OK)
            rc = faas_store__put_json_at(s, txn, s->revisions, &k, json, verify_revision, "revision", err);
        if (rc == FAAS_OK)
            rc = prune_txn(s, txn, rev->function, keep > 0 ? keep : 1, pruned, n_pruned, err);
        rc = faas_store__end(s, txn, rc, err);
    }
    cJSON_Delete(json);
    if (rc != FAAS_OK && pruned != NULL) {
        faas_revision_array_free(*pruned, *n_pruned);
        *pruned = NULL, *n_pruned = 0;
    }
    return rc;
}

faas_err_t faas_store_revision_get(faas_store_t *s, const char *name, int64_t number, faas_revision_t *out,
                                   faas_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (!faas_record_valid_name(name) || number <= 0)
        return faas_error_set(err, FAAS_ENOTFOUND, "revision not found");
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    char key[FAAS_STORE__KEY_MAX];
    MDB_val k = {revision_key(key, name, number), key}, v;
    rc = faas_store__fail(s, mdb_get(txn, s->revisions, &k, &v), err, "revision %lld of '%s'", (long long)number, name);
    if (rc == FAAS_OK)
        rc = parse_value(&v, out, err);
    mdb_txn_abort(txn);
    return rc;
}

faas_err_t faas_store_revision_list(faas_store_t *s, const char *name, faas_revision_t **out, size_t *n,
                                    faas_error_t *err)
{
    *out = NULL, *n = 0;
    if (!faas_record_valid_name(name))
        return FAAS_OK;
    MDB_txn *txn;
    MDB_cursor *c;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_store__fail(s, mdb_cursor_open(txn, s->revisions, &c), err, "revisions");
    int opened = rc == FAAS_OK;
    char prefix[FAAS_STORE__KEY_MAX];
    size_t plen = faas_store__key2(prefix, name, NULL, 0), cap = 0;
    MDB_val k, v;
    /* Newest first: from the last key under the prefix backwards. */
    int mrc = rc == FAAS_OK ? faas_store__seek_last(c, prefix, plen, &k, &v) : MDB_NOTFOUND;
    for (; rc == FAAS_OK && mrc == MDB_SUCCESS && faas_store__has_prefix(&k, prefix, plen);
         mrc = mdb_cursor_get(c, &k, &v, MDB_PREV))
        rc = collect(&v, out, &cap, n, err);
    if (opened)
        mdb_cursor_close(c);
    mdb_txn_abort(txn);
    if (rc != FAAS_OK) {
        faas_revision_array_free(*out, *n);
        *out = NULL, *n = 0;
    }
    return rc;
}

faas_err_t faas_store_revision_last(faas_store_t *s, const char *name, int64_t *number, faas_error_t *err)
{
    *number = 0;
    MDB_txn *txn;
    MDB_cursor *c;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_store__fail(s, mdb_cursor_open(txn, s->revisions, &c), err, "revisions");
    if (rc == FAAS_OK) {
        char prefix[FAAS_STORE__KEY_MAX];
        size_t plen = faas_store__key2(prefix, name, NULL, 0);
        MDB_val k, v;
        int mrc = faas_store__seek_last(c, prefix, plen, &k, &v);
        if (mrc == MDB_SUCCESS && k.mv_size == plen + 8)
            *number = (int64_t)faas_store__read_be64((const char *)k.mv_data + plen);
        else if (mrc != MDB_NOTFOUND && mrc != MDB_SUCCESS)
            rc = faas_store__fail(s, mrc, err, "revisions of '%s'", name);
        mdb_cursor_close(c);
    }
    mdb_txn_abort(txn);
    return rc;
}

static faas_err_t parse_revision(const cJSON *json, void *out, faas_error_t *err)
{
    return faas_revision_from_json(json, out, err);
}

faas_err_t faas_store_revision_images(faas_store_t *s, char ***ids, size_t *n, faas_error_t *err)
{
    *ids = NULL, *n = 0;
    void *all = NULL;
    size_t count = 0;
    faas_err_t rc = faas_store__list(s, s->revisions, "revision", parse_revision, sizeof(faas_revision_t), &all, &count,
                                     err);
    faas_revision_t *revs = all;
    if (rc == FAAS_OK && count > 0 && (*ids = calloc(count, sizeof(**ids))) == NULL)
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
    for (size_t i = 0; rc == FAAS_OK && i < count; i++) { /* the ids move out of the records */
        (*ids)[(*n)++] = revs[i].image_id;
        revs[i].image_id = NULL;
    }
    faas_revision_array_free(revs, count);
    if (rc != FAAS_OK) {
        faas_store_keys_free(*ids, *n);
        *ids = NULL, *n = 0;
    }
    return rc;
}

faas_err_t faas_store__revisions_delete_all(faas_store_t *s, MDB_txn *txn, const char *name, faas_error_t *err)
{
    return prune_txn(s, txn, name, 0, NULL, NULL, err);
}
