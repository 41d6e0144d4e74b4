/*
 * internal.h: what the files of src/store/ share (names: faas_store__*): the
 * store struct, transaction helpers, LMDB error translation, JSON value helpers, the list
 * scan and the records' field tables. Only the store files include it; they alone name MDB_*.
 * Threads: as store.h (helpers taking a write txn run on workers).
 */
#ifndef FAAS_STORE_INTERNAL_H
#define FAAS_STORE_INTERNAL_H

#include <lmdb.h>
#include <stddef.h>
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

/* ---- the field tables of the records (record.c; walked by record_fields.c) ---- */

/* Largest integer a JSON number (an IEEE double) carries exactly: 2^53. */
#define MAX_EXACT 9007199254740992LL

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const kind_names[] = {"service", "job"};
static const char *const function_status_names[] = {"building", "starting", "running", "stopped", "failed", "crashing"};
static const char *const build_status_names[] = {"building", "succeeded", "failed"};
static const char *const invocation_status_names[] = {"succeeded", "failed", "timeout", "error"};
static const char *const replica_state_names[] = {"starting", "ready", "paused", "stopped"};

/* F_TIME: Unix milliseconds in the struct and the store; Unix seconds in the API view.
 * F_NANO: billionths in the struct (an int64_t), the number of units in JSON (nano_cpus as "cpus"). */
typedef enum field_type { F_STR, F_INT, F_I64, F_TIME, F_ENUM, F_NANO } field_type_t;

/* One JSON key of a record: where it lives in the struct and what it may hold. */
typedef struct field {
    const char *key;
    field_type_t type;
    size_t off;
    int required;
    int64_t min, max;          /* F_INT, F_I64 */
    const char *const *names;  /* F_ENUM */
    size_t nnames;             /* F_ENUM */
} field_t;

#define STR(T, m, k, req) {k, F_STR, offsetof(T, m), req, 0, 0, NULL, 0}
#define INT(T, m, k, lo, hi) {k, F_INT, offsetof(T, m), 0, lo, hi, NULL, 0}
#define I64(T, m, k) {k, F_I64, offsetof(T, m), 0, -MAX_EXACT, MAX_EXACT, NULL, 0}
#define TIME(T, m, k) {k, F_TIME, offsetof(T, m), 0, -MAX_EXACT, MAX_EXACT, NULL, 0}
#define ENUM(T, m, k, tab) {k, F_ENUM, offsetof(T, m), 1, 0, 0, tab, NELEMS(tab)}
#define NANO(T, m, k, hi) {k, F_NANO, offsetof(T, m), 0, 0, hi, NULL, 0}
#define NANO_PER_UNIT 1e9
/** names[v], or "?" for a value outside the n names. */
const char *faas_store__enum_name(const char *const *names, size_t n, int v);
/** The index of s among the n names into *out: 0, or -1 when it is none of them. */
int faas_store__enum_parse(const char *const *names, size_t n, const char *s, int *out);
/** Frees rec's string fields and sets them to NULL. */
void faas_store__fields_free(const field_t *fields, size_t n, void *rec);
/** Adds every field of rec to obj as view shows it; 0, or -1 when out of memory. */
int faas_store__fields_to_json(const field_t *fields, size_t n, const void *rec, faas_record_view_t view, cJSON *obj);
/** Fills rec's fields from obj; on error rec's strings may be half set (free them). */
faas_err_t faas_store__fields_from_json(const field_t *fields, size_t n, const cJSON *obj, void *rec, faas_error_t *err);
/** Zeroes rec (size bytes), checks json is an object and reads the fields; on error rec is empty
 *  and err is prefixed with "<what> record". */
faas_err_t faas_store__record_from_json(const char *what, const field_t *fields, size_t n, const cJSON *json, void *rec,
                                        size_t size, faas_error_t *err);
/** A new object with rec's fields; NULL when out of memory. */
cJSON *faas_store__record_to_json(const field_t *fields, size_t n, const void *rec, faas_record_view_t view);

#endif
