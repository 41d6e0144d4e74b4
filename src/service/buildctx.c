/*
 * buildctx.c: Docker build contexts: files kept in memory (with a path index for lookups and
 * clash checks), then written as a deterministic tar over libarchive. The zip reader that feeds
 * contexts from uploads is in buildctx_zip.c.
 *
 * Threads: worker thread only; one context per thread at a time. No shared state.
 */
#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "faas/core/buf.h"
#include "faas/core/log.h"

/* ---- memory ---- */

void *faas_service__realloc(void *p, size_t n)
{
    void *q = realloc(p, n != 0 ? n : 1);
    if (q == NULL) {
        faas_log_error("build: out of memory (%zu bytes)", n);
        abort();
    }
    return q;
}

char *faas_service__strndup(const char *s, size_t n)
{
    char *d = faas_service__realloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ---- path index: open addressing over FNV-1a, grown at half load ---- */

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

/* The slot of key (len bytes): the one holding it, or the empty one where it would go. */
static faas_service__slot_t *find_slot(const faas_service__pathset_t *set, const char *key, size_t len)
{
    size_t mask = set->cap - 1;
    for (size_t i = (size_t)hash(key, len) & mask;; i = (i + 1) & mask) {
        faas_service__slot_t *s = &set->slots[i];
        if (s->key == NULL || (strncmp(s->key, key, len) == 0 && s->key[len] == '\0'))
            return s;
    }
}

const faas_service__slot_t *faas_service__pathset_get(const faas_service__pathset_t *set, const char *key, size_t len)
{
    if (set->cap == 0)
        return NULL;
    const faas_service__slot_t *s = find_slot(set, key, len);
    return s->key != NULL ? s : NULL;
}

static void grow(faas_service__pathset_t *set)
{
    faas_service__pathset_t bigger = {.cap = set->cap != 0 ? set->cap * 2 : 64};
    bigger.slots = faas_service__realloc(NULL, bigger.cap * sizeof(*bigger.slots));
    memset(bigger.slots, 0, bigger.cap * sizeof(*bigger.slots));
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i].key != NULL)
            *find_slot(&bigger, set->slots[i].key, strlen(set->slots[i].key)) = set->slots[i];
    bigger.used = set->used;
    free(set->slots);
    *set = bigger;
}

/* Adds key with kind (or, for a folder, upgrades an implied folder to an explicit one). */
static void put(faas_service__pathset_t *set, const char *key, size_t len, int kind, size_t index)
{
    if (2 * (set->used + 1) > set->cap)
        grow(set);
    faas_service__slot_t *s = find_slot(set, key, len);
    if (s->key == NULL) {
        s->key = faas_service__strndup(key, len);
        s->kind = kind;
        s->index = index;
        set->used++;
    } else if (kind == FAAS_SERVICE__DIR_EXPLICIT && s->kind == FAAS_SERVICE__DIR) {
        s->kind = kind;
    }
}

void faas_service__pathset_record(faas_service__pathset_t *set, const char *path, int kind, size_t index)
{
    for (const char *slash = strchr(path, '/'); slash != NULL; slash = strchr(slash + 1, '/'))
        put(set, path, (size_t)(slash - path), FAAS_SERVICE__DIR, 0);
    put(set, path, strlen(path), kind, index);
}

