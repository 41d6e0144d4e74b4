/*
 * secret.h: the secrets table of the store (src/store/secret.c): name -> {name, createdAt,
 * updatedAt, nonce, ciphertext}, the value sealed with the secrets key (core/secretbox.h) under
 * its name. Plaintext never reaches LMDB: set seals before writing, reveal opens after reading.
 * Which functions use a secret is read from their records ("secrets"), in the same transaction
 * as a delete, so a secret in use is never deleted.
 *
 * Threads: as store.h. Reads (list, reveal, users, exists) from any thread; set and delete take
 * the writer lock and fsync: worker thread only.
 */
#ifndef FAAS_STORE_SECRET_H
#define FAAS_STORE_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "faas/core/error.h"
#include "faas/core/secretbox.h"
#include "faas/store/record.h"
#include "faas/store/store.h"

/* The largest secret value: 64 KiB. */
#define FAAS_STORE_SECRET_MAX ((size_t)64 << 10)

/* What anyone may know of a secret: never its value. */
typedef struct faas_secret_info {
    char name[FAAS_RECORD_SECRET_NAME_MAX + 1];
    int64_t created_at; /* Unix ms */
    int64_t updated_at; /* Unix ms */
    char **used_by;     /* names of the functions whose record lists it (list only; else NULL) */
    size_t n_used_by;
} faas_secret_info_t;

/** Frees each info's used_by, then the array. NULL is allowed. */
void faas_secret_info_array_free(faas_secret_info_t *arr, size_t n);

/**
 * Seals value (len bytes, 1..FAAS_STORE_SECRET_MAX) under name and stores it, creating the secret
 * or replacing its value (createdAt kept). *out (may be NULL) gets its info, *replaced (may be
 * NULL) 1 when it existed. FAAS_EINVAL (bad name, empty), FAAS_ETOOLARGE, FAAS_ESTORE.
 * Worker thread only: blocks (fsync).
 */
faas_err_t faas_store_secret_set(faas_store_t *store, const faas_secretbox_t *box, const char *name, const void *value,
                                 size_t len, faas_secret_info_t *out, int *replaced, faas_error_t *err);

/**
 * The value of secret name, opened with box: *value (NUL-terminated, *len bytes) is freed with
 * faas_secretbox_free. FAAS_ENOTFOUND, FAAS_EINVAL (does not open: another key, or the record was
 * moved or altered), FAAS_ESTORE. Any thread.
 */
faas_err_t faas_store_secret_reveal(faas_store_t *store, const faas_secretbox_t *box, const char *name, char **value,
                                    size_t *len, faas_error_t *err);

/** FAAS_OK when secret name exists, FAAS_ENOTFOUND "secret <name> not found" when not. Any thread. */
faas_err_t faas_store_secret_exists(faas_store_t *store, const char *name, faas_error_t *err);

/** Every secret sorted by name, with the functions using each, into a new array (free with
 *  faas_secret_info_array_free; NULL when empty). FAAS_ENOMEM, FAAS_ESTORE. Any thread. */
faas_err_t faas_store_secret_list(faas_store_t *store, faas_secret_info_t **out, size_t *n, faas_error_t *err);

/** The functions whose record lists secret name, sorted, into a new array (free with
 *  faas_secret_names_free; NULL when none). FAAS_ENOMEM, FAAS_ESTORE. Any thread. */
faas_err_t faas_store_secret_users(faas_store_t *store, const char *name, char ***users, size_t *n,
                                   faas_error_t *err);

/**
 * Deletes secret name unless a function uses it: then FAAS_ECONFLICT, with those functions in
 * *users (may be NULL; free with faas_secret_names_free) and err naming them. FAAS_ENOTFOUND,
 * FAAS_ESTORE. Worker thread only: blocks (fsync).
 */
faas_err_t faas_store_secret_delete(faas_store_t *store, const char *name, char ***users, size_t *n_users,
                                    faas_error_t *err);

#endif
