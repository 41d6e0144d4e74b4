/*
 * store.h: the LMDB store of faas: functions, their revisions, runtimes, builds and their logs,
 * invocations, certificates, the ACME account and named API keys, in one environment under a directory.
 *
 * Threads: the store is shared by every thread. Reads (get, list, log read) open a read-only
 * transaction, never wait for writers and never fsync, so loop threads may call them. Writes
 * (put, delete, update, append) take LMDB's single writer lock and fsync on commit: they are
 * marked "worker thread only: blocks (fsync)" and must run on a worker-pool thread, never on a loop.
 * Any number of threads may write at once; LMDB serialises them.
 *
 * Records are the types of record.h, stored as their JSON. Getters fill a caller's struct
 * (free it with the type's _free); lists return a malloc'd array (free with the _array_free).
 * A record that no longer parses is FAAS_ESTORE "corrupt ..." from a get and is skipped (and
 * logged) by a list, so one bad record never takes the API down.
 *
 * Keys: function names must be DNS labels (faas_record_valid_name); ids (functionId, build id,
 * invocation id) must be 1..128 printable ASCII characters without spaces.
 */
#ifndef FAAS_STORE_STORE_H
#define FAAS_STORE_STORE_H

#include <stddef.h>

#include "faas/core/error.h"
#include "faas/store/record.h"

/* The schema this code writes and reads; a store with a newer one is refused at open. */
#define FAAS_STORE_SCHEMA 1

/* Default LMDB map size (the most the store can hold): 1 GiB. */
#define FAAS_STORE_DEFAULT_MAP_SIZE ((size_t)1 << 30)

/* Longest id the store accepts (functionId, build id, invocation id). */
#define FAAS_STORE_ID_MAX 128

typedef struct faas_store faas_store_t;

/* The byte-blob tables: key -> bytes, as the TLS and ACME code want them. */
typedef enum faas_store_bucket {
    FAAS_STORE_CERTIFICATES = 0, /* host name -> PEM chain and key */
    FAAS_STORE_ACME = 1,         /* ACME account key, registration URL, ... */
} faas_store_bucket_t;

/*
 * Called inside faas_store_function_update's write transaction with the current record, which
 * it may change in place (except its name). Returning anything but FAAS_OK (with err filled)
 * aborts the transaction and is passed to the caller. It runs with the writer lock held: keep
 * it short, and never call the store from it (that deadlocks).
 */
typedef faas_err_t (*faas_store_update_cb)(faas_function_t *fn, void *cbdata, faas_error_t *err);

/* ---- environment ---- */

/** Opens (creating dir 0700 and the store if missing) the store under dir; map_size 0 = default.
 *  FAAS_EIO for the directory, FAAS_ESTORE for LMDB or a schema newer than FAAS_STORE_SCHEMA.
 *  Worker thread only: blocks (fsync). One open per directory per process. */
faas_err_t faas_store_open(const char *dir, size_t map_size, faas_store_t **out, faas_error_t *err);

/** Closes the store; no transaction may be running. NULL-safe. */
void faas_store_close(faas_store_t *store);

/** The LMDB map's size and the bytes its used pages take (last page number + 1, times the page
 *  size), for GET /metrics. 0, or -1 when LMDB cannot say. Reads no data, takes no lock: any thread. */
int faas_store_map_usage(faas_store_t *store, uint64_t *used, uint64_t *size);

/* Room for an instance id ("3f9c0a1b2d4e": 12 hex digits) and its NUL. */
#define FAAS_STORE_INSTANCE_MAX 16

/** The id of the faas instance that owns this store: made (random) at the first call and kept,
 *  so it survives restarts. Every Docker object the instance makes carries it as a label.
 *  FAAS_ESTORE. Worker thread or start-up only: the first call writes (fsync). */
faas_err_t faas_store_instance(faas_store_t *store, char id[FAAS_STORE_INSTANCE_MAX], faas_error_t *err);

/* ---- functions (name -> record, with a functionId -> name index) ---- */

/** Reads the function called name into *out (caller frees with faas_function_free).
 *  FAAS_ENOTFOUND, FAAS_ESTORE (corrupt record, LMDB). Any thread. */
faas_err_t faas_store_function_get(faas_store_t *store, const char *name, faas_function_t *out,
                                   faas_error_t *err);

/** Reads the function whose functionId is id into *out (caller frees). FAAS_ENOTFOUND,
 *  FAAS_ESTORE. Any thread. */
faas_err_t faas_store_function_get_by_id(faas_store_t *store, const char *id, faas_function_t *out,
                                         faas_error_t *err);

/** The function whose functionId, or else whose name, is id_or_name, into *out (caller frees):
 *  wherever the API takes a functionId it takes a name too. FAAS_ENOTFOUND, FAAS_ESTORE. Any thread. */
faas_err_t faas_store_function_find(faas_store_t *store, const char *id_or_name, faas_function_t *out,
                                    faas_error_t *err);
