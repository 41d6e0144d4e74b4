/*
 * store.c: the LMDB environment of faas (open, schema, sub-databases), the helpers the other
 * store_*.c files share, LMDB error translation, and the byte-blob tables (certificates, acme).
 * Threads: open/close and the write paths on worker threads only; reads from any thread
 * (the environment is opened with MDB_NOTLS, so read transactions are not bound to a thread).
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "faas/core/log.h"
#include "faas/core/uuid.h"

/* ---- helpers shared by the store files ---- */

/* 1 when the file system of the store has less room left than a few pages. */
static int disk_full(const faas_store_t *s)
{
    const char *path = NULL;
    struct statvfs st;
    if (mdb_env_get_path(s->env, &path) != MDB_SUCCESS || path == NULL || statvfs(path, &st) != 0)
        return 0;
    return (unsigned long long)st.f_bavail * st.f_frsize < 64 * 1024ULL;
}

faas_err_t faas_store__fail(const faas_store_t *s, int rc, faas_error_t *err, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    switch (rc) {
    case MDB_SUCCESS: return FAAS_OK;
    case MDB_NOTFOUND: return faas_error_set(err, FAAS_ENOTFOUND, "%s not found", what);
    case MDB_KEYEXIST: return faas_error_set(err, FAAS_ECONFLICT, "%s exists already", what);
    case MDB_BAD_VALSIZE: return faas_error_set(err, FAAS_EINVAL, "%s: key or value too large", what);
    case ENOMEM: return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    case EIO: /* LMDB reports a short write (the disk filled up in the middle of one) as EIO */
        if (!disk_full(s))
            break;
        /* fall through */
    case ENOSPC:
    case EDQUOT:
        return faas_error_set(err, FAAS_ENOSPACE, "the disk of the store is full writing %s: free space in data_dir",
                              what);
    case MDB_MAP_FULL:
        return faas_error_set(err, FAAS_ESTORE, "store full (map size %zu MiB) writing %s: raise the store map size",
                              s->map_size >> 20, what);
    case MDB_READERS_FULL:
        return faas_error_set(err, FAAS_ESTORE, "store: too many concurrent readers (%s)", what);
    }
    return faas_error_set(err, FAAS_ESTORE, "store error on %s: %s", what, mdb_strerror(rc));
}

faas_err_t faas_store__corrupt(faas_err_t rc, faas_error_t *err, const char *what)
{
    if (rc == FAAS_ENOMEM)
        return rc;
    faas_error_prefix(err, FAAS_ESTORE, "corrupt %s", what);
    if (err != NULL)
        err->code = FAAS_ESTORE;
    faas_log_error("store: corrupt %s", what);
    return FAAS_ESTORE;
}

faas_err_t faas_store__begin(faas_store_t *s, int write, MDB_txn **txn, faas_error_t *err)
{
    int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, txn);
    return faas_store__fail(s, rc, err, "%s transaction", write ? "write" : "read");
}

faas_err_t faas_store__end(faas_store_t *s, MDB_txn *txn, faas_err_t rc, faas_error_t *err)
{
    if (rc != FAAS_OK) {
        mdb_txn_abort(txn);
        return rc;
    }
    return faas_store__fail(s, mdb_txn_commit(txn), err, "commit");
}

int faas_store__valid_id(const char *id)
{
    size_t len = id != NULL ? strlen(id) : 0;
    if (len == 0 || len > FAAS_STORE_ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (id[i] <= ' ' || id[i] >= 0x7f)
            return 0;
    return 1;
}

MDB_val faas_store__val(const char *s)
{
    MDB_val v = {strlen(s), (void *)s};
    return v;
}

faas_err_t faas_store__get_json(faas_store_t *s, MDB_txn *txn, MDB_dbi dbi, const char *key, cJSON **out,
                                const char *what, faas_error_t *err)
{
    MDB_val k = faas_store__val(key), v;
    if (k.mv_size == 0 || k.mv_size > s->max_key)
        return faas_error_set(err, FAAS_ENOTFOUND, "%s not found", what);
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc != MDB_SUCCESS)
        return faas_store__fail(s, rc, err, "%s", what);
    *out = cJSON_ParseWithLength(v.mv_data, v.mv_size);
    if (*out == NULL)
        return faas_store__corrupt(faas_error_set(err, FAAS_EINVAL, "not JSON"), err, what);
    return FAAS_OK;
}

