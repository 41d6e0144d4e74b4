/*
 * secret.c: the secrets table (see secret.h). A record is the JSON
 * {"name","createdAt","updatedAt","nonce":"<24 hex>","ciphertext":"<base64 of ciphertext and tag>"};
 * the plaintext exists only in the caller's buffers. Threads: reads from any thread, set and delete
 * on worker threads only (fsync).
 */
#include "internal.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/core/clock.h"
#include "faas/store/secret.h"

/* A stored secret, sealed. */
typedef struct sealed {
    int64_t created_at, updated_at;
    unsigned char nonce[FAAS_SECRETBOX_NONCE_LEN];
    unsigned char *data; /* ciphertext and tag */
    size_t len;
} sealed_t;

void faas_secret_info_array_free(faas_secret_info_t *arr, size_t n)
{
    for (size_t i = 0; arr != NULL && i < n; i++)
        faas_secret_names_free(arr[i].used_by, arr[i].n_used_by);
    free(arr);
}

static faas_err_t check_name(const char *name, faas_error_t *err)
{
    if (faas_record_valid_secret_name(name))
        return FAAS_OK;
    return faas_error_set(err, FAAS_EINVAL, "a secret name is 1 to %d of A-Z, a-z, 0-9, '_', '.' and '-', not "
                          "starting with '.' or '-'", FAAS_RECORD_SECRET_NAME_MAX);
}

/* ---- the record's JSON ---- */

