/*
 * internal.h: what the files of src/store/ share (names: faas_store__*): the
 * store struct, transaction helpers, LMDB error translation, JSON value helpers and the list
 * scan. Only the store files include it; they are the only code that names MDB_*.
 * Threads: as store.h (helpers taking a write txn run on workers).
 */
#ifndef FAAS_STORE_INTERNAL_H
#define FAAS_STORE_INTERNAL_H

#include <lmdb.h>
#include <stdint.h>

#include "faas/store/store.h"

struct faas_store {
    MDB_env *env;
    size_t map_size;
    size_t max_key;
    MDB_dbi meta;
    MDB_dbi runtimes;
    MDB_dbi functions;            /* name -> function JSON */
    MDB_dbi function_ids;         /* functionId -> name */
    MDB_dbi builds;               /* build id -> build JSON; build id \0 be64(seq) -> log chunk */
    MDB_dbi builds_by_function;   /* name \0 build id -> "" */
    MDB_dbi invocations;          /* invocation id -> invocation JSON */
    MDB_dbi invocations_by_function; /* functionId \0 be64(started_at) invocation id -> "" */
    MDB_dbi revisions;            /* name \0 be64(number) -> revision JSON */
    MDB_dbi certificates;
    MDB_dbi acme;
    MDB_dbi apikeys;              /* key name -> API key JSON (apikey.c) */
    MDB_dbi secrets;              /* secret name -> {name, createdAt, updatedAt, nonce, ciphertext} JSON */
};

/* Room for a composite key: an id or name, a separator, 8 bytes, another id, and slack. */
#define FAAS_STORE__KEY_MAX 320

/** Begins a read (write = 0) or write transaction. FAAS_ESTORE on failure. */
faas_err_t faas_store__begin(faas_store_t *s, int write, MDB_txn **txn, faas_error_t *err);

/** Commits txn when rc is FAAS_OK, else aborts it; returns rc or the commit's error. */
faas_err_t faas_store__end(faas_store_t *s, MDB_txn *txn, faas_err_t rc, faas_error_t *err);

/** Translates an LMDB return code about "what" (printf) into a faas error; 0 gives FAAS_OK. */
faas_err_t faas_store__fail(const faas_store_t *s, int rc, faas_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Turns a record parse failure into FAAS_ESTORE "corrupt <what>: ..." (FAAS_ENOMEM stays). */
faas_err_t faas_store__corrupt(faas_err_t rc, faas_error_t *err, const char *what);

/** 1 when id is 1..FAAS_STORE_ID_MAX printable ASCII characters without spaces. */
int faas_store__valid_id(const char *id);

/** An MDB_val over a C string (without its NUL). */
MDB_val faas_store__val(const char *s);

/** Reads key of dbi and parses it as JSON into *out (caller deletes). FAAS_ENOTFOUND "<what> not
 *  found", FAAS_ESTORE "corrupt <what>". */
faas_err_t faas_store__get_json(faas_store_t *s, MDB_txn *txn, MDB_dbi dbi, const char *key, cJSON **out,
                                const char *what, faas_error_t *err);

/* Parses json as a record and frees the result: proof that what is stored can be read back. */
typedef faas_err_t (*faas_store__verify_cb)(const cJSON *json, faas_error_t *err);

/** Checks json with verify (FAAS_EINVAL "<what>: ..." when a caller's record would not read
 *  back, e.g. an enum out of range), serialises it and stores it under key of dbi.
 *  FAAS_EINVAL, FAAS_ENOMEM, FAAS_ESTORE. */
faas_err_t faas_store__put_json(faas_store_t *s, MDB_txn *txn, MDB_dbi dbi, const char *key,
                                const cJSON *json, faas_store__verify_cb verify, const char *what,
                                faas_error_t *err);

/** faas_store__put_json under a key that is bytes (it may hold \0), not a C string. */
faas_err_t faas_store__put_json_at(faas_store_t *s, MDB_txn *txn, MDB_dbi dbi, const MDB_val *key,
                                   const cJSON *json, faas_store__verify_cb verify, const char *what,
                                   faas_error_t *err);

/** Writes v big-endian into out[0..7]. */
void faas_store__be64(unsigned char out[8], uint64_t v);

/** Reads 8 big-endian bytes. */
uint64_t faas_store__read_be64(const void *p);

/** Builds key = a \0 [b of blen bytes] into buf (FAAS_STORE__KEY_MAX); returns its length. */
size_t faas_store__key2(char *buf, const char *a, const void *b, size_t blen);

/** 1 when k starts with the plen bytes of prefix. */
int faas_store__has_prefix(const MDB_val *k, const char *prefix, size_t plen);

/** Positions c on the last key starting with prefix (which must end in \0) and fills k, v;
 *  MDB_NOTFOUND when there is none, else an LMDB error code. */
int faas_store__seek_last(MDB_cursor *c, const char *prefix, size_t plen, MDB_val *k, MDB_val *v);

/** Makes room for one more element of size bytes in arr (n used of *cap); returns the (maybe moved)
 *  array, or NULL when out of memory (arr is then still valid and owned by the caller). */
void *faas_store__grow(void *arr, size_t *cap, size_t n, size_t size);

/* Parses one stored JSON value into the record at out. */
typedef faas_err_t (*faas_store__parse_cb)(const cJSON *json, void *out, faas_error_t *err);

/** Parses every value of dbi with parse into a new array *out of *n size-byte records, in key
 *  order; skips (and logs) records that do not parse. FAAS_ENOMEM, FAAS_ESTORE (the caller frees
 *  what *out holds on error too). */
faas_err_t faas_store__list(faas_store_t *s, MDB_dbi dbi, const char *what, faas_store__parse_cb parse, size_t size,
                            void **out, size_t *n, faas_error_t *err);

/** Deletes the build records, logs and index entries of the function called name. */
faas_err_t faas_store__builds_delete_all(faas_store_t *s, MDB_txn *txn, const char *name, faas_error_t *err);

/** Deletes every revision of the function called name. */
faas_err_t faas_store__revisions_delete_all(faas_store_t *s, MDB_txn *txn, const char *name, faas_error_t *err);

/** Deletes every invocation and index entry of functionId function_id. */
faas_err_t faas_store__invocations_delete_all(faas_store_t *s, MDB_txn *txn, const char *function_id,
                                              faas_error_t *err);

#endif
