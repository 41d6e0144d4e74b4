/*
 * runtimes.c (unit): the runtime service on a real store in temp folders: upload checks (the
 * FROM rule and what it skips, NUL, UTF-8, empty, size, names), put/read/list/delete, the
 * file-then-record ordering and orphan cleanup by age, replace leaving an orphan, the
 * built-in runtimes (refused to upload and delete; created at the first start; restored when
 * their record or file is missing, left alone when intact). Single-threaded.
 */
#include "faas/service/runtimes.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define MAX 4096
#define FILE_NAME_LEN 96 /* "<uuid>.dockerfile" and then some */

typedef struct env {
    char data[256];       /* data_dir */
    char dir[320];        /* data_dir/runtimes */
    faas_store_t *store;
} env_t;

static void env_open(env_t *e)
{
    char store_dir[320];
    testlib_tmpdir(e->data, sizeof(e->data));
    snprintf(e->dir, sizeof(e->dir), "%s/%s", e->data, FAAS_RUNTIMES_DIR);
    snprintf(store_dir, sizeof(store_dir), "%s/store", e->data);
    faas_error_t err = {0};
    e->store = NULL;
    faas_err_t rc = faas_store_open(store_dir, 0, &e->store, &err);
    testlib_check(rc == FAAS_OK, __FILE__, __LINE__, "store open: %s", err.msg);
}

static void env_close(env_t *e)
{
    faas_store_close(e->store);
    e->store = NULL;
}

static faas_err_t check(const char *text, faas_error_t *err)
{
    memset(err, 0, sizeof(*err));
    return faas_runtimes_check("rt", text, strlen(text), MAX, err);
}

static faas_err_t put(env_t *e, const char *name, const char *text, faas_runtime_t *out)
{
    faas_error_t err = {0};
    faas_err_t rc = faas_runtimes_put(e->store, e->data, name, text, strlen(text), MAX, out, &err);
    if (rc != FAAS_OK)
        fprintf(stderr, "  (put %s: %s)\n", name, err.msg);
    return rc;
}

/* The Dockerfile of name, or NULL (caller frees). */
static char *read_rt(env_t *e, const char *name, faas_error_t *err)
{
    char *text = NULL;
    size_t len = 0;
    memset(err, 0, sizeof(*err));
    if (faas_runtimes_read(e->store, e->data, name, &text, &len, err) != FAAS_OK)
        return NULL;
    if (strlen(text) != len) {
        free(text);
        return NULL;
    }
    return text;
}

/* "a,b,c" of the runtime names. */
static void names(env_t *e, char *out, size_t size)
{
    char **v = NULL;
    size_t n = 0, used = 0;
    faas_error_t err = {0};
    out[0] = '\0';
    CHECK_INT(faas_runtimes_list(e->store, &v, &n, &err), FAAS_OK);
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "", v[i]);
    faas_runtimes_names_free(v, n);
}

