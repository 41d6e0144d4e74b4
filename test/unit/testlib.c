/*
 * testlib.c: the harness behind testlib.h. Single-threaded use only
 * (checks from other threads must be joined before testlib_done).
 */
#include "testlib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures, checks;
static const char *current = "?";
static char tmpdirs[32][256];
static int ntmpdirs;

void testlib_run(const char *name, void (*fn)(void))
{
    int before = failures;
    current = name;
    fn();
    fprintf(stderr, "%s %s\n", failures == before ? "ok  " : "FAIL", name);
}

void testlib_check(int ok, const char *file, int line, const char *fmt, ...)
{
    checks++;
    if (ok)
        return;
    failures++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  %s:%d: in %s: ", file, line, current);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

const char *testlib_tmpdir(char *out, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, size, "%s/faas-test-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(out) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    if (ntmpdirs < 32)
        snprintf(tmpdirs[ntmpdirs++], sizeof(tmpdirs[0]), "%s", out);
    return out;
}

int testlib_write_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    size_t len = strlen(data);
    int ok = fwrite(data, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int testlib_done(void)
{
    for (int i = 0; i < ntmpdirs; i++)
        if (nftw(tmpdirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdirs[i]);
    fprintf(stderr, "%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