int faas_service__pathset_clash(const faas_service__pathset_t *set, const char *path, int kind, size_t *at)
{
    for (const char *slash = strchr(path, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        const faas_service__slot_t *s = faas_service__pathset_get(set, path, (size_t)(slash - path));
        if (s != NULL && s->kind == FAAS_SERVICE__FILE) {
            *at = (size_t)(slash - path);
            return FAAS_SERVICE__CLASH_KIND; /* a folder of path is a file */
        }
    }
    *at = strlen(path);
    const faas_service__slot_t *s = faas_service__pathset_get(set, path, *at);
    if (s == NULL)
        return FAAS_SERVICE__CLASH_NONE;
    if (s->kind == FAAS_SERVICE__FILE && kind == FAAS_SERVICE__FILE)
        return FAAS_SERVICE__CLASH_SAME;
    if (s->kind != FAAS_SERVICE__FILE && kind != FAAS_SERVICE__FILE)
        return FAAS_SERVICE__CLASH_NONE; /* a folder named twice is still one folder */
    return FAAS_SERVICE__CLASH_KIND;
}

void faas_service__pathset_free(faas_service__pathset_t *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free(set->slots[i].key);
    free(set->slots);
    memset(set, 0, sizeof(*set));
}

/* ---- paths ---- */

char *faas_service__clean_path(const char *path, size_t len, const char **why)
{
    if (len == 0) {
        *why = "is empty";
        return NULL;
    }
    if (path[0] == '/') {
        *why = "is absolute";
        return NULL;
    }
    char *out = faas_service__realloc(NULL, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        size_t seg = j - i;
        if (seg == 2 && path[i] == '.' && path[i + 1] == '.') {
            free(out);
            *why = "has a \"..\" component";
            return NULL;
        }
        if (seg > 0 && !(seg == 1 && path[i] == '.')) {
            if (n > 0)
                out[n++] = '/';
            memcpy(out + n, path + i, seg);
            n += seg;
        }
        i = j + 1;
    }
    if (n == 0) {
        free(out);
        *why = "names no file";
        return NULL;
    }
    out[n] = '\0';
    return out;
}

/* ---- the context ---- */

faas_buildctx_t *faas_buildctx_create(void)
{
    faas_buildctx_t *ctx = faas_service__realloc(NULL, sizeof(*ctx));
    memset(ctx, 0, sizeof(*ctx));
    return ctx;
}

void faas_service__append_file(faas_buildctx_t *ctx, char *path, char *data, size_t len, int mode)
{
    if (ctx->nfiles == ctx->files_cap) {
        ctx->files_cap = ctx->files_cap != 0 ? ctx->files_cap * 2 : 16;
        ctx->files = faas_service__realloc(ctx->files, ctx->files_cap * sizeof(*ctx->files));
    }
    faas_service__pathset_record(&ctx->paths, path, FAAS_SERVICE__FILE, ctx->nfiles);
    ctx->files[ctx->nfiles++] = (faas_service__file_t){.path = path, .data = data, .len = len, .mode = mode};
}

void faas_service__append_dir(faas_buildctx_t *ctx, char *path)
{
    const faas_service__slot_t *s = faas_service__pathset_get(&ctx->paths, path, strlen(path));
    if (s != NULL && s->kind == FAAS_SERVICE__DIR_EXPLICIT) {
        free(path); /* already listed */
        return;
    }
    if (ctx->ndirs == ctx->dirs_cap) {
        ctx->dirs_cap = ctx->dirs_cap != 0 ? ctx->dirs_cap * 2 : 16;
        ctx->dirs = faas_service__realloc(ctx->dirs, ctx->dirs_cap * sizeof(*ctx->dirs));
    }
    faas_service__pathset_record(&ctx->paths, path, FAAS_SERVICE__DIR_EXPLICIT, 0);
    ctx->dirs[ctx->ndirs++] = path;
}

faas_err_t faas_buildctx_add(faas_buildctx_t *ctx, const char *path, const void *data, size_t len, int mode,
                                  faas_error_t *err)
{
    if (ctx->finished)
        return faas_error_set(err, FAAS_EINVAL, "build context: add after finish");
    const char *why = "ends in '/'";
    size_t plen = path != NULL ? strlen(path) : 0;
    char *clean = plen > 0 && path[plen - 1] == '/' ? NULL : faas_service__clean_path(path, plen, &why);
    if (clean == NULL)
        return faas_error_set(err, FAAS_EINVAL, "build context: path \"%s\" %s", path != NULL ? path : "", why);
    if (len > 0 && data == NULL) {
        free(clean);
        return faas_error_set(err, FAAS_EINVAL, "build context: %s has no data", path);
    }
    size_t at = 0;
    int clash = faas_service__pathset_clash(&ctx->paths, clean, FAAS_SERVICE__FILE, &at);
    if (clash != FAAS_SERVICE__CLASH_NONE) {
        faas_err_t code =
            faas_error_set(err, FAAS_ECONFLICT, "build context: %.*s %s", (int)at, clean,
                           clash == FAAS_SERVICE__CLASH_SAME ? "is already there" : "would be both a file and a folder");
        free(clean);
        return code;
    }
    char *copy = NULL;
    if (len > 0) {
        copy = malloc(len);
        if (copy == NULL) {
            free(clean);
            return faas_error_set(err, FAAS_ENOMEM, "build context: out of memory for %s", path);
        }
        memcpy(copy, data, len);
    }
    faas_service__append_file(ctx, clean, copy, len, (mode & 07777) != 0 ? (mode & 07777) : 0644);
    return FAAS_OK;
}

const void *faas_buildctx_file(const faas_buildctx_t *ctx, const char *path, size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (ctx->finished || path == NULL)
        return NULL;
    const char *why;
    char *clean = faas_service__clean_path(path, strlen(path), &why);
    if (clean == NULL)
        return NULL;
    const faas_service__slot_t *s = faas_service__pathset_get(&ctx->paths, clean, strlen(clean));
    free(clean);
    if (s == NULL || s->kind != FAAS_SERVICE__FILE)
        return NULL;
    const faas_service__file_t *f = &ctx->files[s->index];
    if (len != NULL)
        *len = f->len;
    return f->data != NULL ? f->data : ""; /* an empty file is there all the same */
}

size_t faas_buildctx_count(const faas_buildctx_t *ctx)
{
    return ctx->nfiles;
}

const char *faas_buildctx_path(const faas_buildctx_t *ctx, size_t i)
{
    return i < ctx->nfiles ? ctx->files[i].path : NULL;
}

/* ---- the tar ---- */

static la_ssize_t on_write(struct archive *a, void *arg, const void *data, size_t n)
{
    if (faas_buf_add(arg, data, n) != 0) {
        archive_set_error(a, ENOMEM, "out of memory");
        return -1;
    }
    return (la_ssize_t)n;
}

static struct archive *tar_open(faas_buf_t *sink)
{
    struct archive *a = archive_write_new();
    /* pax_restricted writes plain ustar headers and adds a pax header only when a name or size
       needs one; that header's name has no pid or time in it. hdrcharset=BINARY writes names as
       the given bytes: without it libarchive converts them through the process locale, which
       fails for non-ASCII names under LANG=C and makes the output locale-dependent. One block
       at the end, no padding to 10 KiB: smaller bodies, still deterministic. */
    if (a == NULL || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_options(a, "hdrcharset=BINARY") != ARCHIVE_OK ||
        archive_write_add_filter_none(a) != ARCHIVE_OK || archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open(a, sink, NULL, on_write, NULL) != ARCHIVE_OK) {
        faas_log_error("build: cannot start a tar: %s", a != NULL ? archive_error_string(a) : "out of memory");
        abort();
    }
    return a;
}

/* One tar member: a file (f set) or a folder. */
typedef struct member {
    const char *path;
    faas_service__file_t *f;
} member_t;

static int member_cmp(const void *x, const void *y)
{
    return strcmp(((const member_t *)x)->path, ((const member_t *)y)->path);
}

static faas_err_t tar_member(struct archive *a, struct archive_entry *e, member_t *m, faas_error_t *err)
{
    archive_entry_clear(e);
    archive_entry_set_pathname(e, m->path);
    archive_entry_set_filetype(e, m->f != NULL ? AE_IFREG : AE_IFDIR);
    archive_entry_set_perm(e, m->f != NULL ? m->f->mode : 0755);
    archive_entry_set_size(e, m->f != NULL ? (la_int64_t)m->f->len : 0);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (archive_write_header(a, e) != ARCHIVE_OK)
        return faas_error_set(err, FAAS_EIO, "build context: %s: %s", m->path, archive_error_string(a));
    if (m->f == NULL || m->f->len == 0)
        return FAAS_OK;
    la_ssize_t n = archive_write_data(a, m->f->data, m->f->len);
    free(m->f->data); /* the tar holds it now: one copy at a time */
    m->f->data = NULL;
    if (n != (la_ssize_t)m->f->len)
        return faas_error_set(err, FAAS_EIO, "build context: %s: %s", m->path, archive_error_string(a));
    return FAAS_OK;
}

faas_err_t faas_buildctx_finish(faas_buildctx_t *ctx, void **tar, size_t *len, faas_error_t *err)
{
    *tar = NULL;
    *len = 0;
    if (ctx->finished)
        return faas_error_set(err, FAAS_EINVAL, "build context: finished twice");
    ctx->finished = 1;
    /* Sorted by path, so the order files came in does not change a byte. Paths are unique. */
    size_t n = ctx->nfiles + ctx->ndirs;
    member_t *members = faas_service__realloc(NULL, n * sizeof(*members));
    size_t estimate = 1024;
    for (size_t i = 0; i < ctx->nfiles; i++) {
        members[i] = (member_t){ctx->files[i].path, &ctx->files[i]};
        estimate += 1024 + (ctx->files[i].len + 511) / 512 * 512;
    }
    for (size_t i = 0; i < ctx->ndirs; i++)
        members[ctx->nfiles + i] = (member_t){ctx->dirs[i], NULL};
    qsort(members, n, sizeof(*members), member_cmp);
    faas_buf_t sink = {0};
    faas_buf_reserve(&sink, estimate + 1024 * ctx->ndirs); /* a failure shows in on_write */
    struct archive *a = tar_open(&sink);
    struct archive_entry *e = archive_entry_new();
    faas_err_t code = e != NULL ? FAAS_OK : faas_error_set(err, FAAS_ENOMEM, "build context: out of memory");
    for (size_t i = 0; i < n && code == FAAS_OK; i++)
        code = tar_member(a, e, &members[i], err);
    if (code == FAAS_OK && archive_write_close(a) != ARCHIVE_OK)
        code = faas_error_set(err, FAAS_EIO, "build context: %s", archive_error_string(a));
    archive_entry_free(e);
    archive_write_free(a);
    free(members);
    for (size_t i = 0; i < ctx->nfiles; i++) { /* also after a failure: finish is once only */
        free(ctx->files[i].data);
        ctx->files[i].data = NULL;
    }
    if (code != FAAS_OK) {
        faas_buf_free(&sink);
        return code;
    }
    *tar = faas_buf_take(&sink, len);
    return FAAS_OK;
}

void faas_buildctx_dispose(faas_buildctx_t *ctx)
{
    if (ctx == NULL)
        return;
    for (size_t i = 0; i < ctx->nfiles; i++) {
        free(ctx->files[i].path);
        free(ctx->files[i].data);
    }
    for (size_t i = 0; i < ctx->ndirs; i++)
        free(ctx->dirs[i]);
    free(ctx->files);
    free(ctx->dirs);
    faas_service__pathset_free(&ctx->paths);
    free(ctx);
}
