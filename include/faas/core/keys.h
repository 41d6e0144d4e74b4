/*
 * keys.h: named API keys and their scopes. The passkey (core/auth.h) is the root key, of scope
 * admin; operators add named keys of a smaller scope (POST /keys). Every API request is checked
 * against an in-memory table of (SHA-256 digest, name, scope, created, last use), loaded from the
 * store at start-up and changed when a key is created or revoked, so a check never touches the
 * store. The table holds digests only: the key text exists once, in the answer that created it.
 *
 * Threads: checks and lists from any thread (the loops) under a read lock held for one scan of
 * digests; add and remove under the write lock, so a key removed is refused by every check that
 * starts after faas_keys_remove returns. Nothing here blocks on I/O.
 */
#ifndef FAAS_CORE_KEYS_H
#define FAAS_CORE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "faas/core/auth.h"
#include "faas/core/error.h"

/* The scope a key has, and the scope an API route needs (http/router.h): read < deploy < admin;
 * invoke runs job functions only; deploy may invoke too (a deployer runs what it deploys). */
typedef enum faas_scope {
    FAAS_SCOPE_ADMIN = 0,  /* "admin": everything, keys and secrets included */
    FAAS_SCOPE_READ = 1,   /* "read": GET of the API, logs, metrics */
    FAAS_SCOPE_INVOKE = 2, /* "invoke": execute job functions */
    FAAS_SCOPE_DEPLOY = 3, /* "deploy": upload, start, stop, rollback, scale, runtimes (and read, invoke) */
} faas_scope_t;

#define FAAS_SCOPE_COUNT 4

/* The scope names, indexed by faas_scope_t (record.c's field table reads them too). */
extern const char *const faas_scope_names[FAAS_SCOPE_COUNT];

/** "admin", "read", "invoke", "deploy"; "?" outside the enum. Pure. */
const char *faas_scope_name(faas_scope_t scope);

/** Parses a scope name into *out: 0, or -1 when s is none (out untouched). Pure. */
int faas_scope_parse(const char *s, faas_scope_t *out);

/** 1 when a key of scope have may use a route that needs scope need, else 0. Pure. */
int faas_scope_grants(faas_scope_t have, faas_scope_t need);

/* Longest key name, and the name the passkey shows as (GET /keys/self). */
#define FAAS_KEYS_NAME_MAX 63
#define FAAS_KEYS_PASSKEY_NAME "passkey"
/* What a key looks like: the prefix, then 43 base64url characters of 32 random bytes. */
#define FAAS_KEYS_PREFIX "faas_"
#define FAAS_KEYS_RANDOM_BYTES 32
#define FAAS_KEYS_DIGEST_LEN 32
#define FAAS_KEYS_HEX_LEN (2 * FAAS_KEYS_DIGEST_LEN)
/* The most named keys: each request compares its digest with every one. */
#define FAAS_KEYS_MAX 1000
/* Room for a key's text and its NUL: the prefix and 43 characters. */
#define FAAS_KEYS_TEXT_SIZE (sizeof(FAAS_KEYS_PREFIX) + 43)

/** 1 when name is 1..63 characters of [a-z0-9_-] starting with a letter or digit, and is not
 *  "self" or "passkey" (GET /keys/self and its answer for the passkey use them). Pure. */
int faas_keys_valid_name(const char *name);

/** The 64 lower-case hex digits of a digest, NUL-terminated. Pure. */
void faas_keys_hex(const unsigned char digest[FAAS_KEYS_DIGEST_LEN], char out[FAAS_KEYS_HEX_LEN + 1]);

/** Parses 64 hex digits into digest: 0, or -1 when hex is anything else. Pure. */
int faas_keys_unhex(const char *hex, unsigned char digest[FAAS_KEYS_DIGEST_LEN]);

/**
 * Makes a new key: FAAS_KEYS_PREFIX and the unpadded base64url of FAAS_KEYS_RANDOM_BYTES from
 * OpenSSL's RAND_bytes, into out, and its SHA-256 (as faas_keys_check computes it) into digest.
 * FAAS_EIO when the random generator fails. Any thread.
 */
faas_err_t faas_keys_generate(char out[FAAS_KEYS_TEXT_SIZE], unsigned char digest[FAAS_KEYS_DIGEST_LEN],
                              faas_error_t *err);

typedef struct faas_keys faas_keys_t;

/* One key as the table shows it (copied out: valid after the key is gone). */
typedef struct faas_key_info {
    char name[FAAS_KEYS_NAME_MAX + 1];
    faas_scope_t scope;
    int64_t created_ms;   /* Unix ms */
    int64_t last_used_ms; /* Unix ms of the latest request it made (to the second); 0: never */
} faas_key_info_t;

/** An empty table beside passkey (borrowed: it must outlive the table). Aborts when out of memory. */
faas_keys_t *faas_keys_create(const faas_auth_t *passkey);

/** Frees the table; nothing may use it any more. NULL is allowed. */
void faas_keys_dispose(faas_keys_t *keys);

/**
 * Adds a key: its name, scope, the SHA-256 of its text, when it was made and last used (Unix ms,
 * 0: never). FAAS_EINVAL for a bad name or scope, FAAS_ECONFLICT when the name is taken or the
 * table holds FAAS_KEYS_MAX keys. Any thread.
 */
faas_err_t faas_keys_add(faas_keys_t *keys, const char *name, faas_scope_t scope,
                         const unsigned char digest[FAAS_KEYS_DIGEST_LEN], int64_t created_ms, int64_t last_used_ms,
                         faas_error_t *err);

/** Whether faas_keys_add would take name now: FAAS_OK, or its FAAS_ECONFLICT. Any thread. */
faas_err_t faas_keys_can_add(faas_keys_t *keys, const char *name, faas_error_t *err);

/** Removes the key called name: 1, or 0 when there is none. Every later check refuses it. Any thread. */
int faas_keys_remove(faas_keys_t *keys, const char *name);

/**
 * Serialises changes that write the store and then the table (create, revoke), so the two
 * change in the same order; never held by a check. Worker threads (held across a store write).
 */
void faas_keys_change_lock(faas_keys_t *keys);
void faas_keys_change_unlock(faas_keys_t *keys);

/**
 * Checks an Authorization header value ("<key>" or "Bearer <key>"; NULL: none): 1 when it is the
 * passkey or a key of the table, with who filled (who may be NULL), else 0. The presented key's
 * digest is compared with the passkey's and with every key's, in constant time and without an
 * early exit. now_ms > 0 records the use (in memory; see faas_keys_uses); 0 only looks. Any thread.
 */
int faas_keys_check(faas_keys_t *keys, const char *header, size_t len, int64_t now_ms, faas_key_info_t *who);

/** Every key, sorted by name, into a new array *out of the returned count (caller frees; NULL
 *  when none or out of memory: *oom tells). Any thread. */
size_t faas_keys_list(faas_keys_t *keys, faas_key_info_t **out, int *oom);

/** The keys used since their use was last saved (faas_keys_saved), like faas_keys_list. Any thread. */
size_t faas_keys_uses(faas_keys_t *keys, faas_key_info_t **out, int *oom);

/** Notes that the store now holds the last use of these n keys (from faas_keys_uses). Any thread. */
void faas_keys_saved(faas_keys_t *keys, const faas_key_info_t *saved, size_t n);

#endif
