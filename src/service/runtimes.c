/*
 * runtimes.c: runtimes (named Dockerfiles): upload checks, durable files under
 * <data_dir>/runtimes/, their store records, orphan cleanup and the built-in runtimes.
 * faas_runtimes_check and faas_runtimes_list: any thread; the rest: worker thread only
 * (or the main thread at start-up), they block on file I/O and fsync.
 *
 * DESIGN: a Dockerfile is never rewritten in place. put writes a new <uuid>.dockerfile under
 * a dot-prefixed temp name, syncs it, renames it and syncs the folder, and only then commits
 * the record that names it. So every record names a complete file whatever the moment of a
 * crash, and the worst a crash (or a replace, or a delete) leaves is an unnamed file, which
 * cleanup removes once it is older than a grace period: the grace period is what keeps
 * cleanup from racing an upload whose file exists but whose record is not committed yet.
 *
 * The built-in runtimes are the platform's own: no upload replaces them and no delete removes
 * them (FAAS_EFORBIDDEN), and seed restores one whose record or file went missing behind
 * faas's back, so the set every start begins with is always complete.
 */
#include "faas/service/runtimes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/core/uuid.h"

#define FILE_SUFFIX ".dockerfile"
#define TEMP_SUFFIX ".dockerfile.tmp"
#define LEGACY_MARKER ".seeded"   /* older versions remembered deleted built-ins here */
#define LEGACY_MARKER_TEMP ".seeded.tmp"
#define FILE_NAME_MAX 96          /* ".<uuid>.dockerfile.tmp" and then some */
#define READ_ATTEMPTS 3           /* a read racing a replace plus cleanup looks the record up again */

/* ---- built-in runtimes ------------------------------------------------------------------ */

typedef struct builtin {
    const char *name;
    const char *dockerfile;
} builtin_t;

static const builtin_t builtins[] = {
    {FAAS_RUNTIMES_DEFAULT,
     "# faas runtime \"default\": a Python HTTP service. main.py must listen on the port in $PORT.\n"
     "FROM python:3.11-slim\n"
     "WORKDIR /app\n"
     "COPY . /app\n"
     "ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1\n"
     "CMD [\"python3\", \"main.py\"]\n"},
    {"python",
     "# faas runtime \"python\": runs a Python script to completion. The build arg HANDLER names it.\n"
     "# stderr joins stdout: one pipe keeps the order in which lines were written.\n"
     "FROM python:3.11-slim\n"
     "ARG HANDLER=main.py\n"
     "WORKDIR /app\n"
     "COPY . /app\n"
     "ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 FAAS_HANDLER=${HANDLER}\n"
     "CMD [\"sh\", \"-c\", \"exec python3 \\\"$FAAS_HANDLER\\\" 2>&1\"]\n"},
    {"go",
     "# faas runtime \"go\": builds the main package into a static binary and runs it to completion.\n"
     "FROM golang:1.19 AS build\n"
     "# /run joins stderr to stdout (one pipe keeps their order), then becomes the handler.\n"
     "RUN mkdir -p /runner /out && cd /runner && printf '%s\\n' 'package main' 'import (\"os\"; \"syscall\")' \\\n"
     "    'func main() {' '\tsyscall.Dup3(1, 2, 0)' \\\n"
     "    '\terr := syscall.Exec(\"/handler\", append([]string{\"/handler\"}, os.Args[1:]...), os.Environ())' \\\n"
     "    '\tos.Stdout.WriteString(\"faas: cannot run /handler: \" + err.Error() + \"\\n\")' '\tos.Exit(127)' '}' \\\n"
     "    >main.go && go mod init runner 2>/dev/null && CGO_ENABLED=0 go build -o /out/run .\n"
     "WORKDIR /src\n"
     "COPY . .\n"
     "RUN if [ ! -f go.mod ]; then go mod init function; fi \\\n"
     "    && if [ -d vendor ]; then mod=vendor; else mod=mod; fi \\\n"
     "    && CGO_ENABLED=0 go build -mod=$mod -o /out/handler .\n"
     "FROM scratch\n"
     "COPY --from=build /out/run /out/handler /\n"
     "CMD [\"/run\"]\n"},
};