static cJSON *sealed_to_json(const char *name, const sealed_t *sd)
{
    char nonce[2 * FAAS_SECRETBOX_NONCE_LEN + 1];
    for (size_t i = 0; i < FAAS_SECRETBOX_NONCE_LEN; i++)
        snprintf(nonce + 2 * i, 3, "%02x", sd->nonce[i]);
    char *b64 = malloc(4 * ((sd->len + 2) / 3) + 1);
    cJSON *obj = b64 != NULL ? cJSON_CreateObject() : NULL;
    if (obj != NULL) {
        EVP_EncodeBlock((unsigned char *)b64, sd->data, (int)sd->len);
        if (cJSON_AddStringToObject(obj, "name", name) == NULL ||
            cJSON_AddNumberToObject(obj, "createdAt", (double)sd->created_at) == NULL ||
            cJSON_AddNumberToObject(obj, "updatedAt", (double)sd->updated_at) == NULL ||
            cJSON_AddStringToObject(obj, "nonce", nonce) == NULL || cJSON_AddStringToObject(obj, "ciphertext", b64) == NULL) {
            cJSON_Delete(obj);
            obj = NULL;
        }
    }
    free(b64);
    return obj;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Base64 text to bytes into sd->data; 0, or -1 when it is not base64. */
static int decode_b64(const char *text, sealed_t *sd)
{
    size_t tlen = strlen(text);
    if (tlen == 0 || tlen % 4 != 0 || tlen > (size_t)1 << 20 || (sd->data = malloc(tlen / 4 * 3)) == NULL)
        return -1;
    int n = EVP_DecodeBlock(sd->data, (const unsigned char *)text, (int)tlen);
    if (n < 0)
        return -1;
    sd->len = (size_t)n - (text[tlen - 1] == '=') - (text[tlen - 2] == '='); /* DecodeBlock counts padding */
    return 0;
}

static faas_err_t sealed_from_json(const cJSON *json, sealed_t *sd, faas_error_t *err)
{
    *sd = (sealed_t){0};
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(json, "createdAt");
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(json, "updatedAt");
    const char *nonce = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "nonce"));
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "ciphertext"));
    if (!cJSON_IsNumber(c) || !cJSON_IsNumber(u) || nonce == NULL || text == NULL ||
        strlen(nonce) != 2 * FAAS_SECRETBOX_NONCE_LEN)
        return faas_error_set(err, FAAS_EINVAL, "a secret record needs createdAt, updatedAt, nonce and ciphertext");
    sd->created_at = (int64_t)c->valuedouble;
    sd->updated_at = (int64_t)u->valuedouble;
    for (size_t i = 0; i < FAAS_SECRETBOX_NONCE_LEN; i++) {
        int hi = hex_digit(nonce[2 * i]), lo = hex_digit(nonce[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return faas_error_set(err, FAAS_EINVAL, "the nonce is not hex");
        sd->nonce[i] = (unsigned char)(hi << 4 | lo);
    }
    if (decode_b64(text, sd) != 0) {
        free(sd->data);
        sd->data = NULL;
        return faas_error_set(err, FAAS_EINVAL, "the ciphertext is not base64");
    }
    return FAAS_OK;
}

/* Reads secret name into *sd (free sd->data). FAAS_ENOTFOUND, FAAS_ESTORE (corrupt). */
static faas_err_t get_sealed(faas_store_t *s, MDB_txn *txn, const char *name, sealed_t *sd, faas_error_t *err)
{
    char what[96];
    snprintf(what, sizeof(what), "secret %s", name);
    cJSON *json = NULL;
    *sd = (sealed_t){0};
    faas_err_t rc = faas_store__get_json(s, txn, s->secrets, name, &json, what, err);
    if (rc == FAAS_OK && (rc = sealed_from_json(json, sd, err)) != FAAS_OK)
        rc = faas_store__corrupt(rc, err, what);
    cJSON_Delete(json);
    return rc;
}

/* The store's checks passed before the write: this only proves the record reads back. */
static faas_err_t verify_sealed(const cJSON *json, faas_error_t *err)
{
    sealed_t sd;
    faas_err_t rc = sealed_from_json(json, &sd, err);
    free(sd.data);
    return rc;
}

/* ---- set, reveal, exists ---- */

faas_err_t faas_store_secret_set(faas_store_t *s, const faas_secretbox_t *box, const char *name, const void *value,
                                 size_t len, faas_secret_info_t *out, int *replaced, faas_error_t *err)
{
    if (check_name(name, err) != FAAS_OK)
        return FAAS_EINVAL;
    if (len == 0)
        return faas_error_set(err, FAAS_EINVAL, "the secret's value is empty");
    if (len > FAAS_STORE_SECRET_MAX)
        return faas_error_set(err, FAAS_ETOOLARGE, "a secret's value holds at most %zu bytes", FAAS_STORE_SECRET_MAX);
    sealed_t sd = {.updated_at = faas_clock_now_ms()}, old;
    faas_err_t rc = faas_secretbox_seal(box, name, value, len, sd.nonce, &sd.data, &sd.len, err);
    MDB_txn *txn = NULL;
    if (rc == FAAS_OK)
        rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK) {
        free(sd.data);
        return rc;
    }
    faas_err_t found = get_sealed(s, txn, name, &old, NULL); /* a corrupt one is replaced */
    free(old.data);
    sd.created_at = found == FAAS_OK ? old.created_at : sd.updated_at;
    cJSON *json = sealed_to_json(name, &sd);
    rc = json != NULL ? faas_store__put_json(s, txn, s->secrets, name, json, verify_sealed, "secret", err)
                      : faas_error_set(err, FAAS_ENOMEM, "out of memory");
    cJSON_Delete(json);
    free(sd.data);
    rc = faas_store__end(s, txn, rc, err);
    if (rc == FAAS_OK && out != NULL) {
        *out = (faas_secret_info_t){.created_at = sd.created_at, .updated_at = sd.updated_at};
        snprintf(out->name, sizeof(out->name), "%s", name);
    }
    if (rc == FAAS_OK && replaced != NULL)
        *replaced = found == FAAS_OK;
    return rc;
}

faas_err_t faas_store_secret_reveal(faas_store_t *s, const faas_secretbox_t *box, const char *name, char **value,
                                    size_t *len, faas_error_t *err)
{
    *value = NULL;
    *len = 0;
    if (check_name(name, err) != FAAS_OK)
        return faas_error_set(err, FAAS_ENOTFOUND, "secret %s not found", name != NULL ? name : "");
    MDB_txn *txn;
    sealed_t sd;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = get_sealed(s, txn, name, &sd, err);
    mdb_txn_abort(txn);
    if (rc == FAAS_OK)
        rc = faas_secretbox_open(box, name, sd.nonce, sd.data, sd.len, value, len, err);
    free(sd.data);
    return rc;
}

