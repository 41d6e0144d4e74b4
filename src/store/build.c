/*
 * build.c: build records and build logs. A log is a run of chunks stored beside its record
 * in `builds` under "<build id>\0<8-byte big-endian sequence>", so an append writes one new key
 * (O(chunk)) and a tail read walks back from the last chunk. `builds_by_function` holds
 * "<function name>\0<build id>" so deleting a function finds its builds by a range scan.
 * Threads: get and log read from any thread; put and append on worker threads only (fsync).
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/core/log.h"

/* Deletes every key of dbi that starts with prefix. */
static faas_err_t delete_prefix(faas_store_t *s, MDB_txn *txn, MDB_dbi dbi, const char *prefix, size_t plen,
                                faas_error_t *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, dbi, &c);
    while (rc == MDB_SUCCESS) {
        MDB_val k = {plen, (void *)prefix}, v;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc == MDB_SUCCESS && !faas_store__has_prefix(&k, prefix, plen))
            rc = MDB_NOTFOUND;
        if (rc == MDB_SUCCESS)
            rc = mdb_cursor_del(c, 0);
    }
    if (rc != MDB_NOTFOUND)
        return faas_store__fail(s, rc, err, "range delete");
    mdb_cursor_close(c);
    return FAAS_OK;
}

/* Deletes build id's record (if any) and its log chunks. */
static faas_err_t delete_build(faas_store_t *s, MDB_txn *txn, const char *id, size_t idlen, faas_error_t *err)
{
    MDB_val k = {idlen, (void *)id};
    int rc = mdb_del(txn, s->builds, &k, NULL);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        return faas_store__fail(s, rc, err, "build %s", id);
    return delete_prefix(s, txn, s->builds, id, idlen + 1, err); /* the id's \0 starts its chunk keys */
}

faas_err_t faas_store__builds_delete_all(faas_store_t *s, MDB_txn *txn, const char *name, faas_error_t *err)
{
    char prefix[FAAS_STORE__KEY_MAX];
    size_t plen = faas_store__key2(prefix, name, NULL, 0);
    MDB_cursor *c;
    faas_err_t rc = faas_store__fail(s, mdb_cursor_open(txn, s->builds_by_function, &c), err, "build index");
    while (rc == FAAS_OK) {
        MDB_val k = {plen, prefix}, v;
        int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (mrc == MDB_SUCCESS && !faas_store__has_prefix(&k, prefix, plen))
            mrc = MDB_NOTFOUND;
        if (mrc != MDB_SUCCESS) {
            if (mrc != MDB_NOTFOUND)
                rc = faas_store__fail(s, mrc, err, "build index");
            break;
        }
        /* Copy the build id out before the delete invalidates the key. */
        char id[FAAS_STORE_ID_MAX + 1];
        size_t idlen = k.mv_size - plen < FAAS_STORE_ID_MAX ? k.mv_size - plen : FAAS_STORE_ID_MAX;
        memcpy(id, (char *)k.mv_data + plen, idlen);
        id[idlen] = '\0';
        rc = faas_store__fail(s, mdb_cursor_del(c, 0), err, "build index");
        if (rc == FAAS_OK && idlen > 0)
            rc = delete_build(s, txn, id, idlen, err);
    }
    if (rc == FAAS_OK)
        mdb_cursor_close(c);
    return rc;
}

