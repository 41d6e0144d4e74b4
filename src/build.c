/*
 * build.c: Docker build contexts: a deterministic in-memory tar writer over libarchive.
 *
 * Threads: worker thread only; one context per thread at a time. No shared state.
 */
#include "faas/build.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "faas/log.h"

struct faas_build_context {
    struct archive *a;
    char *buf; /* the tar so far */
    size_t len, cap;
    int finished;
};

static la_ssize_t on_write(struct archive *a, void *arg, const void *data, size_t n)
{
    faas_build_context_t *ctx = arg;
    if (n > SIZE_MAX / 4 - ctx->len) {
        archive_set_error(a, ENOMEM, "tar too large");
        return -1;
    }
    if (ctx->len + n > ctx->cap) {
        size_t cap = ctx->cap != 0 ? ctx->cap : 16384;
        while (cap < ctx->len + n)
            cap *= 2;
        char *buf = realloc(ctx->buf, cap);
        if (buf == NULL) {
            archive_set_error(a, ENOMEM, "out of memory");
            return -1;
        }
        ctx->buf = buf;
        ctx->cap = cap;
    }
    memcpy(ctx->buf + ctx->len, data, n);
    ctx->len += n;
    return (la_ssize_t)n;
}

faas_build_context_t *faas_build_context_create(void)
{
    faas_build_context_t *ctx = calloc(1, sizeof(*ctx));
    struct archive *a = archive_write_new();
    /* pax_restricted writes plain ustar headers and adds a pax header only when a name or size
       needs one; that header's name has no pid or time in it. hdrcharset=BINARY writes names as
       the given bytes: without it libarchive converts them through the process locale, which
       fails for non-ASCII names under LANG=C and makes the output locale-dependent. One block
       at the end, no padding to 10 KiB: smaller bodies, still deterministic. */
    if (ctx == NULL || a == NULL || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_options(a, "hdrcharset=BINARY") != ARCHIVE_OK ||
        archive_write_add_filter_none(a) != ARCHIVE_OK || archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open(a, ctx, NULL, on_write, NULL) != ARCHIVE_OK) {
        faas_log_error("build: cannot start a tar: %s", a != NULL ? archive_error_string(a) : "out of memory");
        abort();
    }
    ctx->a = a;
    return ctx;
}

/* Relative, not empty, no trailing '/', no ".." component. */
static int path_ok(const char *path)
{
    size_t len = path != NULL ? strlen(path) : 0;
    if (len == 0 || path[0] == '/' || path[len - 1] == '/')
        return 0;
    for (const char *p = path; *p != '\0';) {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += n;
        if (*p == '/')
            p++;
    }
    return 1;
}

faas_err_t faas_build_context_add(faas_build_context_t *ctx, const char *path, const void *data, size_t len,
                                  int mode, faas_error_t *err)
{
    if (ctx->finished)
        return faas_error_set(err, FAAS_EINVAL, "build context: add after finish");
    if (!path_ok(path))
        return faas_error_set(err, FAAS_EINVAL, "build context: path \"%s\" must be relative without \"..\"",
                              path != NULL ? path : "");
    if (len > 0 && data == NULL)
        return faas_error_set(err, FAAS_EINVAL, "build context: %s has no data", path);
    struct archive_entry *e = archive_entry_new();
    if (e == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "build context: out of memory");
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, (mode & 07777) != 0 ? (mode & 07777) : 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    faas_err_t code = FAAS_OK;
    if (archive_write_header(ctx->a, e) != ARCHIVE_OK)
        code = faas_error_set(err, FAAS_EIO, "build context: %s: %s", path, archive_error_string(ctx->a));
    else if (len > 0 && archive_write_data(ctx->a, data, len) != (la_ssize_t)len)
        code = faas_error_set(err, FAAS_EIO, "build context: %s: %s", path, archive_error_string(ctx->a));
    archive_entry_free(e);
    return code;
}

faas_err_t faas_build_context_finish(faas_build_context_t *ctx, void **tar, size_t *len, faas_error_t *err)
{
    *tar = NULL;
    *len = 0;
    if (ctx->finished)
        return faas_error_set(err, FAAS_EINVAL, "build context: finished twice");
    ctx->finished = 1;
    if (archive_write_close(ctx->a) != ARCHIVE_OK)
        return faas_error_set(err, FAAS_EIO, "build context: %s", archive_error_string(ctx->a));
    *tar = ctx->buf;
    *len = ctx->len;
    ctx->buf = NULL;
    ctx->len = ctx->cap = 0;
    return FAAS_OK;
}

void faas_build_context_dispose(faas_build_context_t *ctx)
{
    if (ctx == NULL)
        return;
    archive_write_free(ctx->a);
    free(ctx->buf);
    free(ctx);
}
