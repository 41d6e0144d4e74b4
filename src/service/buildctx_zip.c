/*
 * buildctx_zip.c: an uploaded zip -> files of a build context, checked on the way in.
 *
 * DESIGN. libarchive's seekable zip reader is used on purpose (only it: not the streaming one,
 * and no other format): it walks the central directory, which is where the Unix mode lives
 * (symbolic links, devices and executable bits are external attributes there; a streaming
 * reader sees only local headers and would call a symlink a regular file). Each entry is
 * checked (name, type, encryption) before its data is read; data is read in chunks into a
 * buffer that never grows past what the byte cap still allows, so a zip bomb stops at the cap
 * however its headers lie. Everything lands in a pending list first; unwrapping the single
 * top-level folder and the clash checks run on that list, and only then does anything move
 * into the context, so a refused zip leaves the context as it was.
 *
 * Names: libarchive converts entry names to the locale's charset and yields NULL for a
 * non-ASCII name under LANG=C. The calling thread is switched to C.UTF-8 (uselocale, so no
 * other thread notices) while the archive is open, which makes UTF-8 names come out as the
 * same bytes whatever the process locale.
 *
 * Threads: worker thread only (CPU and memory grow with the zip); one context per thread.
 */
#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME 4096
#define SHOW_MAX 120 /* bytes of a name quoted in a message */

typedef struct pending {
    char *path;  /* normalised, before unwrapping */
    size_t skip; /* bytes of it the unwrapped top folder takes ("fn/") */
    char *data;  /* files: owned, NULL when empty */
    size_t len;
    int mode; /* files: permission bits; 0: a folder */
} pending_t;

typedef struct reader {
    struct archive *a;
    size_t max_entries, entries;
    uint64_t max_bytes, bytes;
    pending_t *items;
    size_t n, cap;
    faas_error_t *err;
} reader_t;