faas_err_t faas_store__put_json_at(faas_store_t *s, MDB_txn *txn, MDB_dbi dbi, const MDB_val *key,
                                   const cJSON *json, faas_store__verify_cb verify, const char *what,
                                   faas_error_t *err)
{
    if (json != NULL) {
        faas_err_t rc = verify(json, err);
        if (rc != FAAS_OK)
            return rc == FAAS_ENOMEM ? rc : faas_error_prefix(err, rc, "%s", what);
    }
    char *text = json != NULL ? cJSON_PrintUnformatted(json) : NULL;
    if (text == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    MDB_val k = *key, v = faas_store__val(text);
    int rc = mdb_put(txn, dbi, &k, &v, 0);
    free(text);
    return faas_store__fail(s, rc, err, "%s", what);
}

faas_err_t faas_store__put_json(faas_store_t *s, MDB_txn *txn, MDB_dbi dbi, const char *key,
                                const cJSON *json, faas_store__verify_cb verify, const char *what,
                                faas_error_t *err)
{
    MDB_val k = faas_store__val(key);
    return faas_store__put_json_at(s, txn, dbi, &k, json, verify, what, err);
}

void faas_store__be64(unsigned char out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (unsigned char)(v & 0xff);
}

uint64_t faas_store__read_be64(const void *p)
{
    const unsigned char *b = p;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | b[i];
    return v;
}

size_t faas_store__key2(char *buf, const char *a, const void *b, size_t blen)
{
    size_t alen = strlen(a);
    memcpy(buf, a, alen);
    buf[alen] = '\0';
    if (blen > 0)
        memcpy(buf + alen + 1, b, blen);
    return alen + 1 + blen;
}

int faas_store__has_prefix(const MDB_val *k, const char *prefix, size_t plen)
{
    return k->mv_size >= plen && memcmp(k->mv_data, prefix, plen) == 0;
}

int faas_store__seek_last(MDB_cursor *c, const char *prefix, size_t plen, MDB_val *k, MDB_val *v)
{
    /* The first key past every "prefix..." is the prefix with its final \0 raised to \1. */
    char upper[FAAS_STORE__KEY_MAX];
    memcpy(upper, prefix, plen);
    upper[plen - 1] = '\1';
    MDB_val probe = {plen, upper};
    int rc = mdb_cursor_get(c, &probe, v, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS)
        rc = mdb_cursor_get(c, k, v, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(c, k, v, MDB_LAST);
    if (rc == MDB_SUCCESS && !faas_store__has_prefix(k, prefix, plen))
        rc = MDB_NOTFOUND;
    return rc;
}

void *faas_store__grow(void *arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *grown = realloc(arr, ncap * size);
    if (grown != NULL)
        *cap = ncap;
    return grown;
}

/* ---- open and close ---- */

static faas_err_t make_dir(const char *dir, faas_error_t *err)
{
    struct stat st;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return faas_error_set(err, FAAS_EIO, "cannot create store directory %s: %s", dir, strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return faas_error_set(err, FAAS_EIO, "store path %s is not a directory", dir);
    return FAAS_OK;
}

static faas_err_t open_dbis(faas_store_t *s, MDB_txn *txn, faas_error_t *err)
{
    struct {
        const char *name;
        MDB_dbi *dbi;
    } dbs[] = {
        {"meta", &s->meta},
        {"runtimes", &s->runtimes},
        {"functions", &s->functions},
        {"function_ids", &s->function_ids},
        {"builds", &s->builds},
        {"builds_by_function", &s->builds_by_function},
        {"invocations", &s->invocations},
        {"invocations_by_function", &s->invocations_by_function},
        {"revisions", &s->revisions},
        {"certificates", &s->certificates},
        {"acme", &s->acme},
        {"apikeys", &s->apikeys},
        {"secrets", &s->secrets},
    };
    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
        int rc = mdb_dbi_open(txn, dbs[i].name, MDB_CREATE, dbs[i].dbi);
        if (rc != MDB_SUCCESS)
            return faas_store__fail(s, rc, err, "sub-database %s", dbs[i].name);
    }
    return FAAS_OK;
}

/* Writes the schema version into a new store, or checks the one an existing store carries. */
static faas_err_t check_schema(faas_store_t *s, MDB_txn *txn, faas_error_t *err)
{
    MDB_val k = faas_store__val("schema"), v;
    int rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        char text[16];
        snprintf(text, sizeof(text), "%d", FAAS_STORE_SCHEMA);
        v = faas_store__val(text);
        return faas_store__fail(s, mdb_put(txn, s->meta, &k, &v, 0), err, "schema version");
    }
    if (rc != MDB_SUCCESS)
        return faas_store__fail(s, rc, err, "schema version");
    char text[16] = "";
    long version = -1;
    if (v.mv_size > 0 && v.mv_size < sizeof(text)) {
        memcpy(text, v.mv_data, v.mv_size);
        char *end;
        version = strtol(text, &end, 10);
        if (*end != '\0')
            version = -1;
    }
    if (version < 1)
        return faas_error_set(err, FAAS_ESTORE, "store schema version \"%s\" is corrupt", text);
    if (version > FAAS_STORE_SCHEMA)
        return faas_error_set(err, FAAS_ESTORE,
                              "store schema %ld is newer than this faas understands (%d): run a newer faas "
                              "or use another data directory",
                              version, FAAS_STORE_SCHEMA);
    return FAAS_OK;
}

static faas_err_t open_env(faas_store_t *s, const char *dir, faas_error_t *err)
{
    int rc = mdb_env_create(&s->env);
    if (rc != MDB_SUCCESS)
        return faas_store__fail(s, rc, err, "store environment");
    rc = mdb_env_set_maxdbs(s->env, 16);
    if (rc == MDB_SUCCESS)
        rc = mdb_env_set_maxreaders(s->env, 512);
    if (rc == MDB_SUCCESS)
        rc = mdb_env_set_mapsize(s->env, s->map_size);
    if (rc == MDB_SUCCESS)
        rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
    if (rc != MDB_SUCCESS)
        return faas_store__fail(s, rc, err, "store in %s", dir);
    s->max_key = (size_t)mdb_env_get_maxkeysize(s->env);
    return FAAS_OK;
}

faas_err_t faas_store_open(const char *dir, size_t map_size, faas_store_t **out, faas_error_t *err)
{
    *out = NULL;
    faas_err_t rc = make_dir(dir, err);
    if (rc != FAAS_OK)
        return rc;
    faas_store_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    s->map_size = map_size != 0 ? map_size : FAAS_STORE_DEFAULT_MAP_SIZE;
    MDB_txn *txn;
    rc = open_env(s, dir, err);
    if (rc == FAAS_OK)
        rc = faas_store__begin(s, 1, &txn, err);
    if (rc == FAAS_OK) {
        rc = open_dbis(s, txn, err);
        if (rc == FAAS_OK)
            rc = check_schema(s, txn, err);
        rc = faas_store__end(s, txn, rc, err);
    }
    if (rc != FAAS_OK) {
        faas_store_close(s);
        return rc;
    }
    *out = s;
    return FAAS_OK;
}

/* 12 lower-case hex digits, from the random part of a UUID. */
static void new_instance_id(char id[FAAS_STORE_INSTANCE_MAX])
{
    char uuid[FAAS_UUID_LEN];
    faas_uuid_new(uuid);
    snprintf(id, FAAS_STORE_INSTANCE_MAX, "%.8s%.4s", uuid, uuid + 9);
}

static int valid_instance_id(const MDB_val *v)
{
    if (v->mv_size != 12)
        return 0;
    for (size_t i = 0; i < v->mv_size; i++)
        if (!isxdigit(((const unsigned char *)v->mv_data)[i]))
            return 0;
    return 1;
}

faas_err_t faas_store_instance(faas_store_t *s, char id[FAAS_STORE_INSTANCE_MAX], faas_error_t *err)
{
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    MDB_val k = faas_store__val("instance"), v;
    int mrc = mdb_get(txn, s->meta, &k, &v);
    if (mrc == MDB_SUCCESS && valid_instance_id(&v)) {
        snprintf(id, FAAS_STORE_INSTANCE_MAX, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
    } else if (mrc == MDB_NOTFOUND) {
        new_instance_id(id);
        v = faas_store__val(id);
        rc = faas_store__fail(s, mdb_put(txn, s->meta, &k, &v, 0), err, "instance id");
    } else {
        rc = mrc == MDB_SUCCESS ? faas_error_set(err, FAAS_ESTORE, "store: the instance id is corrupt")
                                : faas_store__fail(s, mrc, err, "instance id");
    }
    return faas_store__end(s, txn, rc, err);
}

void faas_store_close(faas_store_t *store)
{
    if (store == NULL)
        return;
    if (store->env != NULL)
        mdb_env_close(store->env);
    free(store);
}

/* ---- blobs ---- */

static MDB_dbi bucket_dbi(const faas_store_t *s, faas_store_bucket_t bucket)
{
    return bucket == FAAS_STORE_ACME ? s->acme : s->certificates;
}

static const char *bucket_name(faas_store_bucket_t bucket)
{
    return bucket == FAAS_STORE_ACME ? "acme" : "certificates";
}

faas_err_t faas_store_blob_get(faas_store_t *s, faas_store_bucket_t bucket, const char *key, void **data,
                               size_t *len, faas_error_t *err)
{
    *data = NULL;
    *len = 0;
    MDB_val k = faas_store__val(key), v;
    if (k.mv_size == 0 || k.mv_size > s->max_key)
        return faas_error_set(err, FAAS_ENOTFOUND, "%s entry not found", bucket_name(bucket));
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    int mrc = mdb_get(txn, bucket_dbi(s, bucket), &k, &v);
    rc = faas_store__fail(s, mrc, err, "%s entry '%s'", bucket_name(bucket), key);
    if (rc == FAAS_OK) {
        *data = malloc(v.mv_size + 1);
        if (*data == NULL) {
            rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
        } else {
            memcpy(*data, v.mv_data, v.mv_size);
            ((char *)*data)[v.mv_size] = '\0';
            *len = v.mv_size;
        }
    }
    mdb_txn_abort(txn);
    return rc;
}

faas_err_t faas_store_blob_put(faas_store_t *s, faas_store_bucket_t bucket, const char *key, const void *data,
                               size_t len, faas_error_t *err)
{
    MDB_val k = faas_store__val(key), v = {len, (void *)data};
    if (k.mv_size == 0 || k.mv_size > s->max_key)
        return faas_error_set(err, FAAS_EINVAL, "%s key must be 1..%zu bytes", bucket_name(bucket), s->max_key);
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_store__fail(s, mdb_put(txn, bucket_dbi(s, bucket), &k, &v, 0), err, "%s entry '%s'",
                          bucket_name(bucket), key);
    return faas_store__end(s, txn, rc, err);
}

faas_err_t faas_store_blob_delete(faas_store_t *s, faas_store_bucket_t bucket, const char *key,
                                  faas_error_t *err)
{
    MDB_val k = faas_store__val(key);
    if (k.mv_size == 0 || k.mv_size > s->max_key)
        return faas_error_set(err, FAAS_ENOTFOUND, "%s entry not found", bucket_name(bucket));
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_store__fail(s, mdb_del(txn, bucket_dbi(s, bucket), &k, NULL), err, "%s entry '%s'",
                          bucket_name(bucket), key);
    return faas_store__end(s, txn, rc, err);
}

void faas_store_keys_free(char **keys, size_t n)
{
    for (size_t i = 0; keys != NULL && i < n; i++)
        free(keys[i]);
    free(keys);
}

/* Appends a copy of k as a C string to *keys (growing it); returns 0 or -1 when out of memory. */
static int push_key(char ***keys, size_t *n, size_t *cap, const MDB_val *k)
{
    char **grown = faas_store__grow(*keys, cap, *n, sizeof(**keys));
    if (grown == NULL)
        return -1;
    *keys = grown;
    char *copy = strndup(k->mv_data, k->mv_size);
    if (copy == NULL)
        return -1;
    (*keys)[(*n)++] = copy;
    return 0;
}

faas_err_t faas_store_blob_keys(faas_store_t *s, faas_store_bucket_t bucket, char ***keys, size_t *n,
                                faas_error_t *err)
{
    *keys = NULL;
    *n = 0;
    size_t cap = 0;
    MDB_txn *txn;
    MDB_cursor *c;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    int mrc = mdb_cursor_open(txn, bucket_dbi(s, bucket), &c);
    if (mrc == MDB_SUCCESS) {
        MDB_val k, v;
        for (int op = MDB_FIRST; mrc == MDB_SUCCESS; op = MDB_NEXT) {
            mrc = mdb_cursor_get(c, &k, &v, op);
            if (mrc == MDB_SUCCESS && push_key(keys, n, &cap, &k) != 0)
                mrc = ENOMEM;
        }
        mdb_cursor_close(c);
    }
    if (mrc != MDB_NOTFOUND)
        rc = faas_store__fail(s, mrc, err, "%s keys", bucket_name(bucket));
    mdb_txn_abort(txn);
    if (rc != FAAS_OK) {
        faas_store_keys_free(*keys, *n);
        *keys = NULL;
        *n = 0;
    }
    return rc;
}

int faas_store_map_usage(faas_store_t *store, uint64_t *used, uint64_t *size)
{
    MDB_envinfo info;
    MDB_stat st;
    if (store == NULL || mdb_env_info(store->env, &info) != 0 || mdb_env_stat(store->env, &st) != 0)
        return -1;
    *size = (uint64_t)info.me_mapsize;
    *used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    return 0;
}
