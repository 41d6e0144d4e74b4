/*
 * keys.c: scopes and the in-memory table of named API keys (see keys.h). Checks run on the
 * loops under a read lock (a scan of digests); add, remove and the bookkeeping of last use take
 * the write lock for a few array moves, never across I/O. Any thread.
 */
#include "faas/core/keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/core/log.h"

/* A use is noted at most once a second per key: the API shows seconds, and loops that check one
 * key at a high rate do not all write its cache line. */
#define USE_RESOLUTION_MS 1000

const char *const faas_scope_names[FAAS_SCOPE_COUNT] = {"admin", "read", "invoke", "deploy"};

typedef struct entry {
    unsigned char digest[FAAS_KEYS_DIGEST_LEN];
    faas_key_info_t info;       /* info.last_used_ms is unused: last_used holds it */
    _Atomic int64_t last_used;  /* written by checks under the read lock */
    int64_t saved;              /* the last use the store holds */
} entry_t;

struct faas_keys {
    const faas_auth_t *passkey;
    pthread_rwlock_t lock;
    pthread_mutex_t change; /* faas_keys_change_lock */
    entry_t *e;
    size_t n, cap;
};

/* ---- scopes ---- */

const char *faas_scope_name(faas_scope_t scope)
{
    return (unsigned)scope < FAAS_SCOPE_COUNT ? faas_scope_names[scope] : "?";
}

int faas_scope_parse(const char *s, faas_scope_t *out)
{
    for (int i = 0; s != NULL && i < FAAS_SCOPE_COUNT; i++) {
        if (strcmp(s, faas_scope_names[i]) == 0) {
            *out = (faas_scope_t)i;
            return 0;
        }
    }
    return -1;
}

int faas_scope_grants(faas_scope_t have, faas_scope_t need)
{
    switch (have) {
    case FAAS_SCOPE_ADMIN: return 1;
    case FAAS_SCOPE_DEPLOY: return need == FAAS_SCOPE_DEPLOY || need == FAAS_SCOPE_READ || need == FAAS_SCOPE_INVOKE;
    case FAAS_SCOPE_READ: return need == FAAS_SCOPE_READ;
    case FAAS_SCOPE_INVOKE: return need == FAAS_SCOPE_INVOKE;
    }
    return 0;
}

/* ---- names and digests ---- */

int faas_keys_valid_name(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;
    if (len == 0 || len > FAAS_KEYS_NAME_MAX || name[0] == '_' || name[0] == '-')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return strcmp(name, "self") != 0 && strcmp(name, FAAS_KEYS_PASSKEY_NAME) != 0;
}