#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

int faas_runtimes_is_builtin(const char *name)
{
    for (size_t i = 0; name != NULL && i < NBUILTINS; i++)
        if (strcmp(name, builtins[i].name) == 0)
            return 1;
    return 0;
}

/* ---- checking an upload ------------------------------------------------------------------ */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

/* The offset of the first byte that is not part of well-formed UTF-8 (no overlongs, no
 * surrogates), or len when all of it is. */
static size_t utf8_error_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i], cp, min;
        size_t n;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            n = 1, min = 0x80, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
            n = 2, min = 0x800, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
            n = 3, min = 0x10000, cp = c & 0x07;
        else
            return i;
        if (len - i <= n)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

/* A parser directive line "# key=value" (b..e trimmed, starting with '#'): sets *escape for
 * "escape"; returns 0 when the line is a plain comment, which ends the directive block. */
static int parse_directive(const char *b, const char *e, char *escape)
{
    const char *p = b + 1;
    while (p < e && is_blank(*p))
        p++;
    const char *key = p;
    if (p == e || !is_alpha(*p))
        return 0;
    while (p < e && is_alnum(*p))
        p++;
    size_t key_len = (size_t)(p - key);
    while (p < e && is_blank(*p))
        p++;
    if (p == e || *p != '=')
        return 0;
    p++;
    while (p < e && is_blank(*p))
        p++;
    if (key_len == 6 && strncasecmp(key, "escape", 6) == 0 && e - p == 1 && (*p == '`' || *p == '\\'))
        *escape = *p;
    return 1;
}

/* FAAS_OK when the first instruction that is not ARG is FROM with an argument. Comments,
 * blank lines and parser directives are skipped, and so are the continuation lines of an ARG
 * (with the escape character a "# escape=" directive chose). */
static faas_err_t check_first_instruction(const char *s, size_t len, faas_error_t *err)
{
    const char *p = s, *end = s + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* a UTF-8 byte order mark, as Docker's parser allows */
    char escape = '\\';
    int directives = 1, continued = 0;
    for (size_t line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *b = p, *e = nl != NULL ? nl : end;
        p = nl != NULL ? nl + 1 : end;
        while (b < e && is_blank(*b))
            b++;
        while (e > b && is_blank(e[-1]))
            e--;
        if (b == e) {
            directives = 0;
            continue;
        }
        if (*b == '#') {
            directives = directives && parse_directive(b, e, &escape);
            continue;
        }
        directives = 0;
        if (continued) {
            continued = e[-1] == escape;
            continue;
        }
        const char *w = b;
        while (w < e && is_alpha(*w))
            w++;
        size_t wlen = (size_t)(w - b);
        if (wlen == 0 || (w < e && !is_blank(*w)))
            return faas_error_set(err, FAAS_EINVAL,
                                  "not a Dockerfile: line %zu does not start with an instruction", line);
        if (wlen == 3 && strncasecmp(b, "ARG", 3) == 0) {
            continued = e[-1] == escape;
            continue;
        }
        if (wlen == 4 && strncasecmp(b, "FROM", 4) == 0) {
            if (w == e)
                return faas_error_set(err, FAAS_EINVAL, "not a Dockerfile: FROM on line %zu names no image", line);
            return FAAS_OK;
        }
        return faas_error_set(err, FAAS_EINVAL,
                              "not a Dockerfile: the first instruction must be FROM, but line %zu starts with %.*s",
                              line, (int)(wlen > 20 ? 20 : wlen), b);
    }
    return faas_error_set(err, FAAS_EINVAL, "not a Dockerfile: it has no FROM instruction");
}

