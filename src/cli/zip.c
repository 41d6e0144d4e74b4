/*
 * zip.c: a folder as an in-memory zip (see zip.h). The walk never follows a link: every entry
 * is looked at with AT_SYMLINK_NOFOLLOW and files are opened with O_NOFOLLOW under their
 * folder's descriptor. Blocking file I/O; one thread.
 */
#include "faas/cli/zip.h"
#include "faas/cli/ignore.h"
#include "faas/core/buf.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_IGNORE_FILE (1024 * 1024)

typedef struct walk {
    struct archive *a;
    faas_cli_ignore_t *ig;
    faas_cli_zip_t *out;
    char *err;
    size_t err_size;
} walk_t;

static int fail(walk_t *w, const char *path, const char *why)
{
    snprintf(w->err, w->err_size, "%s: %s", path, why);
    return -1;
}

static la_ssize_t on_write(struct archive *a, void *ud, const void *data, size_t len)
{
    (void)a;
    return faas_buf_add(ud, data, len) == 0 ? (la_ssize_t)len : -1;
}

/* One regular file: its header, then its bytes read in chunks. */
static int add_file(walk_t *w, int dirfd, const char *name, const char *rel, const struct stat *st)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(w, rel, strerror(errno));
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, rel);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, st->st_mode & 0755);
    archive_entry_set_size(e, st->st_size);
    archive_entry_set_mtime(e, st->st_mtime, 0);
    int rc = archive_write_header(w->a, e) == ARCHIVE_OK ? 0 : fail(w, rel, archive_error_string(w->a));
    archive_entry_free(e);
    char buf[65536];
    ssize_t n;
    while (rc == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0)
            rc = fail(w, rel, strerror(errno));
        else if (archive_write_data(w->a, buf, (size_t)n) != n)
            rc = fail(w, rel, archive_error_string(w->a));
    }
    close(fd);
    w->out->files += rc == 0;
    return rc;
}

static int cmp_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The names in the open folder dirfd (no . or ..), sorted; NULL with *n 0 when empty or on error. */
static char **list_names(int dirfd, size_t *n)
{
    DIR *d = fdopendir(dup(dirfd));
    char **names = NULL;
    size_t cap = 0;
    struct dirent *de;
    *n = 0;
    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (*n == cap) {
            char **more = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*names));
            if (more == NULL)
                break;
            names = more;
        }
        if ((names[*n] = strdup(de->d_name)) != NULL)
            (*n)++;
    }
    if (d != NULL)
        closedir(d);
    if (*n > 0)
        qsort(names, *n, sizeof(*names), cmp_names);
    return names;
}

static int walk_dir(walk_t *w, int dirfd, const char *prefix);

/* One entry of a folder: a file is added, a folder walked, anything else refused. */
static int walk_entry(walk_t *w, int dirfd, const char *name, const char *prefix)
{
    char rel[4096];
    struct stat st;
    if (snprintf(rel, sizeof(rel), "%s%s%s", prefix, prefix[0] ? "/" : "", name) >= (int)sizeof(rel))
        return fail(w, prefix, "path too long");
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return fail(w, rel, strerror(errno));
    if (faas_cli_ignore_match(w->ig, rel, S_ISDIR(st.st_mode))) {
        w->out->ignored++;
        return 0;
    }
    if (S_ISLNK(st.st_mode))
        return fail(w, rel, "a symbolic link: faas uploads regular files only (copy the file, or list it in .faasignore)");
    if (S_ISDIR(st.st_mode)) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return fail(w, rel, strerror(errno));
        int rc = walk_dir(w, fd, rel);
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode))
        return fail(w, rel, "not a regular file (a device, socket or pipe): list it in .faasignore");
    if (w->out->files >= FAAS_CLI_ZIP_MAX_FILES)
        return fail(w, rel, "more than 10000 files (the server's limit): list what is not needed in .faasignore");
    return add_file(w, dirfd, name, rel, &st);
}

static int walk_dir(walk_t *w, int dirfd, const char *prefix)
{
    size_t n = 0;
    char **names = list_names(dirfd, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = walk_entry(w, dirfd, names[i], prefix);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* The rules of dir/.faasignore (none when there is no such file); NULL with err set on failure. */
static faas_cli_ignore_t *read_ignore(int dirfd, char *err, size_t size)
{
    faas_buf_t text = {0};
    int fd = openat(dirfd, ".faasignore", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char buf[8192];
    ssize_t n = 0;
    while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0 && text.len < MAX_IGNORE_FILE)
        faas_buf_add(&text, buf, (size_t)n);
    if ((fd < 0 && errno != ENOENT) || n < 0)
        snprintf(err, size, ".faasignore: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    faas_cli_ignore_t *ig = (fd < 0 && errno != ENOENT) || n < 0 ? NULL : faas_cli_ignore_parse(text.p, text.len);
    if (ig == NULL && err[0] == '\0')
        snprintf(err, size, "out of memory");
    faas_buf_free(&text);
    return ig;
}

int faas_cli_zip_dir(const char *dir, faas_cli_zip_t *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof(*out));
    err[0] = '\0';
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return snprintf(err, err_size, "%s: %s", dir, strerror(errno)), -1;
    faas_buf_t zip = {0};
    walk_t w = {.a = archive_write_new(), .out = out, .err = err, .err_size = err_size};
    w.ig = read_ignore(dirfd, err, err_size);
    int rc = w.ig != NULL && w.a != NULL ? 0 : -1;
    if (rc == 0 && (archive_write_set_format_zip(w.a) != ARCHIVE_OK ||
                    archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK ||
                    archive_write_open2(w.a, &zip, NULL, on_write, NULL, NULL) != ARCHIVE_OK))
        rc = fail(&w, dir, archive_error_string(w.a));
    if (rc == 0)
        rc = walk_dir(&w, dirfd, "");
    if (w.a != NULL && archive_write_close(w.a) != ARCHIVE_OK && rc == 0)
        rc = fail(&w, dir, archive_error_string(w.a));
    if (w.a != NULL)
        archive_write_free(w.a);
    faas_cli_ignore_free(w.ig);
    close(dirfd);
    if (rc == 0 && zip.oom)
        rc = fail(&w, dir, "out of memory");
    if (rc != 0) {
        faas_buf_free(&zip);
        return -1;
    }
    out->data = faas_buf_take(&zip, &out->len);
    return 0;
}

void faas_cli_zip_free(faas_cli_zip_t *z)
{
    free(z->data);
    z->data = NULL;
}
