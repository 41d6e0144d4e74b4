/*
 * fs.c: file-system helpers (see fs.h). Blocking: worker threads or start-up.
 */
#include "faas/core/fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

faas_err_t faas_fs_mkdirs(const char *path, mode_t mode, const char *what, faas_error_t *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return faas_error_set(err, FAAS_EIO, "%s: path too long", what);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return faas_error_set(err, faas_err_from_errno(errno, FAAS_EIO), "%s: cannot create %s: %s", what, buf,
                                  strerror(errno));
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return faas_error_set(err, FAAS_EIO, "%s: %s is not a directory", what, path);
    return FAAS_OK;
}
