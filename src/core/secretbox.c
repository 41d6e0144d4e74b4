/*
 * secretbox.c: the secrets key file and AES-256-GCM sealing (see secretbox.h). Loading runs on
 * the main thread at start-up; seal and open read the key only, on any thread (each call has its
 * own EVP context).
 */
#include "faas/core/secretbox.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

faas_err_t faas_secretbox_path(const char *passfile, char *out, size_t size, faas_error_t *err)
{
    const char *slash = strrchr(passfile, '/');
    int n = slash == NULL ? snprintf(out, size, "%s", FAAS_SECRETBOX_FILE)
                          : snprintf(out, size, "%.*s/%s", (int)(slash - passfile), passfile, FAAS_SECRETBOX_FILE);
    if (n < 0 || (size_t)n >= size)
        return faas_error_set(err, FAAS_EINVAL, "the secrets key path beside %s is too long", passfile);
    return FAAS_OK;
}

void faas_secretbox_set_key(faas_secretbox_t *box, const unsigned char key[FAAS_SECRETBOX_KEY_LEN])
{
    memcpy(box->key, key, FAAS_SECRETBOX_KEY_LEN);
}

static faas_err_t create_key(const char *path, faas_secretbox_t *box, faas_error_t *err)
{
    unsigned char key[FAAS_SECRETBOX_KEY_LEN];
    if (RAND_bytes(key, sizeof(key)) != 1)
        return faas_error_set(err, FAAS_EIO, "cannot make a secrets key: no randomness");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        OPENSSL_cleanse(key, sizeof(key));
        return faas_error_set(err, errno == EEXIST ? FAAS_ECONFLICT : FAAS_EIO, "cannot create secrets key %s: %s",
                              path, strerror(errno));
    }
    int failed = write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || fsync(fd) != 0;
    int saved = errno;
    close(fd);
    if (!failed)
        faas_secretbox_set_key(box, key);
    OPENSSL_cleanse(key, sizeof(key));
    if (failed) {
        unlink(path);
        return faas_error_set(err, FAAS_EIO, "cannot write secrets key %s: %s", path, strerror(saved));
    }
    return FAAS_OK;
}

/* Reads an existing key file: a regular file of exactly the key's size, private to its owner. */
static faas_err_t read_key(int fd, const char *path, faas_secretbox_t *box, faas_error_t *err)
{
    struct stat st;
    unsigned char key[FAAS_SECRETBOX_KEY_LEN + 1];
    if (fstat(fd, &st) != 0)
        return faas_error_set(err, FAAS_EIO, "cannot read secrets key %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return faas_error_set(err, FAAS_EINVAL, "secrets key %s is not a regular file", path);
    if ((st.st_mode & 077) != 0)
        return faas_error_set(err, FAAS_EINVAL, "secrets key %s is open to other users (mode %03o): run chmod 600 %s",
                              path, (unsigned)(st.st_mode & 0777), path);
    ssize_t n = read(fd, key, sizeof(key));
    faas_err_t rc = FAAS_OK;
    if (n < 0)
        rc = faas_error_set(err, FAAS_EIO, "cannot read secrets key %s: %s", path, strerror(errno));
    else if (n != FAAS_SECRETBOX_KEY_LEN)
        rc = faas_error_set(err, FAAS_EINVAL, "secrets key %s must hold exactly %d bytes", path,
                            FAAS_SECRETBOX_KEY_LEN);
    else
        faas_secretbox_set_key(box, key);
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

faas_err_t faas_secretbox_load(const char *path, faas_secretbox_t *box, int *created, faas_error_t *err)
{
    *created = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        faas_err_t rc = create_key(path, box, err);
        if (rc != FAAS_ECONFLICT) { /* ECONFLICT: another process made it first; read theirs */
            *created = rc == FAAS_OK;
            return rc;
        }
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0)
        return faas_error_set(err, errno == ELOOP ? FAAS_EINVAL : FAAS_EIO, "cannot read secrets key %s: %s", path,
                              errno == ELOOP ? "it is a symlink" : strerror(errno));
    faas_err_t rc = read_key(fd, path, box, err);
    close(fd);
    return rc;
}

/* One AES-256-GCM pass (enc 1: seal, 0: open) of len bytes of in into out, with name as AAD and
 * tag written (seal) or checked (open). 1 on success, 0 on failure (open: not authentic). */
static int gcm(const faas_secretbox_t *box, int enc, const char *name, const unsigned char *nonce,
               const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok = ctx != NULL && len <= (size_t)INT32_MAX &&
                    EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, FAAS_SECRETBOX_NONCE_LEN, NULL) == 1 &&
                    EVP_CipherInit_ex(ctx, NULL, NULL, box->key, nonce, enc) == 1 &&
                    EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)name, (int)strlen(name)) == 1 &&
                    (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, FAAS_SECRETBOX_TAG_LEN, tag) == 1;
    if (ok)
        ok = EVP_CipherFinal_ex(ctx, out + (len == 0 ? 0 : n), &n) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, FAAS_SECRETBOX_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

faas_err_t faas_secretbox_seal(const faas_secretbox_t *box, const char *name, const void *plain, size_t len,
                               unsigned char nonce[FAAS_SECRETBOX_NONCE_LEN], unsigned char **sealed,
                               size_t *sealed_len, faas_error_t *err)
{
    *sealed = NULL;
    *sealed_len = 0;
    unsigned char *out = malloc(len + FAAS_SECRETBOX_TAG_LEN);
    if (out == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (RAND_bytes(nonce, FAAS_SECRETBOX_NONCE_LEN) != 1 || !gcm(box, 1, name, nonce, plain, len, out, out + len)) {
        free(out);
        return faas_error_set(err, FAAS_EIO, "cannot seal secret %s (OpenSSL)", name);
    }
    *sealed = out;
    *sealed_len = len + FAAS_SECRETBOX_TAG_LEN;
    return FAAS_OK;
}

faas_err_t faas_secretbox_open(const faas_secretbox_t *box, const char *name,
                               const unsigned char nonce[FAAS_SECRETBOX_NONCE_LEN], const unsigned char *sealed,
                               size_t sealed_len, char **plain, size_t *len, faas_error_t *err)
{
    *plain = NULL;
    *len = 0;
    if (sealed_len < FAAS_SECRETBOX_TAG_LEN)
        return faas_error_set(err, FAAS_EINVAL, "secret %s does not open: too short", name);
    size_t n = sealed_len - FAAS_SECRETBOX_TAG_LEN;
    unsigned char tag[FAAS_SECRETBOX_TAG_LEN];
    memcpy(tag, sealed + n, sizeof(tag));
    char *out = malloc(n + 1);
    if (out == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (!gcm(box, 0, name, nonce, sealed, n, (unsigned char *)out, tag)) {
        faas_secretbox_free(out, n + 1); /* what came out before the tag check failed is not to be kept */
        return faas_error_set(err, FAAS_EINVAL, "secret %s does not open: wrong key, wrong name or altered", name);
    }
    out[n] = '\0';
    *plain = out;
    *len = n;
    return FAAS_OK;
}

void faas_secretbox_wipe(void *p, size_t len)
{
    if (p != NULL)
        OPENSSL_cleanse(p, len);
}

void faas_secretbox_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    OPENSSL_cleanse(p, len);
    free(p);
}