/** Inserts or replaces the record under fn->name and points fn->id at it (dropping the old id
 *  of a replaced record). FAAS_EINVAL bad name/id; FAAS_ECONFLICT when fn->id belongs to another
 *  name; FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_function_put(faas_store_t *store, const faas_function_t *fn, faas_error_t *err);

/** Like faas_store_function_put but FAAS_ECONFLICT when fn->name exists already.
 *  Worker thread only: blocks (fsync). */
faas_err_t faas_store_function_create(faas_store_t *store, const faas_function_t *fn, faas_error_t *err);

/** Deletes the function called name with its id index entry, its builds (and their logs) and its
 *  invocations, in one transaction. FAAS_ENOTFOUND, FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_function_delete(faas_store_t *store, const char *name, faas_error_t *err);

/** All functions sorted by name into a new array *out of *n records (caller frees with
 *  faas_function_array_free; NULL when empty). FAAS_ESTORE, FAAS_ENOMEM. Any thread. */
faas_err_t faas_store_function_list(faas_store_t *store, faas_function_t **out, size_t *n,
                                    faas_error_t *err);

/** Atomically reads the function called name, runs cb on it and stores the result, all in one
 *  write transaction. On success the stored record goes to *out if out is not NULL (caller
 *  frees). FAAS_ENOTFOUND, cb's error, FAAS_EINVAL if cb renamed it, FAAS_ECONFLICT if cb gave it
 *  an id another function owns, FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_function_update(faas_store_t *store, const char *name, faas_store_update_cb cb,
                                      void *cbdata, faas_function_t *out, faas_error_t *err);

/* ---- revisions (per function, by number) ---- */

/** Stores rev (its function must exist; number > 0, replacing one of the same number), then
 *  deletes the function's oldest revisions while more than keep (at least 1) remain, handing
 *  them to *pruned (*n_pruned; caller frees with faas_revision_array_free) when pruned is not
 *  NULL, in one transaction. FAAS_EINVAL, FAAS_ENOTFOUND, FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_revision_add(faas_store_t *store, const faas_revision_t *rev, size_t keep,
                                   faas_revision_t **pruned, size_t *n_pruned, faas_error_t *err);
/** Reads revision number of the function called name into *out (caller frees with
 *  faas_revision_free). FAAS_ENOTFOUND, FAAS_ESTORE. Any thread. */
faas_err_t faas_store_revision_get(faas_store_t *store, const char *name, int64_t number, faas_revision_t *out,
                                   faas_error_t *err);
/** The revisions of name, newest first, into a new array (caller frees with
 *  faas_revision_array_free; NULL when none). FAAS_ESTORE, FAAS_ENOMEM. Any thread. */
faas_err_t faas_store_revision_list(faas_store_t *store, const char *name, faas_revision_t **out, size_t *n,
                                    faas_error_t *err);
/** The highest revision number of name (0 when it has none). FAAS_ESTORE. Any thread. */
faas_err_t faas_store_revision_last(faas_store_t *store, const char *name, int64_t *number, faas_error_t *err);
/** The image ids of every kept revision of every function (caller frees with faas_store_keys_free):
 *  what the image cleanup must leave. FAAS_ESTORE, FAAS_ENOMEM. Any thread. */
faas_err_t faas_store_revision_images(faas_store_t *store, char ***ids, size_t *n, faas_error_t *err);

/* ---- runtimes (name -> record) ---- */

/** Inserts or replaces the runtime rt->name (an id: 1..128 printable characters). FAAS_EINVAL, FAAS_ESTORE.
 *  Worker thread only: blocks (fsync). */
faas_err_t faas_store_runtime_put(faas_store_t *store, const faas_runtime_t *rt, faas_error_t *err);

/** Reads the runtime called name into *out (caller frees with faas_runtime_free).
 *  FAAS_ENOTFOUND, FAAS_ESTORE. Any thread. */
faas_err_t faas_store_runtime_get(faas_store_t *store, const char *name, faas_runtime_t *out,
                                  faas_error_t *err);

/** Deletes the runtime called name. FAAS_ENOTFOUND, FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_runtime_delete(faas_store_t *store, const char *name, faas_error_t *err);

/** All runtimes sorted by name into a new array (caller frees with faas_runtime_array_free;
 *  NULL when empty). FAAS_ESTORE, FAAS_ENOMEM. Any thread. */
faas_err_t faas_store_runtime_list(faas_store_t *store, faas_runtime_t **out, size_t *n, faas_error_t *err);

/* ---- builds (id -> record, plus the build log as ordered chunks) ---- */

/** Inserts or replaces build b; b->function must name an existing function (the build goes when
 *  it does). FAAS_EINVAL, FAAS_ENOTFOUND (function), FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_build_put(faas_store_t *store, const faas_build_t *b, faas_error_t *err);

/** Reads build id into *out (caller frees with faas_build_free). FAAS_ENOTFOUND, FAAS_ESTORE.
 *  Any thread. */
