/*
 * secretbox.h: the key that seals secret values (AES-256-GCM, OpenSSL EVP) and the sealing itself.
 * The key is 32 random bytes in a file beside the passfile (secrets.key, mode 0600), made at the
 * first start; a key file of the wrong size or readable by group or others is refused. Each seal
 * takes a fresh random 12-byte nonce and binds the secret's name as additional authenticated
 * data, so a sealed value moved to another name does not open. Plaintext buffers handed out are
 * wiped when freed (faas_secretbox_free). Loading runs on the main thread at start-up; seal and
 * open only read the key and may run on any thread.
 */
#ifndef FAAS_CORE_SECRETBOX_H
#define FAAS_CORE_SECRETBOX_H

#include <stddef.h>

#include "faas/core/error.h"

#define FAAS_SECRETBOX_KEY_LEN 32
#define FAAS_SECRETBOX_NONCE_LEN 12
#define FAAS_SECRETBOX_TAG_LEN 16
#define FAAS_SECRETBOX_FILE "secrets.key"

typedef struct faas_secretbox {
    unsigned char key[FAAS_SECRETBOX_KEY_LEN];
} faas_secretbox_t;

/** The key file's path for a passfile: secrets.key in the passfile's folder, into out. FAAS_EINVAL if it does not fit. */
faas_err_t faas_secretbox_path(const char *passfile, char *out, size_t size, faas_error_t *err);

/**
 * Reads the key from path, or creates path (O_EXCL, mode 0600) with 32 random bytes when it does
 * not exist; *created tells which. FAAS_EINVAL (with the reason) when the file is not a regular
 * file of exactly 32 bytes or is readable or writable by group or others; FAAS_EIO for system
 * errors. Main thread, at start-up.
 */
faas_err_t faas_secretbox_load(const char *path, faas_secretbox_t *box, int *created, faas_error_t *err);

/** Sets the key directly (tests). */
void faas_secretbox_set_key(faas_secretbox_t *box, const unsigned char key[FAAS_SECRETBOX_KEY_LEN]);

/**
 * Seals len bytes of plain under name (the additional authenticated data) with a new random
 * nonce (written to nonce). *sealed (caller frees with free()) holds the ciphertext followed by
 * the 16-byte tag, *sealed_len bytes. FAAS_ENOMEM, FAAS_EIO (OpenSSL). Any thread.
 */
faas_err_t faas_secretbox_seal(const faas_secretbox_t *box, const char *name, const void *plain, size_t len,
                               unsigned char nonce[FAAS_SECRETBOX_NONCE_LEN], unsigned char **sealed,
                               size_t *sealed_len, faas_error_t *err);

/**
 * Opens what faas_secretbox_seal made for name: *plain (NUL-terminated, *len bytes without it) is
 * freed with faas_secretbox_free. FAAS_EINVAL when it does not authenticate (another key, another
 * name, altered bytes), FAAS_ENOMEM, FAAS_EIO. Any thread.
 */
faas_err_t faas_secretbox_open(const faas_secretbox_t *box, const char *name,
                               const unsigned char nonce[FAAS_SECRETBOX_NONCE_LEN], const unsigned char *sealed,
                               size_t sealed_len, char **plain, size_t *len, faas_error_t *err);

/** Wipes len bytes of p (a plaintext that stays allocated). NULL is allowed. */
void faas_secretbox_wipe(void *p, size_t len);

/** Wipes len bytes of p and frees it; NULL is allowed. */
void faas_secretbox_free(void *p, size_t len);

#endif