faas_err_t faas_store_secret_exists(faas_store_t *s, const char *name, faas_error_t *err)
{
    if (!faas_record_valid_secret_name(name))
        return faas_error_set(err, FAAS_ENOTFOUND, "secret %s not found", name != NULL ? name : "");
    MDB_txn *txn;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    MDB_val k = faas_store__val(name), v;
    rc = faas_store__fail(s, mdb_get(txn, s->secrets, &k, &v), err, "secret %s", name);
    mdb_txn_abort(txn);
    return rc;
}

/* ---- who uses a secret ---- */

/* Calls on_use(ctx, function name, secret name) for each secret each function's record lists. */
static faas_err_t each_use(faas_store_t *s, MDB_txn *txn, int (*on_use)(void *, const char *, const char *), void *ctx,
                           faas_error_t *err)
{
    MDB_cursor *c;
    MDB_val k, v;
    faas_err_t rc = faas_store__fail(s, mdb_cursor_open(txn, s->functions, &c), err, "functions");
    if (rc != FAAS_OK)
        return rc;
    int mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    for (; mrc == MDB_SUCCESS && rc == FAAS_OK; mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        cJSON *json = cJSON_ParseWithLength(v.mv_data, v.mv_size), *item;
        const char *fn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "name"));
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(json, "secrets")) {
            if (fn != NULL && cJSON_IsString(item) && rc == FAAS_OK && on_use(ctx, fn, item->valuestring) != 0)
                rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
        }
        cJSON_Delete(json); /* a record that does not parse is logged by function reads; it uses nothing here */
    }
    mdb_cursor_close(c);
    return rc != FAAS_OK || mrc == MDB_NOTFOUND ? rc : faas_store__fail(s, mrc, err, "functions");
}

/* Appends a copy of name to a names array; 0, or -1 when out of memory. */
static int names_add(char ***names, size_t *n, const char *name)
{
    char **grown = realloc(*names, (*n + 1) * sizeof(**names));
    if (grown == NULL)
        return -1;
    *names = grown;
    if ((grown[*n] = strdup(name)) == NULL)
        return -1;
    ++*n;
    return 0;
}

typedef struct users_of {
    const char *secret;
    char **names;
    size_t n;
} users_of_t;

static int on_user(void *ctx, const char *fn, const char *secret)
{
    users_of_t *u = ctx;
    return strcmp(secret, u->secret) == 0 ? names_add(&u->names, &u->n, fn) : 0;
}

static faas_err_t users_txn(faas_store_t *s, MDB_txn *txn, const char *name, char ***users, size_t *n,
                            faas_error_t *err)
{
    users_of_t u = {.secret = name};
    faas_err_t rc = each_use(s, txn, on_user, &u, err); /* functions come in name order: sorted */
    if (rc != FAAS_OK) {
        faas_secret_names_free(u.names, u.n);
        return rc;
    }
    *users = u.names;
    *n = u.n;
    return FAAS_OK;
}

faas_err_t faas_store_secret_users(faas_store_t *s, const char *name, char ***users, size_t *n, faas_error_t *err)
{
    MDB_txn *txn;
    *users = NULL;
    *n = 0;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc == FAAS_OK) {
        rc = users_txn(s, txn, name, users, n, err);
        mdb_txn_abort(txn);
    }
    return rc;
}

/* ---- list and delete ---- */

typedef struct infos {
    faas_secret_info_t *arr;
    size_t n, cap;
} infos_t;

static int on_listed_use(void *ctx, const char *fn, const char *secret)
{
    infos_t *in = ctx;
    for (size_t i = 0; i < in->n; i++) /* a linear search: secrets are few and this is an operator's listing */
        if (strcmp(in->arr[i].name, secret) == 0)
            return names_add(&in->arr[i].used_by, &in->arr[i].n_used_by, fn);
    return 0;
}