/* A name made fit for a message: control bytes as '?', cut on a UTF-8 boundary. */
static const char *shown(const char *name, char out[SHOW_MAX + 4])
{
    size_t n = strnlen(name, MAX_NAME + 1);
    size_t cut = n;
    if (cut > SHOW_MAX) {
        cut = SHOW_MAX;
        while (cut > 0 && ((unsigned char)name[cut] & 0xc0) == 0x80)
            cut--;
    }
    for (size_t i = 0; i < cut; i++)
        out[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
    memcpy(out + cut, cut < n ? "..." : "", cut < n ? 4 : 1);
    return out;
}

/* libarchive's last error, fit for a message: never NULL, no control bytes, no trailing newline. */
static const char *la_error(struct archive *a, char out[SHOW_MAX + 4])
{
    const char *msg = archive_error_string(a);
    if (msg == NULL)
        return "unknown error";
    size_t n = 0;
    for (; msg[n] != '\0' && n < SHOW_MAX; n++)
        out[n] = (unsigned char)msg[n] < 0x20 || msg[n] == 0x7f ? ' ' : msg[n];
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    return out;
}

static int utf8_valid(const unsigned char *s)
{
    while (*s != '\0') {
        int extra = *s < 0x80 ? 0 : (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2 : (*s & 0xf8) == 0xf0 ? 3 : -1;
        if (extra < 0 || (extra == 1 && *s < 0xc2) || (extra == 3 && *s > 0xf4))
            return 0;
        for (int i = 1; i <= extra; i++)
            if ((s[i] & 0xc0) != 0x80)
                return 0;
        s += 1 + extra;
    }
    return 1;
}

/* The normalised path of an entry named name, or NULL after setting the error. */
static char *entry_path(reader_t *r, const char *name)
{
    char show[SHOW_MAX + 4];
    size_t len = strlen(name);
    if (len > MAX_NAME) {
        faas_error_set(r->err, FAAS_EINVAL, "zip entry %s has a name longer than %d bytes", shown(name, show),
                       MAX_NAME);
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
            faas_error_set(r->err, FAAS_EINVAL, "zip entry %s has a control character in its name", shown(name, show));
            return NULL;
        }
    }
    if (!utf8_valid((const unsigned char *)name)) {
        faas_error_set(r->err, FAAS_EINVAL, "zip entry %s has a name that is not UTF-8", shown(name, show));
        return NULL;
    }
    char *slashed = faas_service__strndup(name, len);
    for (size_t i = 0; i < len; i++)
        if (slashed[i] == '\\')
            slashed[i] = '/'; /* Windows tools write "dir\file" */
    const char *why = NULL;
    char *path = NULL;
    if (slashed[0] == '/')
        why = "is an absolute path";
    else if (((slashed[0] | 0x20) >= 'a' && (slashed[0] | 0x20) <= 'z') && slashed[1] == ':')
        why = "is an absolute path (a drive letter)";
    else
        path = faas_service__clean_path(slashed, len, &why);
    free(slashed);
    if (path == NULL)
        faas_error_set(r->err, FAAS_EINVAL, "zip entry %s %s", shown(name, show), why);
    return path;
}

/* Entries a Mac adds to zips it makes: resource forks and Finder state. */
static int skipped(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    return strncmp(path, "__MACOSX", 8) == 0 && (path[8] == '/' || path[8] == '\0') ? 1
                                                                                    : strcmp(base, ".DS_Store") == 0;
}

static faas_err_t too_many_bytes(reader_t *r)
{
    return faas_error_set(r->err, FAAS_ETOOLARGE, "zip unpacks to more than %llu bytes",
                          (unsigned long long)r->max_bytes);
}

/* Reads the current entry's data into p, counting it against the byte cap as it inflates. */
static faas_err_t read_data(reader_t *r, struct archive_entry *e, const char *name, pending_t *p)
{
    uint64_t left = r->max_bytes - r->bytes;
    la_int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (declared > 0 && (uint64_t)declared > left)
        return too_many_bytes(r); /* an honest header says so at once */
    /* The buffer never grows past one byte more than the cap allows: that byte proves "over". */
    size_t limit = left < SIZE_MAX - 1 ? (size_t)left + 1 : SIZE_MAX;
    size_t cap = 0;
    for (;;) {
        if (p->len == cap) {
            size_t want = declared > 0 && declared < (1 << 20) ? (size_t)declared + 1 : 65536;
            if (cap != 0)
                want = cap <= limit / 2 ? cap * 2 : limit;
            want = want < limit ? want : limit;
            char *data = realloc(p->data, want);
            if (data == NULL)
                return faas_error_set(r->err, FAAS_ENOMEM, "out of memory unpacking zip entry %s", name);
            p->data = data;
            cap = want;
        }
        la_ssize_t n = archive_read_data(r->a, p->data + p->len, cap - p->len);
        char why[SHOW_MAX + 4];
        if (n < 0) /* ARCHIVE_WARN included: a bad CRC, a size that disagrees, an unknown method */
            return faas_error_set(r->err, FAAS_EINVAL, "zip entry %s cannot be unpacked: %s", name,
                                  la_error(r->a, why));
        if (n == 0)
            break;
        p->len += (size_t)n;
        if (p->len > left)
            return too_many_bytes(r);
    }
    r->bytes += p->len;
    if (p->len == 0) {
        free(p->data);
        p->data = NULL;
    }
    return FAAS_OK;
}

/* Checks one entry and, unless it is skipped, appends it to the pending list. */
static faas_err_t read_entry(reader_t *r, struct archive_entry *e, int rc)
{
    char show[SHOW_MAX + 4], why[SHOW_MAX + 4];
    const char *name = archive_entry_pathname(e);
    if (name == NULL)
        return faas_error_set(r->err, FAAS_EINVAL, "zip entry %zu has a name that is not UTF-8", r->entries);
    if (rc == ARCHIVE_WARN)
        return faas_error_set(r->err, FAAS_EINVAL, "zip entry %s is damaged: %s", shown(name, show),
                              la_error(r->a, why));
    if (archive_entry_is_encrypted(e))
        return faas_error_set(r->err, FAAS_EINVAL, "zip entry %s is encrypted", shown(name, show));
    int type = (int)archive_entry_filetype(e);
    if (type == AE_IFLNK)
        return faas_error_set(r->err, FAAS_EINVAL, "zip entry %s is a symbolic link", shown(name, show));
    if (archive_entry_hardlink(e) != NULL)
        return faas_error_set(r->err, FAAS_EINVAL, "zip entry %s is a hard link", shown(name, show));
    if (type != AE_IFREG && type != AE_IFDIR)
        return faas_error_set(r->err, FAAS_EINVAL, "zip entry %s is not a regular file or folder", shown(name, show));
    char *path = entry_path(r, name);
    if (path == NULL)
        return FAAS_EINVAL; /* entry_path said why */
    if (skipped(path)) {
        free(path);
        return FAAS_OK; /* the next header skips its data without inflating it */
    }
    pending_t p = {.path = path, .mode = type == AE_IFDIR ? 0 : 0644 | (archive_entry_perm(e) & 0111)};
    faas_err_t code = type == AE_IFREG ? read_data(r, e, shown(name, show), &p) : FAAS_OK;
    if (code != FAAS_OK) {
        free(p.path);
        free(p.data);
        return code;
    }
    if (r->n == r->cap) {
        r->cap = r->cap != 0 ? r->cap * 2 : 32;
        r->items = faas_service__realloc(r->items, r->cap * sizeof(*r->items));
    }
    r->items[r->n++] = p;
    return FAAS_OK;
}

static faas_err_t read_zip(reader_t *r, const void *zip, size_t len)
{
    char why[SHOW_MAX + 4];
    r->a = archive_read_new();
    if (r->a == NULL)
        return faas_error_set(r->err, FAAS_ENOMEM, "out of memory");
    if (archive_read_support_format_zip_seekable(r->a) != ARCHIVE_OK)
        return faas_error_set(r->err, FAAS_EIO, "zip reader: %s", la_error(r->a, why));
    /* An empty zip is just its end record. libarchive's seekable reader never looks for that
       record at offset 0, so it would call the zip "not a zip"; say what is wrong instead. */
    if (zip != NULL && len >= 22 && memcmp(zip, "PK\005\006", 4) == 0)
        return faas_error_set(r->err, FAAS_EINVAL, "zip has no files");
    if (zip == NULL || len == 0 || archive_read_open_memory(r->a, zip, len) != ARCHIVE_OK)
        return faas_error_set(r->err, FAAS_EINVAL, "not a zip file");
    for (;;) {
        struct archive_entry *e = NULL;
        int rc = archive_read_next_header(r->a, &e);
        if (rc == ARCHIVE_EOF)
            return FAAS_OK;
        if (++r->entries > r->max_entries)
            return faas_error_set(r->err, FAAS_ETOOLARGE, "zip has more than %zu entries", r->max_entries);
        if (rc < ARCHIVE_WARN)
            return faas_error_set(r->err, FAAS_EINVAL, "zip is damaged: %s", la_error(r->a, why));
        faas_err_t code = read_entry(r, e, rc);
        if (code != FAAS_OK)
            return code;
    }
}

/* When every entry sits under one top-level folder, marks that folder to be cut off. */
static void unwrap(reader_t *r)
{
    const char *top = NULL;
    size_t tlen = 0;
    for (size_t i = 0; i < r->n; i++) {
        const char *path = r->items[i].path;
        const char *slash = strchr(path, '/');
        size_t c = slash != NULL ? (size_t)(slash - path) : strlen(path);
        if (slash == NULL && r->items[i].mode != 0)
            return; /* a file at the top */
        if (top == NULL) {
            top = path;
            tlen = c;
        } else if (c != tlen || memcmp(path, top, c) != 0) {
            return; /* a second top-level name */
        }
    }
    for (size_t i = 0; i < r->n; i++)
        r->items[i].skip = r->items[i].path[tlen] == '/' ? tlen + 1 : tlen; /* tlen: the folder itself */
}

/* Checks the pending paths against each other (EINVAL) and against ctx (ECONFLICT). */
static faas_err_t check_clashes(reader_t *r, const faas_buildctx_t *ctx)
{
    faas_service__pathset_t batch = {0};
    faas_err_t code = FAAS_OK;
    size_t files = 0;
    for (size_t i = 0; i < r->n && code == FAAS_OK; i++) {
        const pending_t *p = &r->items[i];
        const char *path = p->path + p->skip;
        if (path[0] == '\0')
            continue; /* the unwrapped folder */
        int kind = p->mode != 0 ? FAAS_SERVICE__FILE : FAAS_SERVICE__DIR_EXPLICIT;
        files += p->mode != 0;
        char show[SHOW_MAX + 4];
        size_t at = 0;
        int clash = faas_service__pathset_clash(&batch, path, kind, &at);
        if (clash == FAAS_SERVICE__CLASH_SAME)
            code = faas_error_set(r->err, FAAS_EINVAL, "zip has %s twice", shown(p->path, show));
        else if (clash == FAAS_SERVICE__CLASH_KIND)
            code =
                faas_error_set(r->err, FAAS_EINVAL, "zip entry %s is both a file and a folder", shown(p->path, show));
        else if (faas_service__pathset_clash(&ctx->paths, path, kind, &at) != FAAS_SERVICE__CLASH_NONE)
            code =
                faas_error_set(r->err, FAAS_ECONFLICT, "zip entry %s clashes with %.*s, already in the build context",
                               shown(p->path, show), (int)at, path);
        else
            faas_service__pathset_record(&batch, path, kind, 0);
    }
    faas_service__pathset_free(&batch);
    if (code == FAAS_OK && files == 0)
        code = faas_error_set(r->err, FAAS_EINVAL, "zip has no files");
    return code;
}

faas_err_t faas_buildctx_add_zip(faas_buildctx_t *ctx, const void *zip, size_t len,
                                      const faas_buildctx_zip_limits_t *limits, faas_error_t *err)
{
    if (ctx->finished)
        return faas_error_set(err, FAAS_EINVAL, "build context: add after finish");
    reader_t r = {.err = err, .max_entries = FAAS_BUILDCTX_ZIP_MAX_ENTRIES, .max_bytes = FAAS_BUILDCTX_ZIP_MAX_BYTES};
    if (limits != NULL && limits->max_entries != 0)
        r.max_entries = limits->max_entries;
    if (limits != NULL && limits->max_bytes != 0)
        r.max_bytes = limits->max_bytes;
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    locale_t old = utf8 != (locale_t)0 ? uselocale(utf8) : (locale_t)0;
    faas_err_t code = read_zip(&r, zip, len);
    archive_read_free(r.a); /* before the locale goes: it caches conversions made under it */
    if (utf8 != (locale_t)0) {
        uselocale(old);
        freelocale(utf8);
    }
    if (code == FAAS_OK) {
        unwrap(&r);
        code = check_clashes(&r, ctx);
    }
    for (size_t i = 0; i < r.n; i++) {
        pending_t *p = &r.items[i];
        if (code != FAAS_OK || p->path[p->skip] == '\0') {
            free(p->path);
            free(p->data);
            continue;
        }
        memmove(p->path, p->path + p->skip, strlen(p->path + p->skip) + 1);
        if (p->mode != 0)
            faas_service__append_file(ctx, p->path, p->data, p->len, p->mode);
        else
            faas_service__append_dir(ctx, p->path);
    }
    free(r.items);
    return code;
}
