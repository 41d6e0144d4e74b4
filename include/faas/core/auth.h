/*
 * auth.h: the platform passkey. Read (or created) once at start-up; every
 * request is checked against the in-memory copy in constant time.
 */
#ifndef FAAS_CORE_AUTH_H
#define FAAS_CORE_AUTH_H

#include <stddef.h>

#include "faas/core/error.h"

#define FAAS_AUTH_KEY_MAX 256

typedef struct faas_auth {
    unsigned char digest[32]; /* SHA-256 of the key: comparisons never depend on its length */
    char key[FAAS_AUTH_KEY_MAX + 1];
    size_t key_len;
} faas_auth_t;

/**
 * Loads the passkey from path, or creates path (mode 0600, O_EXCL) with a
 * new UUIDv4 when it does not exist; *created tells which. Surrounding
 * whitespace is ignored. FAAS_EINVAL for an empty or malformed file,
 * FAAS_EIO for system errors. Main thread, at start-up.
 */
faas_err_t faas_auth_load(const char *path, faas_auth_t *auth, int *created, faas_error_t *err);

/** Sets the key directly (tests). FAAS_EINVAL when empty, too long or not printable. */
faas_err_t faas_auth_set_key(faas_auth_t *auth, const char *key, size_t len, faas_error_t *err);

/**
 * 1 if an Authorization header value ("<key>" or "Bearer <key>") carries the
 * passkey, else 0. Constant time in the key. Any thread.
 */
int faas_auth_check(const faas_auth_t *auth, const char *header, size_t len);

/** The SHA-256 of the key an Authorization header value carries ("<key>" or "Bearer <key>"):
 *  what faas_auth_check and the named keys (core/keys.h) compare. Pure. */
void faas_auth_header_digest(const char *header, size_t len, unsigned char digest[32]);

/** 1 if digest (from faas_auth_header_digest) is the passkey's, in constant time; 0 without a passkey. Any thread. */
int faas_auth_check_digest(const faas_auth_t *auth, const unsigned char digest[32]);

#endif
