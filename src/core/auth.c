/*
 * auth.c: the passfile (~/.passfile by default) and the Authorization check.
 * faas_auth_load runs once on the main thread; faas_auth_check on any thread
 * (it only reads the in-memory digest).
 */
#include "faas/core/auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faas/core/log.h"
#include "faas/core/uuid.h"

faas_err_t faas_auth_set_key(faas_auth_t *auth, const char *key, size_t len, faas_error_t *err)
{
    while (len > 0 && isspace((unsigned char)*key))
        key++, len--;
    while (len > 0 && isspace((unsigned char)key[len - 1]))
        len--;
    if (len == 0)
        return faas_error_set(err, FAAS_EINVAL, "the passkey is empty");
    if (len > FAAS_AUTH_KEY_MAX)
        return faas_error_set(err, FAAS_EINVAL, "the passkey is longer than %d bytes", FAAS_AUTH_KEY_MAX);
    for (size_t i = 0; i < len; i++)
        if (!isgraph((unsigned char)key[i]))
            return faas_error_set(err, FAAS_EINVAL, "the passkey must be printable ASCII without spaces");
    memcpy(auth->key, key, len);
    auth->key[len] = '\0';
    auth->key_len = len;
    SHA256((const unsigned char *)key, len, auth->digest);
    return FAAS_OK;
}

static faas_err_t create_passfile(const char *path, faas_auth_t *auth, faas_error_t *err)
{
    char key[FAAS_UUID_LEN];
    faas_uuid_new(key);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return faas_error_set(err, errno == EEXIST ? FAAS_ECONFLICT : FAAS_EIO, "cannot create passfile %s: %s", path,
                              strerror(errno));
    ssize_t n = write(fd, key, 36);
    int failed = n != 36 || fsync(fd) != 0;
    int saved = errno;
    close(fd);
    if (failed) {
        unlink(path);
        return faas_error_set(err, FAAS_EIO, "cannot write passfile %s: %s", path, strerror(saved));
    }
    return faas_auth_set_key(auth, key, 36, err);
}

faas_err_t faas_auth_load(const char *path, faas_auth_t *auth, int *created, faas_error_t *err)
{
    *created = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        faas_err_t rc = create_passfile(path, auth, err);
        if (rc != FAAS_ECONFLICT) { /* ECONFLICT: another process created it first; read theirs */
            *created = rc == FAAS_OK;
            return rc;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return faas_error_set(err, FAAS_EIO, "cannot read passfile %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
        faas_log_warn("passfile %s is readable by other users (mode %03o); run chmod 600 %s", path,
                      (unsigned)(st.st_mode & 0777), path);
    char buf[FAAS_AUTH_KEY_MAX + 64];
    ssize_t n = read(fd, buf, sizeof(buf));
    int saved = errno;
    close(fd);
    if (n < 0)
        return faas_error_set(err, FAAS_EIO, "cannot read passfile %s: %s", path, strerror(saved));
    if (faas_auth_set_key(auth, buf, (size_t)n, err) != FAAS_OK)
        return faas_error_prefix(err, FAAS_EINVAL, "passfile %s", path);
    return FAAS_OK;
}

void faas_auth_header_digest(const char *header, size_t len, unsigned char digest[32])
{
    if (len >= 7 && strncasecmp(header, "Bearer ", 7) == 0) {
        header += 7;
        len -= 7;
    }
    while (len > 0 && header[0] == ' ')
        header++, len--;
    SHA256((const unsigned char *)header, len, digest);
}

int faas_auth_check_digest(const faas_auth_t *auth, const unsigned char digest[32])
{
    return auth->key_len != 0 && CRYPTO_memcmp(digest, auth->digest, 32) == 0;
}

int faas_auth_check(const faas_auth_t *auth, const char *header, size_t len)
{
    if (header == NULL || auth->key_len == 0)
        return 0;
    unsigned char digest[32];
    faas_auth_header_digest(header, len, digest);
    return faas_auth_check_digest(auth, digest);
}
