/*
 * cli_zip.c (unit): a folder as an in-memory zip. The entries are the folder's files in name
 * order with their bytes, without what .faasignore and .git/ name; a symbolic link (even one
 * that stays inside) or a pipe is refused with its path named; a missing folder is an error.
 */
#include "faas/cli/zip.h"
#include "testlib.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The zip's entries as "path:content;" in order. */
static const char *entries(const faas_cli_zip_t *z)
{
    static char out[4096];
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    out[0] = '\0';
    archive_read_support_format_zip(a);
    if (archive_read_open_memory(a, z->data, z->len) != ARCHIVE_OK)
        return "(not a zip)";
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        char data[256] = "";
        la_ssize_t n = archive_read_data(a, data, sizeof(data) - 1);
        data[n > 0 ? n : 0] = '\0';
        data[strcspn(data, "\n")] = '\0';
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s:%s;", archive_entry_pathname(e), data);
    }
    archive_read_free(a);
    return out;
}

static void put(const char *dir, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    CHECK_INT(testlib_write_file(path, text), 0);
}

TEST(zips_what_is_not_ignored)
{
    char dir[256], path[512], err[512];
    testlib_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/.git", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/build", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/src", dir);
    mkdir(path, 0700);
    put(dir, "main.py", "print(1)\n");
    put(dir, "secret.txt", "s\n");
    put(dir, "a.log", "l\n");
    put(dir, "keep.log", "k\n");
    put(dir, ".git/config", "g\n");
    put(dir, "build/out", "o\n");
    put(dir, "src/lib.py", "x = 1\n");
    put(dir, ".faasignore", "secret.txt\n*.log\n!keep.log\nbuild/\n");
    faas_cli_zip_t z;
    CHECK_INT(faas_cli_zip_dir(dir, &z, err, sizeof(err)), 0);
    CHECK_STR(entries(&z), ".faasignore:secret.txt;keep.log:k;main.py:print(1);src/lib.py:x = 1;");
    CHECK_INT(z.files, 4);
    CHECK_INT(z.ignored, 4); /* .git, a.log, build, secret.txt */
    faas_cli_zip_free(&z);

    snprintf(path, sizeof(path), "%s/src/link.py", dir);
    CHECK_INT(symlink("lib.py", path), 0);
    CHECK_INT(faas_cli_zip_dir(dir, &z, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "src/link.py: a symbolic link");
    put(dir, ".faasignore", "link.py\n"); /* a link the rules leave out is fine */
    CHECK_INT(faas_cli_zip_dir(dir, &z, err, sizeof(err)), 0);
    CHECK(strstr(entries(&z), "src/link.py") == NULL);
    faas_cli_zip_free(&z);
    unlink(path);

    snprintf(path, sizeof(path), "%s/fifo", dir);
    CHECK_INT(mkfifo(path, 0600), 0);
    CHECK_INT(faas_cli_zip_dir(dir, &z, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "fifo: not a regular file");
    unlink(path);

    snprintf(path, sizeof(path), "%s/missing", dir);
    CHECK_INT(faas_cli_zip_dir(path, &z, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "No such file");
}

int main(void)
{
    RUN(zips_what_is_not_ignored);
    return testlib_done();
}