void faas_keys_hex(const unsigned char digest[FAAS_KEYS_DIGEST_LEN], char out[FAAS_KEYS_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < FAAS_KEYS_DIGEST_LEN; i++) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 15];
    }
    out[FAAS_KEYS_HEX_LEN] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int faas_keys_unhex(const char *hex, unsigned char digest[FAAS_KEYS_DIGEST_LEN])
{
    if (hex == NULL || strlen(hex) != FAAS_KEYS_HEX_LEN)
        return -1;
    for (size_t i = 0; i < FAAS_KEYS_DIGEST_LEN; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        digest[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* 256 random bits: no one guesses or brute-forces such a key, which is also why one fast SHA-256
 * is the right way to store it (a password needs a slow hash because it has little entropy). */
faas_err_t faas_keys_generate(char out[FAAS_KEYS_TEXT_SIZE], unsigned char digest[FAAS_KEYS_DIGEST_LEN],
                              faas_error_t *err)
{
    unsigned char raw[FAAS_KEYS_RANDOM_BYTES];
    char b64[4 * ((FAAS_KEYS_RANDOM_BYTES + 2) / 3) + 1];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return faas_error_set(err, FAAS_EIO, "the random number generator failed");
    int n = EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw));
    OPENSSL_cleanse(raw, sizeof(raw));
    while (n > 0 && b64[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++) /* base64 to base64url: the key goes in headers and URLs unquoted */
        b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    snprintf(out, FAAS_KEYS_TEXT_SIZE, FAAS_KEYS_PREFIX "%.*s", n, b64);
    OPENSSL_cleanse(b64, sizeof(b64));
    faas_auth_header_digest(out, strlen(out), digest);
    return FAAS_OK;
}

/* ---- the table ---- */

faas_keys_t *faas_keys_create(const faas_auth_t *passkey)
{
    faas_keys_t *keys = calloc(1, sizeof(*keys));
    if (keys == NULL) {
        faas_log_error("out of memory");
        abort();
    }
    keys->passkey = passkey;
    /* Writers first: a revocation must not wait behind a stream of checks. */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&keys->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&keys->change, NULL);
    return keys;
}

void faas_keys_dispose(faas_keys_t *keys)
{
    if (keys == NULL)
        return;
    OPENSSL_cleanse(keys->e, keys->cap * sizeof(*keys->e));
    free(keys->e);
    pthread_rwlock_destroy(&keys->lock);
    pthread_mutex_destroy(&keys->change);
    free(keys);
}

void faas_keys_change_lock(faas_keys_t *keys)
{
    pthread_mutex_lock(&keys->change);
}

void faas_keys_change_unlock(faas_keys_t *keys)
{
    pthread_mutex_unlock(&keys->change);
}

/* The index of the key called name, or keys->n. Under either lock. */
static size_t find_name(const faas_keys_t *keys, const char *name)
{
    size_t i = 0;
    while (i < keys->n && strcmp(keys->e[i].info.name, name) != 0)
        i++;
    return i;
}

static faas_err_t can_add_locked(const faas_keys_t *keys, const char *name, faas_error_t *err)
{
    if (find_name(keys, name) < keys->n)
        return faas_error_set(err, FAAS_ECONFLICT, "a key called '%s' exists already", name);
    if (keys->n >= FAAS_KEYS_MAX)
        return faas_error_set(err, FAAS_ECONFLICT, "there are %d keys, the most faas keeps: revoke one first",
                              FAAS_KEYS_MAX);
    return FAAS_OK;
}

faas_err_t faas_keys_can_add(faas_keys_t *keys, const char *name, faas_error_t *err)
{
    pthread_rwlock_rdlock(&keys->lock);
    faas_err_t rc = can_add_locked(keys, name, err);
    pthread_rwlock_unlock(&keys->lock);
    return rc;
}

static faas_err_t add_locked(faas_keys_t *keys, const char *name, faas_scope_t scope,
                             const unsigned char digest[FAAS_KEYS_DIGEST_LEN], int64_t created_ms,
                             int64_t last_used_ms, faas_error_t *err)
{
    faas_err_t rc = can_add_locked(keys, name, err);
    if (rc != FAAS_OK)
        return rc;
    if (keys->n == keys->cap) {
        size_t cap = keys->cap ? keys->cap * 2 : 8;
        entry_t *grown = realloc(keys->e, cap * sizeof(*grown));
        if (grown == NULL)
            return faas_error_set(err, FAAS_ENOMEM, "out of memory");
        keys->e = grown;
        keys->cap = cap;
    }
    entry_t *e = &keys->e[keys->n++];
    memset(e, 0, sizeof(*e));
    memcpy(e->digest, digest, FAAS_KEYS_DIGEST_LEN);
    snprintf(e->info.name, sizeof(e->info.name), "%s", name);
    e->info.scope = scope;
    e->info.created_ms = created_ms;
    atomic_init(&e->last_used, last_used_ms);
    e->saved = last_used_ms;
    return FAAS_OK;
}

faas_err_t faas_keys_add(faas_keys_t *keys, const char *name, faas_scope_t scope,
                         const unsigned char digest[FAAS_KEYS_DIGEST_LEN], int64_t created_ms, int64_t last_used_ms,
                         faas_error_t *err)
{
    if (!faas_keys_valid_name(name))
        return faas_error_set(err, FAAS_EINVAL, "'%s' is not a key name", name ? name : "");
    if ((unsigned)scope >= FAAS_SCOPE_COUNT)
        return faas_error_set(err, FAAS_EINVAL, "scope %d is not a scope", (int)scope);
    pthread_rwlock_wrlock(&keys->lock);
    faas_err_t rc = add_locked(keys, name, scope, digest, created_ms, last_used_ms, err);
    pthread_rwlock_unlock(&keys->lock);
    return rc;
}

int faas_keys_remove(faas_keys_t *keys, const char *name)
{
    pthread_rwlock_wrlock(&keys->lock);
    size_t i = find_name(keys, name);
    int found = i < keys->n;
    if (found) {
        keys->n--;
        if (i != keys->n)
            memcpy(&keys->e[i], &keys->e[keys->n], sizeof(entry_t)); /* no reader runs: the atomic moves as bytes */
        OPENSSL_cleanse(&keys->e[keys->n], sizeof(entry_t));
    }
    pthread_rwlock_unlock(&keys->lock);
    return found;
}

/* ---- checks ---- */

/* The index of the key whose digest is d, or keys->n. Every entry is compared and the match is
 * selected with a mask rather than a branch, so the time taken says nothing about which key, if
 * any, matched. Under the read lock. */
static size_t find_digest(const faas_keys_t *keys, const unsigned char d[FAAS_KEYS_DIGEST_LEN])
{
    size_t found = keys->n;
    for (size_t i = 0; i < keys->n; i++) {
        size_t mask = (size_t)0 - (size_t)(CRYPTO_memcmp(d, keys->e[i].digest, FAAS_KEYS_DIGEST_LEN) == 0);
        found = (found & ~mask) | (i & mask);
    }
    return found;
}

static void note_use(entry_t *e, int64_t now_ms)
{
    int64_t last = atomic_load_explicit(&e->last_used, memory_order_relaxed);
    if (now_ms - last >= USE_RESOLUTION_MS)
        atomic_store_explicit(&e->last_used, now_ms, memory_order_relaxed);
}

static void info_of(entry_t *e, faas_key_info_t *out)
{
    *out = e->info;
    out->last_used_ms = atomic_load_explicit(&e->last_used, memory_order_relaxed);
}

int faas_keys_check(faas_keys_t *keys, const char *header, size_t len, int64_t now_ms, faas_key_info_t *who)
{
    if (header == NULL)
        return 0;
    unsigned char d[FAAS_KEYS_DIGEST_LEN];
    faas_auth_header_digest(header, len, d);
    int passkey = faas_auth_check_digest(keys->passkey, d);
    pthread_rwlock_rdlock(&keys->lock);
    size_t i = find_digest(keys, d);
    int named = i < keys->n;
    if (named && now_ms > 0)
        note_use(&keys->e[i], now_ms);
    if (named && who != NULL)
        info_of(&keys->e[i], who);
    pthread_rwlock_unlock(&keys->lock);
    if (passkey && who != NULL)
        *who = (faas_key_info_t){.name = FAAS_KEYS_PASSKEY_NAME, .scope = FAAS_SCOPE_ADMIN};
    return passkey || named;
}

/* ---- listing and last use ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const faas_key_info_t *)a)->name, ((const faas_key_info_t *)b)->name);
}

/* Copies the keys (all, or those used since their last save) into a new sorted array. */
static size_t collect(faas_keys_t *keys, int only_unsaved, faas_key_info_t **out, int *oom)
{
    *out = NULL;
    *oom = 0;
    pthread_rwlock_rdlock(&keys->lock);
    faas_key_info_t *arr = keys->n > 0 ? malloc(keys->n * sizeof(*arr)) : NULL;
    size_t n = 0;
    for (size_t i = 0; arr != NULL && i < keys->n; i++) {
        info_of(&keys->e[i], &arr[n]);
        if (!only_unsaved || arr[n].last_used_ms != keys->e[i].saved)
            n++;
    }
    *oom = keys->n > 0 && arr == NULL;
    pthread_rwlock_unlock(&keys->lock);
    if (n == 0) {
        free(arr);
        return 0;
    }
    qsort(arr, n, sizeof(*arr), by_name);
    *out = arr;
    return n;
}

size_t faas_keys_list(faas_keys_t *keys, faas_key_info_t **out, int *oom)
{
    return collect(keys, 0, out, oom);
}

size_t faas_keys_uses(faas_keys_t *keys, faas_key_info_t **out, int *oom)
{
    return collect(keys, 1, out, oom);
}

void faas_keys_saved(faas_keys_t *keys, const faas_key_info_t *saved, size_t n)
{
    pthread_rwlock_wrlock(&keys->lock);
    for (size_t j = 0; j < n; j++) {
        size_t i = find_name(keys, saved[j].name);
        if (i < keys->n)
            keys->e[i].saved = saved[j].last_used_ms;
    }
    pthread_rwlock_unlock(&keys->lock);
}