faas_err_t faas_runtimes_check(const char *name, const char *content, size_t len, size_t max_size,
                               faas_error_t *err)
{
    if (!faas_record_valid_name(name))
        return faas_error_set(err, FAAS_EINVAL,
                              "invalid runtime name: use 1 to 63 characters a-z, 0-9 and '-', "
                              "starting and ending with a letter or digit");
    if (faas_runtimes_is_builtin(name))
        return faas_error_set(err, FAAS_EFORBIDDEN,
                              "'%s' is a built-in runtime and cannot be overwritten: upload the Dockerfile "
                              "under another name", name);
    if (content == NULL || len == 0)
        return faas_error_set(err, FAAS_EINVAL, "the Dockerfile is empty");
    if (len > max_size)
        return faas_error_set(err, FAAS_ETOOLARGE, "the Dockerfile is %zu bytes, more than the limit of %zu bytes",
                              len, max_size);
    if (memchr(content, '\0', len) != NULL)
        return faas_error_set(err, FAAS_EINVAL, "not a Dockerfile: it contains NUL bytes (binary data)");
    size_t bad = utf8_error_at((const unsigned char *)content, len);
    if (bad != len)
        return faas_error_set(err, FAAS_EINVAL, "not a Dockerfile: it is not UTF-8 text (byte %zu)", bad);
    return check_first_instruction(content, len, err);
}

/* ---- files ------------------------------------------------------------------------------- */

/* <data_dir>/runtimes into dir (PATH_MAX bytes). */
static faas_err_t folder_path(const char *data_dir, char *dir, faas_error_t *err)
{
    int n = snprintf(dir, PATH_MAX, "%s/%s", data_dir, FAAS_RUNTIMES_DIR);
    if (n < 0 || n >= PATH_MAX - FILE_NAME_MAX)
        return faas_error_set(err, FAAS_EIO, "runtimes: data_dir path is too long");
    return FAAS_OK;
}

/* Makes <data_dir>/runtimes (0700) if missing; its path goes into dir (PATH_MAX bytes). */
static faas_err_t make_folder(const char *data_dir, char *dir, faas_error_t *err)
{
    faas_err_t rc = folder_path(data_dir, dir, err);
    if (rc != FAAS_OK)
        return rc;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return faas_error_set(err, FAAS_EIO, "runtimes: cannot create %s: %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return faas_error_set(err, FAAS_EIO, "runtimes: %s is not a directory", dir);
    return FAAS_OK;
}

static void join(char *out, const char *dir, const char *file)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, file);
    if (n < 0 || n >= PATH_MAX) /* cannot happen: folder_path left room for any file name */
        out[0] = '\0';
}

/* 1 for a file name a record may hold: "<something>.dockerfile", no '/', no leading dot. */
static int valid_file_name(const char *file)
{
    size_t n = file != NULL ? strlen(file) : 0, sl = strlen(FILE_SUFFIX);
    return n > sl && n < FILE_NAME_MAX && file[0] != '.' && strchr(file, '/') == NULL &&
           strcmp(file + n - sl, FILE_SUFFIX) == 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), sl = strlen(suffix);
    return n >= sl && strcmp(s + n - sl, suffix) == 0;
}

static faas_err_t sync_folder(const char *dir, faas_error_t *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return faas_error_set(err, faas_err_from_errno(e, FAAS_EIO), "runtimes: cannot sync %s: %s", dir, strerror(e));
    }
    close(fd);
    return FAAS_OK;
}

/* Writes len bytes to dir/final through dir/temp: write, fsync, rename, fsync the folder.
 * On failure the temp file is removed and dir/final does not exist. */
static faas_err_t write_durably(const char *dir, const char *temp, const char *final, const void *data, size_t len,
                                faas_error_t *err)
{
    char tpath[PATH_MAX], fpath[PATH_MAX];
    join(tpath, dir, temp);
    join(fpath, dir, final);
    int fd = open(tpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return faas_error_set(err, faas_err_from_errno(errno, FAAS_EIO), "runtimes: cannot create %s: %s", tpath,
                              strerror(errno));
    const char *p = data;
    size_t left = len;
    int e = 0;
    while (left > 0 && e == 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            e = w < 0 ? errno : EIO;
        else
            p += w, left -= (size_t)w;
    }
    if (e == 0 && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tpath, fpath) != 0)
        e = errno;
    if (e != 0) {
        unlink(tpath);
        return faas_error_set(err, faas_err_from_errno(e, FAAS_EIO), "runtimes: cannot write %s: %s", fpath, strerror(e));
    }
    faas_err_t rc = sync_folder(dir, err);
    if (rc != FAAS_OK)
        unlink(fpath);
    return rc;
}