static faas_err_t list_txn(faas_store_t *s, MDB_txn *txn, infos_t *in, faas_error_t *err)
{
    MDB_cursor *c;
    MDB_val k, v;
    faas_err_t rc = faas_store__fail(s, mdb_cursor_open(txn, s->secrets, &c), err, "secrets");
    if (rc != FAAS_OK)
        return rc;
    int mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    for (; mrc == MDB_SUCCESS && rc == FAAS_OK; mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        cJSON *json = cJSON_ParseWithLength(v.mv_data, v.mv_size);
        sealed_t sd = {0};
        if (k.mv_size > FAAS_RECORD_SECRET_NAME_MAX || sealed_from_json(json, &sd, NULL) != FAAS_OK) {
            faas_store__corrupt(FAAS_EINVAL, NULL, "secret record"); /* logged, skipped */
        } else {
            faas_secret_info_t *grown = faas_store__grow(in->arr, &in->cap, in->n, sizeof(*in->arr));
            if (grown == NULL)
                rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
            else {
                in->arr = grown;
                in->arr[in->n] = (faas_secret_info_t){.created_at = sd.created_at, .updated_at = sd.updated_at};
                snprintf(in->arr[in->n++].name, FAAS_RECORD_SECRET_NAME_MAX + 1, "%.*s", (int)k.mv_size,
                         (const char *)k.mv_data);
            }
        }
        free(sd.data);
        cJSON_Delete(json);
    }
    mdb_cursor_close(c);
    if (rc == FAAS_OK && mrc != MDB_NOTFOUND)
        rc = faas_store__fail(s, mrc, err, "secrets");
    return rc == FAAS_OK ? each_use(s, txn, on_listed_use, in, err) : rc;
}

faas_err_t faas_store_secret_list(faas_store_t *s, faas_secret_info_t **out, size_t *n, faas_error_t *err)
{
    MDB_txn *txn;
    infos_t in = {0};
    *out = NULL;
    *n = 0;
    faas_err_t rc = faas_store__begin(s, 0, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = list_txn(s, txn, &in, err);
    mdb_txn_abort(txn);
    if (rc != FAAS_OK) {
        faas_secret_info_array_free(in.arr, in.n);
        return rc;
    }
    *out = in.arr;
    *n = in.n;
    return FAAS_OK;
}

/* err: "used by a, b" (cut to fit). */
static faas_err_t in_use(char **users, size_t n, faas_error_t *err)
{
    char list[FAAS_ERROR_MSG_MAX - 64] = "";
    for (size_t i = 0, used = 0; i < n && used < sizeof(list); i++)
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", users[i]);
    return faas_error_set(err, FAAS_ECONFLICT, "used by %s: upload those functions with secrets= first", list);
}

faas_err_t faas_store_secret_delete(faas_store_t *s, const char *name, char ***users, size_t *n_users,
                                    faas_error_t *err)
{
    char **who = NULL;
    size_t n = 0;
    MDB_txn *txn;
    if (!faas_record_valid_secret_name(name))
        return faas_error_set(err, FAAS_ENOTFOUND, "secret %s not found", name != NULL ? name : "");
    faas_err_t rc = faas_store__begin(s, 1, &txn, err);
    if (rc != FAAS_OK)
        return rc;
    MDB_val k = faas_store__val(name), v;
    rc = faas_store__fail(s, mdb_get(txn, s->secrets, &k, &v), err, "secret %s", name);
    if (rc == FAAS_OK)
        rc = users_txn(s, txn, name, &who, &n, err); /* the records as this write transaction sees them */
    if (rc == FAAS_OK && n > 0)
        rc = in_use(who, n, err);
    if (rc == FAAS_OK)
        rc = faas_store__fail(s, mdb_del(txn, s->secrets, &k, NULL), err, "secret %s", name);
    rc = faas_store__end(s, txn, rc, err);
    if (users != NULL && rc == FAAS_ECONFLICT) {
        *users = who;
        *n_users = n;
    } else {
        faas_secret_names_free(who, n);
    }
    return rc;
}