faas_err_t faas_store_build_get(faas_store_t *store, const char *id, faas_build_t *out, faas_error_t *err);

/** Appends len bytes to the log of build id as one new chunk (cost O(len), whatever the log's
 *  size; len 0 does nothing). FAAS_ENOTFOUND (build), FAAS_ESTORE (also "store full").
 *  Worker thread only: blocks (fsync). */
faas_err_t faas_store_build_log_append(faas_store_t *store, const char *id, const void *data, size_t len,
                                       faas_error_t *err);

/** Reads the log of build id: the whole log when tail is 0, else its last tail bytes. *out is a
 *  new NUL-terminated buffer of *len bytes (caller frees with free()). FAAS_ENOTFOUND (build),
 *  FAAS_ENOMEM, FAAS_ESTORE. Any thread. */
faas_err_t faas_store_build_log_read(faas_store_t *store, const char *id, size_t tail, char **out,
                                     size_t *len, faas_error_t *err);

/* ---- invocations (id -> record, plus an index by function id and start time) ---- */

/** Inserts or replaces inv; inv->function_id must be an existing functionId. Then, if keep > 0,
 *  deletes that function's oldest invocations beyond the newest keep (by started_at), in the
 *  same transaction. FAAS_EINVAL, FAAS_ENOTFOUND (function), FAAS_ESTORE.
 *  Worker thread only: blocks (fsync). */
faas_err_t faas_store_invocation_put(faas_store_t *store, const faas_invocation_t *inv, size_t keep,
                                     faas_error_t *err);

/** Reads invocation id into *out (caller frees with faas_invocation_free). FAAS_ENOTFOUND,
 *  FAAS_ESTORE. Any thread. */
faas_err_t faas_store_invocation_get(faas_store_t *store, const char *id, faas_invocation_t *out,
                                     faas_error_t *err);

/** The invocations of functionId function_id, newest first (ties in id order), at most limit
 *  of them (0 = all), into a new array (caller frees with faas_invocation_array_free; NULL when
 *  empty). An unknown function gives 0 records. FAAS_ESTORE, FAAS_ENOMEM. Any thread. */
faas_err_t faas_store_invocation_list(faas_store_t *store, const char *function_id, size_t limit,
                                      faas_invocation_t **out, size_t *n, faas_error_t *err);

/* ---- API keys (name -> record; the table the loops check is core/keys.h) ---- */

/** Stores the new key k (its hash, never the key). FAAS_EINVAL (bad name or record),
 *  FAAS_ECONFLICT when the name exists, FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_apikey_create(faas_store_t *store, const faas_apikey_t *k, faas_error_t *err);

/** Deletes the key called name. FAAS_ENOTFOUND, FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_apikey_delete(faas_store_t *store, const char *name, faas_error_t *err);

/** All keys sorted by name into a new array (caller frees with faas_apikey_array_free; NULL when
 *  empty). FAAS_ESTORE, FAAS_ENOMEM. Any thread. */
faas_err_t faas_store_apikey_list(faas_store_t *store, faas_apikey_t **out, size_t *n, faas_error_t *err);

/** Raises lastUsedAt of each of the n keys to its last_used_ms, in one transaction; keys no longer
 *  stored are skipped. FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_apikey_set_used(faas_store_t *store, const faas_key_info_t *uses, size_t n, faas_error_t *err);

/* ---- blobs (certificates, acme) ---- */

/** Reads key from bucket into a new buffer *data of *len bytes, NUL-terminated for text (caller
 *  frees with free()). FAAS_ENOTFOUND, FAAS_ENOMEM, FAAS_ESTORE. Any thread. */
faas_err_t faas_store_blob_get(faas_store_t *store, faas_store_bucket_t bucket, const char *key, void **data,
                               size_t *len, faas_error_t *err);

/** Stores len bytes under key (1..511 bytes) in bucket, replacing any value. FAAS_EINVAL,
 *  FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_blob_put(faas_store_t *store, faas_store_bucket_t bucket, const char *key,
                               const void *data, size_t len, faas_error_t *err);

/** Deletes key from bucket. FAAS_ENOTFOUND, FAAS_ESTORE. Worker thread only: blocks (fsync). */
faas_err_t faas_store_blob_delete(faas_store_t *store, faas_store_bucket_t bucket, const char *key,
                                  faas_error_t *err);

/** The keys of bucket, sorted, into a new array of *n strings (caller frees with
 *  faas_store_keys_free; NULL when empty). FAAS_ENOMEM, FAAS_ESTORE. Any thread. */
faas_err_t faas_store_blob_keys(faas_store_t *store, faas_store_bucket_t bucket, char ***keys, size_t *n,
                                faas_error_t *err);

/** Frees an array of n strings from faas_store_blob_keys; NULL-safe. */
void faas_store_keys_free(char **keys, size_t n);

#endif