/* Reads build id inside txn into *out (zeroed first). */
static faas_err_t get_txn(faas_store_t *s, MDB_txn *txn, const char *id, faas_build_t *out, faas_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (!faas_store__valid_id(id))
        return faas_error_set(err, FAAS_ENOTFOUND, "build not found");
    char what[160];
    snprintf(what, sizeof(what), "build %s", id);
    cJSON *json;
    faas_err_t rc = faas_store__get_json(s, txn, s->builds, id, &json, what, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_build_from_json(json, out, err);
    cJSON_Delete(json);
    return rc == FAAS_OK ? rc : faas_store__corrupt(rc, err, what);
}

static faas_err_t verify_build(const cJSON *json, faas_error_t *err)
{
    faas_build_t b;
    faas_err_t rc = faas_build_from_json(json, &b, err);
    faas_build_free(&b);
    return rc;
}

/* Points the build index at b, dropping the entry of a replaced build of another function. */
static faas_err_t index_txn(faas_store_t *s, MDB_txn *txn, const faas_build_t *b, faas_error_t *err)
{
    faas_build_t old;
    faas_error_t probe = {0};
    char key[FAAS_STORE__KEY_MAX];
    if (get_txn(s, txn, b->id, &old, &probe) == FAAS_OK && old.function != NULL &&
        strcmp(old.function, b->function) != 0 && faas_record_valid_name(old.function)) {
        MDB_val k = {faas_store__key2(key, old.function, b->id, strlen(b->id)), key};
        int rc = mdb_del(txn, s->builds_by_function, &k, NULL);
        if (rc != MDB_NOTFOUND && rc != MDB_SUCCESS) {
            faas_build_free(&old);
            return faas_store__fail(s, rc, err, "build index");
        }
    }
    faas_build_free(&old);
    MDB_val k = {faas_store__key2(key, b->function, b->id, strlen(b->id)), key}, v = {0, ""};
    return faas_store__fail(s, mdb_put(txn, s->builds_by_function, &k, &v, 0), err, "build index");
}

faas_err_t faas_store_build_put(faas_store_t *s, const faas_build_t *b, faas_error_t *err)
{
    if (!faas_store__valid_id(b->id))
        return faas_error_set(err, FAAS_EINVAL, "build id must be 1..%d printable characters", FAAS_STORE_ID_MAX);
    if (!faas_record_valid_name(b->function))
        return faas_error_set(err, FAAS_EINVAL, "build %s: function name must be a DNS label", b->id);
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    MDB_val fk = faas_store__val(b->function), fv;
    rc = faas_store__fail(s, mdb_get(txn, s->functions, &fk, &fv), err, "function '%s'", b->function);
    if (rc == FAAS_OK)
        rc = index_txn(s, txn, b, err);
    if (rc == FAAS_OK) {
        char what[160];
        snprintf(what, sizeof(what), "build %s", b->id);
        cJSON *json = faas_build_to_json(b, FAAS_RECORD_STORED);
        rc = faas_store__put_json(s, txn, s->builds, b->id, json, verify_build, what, err);
        cJSON_Delete(json);
    }
    return faas_store__end(s, txn, rc, err);
}

faas_err_t faas_store_build_get(faas_store_t *s, const char *id, faas_build_t *out, faas_error_t *err)
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

/* FAAS_OK when build id has a record (so its log may be read or appended to). */
static faas_err_t check_build(faas_store_t *s, MDB_txn *txn, const char *id, faas_error_t *err)
{
    if (!faas_store__valid_id(id))
        return faas_error_set(err, FAAS_ENOTFOUND, "build not found");
    MDB_val k = faas_store__val(id), v;
    return faas_store__fail(s, mdb_get(txn, s->builds, &k, &v), err, "build %s", id);
}

/* Adds the chunk after the last one of prefix ("<id>\0"). */
static faas_err_t append_txn(faas_store_t *s, MDB_txn *txn, const char *prefix, size_t plen, const void *data,
                             size_t len, faas_error_t *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->builds, &c);
    if (rc != MDB_SUCCESS)
        return faas_store__fail(s, rc, err, "build log");
    MDB_val k, v;
    uint64_t seq = 0;
    rc = faas_store__seek_last(c, prefix, plen, &k, &v);
    if (rc == MDB_SUCCESS && k.mv_size == plen + 8)
        seq = faas_store__read_be64((char *)k.mv_data + plen) + 1;
    mdb_cursor_close(c);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        return faas_store__fail(s, rc, err, "build log");
    char key[FAAS_STORE__KEY_MAX];
    memcpy(key, prefix, plen);
    faas_store__be64((unsigned char *)key + plen, seq);
    k.mv_size = plen + 8;
    k.mv_data = key;
    v.mv_size = len;
    v.mv_data = (void *)data;
    return faas_store__fail(s, mdb_put(txn, s->builds, &k, &v, 0), err, "build log");
}

faas_err_t faas_store_build_log_append(faas_store_t *s, const char *id, const void *data, size_t len,
                                       faas_error_t *err)
{
    if (len == 0)
        return FAAS_OK;
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = check_build(s, txn, id, err);
    if (rc == FAAS_OK) {
        char prefix[FAAS_STORE__KEY_MAX];
        size_t plen = faas_store__key2(prefix, id, NULL, 0);
        rc = append_txn(s, txn, prefix, plen, data, len, err);
    }
    return faas_store__end(s, txn, rc, err);
}

/* Walks the chunks of prefix from the last back. Without buf it sums their sizes into *have,
 * stopping once want bytes are reached (want 0 = all); with buf it fills buf[0..*have) from
 * the end. Returns an LMDB code. */
static int walk_back(MDB_cursor *c, const char *prefix, size_t plen, size_t want, char *buf, size_t *have)
{
    MDB_val k, v;
    size_t pos = buf != NULL ? *have : 0;
    int rc = faas_store__seek_last(c, prefix, plen, &k, &v);
    while (rc == MDB_SUCCESS && faas_store__has_prefix(&k, prefix, plen)) {
        if (buf == NULL) {
            *have += v.mv_size;
            if (want != 0 && *have >= want)
                return MDB_SUCCESS;
        } else {
            size_t n = v.mv_size < pos ? v.mv_size : pos;
            memcpy(buf + pos - n, (char *)v.mv_data + v.mv_size - n, n);
            pos -= n;
            if (pos == 0)
                return MDB_SUCCESS;
        }
        rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
    }
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* Copies the last tail bytes (all when 0) of the log of prefix into a new buffer. */
static faas_err_t read_txn(faas_store_t *s, MDB_txn *txn, const char *prefix, size_t plen, size_t tail,
                           char **out, size_t *len, faas_error_t *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->builds, &c);
    if (rc != MDB_SUCCESS)
        return faas_store__fail(s, rc, err, "build log");
    size_t have = 0;
    rc = walk_back(c, prefix, plen, tail, NULL, &have);
    if (tail != 0 && have > tail)
        have = tail;
    char *buf = rc == MDB_SUCCESS ? malloc(have + 1) : NULL;
    if (rc == MDB_SUCCESS && buf == NULL)
        rc = ENOMEM;
    if (rc == MDB_SUCCESS && have > 0)
        rc = walk_back(c, prefix, plen, tail, buf, &have);
    mdb_cursor_close(c);
    if (rc != MDB_SUCCESS) {
        free(buf);
        return faas_store__fail(s, rc, err, "build log");
    }
    buf[have] = '\0';
    *out = buf;
    *len = have;
    return FAAS_OK;
}

faas_err_t faas_store_build_log_read(faas_store_t *s, const char *id, size_t tail, char **out, size_t *len,
                                     faas_error_t *err)
{
    *out = NULL;
    *len = 0;
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = check_build(s, txn, id, err);
    if (rc == FAAS_OK) {
        char prefix[FAAS_STORE__KEY_MAX];
        size_t plen = faas_store__key2(prefix, id, NULL, 0);
        rc = read_txn(s, txn, prefix, plen, tail, out, len, err);
    }
    mdb_txn_abort(txn);
    return rc;
}