/* Reads path whole into a new NUL-terminated buffer. Returns 0, or an errno value. */
static int read_whole(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    struct stat st;
    int e = fstat(fd, &st) != 0 ? errno : (S_ISREG(st.st_mode) ? 0 : EINVAL);
    if (e != 0) {
        close(fd);
        return e;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (buf == NULL) {
            close(fd);
            return ENOMEM;
        }
        if (n == cap) { /* the file grew while being read */
            char *bigger = realloc(buf, cap * 2 + 1);
            if (bigger == NULL)
                free(buf);
            buf = bigger, cap *= 2;
            continue;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = errno;
            free(buf);
            close(fd);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* ---- the operations ---------------------------------------------------------------------- */

/* The record of runtime name; FAAS_ENOTFOUND "no runtime named 'x'" for an unknown name. */
static faas_err_t get_record(faas_store_t *store, const char *name, faas_runtime_t *rt, faas_error_t *err)
{
    if (!faas_record_valid_name(name)) {
        memset(rt, 0, sizeof(*rt));
        return faas_error_set(err, FAAS_ENOTFOUND, "no runtime has that name (runtime names are DNS labels)");
    }
    faas_err_t rc = faas_store_runtime_get(store, name, rt, err);
    if (rc == FAAS_ENOTFOUND)
        return faas_error_set(err, FAAS_ENOTFOUND, "no runtime named '%s'", name);
    if (rc == FAAS_OK && !valid_file_name(rt->file)) {
        faas_runtime_free(rt);
        return faas_error_set(err, FAAS_ESTORE, "runtime '%s': corrupt record (bad file name)", name);
    }
    return rc;
}

/* Stores content (already checked) as runtime name: a new file, then the record naming it. */
static faas_err_t store_new(faas_store_t *store, const char *data_dir, const char *name, const char *content,
                            size_t len, faas_runtime_t *out, faas_error_t *err)
{
    char dir[PATH_MAX];
    faas_err_t rc = make_folder(data_dir, dir, err);
    if (rc != FAAS_OK)
        return rc;
    char id[FAAS_UUID_LEN], file[FILE_NAME_MAX], temp[FILE_NAME_MAX];
    faas_uuid_new(id);
    snprintf(file, sizeof(file), "%s%s", id, FILE_SUFFIX);
    snprintf(temp, sizeof(temp), ".%s%s", id, TEMP_SUFFIX);
    rc = write_durably(dir, temp, file, content, len, err);
    if (rc != FAAS_OK)
        return rc;
    faas_runtime_t rt = {.name = (char *)name, .file = file, .created_at = faas_clock_now_ms()};
    rc = faas_store_runtime_put(store, &rt, err);
    if (rc != FAAS_OK) {
        char path[PATH_MAX];
        join(path, dir, file);
        unlink(path); /* nothing names it; and if this fails, cleanup gets it */
        return rc;
    }
    if (out == NULL)
        return FAAS_OK;
    out->name = strdup(name);
    out->file = strdup(file);
    out->created_at = rt.created_at;
    if (out->name == NULL || out->file == NULL) {
        faas_runtime_free(out);
        return faas_error_set(err, FAAS_ENOMEM, "runtime '%s' stored, but out of memory", name);
    }
    return FAAS_OK;
}

faas_err_t faas_runtimes_put(faas_store_t *store, const char *data_dir, const char *name, const char *content,
                             size_t len, size_t max_size, faas_runtime_t *out, faas_error_t *err)
{
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    faas_err_t rc = faas_runtimes_check(name, content, len, max_size, err);
    if (rc != FAAS_OK)
        return rc;
    return store_new(store, data_dir, name, content, len, out, err);
}

faas_err_t faas_runtimes_read(faas_store_t *store, const char *data_dir, const char *name, char **content,
                              size_t *len, faas_error_t *err)
{
    *content = NULL;
    *len = 0;
    char dir[PATH_MAX], path[PATH_MAX];
    faas_err_t rc = folder_path(data_dir, dir, err);
    if (rc != FAAS_OK)
        return rc;
    char last[FILE_NAME_MAX] = "";
    for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
        faas_runtime_t rt;
        rc = get_record(store, name, &rt, err);
        if (rc != FAAS_OK)
            return rc;
        if (strcmp(rt.file, last) == 0) { /* the same file as last time, so it really is gone */
            faas_runtime_free(&rt);
            break;
        }
        snprintf(last, sizeof(last), "%s", rt.file);
        join(path, dir, rt.file);
        faas_runtime_free(&rt);
        int e = read_whole(path, content, len);
        if (e == 0)
            return FAAS_OK;
        if (e == ENOMEM)
            return faas_error_set(err, FAAS_ENOMEM, "runtime '%s': out of memory reading its Dockerfile", name);
        if (e != ENOENT)
            return faas_error_set(err, FAAS_EIO, "runtime '%s': cannot read %s: %s", name, path, strerror(e));
        /* Gone: a replace may have committed a new file and cleanup removed this one; look again. */
    }
    return faas_error_set(err, FAAS_ENOTFOUND, "runtime '%s' has no Dockerfile", name);
}

faas_err_t faas_runtimes_delete(faas_store_t *store, const char *data_dir, const char *name, faas_error_t *err)
{
    if (faas_runtimes_is_builtin(name))
        return faas_error_set(err, FAAS_EFORBIDDEN, "'%s' is a built-in runtime and cannot be deleted", name);
    char dir[PATH_MAX], path[PATH_MAX];
    faas_err_t rc = folder_path(data_dir, dir, err);
    if (rc != FAAS_OK)
        return rc;
    faas_runtime_t rt;
    rc = get_record(store, name, &rt, err);
    if (rc != FAAS_OK && rc != FAAS_ESTORE)
        return rc;
    path[0] = '\0'; /* a corrupt record goes too, but names no file we would remove */
    if (rc == FAAS_OK)
        join(path, dir, rt.file);
    faas_runtime_free(&rt);
    rc = faas_store_runtime_delete(store, name, err);
    if (rc == FAAS_ENOTFOUND) /* deleted by someone else meanwhile */
        return faas_error_set(err, FAAS_ENOTFOUND, "no runtime named '%s'", name);
    if (rc != FAAS_OK)
        return rc;
    if (path[0] != '\0' && unlink(path) != 0 && errno != ENOENT)
        faas_log_warn("runtimes: cannot remove %s: %s (cleanup will retry)", path, strerror(errno));
    return FAAS_OK;
}

/* 1 when name is a file cleanup may consider: "*.dockerfile" or our ".*.dockerfile.tmp". */
static int cleanable(const char *name)
{
    if (name[0] == '.')
        return ends_with(name, TEMP_SUFFIX) && strlen(name) > strlen(TEMP_SUFFIX) + 1;
    return ends_with(name, FILE_SUFFIX) && strlen(name) > strlen(FILE_SUFFIX);
}

static int named_by(const faas_runtime_t *rts, size_t n, const char *file)
{
    for (size_t i = 0; i < n; i++)
        if (rts[i].file != NULL && strcmp(rts[i].file, file) == 0)
            return 1;
    return 0;
}

long faas_runtimes_cleanup(faas_store_t *store, const char *data_dir, int64_t min_age_seconds, faas_error_t *err)
{
    char dir[PATH_MAX];
    if (folder_path(data_dir, dir, err) != FAAS_OK)
        return -1;
    /* Records first: a file written after this snapshot is younger than min_age, so it stays. */
    faas_runtime_t *rts = NULL;
    size_t n = 0;
    if (faas_store_runtime_list(store, &rts, &n, err) != FAAS_OK)
        return -1;
    DIR *d = opendir(dir);
    if (d == NULL) {
        int e = errno;
        faas_runtime_array_free(rts, n);
        if (e == ENOENT)
            return 0;
        faas_error_set(err, FAAS_EIO, "runtimes: cannot read %s: %s", dir, strerror(e));
        return -1;
    }
    time_t now = time(NULL);
    long removed = 0;
    for (struct dirent *de = readdir(d); de != NULL; de = readdir(d)) {
        struct stat st;
        if (!cleanable(de->d_name) || named_by(rts, n, de->d_name))
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if ((int64_t)(now - st.st_mtime) < min_age_seconds)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
            removed++;
        else if (errno != ENOENT)
            faas_log_warn("runtimes: cannot remove %s/%s: %s", dir, de->d_name, strerror(errno));
    }
    closedir(d);
    faas_runtime_array_free(rts, n);
    return removed;
}

/* ---- built-ins ---------------------------------------------------------------------------- */

/* What start-up finds of a built-in runtime. */
typedef enum builtin_state {
    BUILTIN_INTACT,  /* a record naming a non-empty regular file */
    BUILTIN_MISSING, /* no record */
    BUILTIN_BROKEN,  /* a record naming no file of ours, or a file that is gone or empty */
} builtin_state_t;

/* The state of runtime name into *state; an error only when the store cannot be read. */
static faas_err_t builtin_state(faas_store_t *store, const char *dir, const char *name, builtin_state_t *state,
                                faas_error_t *err)
{
    faas_runtime_t rt;
    faas_err_t rc = faas_store_runtime_get(store, name, &rt, err);
    *state = BUILTIN_MISSING;
    if (rc != FAAS_OK)
        return rc == FAAS_ENOTFOUND ? FAAS_OK : rc;
    char path[PATH_MAX];
    struct stat st;
    int ok = valid_file_name(rt.file);
    if (ok) {
        join(path, dir, rt.file);
        ok = stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    }
    faas_runtime_free(&rt);
    *state = ok ? BUILTIN_INTACT : BUILTIN_BROKEN;
    return FAAS_OK;
}

/* Older versions kept a marker of the built-ins they had created, so deleted ones stayed
 * deleted; built-ins cannot be deleted any more, and the marker means nothing now. */
static void remove_legacy_marker(const char *dir)
{
    char path[PATH_MAX];
    for (const char *const *m = (const char *const[]){LEGACY_MARKER, LEGACY_MARKER_TEMP, NULL}; *m; m++) {
        join(path, dir, *m);
        if (unlink(path) != 0 && errno != ENOENT)
            faas_log_warn("runtimes: cannot remove %s: %s", path, strerror(errno));
    }
}

faas_err_t faas_runtimes_seed(faas_store_t *store, const char *data_dir, faas_error_t *err)
{
    char dir[PATH_MAX];
    faas_err_t rc = make_folder(data_dir, dir, err);
    if (rc != FAAS_OK)
        return rc;
    remove_legacy_marker(dir);
    for (size_t i = 0; i < NBUILTINS; i++) {
        const builtin_t *b = &builtins[i];
        builtin_state_t state;
        rc = builtin_state(store, dir, b->name, &state, err);
        if (rc != FAAS_OK)
            return rc;
        if (state == BUILTIN_INTACT)
            continue; /* kept as it is, whatever its text */
        rc = store_new(store, data_dir, b->name, b->dockerfile, strlen(b->dockerfile), NULL, err);
        if (rc != FAAS_OK)
            return rc;
        if (state == BUILTIN_BROKEN)
            faas_log_warn("runtimes: restored the built-in runtime '%s': its Dockerfile was missing or empty", b->name);
        else
            faas_log_info("runtimes: created the built-in runtime '%s'", b->name);
    }
    return FAAS_OK;
}

/* ---- listing ------------------------------------------------------------------------------ */

faas_err_t faas_runtimes_list(faas_store_t *store, char ***names, size_t *n, faas_error_t *err)
{
    *names = NULL;
    *n = 0;
    faas_runtime_t *rts = NULL;
    size_t count = 0;
    faas_err_t rc = faas_store_runtime_list(store, &rts, &count, err);
    if (rc != FAAS_OK || count == 0)
        return rc;
    char **out = calloc(count, sizeof(*out));
    for (size_t i = 0; out != NULL && i < count; i++) {
        out[i] = rts[i].name; /* the store keeps them sorted by name */
        rts[i].name = NULL;
    }
    faas_runtime_array_free(rts, count);
    if (out == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "runtimes: out of memory listing runtimes");
    *names = out;
    *n = count;
    return FAAS_OK;
}

void faas_runtimes_names_free(char **names, size_t n)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