/* How many entries of dir (not . and ..) end with suffix. */
static int count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (d == NULL)
        return -1;
    for (struct dirent *de = readdir(d); de != NULL; de = readdir(d)) {
        size_t l = strlen(de->d_name), sl = strlen(suffix);
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 && l >= sl &&
            strcmp(de->d_name + l - sl, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static int exists(const char *dir, const char *file)
{
    char path[640];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

/* Writes dir/file and sets its modification time age_s seconds back. */
static void write_aged(const char *dir, const char *file, const char *text, int age_s)
{
    char path[640];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    CHECK_INT(testlib_write_file(path, text), 0);
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= age_s;
    ts[1] = ts[0];
    CHECK_INT(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void age_file(const char *dir, const char *file, int age_s)
{
    char path[640];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= age_s;
    ts[1] = ts[0];
    CHECK_INT(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Stores runtime name as an older faas (or a hand) may have left it: file, then record,
 * past the upload rules. */
static void plant(env_t *e, const char *name, const char *file, const char *text)
{
    char path[640];
    faas_error_t err = {0};
    mkdir(e->dir, 0700);
    snprintf(path, sizeof(path), "%s/%s", e->dir, file);
    CHECK_INT(testlib_write_file(path, text), 0);
    faas_runtime_t rt = {.name = (char *)name, .file = (char *)file, .created_at = 1};
    CHECK_INT(faas_store_runtime_put(e->store, &rt, &err), FAAS_OK);
}

/* The file the record of name names, into out ("" when none). */
static void file_of(env_t *e, const char *name, char *out, size_t size)
{
    faas_runtime_t rt;
    faas_error_t err = {0};
    out[0] = '\0';
    if (faas_store_runtime_get(e->store, name, &rt, &err) == FAAS_OK)
        snprintf(out, size, "%s", rt.file);
    faas_runtime_free(&rt);
}

static long cleanup(env_t *e, int64_t min_age)
{
    faas_error_t err = {0};
    long n = faas_runtimes_cleanup(e->store, e->data, min_age, &err);
    testlib_check(n >= 0, __FILE__, __LINE__, "cleanup: %s", err.msg);
    return n;
}

/* ---- the upload check ---------------------------------------------------------------------- */

TEST(check_accepts_dockerfiles)
{
    static const char *const good[] = {
        "FROM busybox\n",
        "FROM busybox",                                      /* no final newline */
        "from busybox\nRUN true\n",                          /* keywords are case-insensitive */
        "# a comment\n\n   \n# another\nFROM busybox\n",     /* comments and blank lines first */
        "# syntax=docker/dockerfile:1\n# check=skip=all\nFROM busybox\n", /* parser directives */
        "ARG BASE=busybox\nFROM $BASE\n",                    /* ARG before FROM */
        "ARG A=1 \\\n    B=2\nARG C\nFROM busybox\n",        /* an ARG continued over lines */
        "ARG A=1 \\\n# a comment inside the continuation\n  B=2\nFROM busybox\n",
        "# escape=`\nARG A=1 `\n  RUN=2\nFROM busybox\n",     /* the escape directive: "RUN=2" continues the ARG */
        "\xEF\xBB\xBF" "FROM busybox\n",                     /* a UTF-8 byte order mark */
        "\r\n# crlf\r\nFROM busybox\r\nCMD [\"x\"]\r\n",     /* CRLF line ends */
        "  \tFROM\tbusybox AS base\n",                       /* leading blanks, a tab after FROM */
        "# caf\xC3\xA9 \xE2\x98\x95 \xF0\x9F\x90\xB3\nFROM busybox\n", /* UTF-8 in comments */
    };
    faas_error_t err;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        faas_err_t rc = check(good[i], &err);
        testlib_check(rc == FAAS_OK, __FILE__, __LINE__, "good[%zu] refused: %s", i, err.msg);
    }
}

TEST(check_refuses_non_dockerfiles)
{
    faas_error_t err;
    CHECK_INT(check("RUN x\nFROM busybox\n", &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "not a Dockerfile: the first instruction must be FROM, but line 1 starts with RUN");
    CHECK_INT(check("# c\n\nENV A=1\nFROM busybox\n", &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "line 3 starts with ENV");
    CHECK_INT(check("ARG A=1\nRUN x\n", &err), FAAS_EINVAL); /* ARG, then not FROM */
    CHECK_CONTAINS(err.msg, "line 2 starts with RUN");
    CHECK_INT(check("ARG A=1\nRUN=2\nFROM x\n", &err), FAAS_EINVAL); /* no continuation without the escape */
    CHECK_INT(check("# only a comment\n\n", &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "not a Dockerfile: it has no FROM instruction");
    CHECK_INT(check("   \n\t\n", &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "no FROM instruction");
    CHECK_INT(check("FROM\n", &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "not a Dockerfile: FROM on line 1 names no image");
    CHECK_INT(check("FROM:latest\n", &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "line 1 does not start with an instruction");
    CHECK_INT(check("{\"json\": true}\n", &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "does not start with an instruction");
    CHECK_INT(check("PK\x03\x04 FROM x", &err), FAAS_EINVAL); /* a zip's first bytes */
    CHECK_INT(check("FROMAGE x\n", &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "starts with FROMAGE");

    static const char with_nul[] = "FROM busybox\n\0RUN x\n";
    CHECK_INT(faas_runtimes_check("rt", with_nul, sizeof(with_nul) - 1, MAX, &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "not a Dockerfile: it contains NUL bytes (binary data)");
    CHECK_INT(check("FROM busybox\n# caf\xE9\n", &err), FAAS_EINVAL); /* Latin-1, not UTF-8 */
    CHECK_STR(err.msg, "not a Dockerfile: it is not UTF-8 text (byte 18)");
    CHECK_INT(check("FROM busybox\n# \xC0\xAF\n", &err), FAAS_EINVAL); /* an overlong '/' */
    CHECK_INT(check("FROM busybox\n# \xED\xA0\x80\n", &err), FAAS_EINVAL); /* a surrogate */
    CHECK_INT(check("FROM busybox\n# \xE2\x98", &err), FAAS_EINVAL); /* cut short */

    CHECK_INT(check("", &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "the Dockerfile is empty");
    CHECK_INT(faas_runtimes_check("rt", NULL, 0, MAX, &err), FAAS_EINVAL);
    CHECK_INT(faas_runtimes_check("rt", "FROM busybox\n", 13, 12, &err), FAAS_ETOOLARGE);
    CHECK_STR(err.msg, "the Dockerfile is 13 bytes, more than the limit of 12 bytes");
    CHECK_INT(faas_runtimes_check("rt", "FROM busybox\n", 13, 13, &err), FAAS_OK); /* the limit itself is fine */
}

TEST(check_names)
{
    faas_error_t err = {0};
    const char *text = "FROM busybox\n";
    char longest[64], too_long[65];
    memset(longest, 'a', 63), longest[63] = '\0';
    memset(too_long, 'a', 64), too_long[64] = '\0';
    CHECK_INT(faas_runtimes_check(longest, text, strlen(text), MAX, &err), FAAS_OK);
    CHECK_INT(faas_runtimes_check("a-1", text, strlen(text), MAX, &err), FAAS_OK);
    static const char *const bad[] = {"Bad_Name", "UPPER", "-a", "a-", "", "a.b", "a/b", "a b", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        CHECK_INT(faas_runtimes_check(bad[i], text, strlen(text), MAX, &err), FAAS_EINVAL);
        CHECK_CONTAINS(err.msg, "invalid runtime name");
    }
    CHECK_INT(faas_runtimes_check(too_long, text, strlen(text), MAX, &err), FAAS_EINVAL);
    CHECK_INT(faas_runtimes_check("Bad_Name", "", 0, MAX, &err), FAAS_EINVAL); /* the name is checked first */
    CHECK_CONTAINS(err.msg, "invalid runtime name");
}

/* ---- put, read, list, delete ----------------------------------------------------------------- */

TEST(put_read_list_delete)
{
    env_t e;
    env_open(&e);
    char list[256];
    names(&e, list, sizeof(list));
    CHECK_STR(list, "");

    faas_runtime_t rt;
    CHECK_INT(put(&e, "node", "FROM node:20\nCMD [\"node\", \"main.js\"]\n", &rt), FAAS_OK);
    CHECK_STR(rt.name, "node");
    CHECK(rt.file != NULL && strlen(rt.file) == 36 + strlen(".dockerfile"));
    CHECK(rt.file != NULL && strstr(rt.file, ".dockerfile") != NULL && rt.file[14] == '4'); /* a UUIDv4 */
    CHECK(rt.created_at > 0);
    CHECK(exists(e.dir, rt.file));
    struct stat st;
    CHECK_INT(stat(e.dir, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0700);
    CHECK_INT(count_files(e.dir, ".tmp"), 0); /* no temp file left */

    faas_runtime_t rec;
    faas_error_t err = {0};
    CHECK_INT(faas_store_runtime_get(e.store, "node", &rec, &err), FAAS_OK);
    CHECK_STR(rec.file, rt.file);
    faas_runtime_free(&rec);
    faas_runtime_free(&rt);

    char *text = read_rt(&e, "node", &err);
    CHECK_STR(text, "FROM node:20\nCMD [\"node\", \"main.js\"]\n");
    free(text);

    CHECK_INT(put(&e, "b-rt", "FROM b\n", NULL), FAAS_OK);
    CHECK_INT(put(&e, "a-rt", "FROM a\n", NULL), FAAS_OK);
    names(&e, list, sizeof(list));
    CHECK_STR(list, "a-rt,b-rt,node");

    CHECK(read_rt(&e, "nope", &err) == NULL);
    CHECK_INT(err.code, FAAS_ENOTFOUND);
    CHECK_STR(err.msg, "no runtime named 'nope'");
    CHECK(read_rt(&e, "Bad_Name", &err) == NULL);
    CHECK_INT(err.code, FAAS_ENOTFOUND);

    CHECK_INT(faas_runtimes_delete(e.store, e.data, "b-rt", &err), FAAS_OK);
    names(&e, list, sizeof(list));
    CHECK_STR(list, "a-rt,node");
    CHECK_INT(count_files(e.dir, ".dockerfile"), 2); /* its file went with it */
    CHECK_INT(faas_runtimes_delete(e.store, e.data, "b-rt", &err), FAAS_ENOTFOUND);
    CHECK_STR(err.msg, "no runtime named 'b-rt'");
    CHECK_INT(faas_runtimes_delete(e.store, e.data, "Bad_Name", &err), FAAS_ENOTFOUND);

    /* Refused uploads leave nothing behind. */
    CHECK_INT(put(&e, "bad", "RUN x\n", NULL), FAAS_EINVAL);
    CHECK_INT(put(&e, "Bad_Name", "FROM x\n", NULL), FAAS_EINVAL);
    CHECK_INT(count_files(e.dir, ""), 2);
    names(&e, list, sizeof(list));
    CHECK_STR(list, "a-rt,node");
    env_close(&e);
}

TEST(builtins_cannot_be_overwritten_or_deleted)
{
    env_t e;
    env_open(&e);
    faas_error_t err = {0};
    CHECK(faas_runtimes_is_builtin("default") && faas_runtimes_is_builtin("python"));
    CHECK(faas_runtimes_is_builtin("go"));
    CHECK(!faas_runtimes_is_builtin("node") && !faas_runtimes_is_builtin("") && !faas_runtimes_is_builtin(NULL));
    CHECK(!faas_runtimes_is_builtin("pythonx") && !faas_runtimes_is_builtin("Default"));

    /* Refused even before they exist, and before the Dockerfile is looked at. */
    CHECK_INT(faas_runtimes_delete(e.store, e.data, "default", &err), FAAS_EFORBIDDEN);
    CHECK_STR(err.msg, "'default' is a built-in runtime and cannot be deleted");
    CHECK_INT(put(&e, "python", "FROM x\n", NULL), FAAS_EFORBIDDEN);
    CHECK_INT(faas_runtimes_check("go", "RUN x\n", 6, MAX, &err), FAAS_EFORBIDDEN);
    CHECK_STR(err.msg, "'go' is a built-in runtime and cannot be overwritten: "
                       "upload the Dockerfile under another name");
    CHECK_INT(faas_runtimes_check("Bad_Name", "FROM x\n", 7, MAX, &err), FAAS_EINVAL); /* the name rule first */

    CHECK_INT(faas_runtimes_seed(e.store, e.data, &err), FAAS_OK);
    const char *const all[] = {"default", "python", "go"};
    for (size_t i = 0; i < 3; i++) {
        char *before = read_rt(&e, all[i], &err);
        faas_runtime_t rt = {0};
        memset(&err, 0, sizeof(err));
        CHECK_INT(faas_runtimes_put(e.store, e.data, all[i], "FROM mine\n", 10, MAX, &rt, &err), FAAS_EFORBIDDEN);
        CHECK(rt.name == NULL && rt.file == NULL);
        CHECK_CONTAINS(err.msg, "is a built-in runtime and cannot be overwritten");
        CHECK_INT(faas_runtimes_delete(e.store, e.data, all[i], &err), FAAS_EFORBIDDEN);
        CHECK_CONTAINS(err.msg, "is a built-in runtime and cannot be deleted");
        char *after = read_rt(&e, all[i], &err);
        CHECK(before != NULL && after != NULL && strcmp(before, after) == 0);
        free(before);
        free(after);
    }
    CHECK_INT(count_files(e.dir, ".dockerfile"), 3); /* nothing written by the refused uploads */
    CHECK_INT(count_files(e.dir, ".tmp"), 0);
    env_close(&e);
}

TEST(missing_file_is_not_found)
{
    env_t e;
    env_open(&e);
    faas_runtime_t rt;
    faas_error_t err = {0};
    CHECK_INT(put(&e, "gone", "FROM x\n", &rt), FAAS_OK);
    char path[640];
    snprintf(path, sizeof(path), "%s/%s", e.dir, rt.file);
    CHECK_INT(unlink(path), 0); /* an operator removed it by hand */
    CHECK(read_rt(&e, "gone", &err) == NULL);
    CHECK_INT(err.code, FAAS_ENOTFOUND);
    CHECK_STR(err.msg, "runtime 'gone' has no Dockerfile");
    CHECK_INT(faas_runtimes_delete(e.store, e.data, "gone", &err), FAAS_OK); /* the record can still go */
    faas_runtime_free(&rt);

    /* A record naming something that is not one of our file names is refused, never opened. */
    faas_runtime_t evil = {.name = "evil", .file = "../store/data.mdb", .created_at = 1};
    CHECK_INT(faas_store_runtime_put(e.store, &evil, &err), FAAS_OK);
    CHECK(read_rt(&e, "evil", &err) == NULL);
    CHECK_INT(err.code, FAAS_ESTORE);
    CHECK_INT(faas_runtimes_delete(e.store, e.data, "evil", &err), FAAS_OK); /* removable; nothing unlinked */
    char store_file[640];
    snprintf(store_file, sizeof(store_file), "%s/store/data.mdb", e.data);
    CHECK_INT(access(store_file, F_OK), 0);
    CHECK(read_rt(&e, "evil", &err) == NULL);
    CHECK_INT(err.code, FAAS_ENOTFOUND);
    env_close(&e);
}

TEST(put_fails_cleanly_when_the_folder_is_unusable)
{
    env_t e;
    env_open(&e);
    CHECK_INT(testlib_write_file(e.dir, "a file where the folder should be"), 0);
    faas_error_t err = {0};
    CHECK_INT(faas_runtimes_put(e.store, e.data, "x", "FROM x\n", 7, MAX, NULL, &err), FAAS_EIO);
    CHECK_CONTAINS(err.msg, "is not a directory");
    faas_runtime_t rec;
    CHECK_INT(faas_store_runtime_get(e.store, "x", &rec, &err), FAAS_ENOTFOUND); /* no record without a file */
    env_close(&e);
}

/* ---- ordering, replace and cleanup ------------------------------------------------------------ */

TEST(cleanup_removes_only_old_orphans)
{
    env_t e;
    env_open(&e);
    CHECK_INT(cleanup(&e, 0), 0); /* no folder yet: nothing to do */
    faas_runtime_t rt;
    CHECK_INT(put(&e, "kept", "FROM x\n", &rt), FAAS_OK);
    age_file(e.dir, rt.file, 3600); /* old, but named by a record */

    /* A crash between the file and its record leaves exactly this: a file nothing names. */
    write_aged(e.dir, "11111111-1111-4111-8111-111111111111.dockerfile", "FROM orphan\n", 3600);
    write_aged(e.dir, "22222222-2222-4222-8222-222222222222.dockerfile", "FROM young\n", 0);
    write_aged(e.dir, ".33333333-3333-4333-8333-333333333333.dockerfile.tmp", "FROM half", 3600);
    write_aged(e.dir, ".44444444-4444-4444-8444-444444444444.dockerfile.tmp", "FROM half", 0);
    write_aged(e.dir, "README", "not ours\n", 3600);
    write_aged(e.dir, ".seeded", "default\n", 3600);
    write_aged(e.dir, "notes.txt", "not ours\n", 3600);

    CHECK_INT(cleanup(&e, 60), 2);
    CHECK(exists(e.dir, rt.file));
    CHECK(!exists(e.dir, "11111111-1111-4111-8111-111111111111.dockerfile"));
    CHECK(exists(e.dir, "22222222-2222-4222-8222-222222222222.dockerfile")); /* an upload in progress */
    CHECK(!exists(e.dir, ".33333333-3333-4333-8333-333333333333.dockerfile.tmp"));
    CHECK(exists(e.dir, ".44444444-4444-4444-8444-444444444444.dockerfile.tmp"));
    CHECK(exists(e.dir, "README") && exists(e.dir, ".seeded") && exists(e.dir, "notes.txt"));

    CHECK_INT(cleanup(&e, 0), 2); /* min_age 0: the young ones go too, the named one never */
    CHECK(exists(e.dir, rt.file));
    char *text = NULL;
    faas_error_t err = {0};
    text = read_rt(&e, "kept", &err);
    CHECK_STR(text, "FROM x\n");
    free(text);
    faas_runtime_free(&rt);
    env_close(&e);
}

TEST(replace_leaves_an_orphan_for_cleanup)
{
    env_t e;
    env_open(&e);
    faas_runtime_t v1, v2;
    CHECK_INT(put(&e, "app", "FROM v1\n", &v1), FAAS_OK);
    CHECK_INT(put(&e, "app", "FROM v2\n", &v2), FAAS_OK);
    CHECK(strcmp(v1.file, v2.file) != 0); /* a new file, never rewritten in place */
    CHECK(exists(e.dir, v1.file) && exists(e.dir, v2.file));
    faas_error_t err = {0};
    char *text = read_rt(&e, "app", &err);
    CHECK_STR(text, "FROM v2\n");
    free(text);
    char list[64];
    names(&e, list, sizeof(list));
    CHECK_STR(list, "app");

    CHECK_INT(cleanup(&e, 60), 0); /* v1's file is young: kept for now */
    age_file(e.dir, v1.file, 120);
    age_file(e.dir, v2.file, 120);
    CHECK_INT(cleanup(&e, 60), 1);
    CHECK(!exists(e.dir, v1.file));
    CHECK(exists(e.dir, v2.file));
    faas_runtime_free(&v1);
    faas_runtime_free(&v2);
    env_close(&e);
}

/* ---- built-ins ------------------------------------------------------------------------------ */

TEST(seed_creates_builtins_once)
{
    env_t e;
    env_open(&e);
    faas_error_t err = {0};
    CHECK_INT(faas_runtimes_seed(e.store, e.data, &err), FAAS_OK);
    char list[128];
    names(&e, list, sizeof(list));
    CHECK_STR(list, "default,go,python");
    CHECK_INT(count_files(e.dir, ".dockerfile"), 3);
    struct stat st;
    CHECK_INT(stat(e.dir, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0700);

    char *text = read_rt(&e, "default", &err);
    CHECK(text != NULL && strncmp(text, "# faas runtime \"default\"", 24) == 0);
    CHECK_CONTAINS(text, "\nFROM python:3.11-slim\nWORKDIR /app\nCOPY . /app\n");
    CHECK_CONTAINS(text, "CMD [\"python3\", \"main.py\"]\n");
    free(text);
    text = read_rt(&e, "python", &err);
    CHECK_CONTAINS(text, "ARG HANDLER=main.py\n");
    CHECK_CONTAINS(text, "CMD [\"sh\", \"-c\", \"exec python3 \\\"$FAAS_HANDLER\\\" 2>&1\"]\n");
    free(text);
    text = read_rt(&e, "go", &err);
    CHECK_CONTAINS(text, "FROM golang:1.19 AS build\n");
    CHECK_CONTAINS(text, "go build -mod=$mod -o /out/handler .\nFROM scratch\n");
    CHECK_CONTAINS(text, "COPY --from=build /out/run /out/handler /\nCMD [\"/run\"]\n");
    free(text);
    for (const char *const *n = (const char *const[]){"default", "python", "go", NULL}; *n; n++) {
        text = read_rt(&e, *n, &err); /* each would pass the upload rules under a name of its own */
        CHECK(text != NULL && faas_runtimes_check("copy", text, strlen(text), MAX, &err) == FAAS_OK);
        free(text);
    }

    /* Once: a second start changes nothing. */
    char files[3][FILE_NAME_LEN];
    file_of(&e, "default", files[0], sizeof(files[0]));
    file_of(&e, "python", files[1], sizeof(files[1]));
    file_of(&e, "go", files[2], sizeof(files[2]));
    CHECK_INT(faas_runtimes_seed(e.store, e.data, &err), FAAS_OK);
    CHECK_INT(count_files(e.dir, ".dockerfile"), 3);
    char now[FILE_NAME_LEN];
    file_of(&e, "default", now, sizeof(now));
    CHECK_STR(now, files[0]);
    file_of(&e, "python", now, sizeof(now));
    CHECK_STR(now, files[1]);
    file_of(&e, "go", now, sizeof(now));
    CHECK_STR(now, files[2]);
    env_close(&e);
}

/* Removes the file the record of name names. */
static void remove_file_of(env_t *e, const char *name)
{
    char file[FILE_NAME_LEN], path[640];
    file_of(e, name, file, sizeof(file));
    snprintf(path, sizeof(path), "%s/%s", e->dir, file);
    CHECK_INT(unlink(path), 0);
}

TEST(seed_restores_missing_builtins)
{
    env_t e;
    env_open(&e);
    faas_error_t err = {0};
    CHECK_INT(faas_runtimes_seed(e.store, e.data, &err), FAAS_OK);
    char *original = read_rt(&e, "python", &err);
    char before[FILE_NAME_LEN], after[FILE_NAME_LEN];
    file_of(&e, "python", before, sizeof(before));

    /* The file removed by hand: the record stays, the read fails, the next start restores it. */
    remove_file_of(&e, "python");
    CHECK(read_rt(&e, "python", &err) == NULL);
    CHECK_STR(err.msg, "runtime 'python' has no Dockerfile");
    CHECK_INT(faas_runtimes_seed(e.store, e.data, &err), FAAS_OK);
    file_of(&e, "python", after, sizeof(after));
    CHECK(strcmp(before, after) != 0 && exists(e.dir, after));
    char *text = read_rt(&e, "python", &err);
    CHECK(text != NULL && original != NULL && strcmp(text, original) == 0);
    free(text);

    /* The record gone (store damage, or a version that let it be deleted): created again. */
    CHECK_INT(faas_store_runtime_delete(e.store, "default", &err), FAAS_OK);
    /* An empty file, a record naming no file of ours: both restored. */
    char path[640];
    file_of(&e, "go", before, sizeof(before));
    snprintf(path, sizeof(path), "%s/%s", e.dir, before);
    CHECK_INT(testlib_write_file(path, ""), 0);
    CHECK_INT(faas_runtimes_seed(e.store, e.data, &err), FAAS_OK);
    char list[128];
    names(&e, list, sizeof(list));
    CHECK_STR(list, "default,go,python");
    text = read_rt(&e, "default", &err);
    CHECK(text != NULL && strstr(text, "FROM python:3.11-slim") != NULL);
    free(text);
    text = read_rt(&e, "go", &err);
    CHECK(text != NULL && strstr(text, "FROM golang:1.19 AS build") != NULL);
    free(text);
    faas_runtime_t evil = {.name = "python", .file = "../store/data.mdb", .created_at = 1};
    CHECK_INT(faas_store_runtime_put(e.store, &evil, &err), FAAS_OK);
    CHECK_INT(faas_runtimes_seed(e.store, e.data, &err), FAAS_OK);
    text = read_rt(&e, "python", &err);
    CHECK(text != NULL && original != NULL && strcmp(text, original) == 0);
    free(text);
    free(original);
    env_close(&e);
}

TEST(seed_keeps_intact_builtins)
{
    env_t e;
    env_open(&e);
    faas_error_t err = {0};
    /* A go runtime an older version let the operator upload, and the marker that version kept
     * (python "deleted" then): the go runtime stays as it is, python comes back, the marker goes. */
    plant(&e, "go", "11111111-1111-4111-8111-111111111111.dockerfile", "FROM my-go\n");
    char path[640];
    snprintf(path, sizeof(path), "%s/.seeded", e.dir);
    CHECK_INT(testlib_write_file(path, "default\npython\ngo\n"), 0);
    snprintf(path, sizeof(path), "%s/.seeded.tmp", e.dir);
    CHECK_INT(testlib_write_file(path, "defa"), 0);
    CHECK_INT(faas_runtimes_seed(e.store, e.data, &err), FAAS_OK);
    char *text = read_rt(&e, "go", &err);
    CHECK_STR(text, "FROM my-go\n");
    free(text);
    char list[128];
    names(&e, list, sizeof(list));
    CHECK_STR(list, "default,go,python");
    CHECK(!exists(e.dir, ".seeded") && !exists(e.dir, ".seeded.tmp"));
    CHECK_INT(count_files(e.dir, ".dockerfile"), 3);

    /* seed fails cleanly, with a message, when the folder cannot be made. */
    env_t bad;
    env_open(&bad);
    CHECK_INT(testlib_write_file(bad.dir, "x"), 0);
    CHECK_INT(faas_runtimes_seed(bad.store, bad.data, &err), FAAS_EIO);
    CHECK_CONTAINS(err.msg, "runtimes:");
    env_close(&bad);
    env_close(&e);
}

int main(void)
{
    RUN(check_accepts_dockerfiles);
    RUN(check_refuses_non_dockerfiles);
    RUN(check_names);
    RUN(put_read_list_delete);
    RUN(builtins_cannot_be_overwritten_or_deleted);
    RUN(missing_file_is_not_found);
    RUN(put_fails_cleanly_when_the_folder_is_unusable);
    RUN(cleanup_removes_only_old_orphans);
    RUN(replace_leaves_an_orphan_for_cleanup);
    RUN(seed_creates_builtins_once);
    RUN(seed_restores_missing_builtins);
    RUN(seed_keeps_intact_builtins);
    return testlib_done();
}
