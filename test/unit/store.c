/*
 * store.c (test): the LMDB store: open/reopen/schema, functions and the functionId index,
 * atomic updates from two threads, runtimes, builds and their logs, invocation retention,
 * blobs, corrupt records, a full map, and readers running beside a writer.
 * Threads: the tests start their own threads and join them before checking.
 * Raw LMDB is used only to play a newer faas or a corrupted disk.
 */
#include "faas/store/store.h"

#include <lmdb.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testlib.h"

/* Opens a fresh store in a new temp dir; its path goes into dir (DIR_MAX bytes). */
#define DIR_MAX 320
static faas_store_t *fresh(char *dir, size_t map_size)
{
    char base[256];
    testlib_tmpdir(base, sizeof(base));
    snprintf(dir, DIR_MAX, "%s/db", base);
    faas_store_t *s = NULL;
    faas_error_t err = {0};
    faas_err_t rc = faas_store_open(dir, map_size, &s, &err);
    testlib_check(rc == FAAS_OK, __FILE__, __LINE__, "open: %s", err.msg);
    return s;
}

static faas_function_t mkfn(const char *name, const char *id)
{
    faas_function_t f = {0};
    f.name = strdup(name);
    f.id = strdup(id);
    f.kind = FAAS_KIND_SERVICE;
    f.status = FAAS_FUNCTION_RUNNING;
    f.tag = strdup("faas/x:1");
    return f;
}

static int found_by_id(faas_store_t *s, const char *id, const char *want_name);

static faas_err_t put(faas_store_t *s, const char *name, const char *id)
{
    faas_function_t f = mkfn(name, id);
    faas_err_t rc = faas_store_function_put(s, &f, NULL);
    faas_function_free(&f);
    return rc;
}

/* Writes key=val into sub-database db of the (closed) store at dir, as another program would. */
static void raw_put(const char *dir, const char *db, const char *key, const void *val, size_t len)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    CHECK_INT(mdb_env_open(env, dir, MDB_NOTLS, 0600), 0);
    CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_INT(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
    MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
    CHECK_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* Reads key of sub-database db of the (closed) store at dir into buf as a string. */
static void raw_get(const char *dir, const char *db, const char *key, char *buf, size_t size)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    buf[0] = '\0';
    CHECK_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    CHECK_INT(mdb_env_open(env, dir, MDB_NOTLS | MDB_RDONLY, 0600), 0);
    CHECK_INT(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_INT(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_val k = {strlen(key), (void *)key}, v;
    if (mdb_get(txn, dbi, &k, &v) == 0 && v.mv_size < size) {
        memcpy(buf, v.mv_data, v.mv_size);
        buf[v.mv_size] = '\0';
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
}

/* ---- environment ---- */

TEST(open_creates_private_dir_and_reopen_keeps_data)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    struct stat st;
    CHECK_INT(stat(dir, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0700);
    CHECK_INT(put(s, "keep", "id-keep"), FAAS_OK);
    faas_store_close(s);
    faas_error_t err = {0};
    CHECK_INT(faas_store_open(dir, 0, &s, &err), FAAS_OK);
    faas_function_t f;
    CHECK_INT(faas_store_function_get(s, "keep", &f, NULL), FAAS_OK);
    CHECK_STR(f.id, "id-keep");
    faas_function_free(&f);
    faas_store_close(s);
    faas_store_close(NULL);
}

TEST(schema_written_and_future_schema_refused)
{
    char dir[DIR_MAX], schema[16];
    faas_store_t *s = fresh(dir, 0);
    faas_store_close(s);
    raw_get(dir, "meta", "schema", schema, sizeof(schema));
    CHECK_STR(schema, "1");
    raw_put(dir, "meta", "schema", "2", 1);
    faas_error_t err = {0};
    s = (faas_store_t *)1;
    CHECK_INT(faas_store_open(dir, 0, &s, &err), FAAS_ESTORE);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "schema 2 is newer");
    raw_put(dir, "meta", "schema", "x", 1);
    CHECK_INT(faas_store_open(dir, 0, &s, &err), FAAS_ESTORE);
    CHECK_CONTAINS(err.msg, "corrupt");
}

TEST(open_fails_cleanly_on_a_file)
{
    char base[256], path[300];
    testlib_tmpdir(base, sizeof(base));
    snprintf(path, sizeof(path), "%s/file", base);
    CHECK_INT(testlib_write_file(path, "x"), 0);
    faas_store_t *s;
    faas_error_t err = {0};
    CHECK_INT(faas_store_open(path, 0, &s, &err), FAAS_EIO);
    CHECK(s == NULL);
}

/* ---- functions ---- */

TEST(function_put_get_list_delete)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    faas_error_t err = {0};
    faas_function_t f;
    CHECK_INT(faas_store_function_get(s, "nope", &f, &err), FAAS_ENOTFOUND);
    CHECK_CONTAINS(err.msg, "not found");
    CHECK_INT(faas_store_function_get(s, "Not A Name", &f, NULL), FAAS_ENOTFOUND);
    CHECK_INT(put(s, "zeta", "id-z"), FAAS_OK);
    CHECK_INT(put(s, "alpha", "id-a"), FAAS_OK);
    CHECK_INT(put(s, "mid", "id-m"), FAAS_OK);
    CHECK_INT(put(s, "Bad", "id-b"), FAAS_EINVAL);
    CHECK_INT(put(s, "ok", "has space"), FAAS_EINVAL);
    CHECK_INT(put(s, "ok", ""), FAAS_EINVAL);
    faas_function_t *all;
    size_t n;
    CHECK_INT(faas_store_function_list(s, &all, &n, NULL), FAAS_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(all[0].name, "alpha");
        CHECK_STR(all[1].name, "mid");
        CHECK_STR(all[2].name, "zeta");
        CHECK_STR(all[2].tag, "faas/x:1");
    }
    faas_function_array_free(all, n);
    CHECK_INT(faas_store_function_delete(s, "mid", NULL), FAAS_OK);
    CHECK_INT(faas_store_function_delete(s, "mid", &err), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_function_get(s, "mid", &f, NULL), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_function_list(s, &all, &n, NULL), FAAS_OK);
    CHECK_INT(n, 2);
    faas_function_array_free(all, n);
    faas_function_t fn = mkfn("alpha", "id-a2");
    CHECK_INT(faas_store_function_create(s, &fn, &err), FAAS_ECONFLICT);
    free(fn.name);
    fn.name = strdup("beta");
    CHECK_INT(faas_store_function_create(s, &fn, &err), FAAS_OK);
    faas_function_free(&fn);
    faas_store_close(s);
}

/* A record the parser would refuse is refused at write time, so nothing unreadable is stored. */
TEST(unreadable_records_are_refused_on_write)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    faas_error_t err = {0};
    faas_function_t f = mkfn("f", "id-f");
    f.status = (faas_function_status_t)42;
    CHECK_INT(faas_store_function_put(s, &f, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "status");
    f.status = FAAS_FUNCTION_STOPPED;
    f.env_len = 1;
    f.env = calloc(1, sizeof(*f.env));
    f.env[0].name = strdup("");
    f.env[0].value = strdup("v");
    CHECK_INT(faas_store_function_put(s, &f, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "env");
    faas_function_free(&f);
    CHECK_INT(faas_store_function_get(s, "f", &f, NULL), FAAS_ENOTFOUND);
    CHECK(found_by_id(s, "id-f", NULL));
    faas_invocation_t inv = {(char *)"i", (char *)"id-f", 1, 1, 0, (faas_invocation_status_t)9, NULL};
    CHECK_INT(put(s, "f", "id-f"), FAAS_OK);
    CHECK_INT(faas_store_invocation_put(s, &inv, 0, &err), FAAS_EINVAL);
    faas_store_close(s);
}

TEST(function_list_empty)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    faas_function_t *all = (faas_function_t *)1;
    size_t n = 9;
    CHECK_INT(faas_store_function_list(s, &all, &n, NULL), FAAS_OK);
    CHECK(all == NULL);
    CHECK_INT(n, 0);
    faas_store_close(s);
}

static int found_by_id(faas_store_t *s, const char *id, const char *want_name)
{
    faas_function_t f;
    faas_err_t rc = faas_store_function_get_by_id(s, id, &f, NULL);
    int ok = want_name == NULL ? rc == FAAS_ENOTFOUND : rc == FAAS_OK && strcmp(f.name, want_name) == 0;
    faas_function_free(&f);
    return ok;
}

TEST(function_id_index_follows_replace_rename_delete)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    faas_error_t err = {0};
    CHECK_INT(put(s, "a", "id-1"), FAAS_OK);
    CHECK(found_by_id(s, "id-1", "a"));
    CHECK(found_by_id(s, "id-nope", NULL));
    CHECK(found_by_id(s, "", NULL));
    /* Replacing a with the same id keeps it; with a new id drops the old one. */
    CHECK_INT(put(s, "a", "id-1"), FAAS_OK);
    CHECK(found_by_id(s, "id-1", "a"));
    CHECK_INT(put(s, "a", "id-2"), FAAS_OK);
    CHECK(found_by_id(s, "id-1", NULL));
    CHECK(found_by_id(s, "id-2", "a"));
    /* Another name may not take a's id ... */
    faas_function_t b = mkfn("b", "id-2");
    CHECK_INT(faas_store_function_put(s, &b, &err), FAAS_ECONFLICT);
    CHECK_CONTAINS(err.msg, "belongs to function 'a'");
    faas_function_free(&b);
    CHECK_INT(faas_store_function_get(s, "b", &b, NULL), FAAS_ENOTFOUND);
    /* ... but may take a freed id (a rename: a gives up id-2, b takes it). */
    CHECK_INT(put(s, "a", "id-3"), FAAS_OK);
    CHECK_INT(put(s, "b", "id-2"), FAAS_OK);
    CHECK(found_by_id(s, "id-2", "b"));
    CHECK(found_by_id(s, "id-3", "a"));
    CHECK_INT(faas_store_function_delete(s, "a", NULL), FAAS_OK);
    CHECK(found_by_id(s, "id-3", NULL));
    CHECK_INT(put(s, "c", "id-3"), FAAS_OK);
    CHECK(found_by_id(s, "id-3", "c"));
    faas_store_close(s);
}

static faas_err_t on_increment(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    fn->last_executed++;
    fn->port = (int)(fn->last_executed % 60000);
    return FAAS_OK;
}

typedef struct {
    faas_store_t *s;
    int failures;
} incr_arg_t;

static void *incrementer(void *p)
{
    incr_arg_t *a = p;
    for (int i = 0; i < 200; i++)
        if (faas_store_function_update(a->s, "counter", on_increment, NULL, NULL, NULL) != FAAS_OK)
            a->failures++;
    return NULL;
}

TEST(update_is_atomic_across_threads)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    CHECK_INT(put(s, "counter", "id-c"), FAAS_OK);
    incr_arg_t a = {s, 0}, b = {s, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, incrementer, &a);
    pthread_create(&tb, NULL, incrementer, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_INT(a.failures + b.failures, 0);
    faas_function_t f;
    CHECK_INT(faas_store_function_get(s, "counter", &f, NULL), FAAS_OK);
    CHECK_INT(f.last_executed, 400);
    faas_function_free(&f);
    faas_store_close(s);
}

static faas_err_t on_refuse(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    fn->port = 1234;
    return faas_error_set(err, FAAS_ECONFLICT, "already running");
}

static faas_err_t on_rename(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    free(fn->name);
    fn->name = strdup("other");
    return FAAS_OK;
}

static faas_err_t on_steal_id(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    free(fn->id);
    fn->id = strdup(cbdata);
    return FAAS_OK;
}

TEST(update_errors_leave_record_unchanged)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    faas_error_t err = {0};
    faas_function_t out;
    CHECK_INT(faas_store_function_update(s, "ghost", on_increment, NULL, &out, &err), FAAS_ENOTFOUND);
    CHECK_INT(put(s, "f", "id-f"), FAAS_OK);
    CHECK_INT(put(s, "g", "id-g"), FAAS_OK);
    CHECK_INT(faas_store_function_update(s, "f", on_refuse, NULL, &out, &err), FAAS_ECONFLICT);
    CHECK_STR(err.msg, "already running");
    CHECK(out.name == NULL);
    CHECK_INT(faas_store_function_update(s, "f", on_rename, NULL, NULL, &err), FAAS_EINVAL);
    CHECK_INT(faas_store_function_update(s, "f", on_steal_id, "id-g", NULL, &err), FAAS_ECONFLICT);
    faas_function_t f;
    CHECK_INT(faas_store_function_get(s, "f", &f, NULL), FAAS_OK);
    CHECK_INT(f.port, 0);
    CHECK_STR(f.id, "id-f");
    faas_function_free(&f);
    CHECK_INT(faas_store_function_update(s, "f", on_increment, NULL, &out, &err), FAAS_OK);
    CHECK_INT(out.last_executed, 1);
    faas_function_free(&out);
    /* An update that changes the id moves the index entry. */
    CHECK_INT(faas_store_function_update(s, "f", on_steal_id, "id-f2", NULL, &err), FAAS_OK);
    CHECK(found_by_id(s, "id-f", NULL));
    CHECK(found_by_id(s, "id-f2", "f"));
    faas_store_close(s);
}

TEST(corrupt_records_are_reported_skipped_and_deletable)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    CHECK_INT(put(s, "good", "id-good"), FAAS_OK);
    CHECK_INT(put(s, "bad", "id-bad"), FAAS_OK);
    faas_store_close(s);
    const char *broken = "{\"functionId\":\"id-bad\",\"name\":7";
    raw_put(dir, "functions", "bad", broken, strlen(broken));
    raw_put(dir, "functions", "worse", "\x00\xff", 2);
    faas_error_t err = {0};
    CHECK_INT(faas_store_open(dir, 0, &s, &err), FAAS_OK);
    faas_function_t f;
    CHECK_INT(faas_store_function_get(s, "bad", &f, &err), FAAS_ESTORE);
    CHECK_CONTAINS(err.msg, "corrupt function 'bad'");
    CHECK_INT(faas_store_function_get_by_id(s, "id-bad", &f, &err), FAAS_ESTORE);
    faas_function_t *all;
    size_t n;
    CHECK_INT(faas_store_function_list(s, &all, &n, NULL), FAAS_OK);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(all[0].name, "good");
    faas_function_array_free(all, n);
    /* A corrupt record can be replaced or deleted, and its id index entry goes with it. */
    CHECK_INT(put(s, "worse", "id-worse"), FAAS_OK);
    CHECK_INT(faas_store_function_delete(s, "bad", &err), FAAS_OK);
    CHECK(found_by_id(s, "id-bad", NULL));
    CHECK_INT(put(s, "new", "id-bad"), FAAS_OK);
    CHECK(found_by_id(s, "id-bad", "new"));
    faas_store_close(s);
}

/* ---- runtimes ---- */

TEST(runtime_put_get_list_delete)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    const char *names[] = {"python", "default", "go"};
    for (int i = 0; i < 3; i++) {
        faas_runtime_t r = {(char *)names[i], (char *)"f.dockerfile", i};
        CHECK_INT(faas_store_runtime_put(s, &r, NULL), FAAS_OK);
    }
    faas_runtime_t bad = {(char *)"", NULL, 0};
    CHECK_INT(faas_store_runtime_put(s, &bad, NULL), FAAS_EINVAL);
    faas_runtime_t r;
    CHECK_INT(faas_store_runtime_get(s, "go", &r, NULL), FAAS_OK);
    CHECK_STR(r.file, "f.dockerfile");
    CHECK_INT(r.created_at, 2);
    faas_runtime_free(&r);
    CHECK_INT(faas_store_runtime_get(s, "rust", &r, NULL), FAAS_ENOTFOUND);
    faas_runtime_t *all;
    size_t n;
    CHECK_INT(faas_store_runtime_list(s, &all, &n, NULL), FAAS_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(all[0].name, "default");
        CHECK_STR(all[1].name, "go");
        CHECK_STR(all[2].name, "python");
    }
    faas_runtime_array_free(all, n);
    CHECK_INT(faas_store_runtime_delete(s, "go", NULL), FAAS_OK);
    CHECK_INT(faas_store_runtime_delete(s, "go", NULL), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_runtime_list(s, &all, &n, NULL), FAAS_OK);
    CHECK_INT(n, 2);
    faas_runtime_array_free(all, n);
    faas_store_close(s);
}

/* ---- builds ---- */

static faas_err_t put_build(faas_store_t *s, const char *id, const char *fn)
{
    faas_build_t b = {(char *)id, (char *)fn, FAAS_BUILD_BUILDING, 10, 0, NULL};
    return faas_store_build_put(s, &b, NULL);
}

TEST(build_put_get_and_log)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    faas_error_t err = {0};
    CHECK_INT(put_build(s, "b1", "fn"), FAAS_ENOTFOUND);
    CHECK_INT(put(s, "fn", "id-fn"), FAAS_OK);
    CHECK_INT(put_build(s, "b1", "fn"), FAAS_OK);
    CHECK_INT(put_build(s, "b 1", "fn"), FAAS_EINVAL);
    faas_build_t b;
    CHECK_INT(faas_store_build_get(s, "b1", &b, NULL), FAAS_OK);
    CHECK_STR(b.function, "fn");
    CHECK_INT(b.status, FAAS_BUILD_BUILDING);
    faas_build_free(&b);
    CHECK_INT(faas_store_build_get(s, "b2", &b, NULL), FAAS_ENOTFOUND);
    char *log;
    size_t len;
    CHECK_INT(faas_store_build_log_read(s, "b1", 0, &log, &len, NULL), FAAS_OK);
    CHECK_STR(log, "");
    CHECK_INT(len, 0);
    free(log);
    CHECK_INT(faas_store_build_log_append(s, "b2", "x", 1, &err), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_build_log_read(s, "b2", 0, &log, &len, &err), FAAS_ENOTFOUND);
    /* 300 chunks of growing size ("line 0\n" ...): whole log, and tails cutting chunks. */
    size_t cap = 1 << 16, total = 0;
    char *want = malloc(cap);
    for (int i = 0; i < 300; i++) {
        char line[32];
        int n = snprintf(line, sizeof(line), "line %d\n", i);
        CHECK_INT(faas_store_build_log_append(s, "b1", line, (size_t)n, NULL), FAAS_OK);
        memcpy(want + total, line, (size_t)n);
        total += (size_t)n;
    }
    want[total] = '\0';
    CHECK_INT(faas_store_build_log_append(s, "b1", "", 0, NULL), FAAS_OK);
    CHECK_INT(faas_store_build_log_read(s, "b1", 0, &log, &len, NULL), FAAS_OK);
    CHECK_INT(len, total);
    CHECK(log != NULL && strcmp(log, want) == 0);
    free(log);
    size_t tails[] = {1, 5, 9, 10, 100, total - 1, total, total + 50};
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        size_t t = tails[i], expect = t < total ? t : total;
        CHECK_INT(faas_store_build_log_read(s, "b1", t, &log, &len, NULL), FAAS_OK);
        CHECK_INT(len, expect);
        CHECK(log != NULL && strcmp(log, want + total - expect) == 0);
        free(log);
    }
    CHECK_INT(faas_store_build_log_read(s, "b1", 9, &log, &len, NULL), FAAS_OK);
    CHECK_STR(log, "line 299\n");
    free(log);
    free(want);
    faas_store_close(s);
}

TEST(build_logs_keep_binary_and_stay_separate)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    CHECK_INT(put(s, "fn", "id-fn"), FAAS_OK);
    /* "b" is a prefix of "b2": their logs must not mix. */
    CHECK_INT(put_build(s, "b", "fn"), FAAS_OK);
    CHECK_INT(put_build(s, "b2", "fn"), FAAS_OK);
    CHECK_INT(faas_store_build_log_append(s, "b", "a\0b", 3, NULL), FAAS_OK);
    CHECK_INT(faas_store_build_log_append(s, "b2", "zz", 2, NULL), FAAS_OK);
    CHECK_INT(faas_store_build_log_append(s, "b", "c", 1, NULL), FAAS_OK);
    char *log;
    size_t len;
    CHECK_INT(faas_store_build_log_read(s, "b", 0, &log, &len, NULL), FAAS_OK);
    CHECK_INT(len, 4);
    CHECK(memcmp(log, "a\0bc", 4) == 0);
    free(log);
    CHECK_INT(faas_store_build_log_read(s, "b2", 0, &log, &len, NULL), FAAS_OK);
    CHECK_STR(log, "zz");
    free(log);
    faas_store_close(s);
}

/* ---- invocations ---- */

static faas_err_t put_inv(faas_store_t *s, const char *id, const char *fid, int64_t started, size_t keep)
{
    faas_invocation_t inv = {(char *)id, (char *)fid, started, 5, 0, FAAS_INVOCATION_SUCCEEDED, (char *)"out"};
    return faas_store_invocation_put(s, &inv, keep, NULL);
}

TEST(invocation_retention_and_newest_first)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    CHECK_INT(put_inv(s, "i0", "id-job", 1, 0), FAAS_ENOTFOUND);
    CHECK_INT(put(s, "job", "id-job"), FAAS_OK);
    CHECK_INT(put(s, "other", "id-other"), FAAS_OK);
    /* Insert out of time order; keep the newest 4. */
    int64_t times[] = {500, 100, 900, 300, 700, 200, 800, 600, 400, 1000};
    for (int i = 0; i < 10; i++) {
        char id[16];
        snprintf(id, sizeof(id), "i%lld", (long long)times[i]);
        CHECK_INT(put_inv(s, id, "id-job", 1700000000000LL + times[i], 4), FAAS_OK);
    }
    CHECK_INT(put_inv(s, "o1", "id-other", 1700000000000LL, 4), FAAS_OK);
    faas_invocation_t *list;
    size_t n;
    CHECK_INT(faas_store_invocation_list(s, "id-job", 0, &list, &n, NULL), FAAS_OK);
    CHECK_INT(n, 4);
    const char *want[] = {"i1000", "i900", "i800", "i700"};
    for (size_t i = 0; i < n && i < 4; i++)
        CHECK_STR(list[i].id, want[i]);
    faas_invocation_array_free(list, n);
    CHECK_INT(faas_store_invocation_list(s, "id-job", 2, &list, &n, NULL), FAAS_OK);
    CHECK_INT(n, 2);
    if (n == 2)
        CHECK_STR(list[1].id, "i900");
    faas_invocation_array_free(list, n);
    faas_invocation_t inv;
    CHECK_INT(faas_store_invocation_get(s, "i600", &inv, NULL), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_invocation_get(s, "i700", &inv, NULL), FAAS_OK);
    CHECK_STR(inv.output, "out");
    faas_invocation_free(&inv);
    /* Replacing one with a new time moves it in the index instead of doubling it. */
    CHECK_INT(put_inv(s, "i700", "id-job", 1700000002000LL, 4), FAAS_OK);
    CHECK_INT(faas_store_invocation_list(s, "id-job", 0, &list, &n, NULL), FAAS_OK);
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK_STR(list[0].id, "i700");
        CHECK_STR(list[3].id, "i800");
    }
    faas_invocation_array_free(list, n);
    CHECK_INT(faas_store_invocation_list(s, "id-other", 0, &list, &n, NULL), FAAS_OK);
    CHECK_INT(n, 1);
    faas_invocation_array_free(list, n);
    CHECK_INT(faas_store_invocation_list(s, "id-none", 0, &list, &n, NULL), FAAS_OK);
    CHECK_INT(n, 0);
    CHECK(list == NULL);
    faas_store_close(s);
}

TEST(function_delete_takes_builds_and_invocations)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    CHECK_INT(put(s, "f", "id-f"), FAAS_OK);
    CHECK_INT(put(s, "g", "id-g"), FAAS_OK);
    CHECK_INT(put_build(s, "bf", "f"), FAAS_OK);
    CHECK_INT(put_build(s, "bg", "g"), FAAS_OK);
    CHECK_INT(faas_store_build_log_append(s, "bf", "log f", 5, NULL), FAAS_OK);
    CHECK_INT(faas_store_build_log_append(s, "bg", "log g", 5, NULL), FAAS_OK);
    CHECK_INT(put_inv(s, "if1", "id-f", 1, 0), FAAS_OK);
    CHECK_INT(put_inv(s, "if2", "id-f", 2, 0), FAAS_OK);
    CHECK_INT(put_inv(s, "ig1", "id-g", 1, 0), FAAS_OK);
    CHECK_INT(faas_store_function_delete(s, "f", NULL), FAAS_OK);
    faas_build_t b;
    faas_invocation_t inv;
    char *log;
    size_t len, n;
    CHECK_INT(faas_store_build_get(s, "bf", &b, NULL), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_build_log_read(s, "bf", 0, &log, &len, NULL), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_invocation_get(s, "if1", &inv, NULL), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_invocation_get(s, "if2", &inv, NULL), FAAS_ENOTFOUND);
    /* A function made again under the old name and id starts empty. */
    CHECK_INT(put(s, "f", "id-f"), FAAS_OK);
    faas_invocation_t *list;
    CHECK_INT(faas_store_invocation_list(s, "id-f", 0, &list, &n, NULL), FAAS_OK);
    CHECK_INT(n, 0);
    CHECK_INT(put_build(s, "bf", "f"), FAAS_OK);
    CHECK_INT(faas_store_build_log_read(s, "bf", 0, &log, &len, NULL), FAAS_OK);
    CHECK_INT(len, 0);
    free(log);
    /* g is untouched. */
    CHECK_INT(faas_store_build_log_read(s, "bg", 0, &log, &len, NULL), FAAS_OK);
    CHECK_STR(log, "log g");
    free(log);
    CHECK_INT(faas_store_invocation_get(s, "ig1", &inv, NULL), FAAS_OK);
    faas_invocation_free(&inv);
    faas_store_close(s);
}

/* ---- revisions ---- */

static faas_err_t put_rev(faas_store_t *s, const char *fn, int64_t number, const char *image, size_t keep,
                          faas_revision_t **pruned, size_t *n_pruned)
{
    faas_revision_t rev = {.function = (char *)fn, .number = number, .image_id = (char *)image, .created_at = number * 1000,
                           .settings = mkfn(fn, "id-settings")};
    rev.settings.port = (int)(8000 + number);
    faas_err_t rc = faas_store_revision_add(s, &rev, keep, pruned, n_pruned, NULL);
    faas_function_free(&rev.settings);
    return rc;
}

TEST(revisions_kept_newest_first_and_pruned)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    faas_revision_t *pruned = NULL, *list = NULL, one;
    size_t n_pruned = 0, n = 0;
    int64_t last;
    CHECK_INT(put_rev(s, "f", 1, "img1", 3, NULL, NULL), FAAS_ENOTFOUND); /* no such function */
    CHECK_INT(put(s, "f", "id-f"), FAAS_OK);
    CHECK_INT(put(s, "g", "id-g"), FAAS_OK);
    CHECK_INT(faas_store_revision_last(s, "f", &last, NULL), FAAS_OK);
    CHECK_INT(last, 0);
    for (int64_t i = 1; i <= 3; i++)
        CHECK_INT(put_rev(s, "f", i, i == 2 ? "img-two" : "img", 3, &pruned, &n_pruned), FAAS_OK);
    CHECK_INT(n_pruned, 0);
    CHECK_INT(put_rev(s, "g", 1, "img-g", 3, NULL, NULL), FAAS_OK);
    /* A fourth with keep 3: the first goes, handed back. */
    CHECK_INT(put_rev(s, "f", 4, "img4", 3, &pruned, &n_pruned), FAAS_OK);
    CHECK_INT(n_pruned, 1);
    CHECK_INT(pruned[0].number, 1);
    faas_revision_array_free(pruned, n_pruned);
    CHECK_INT(faas_store_revision_list(s, "f", &list, &n, NULL), FAAS_OK);
    CHECK_INT(n, 3);
    CHECK_INT(list[0].number, 4);
    CHECK_INT(list[2].number, 2);
    CHECK_STR(list[2].image_id, "img-two");
    CHECK_INT(list[2].settings.port, 8002);
    CHECK_STR(list[2].settings.name, "f");
    faas_revision_array_free(list, n);
    CHECK_INT(faas_store_revision_last(s, "f", &last, NULL), FAAS_OK);
    CHECK_INT(last, 4);
    CHECK_INT(faas_store_revision_get(s, "f", 1, &one, NULL), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_revision_get(s, "f", 3, &one, NULL), FAAS_OK);
    CHECK_INT(one.created_at, 3000);
    faas_revision_free(&one);
    /* Keep 1: everything but the newest goes. */
    CHECK_INT(put_rev(s, "f", 5, "img5", 1, &pruned, &n_pruned), FAAS_OK);
    CHECK_INT(n_pruned, 3);
    faas_revision_array_free(pruned, n_pruned);
    char **images;
    CHECK_INT(faas_store_revision_images(s, &images, &n, NULL), FAAS_OK);
    CHECK_INT(n, 2); /* f's 5 and g's 1 */
    faas_store_keys_free(images, n);
    /* Bad input: no name, number 0. */
    CHECK_INT(put_rev(s, "F!", 1, "x", 3, NULL, NULL), FAAS_EINVAL);
    CHECK_INT(put_rev(s, "f", 0, "x", 3, NULL, NULL), FAAS_EINVAL);
    /* Deleting the function takes its revisions, not g's. */
    CHECK_INT(faas_store_function_delete(s, "f", NULL), FAAS_OK);
    CHECK_INT(faas_store_revision_list(s, "f", &list, &n, NULL), FAAS_OK);
    CHECK_INT(n, 0);
    CHECK_INT(faas_store_revision_list(s, "g", &list, &n, NULL), FAAS_OK);
    CHECK_INT(n, 1);
    faas_revision_array_free(list, n);
    faas_store_close(s);
}

/* ---- blobs ---- */

TEST(blob_put_get_delete_keys)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    void *data;
    size_t len;
    CHECK_INT(faas_store_blob_get(s, FAAS_STORE_CERTIFICATES, "a.example", &data, &len, NULL), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_blob_put(s, FAAS_STORE_CERTIFICATES, "b.example", "PEM\0B", 5, NULL), FAAS_OK);
    CHECK_INT(faas_store_blob_put(s, FAAS_STORE_CERTIFICATES, "a.example", "PEM-A", 5, NULL), FAAS_OK);
    CHECK_INT(faas_store_blob_put(s, FAAS_STORE_ACME, "account", "{}", 2, NULL), FAAS_OK);
    CHECK_INT(faas_store_blob_put(s, FAAS_STORE_ACME, "", "x", 1, NULL), FAAS_EINVAL);
    CHECK_INT(faas_store_blob_get(s, FAAS_STORE_CERTIFICATES, "b.example", &data, &len, NULL), FAAS_OK);
    CHECK_INT(len, 5);
    CHECK(memcmp(data, "PEM\0B", 5) == 0 && ((char *)data)[5] == '\0');
    free(data);
    CHECK_INT(faas_store_blob_get(s, FAAS_STORE_ACME, "a.example", &data, &len, NULL), FAAS_ENOTFOUND);
    char **keys;
    size_t n;
    CHECK_INT(faas_store_blob_keys(s, FAAS_STORE_CERTIFICATES, &keys, &n, NULL), FAAS_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(keys[0], "a.example");
        CHECK_STR(keys[1], "b.example");
    }
    faas_store_keys_free(keys, n);
    CHECK_INT(faas_store_blob_delete(s, FAAS_STORE_CERTIFICATES, "a.example", NULL), FAAS_OK);
    CHECK_INT(faas_store_blob_delete(s, FAAS_STORE_CERTIFICATES, "a.example", NULL), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_blob_put(s, FAAS_STORE_ACME, "account", "{\"k\":1}", 7, NULL), FAAS_OK);
    CHECK_INT(faas_store_blob_get(s, FAAS_STORE_ACME, "account", &data, &len, NULL), FAAS_OK);
    CHECK_STR(data, "{\"k\":1}");
    free(data);
    faas_store_close(s);
}

/* ---- limits and concurrency ---- */

TEST(full_map_is_a_clear_error)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 256 * 1024);
    CHECK_INT(put(s, "fn", "id-fn"), FAAS_OK);
    CHECK_INT(put_build(s, "b", "fn"), FAAS_OK);
    char *chunk = calloc(1, 64 * 1024);
    faas_error_t err = {0};
    faas_err_t rc = FAAS_OK;
    for (int i = 0; i < 16 && rc == FAAS_OK; i++)
        rc = faas_store_build_log_append(s, "b", chunk, 64 * 1024, &err);
    CHECK_INT(rc, FAAS_ESTORE);
    CHECK_CONTAINS(err.msg, "store full");
    free(chunk);
    /* The store still works for reads and small writes after the failed one. */
    faas_function_t f;
    CHECK_INT(faas_store_function_get(s, "fn", &f, NULL), FAAS_OK);
    faas_function_free(&f);
    faas_store_close(s);
}

typedef struct {
    faas_store_t *s;
    atomic_int *stop;
    int reads, bad;
} reader_arg_t;

/* Every write keeps port == last_executed % 60000, so a torn read would show up. The reads are
 * bounded and yield, so a scheduler without fairness (valgrind's) cannot starve the writer. */
static void *reader(void *p)
{
    reader_arg_t *a = p;
    for (int i = 0; i < 400 && !atomic_load(a->stop); i++) {
        sched_yield();
        faas_function_t f;
        if (faas_store_function_get(a->s, "hot", &f, NULL) != FAAS_OK ||
            f.port != (int)(f.last_executed % 60000))
            a->bad++;
        faas_function_free(&f);
        faas_function_t *all;
        size_t n;
        if (faas_store_function_list(a->s, &all, &n, NULL) != FAAS_OK || n < 1)
            a->bad++;
        faas_function_array_free(all, n);
        a->reads++;
    }
    return NULL;
}

TEST(readers_run_beside_a_writer)
{
    char dir[DIR_MAX];
    faas_store_t *s = fresh(dir, 0);
    CHECK_INT(put(s, "hot", "id-hot"), FAAS_OK);
    atomic_int stop = 0;
    reader_arg_t args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (reader_arg_t){s, &stop, 0, 0};
        pthread_create(&th[i], NULL, reader, &args[i]);
    }
    int wfail = 0;
    for (int i = 0; i < 150; i++) {
        char name[16], id[16];
        snprintf(name, sizeof(name), "w%d", i);
        snprintf(id, sizeof(id), "id-w%d", i);
        wfail += put(s, name, id) != FAAS_OK;
        wfail += faas_store_function_update(s, "hot", on_increment, NULL, NULL, NULL) != FAAS_OK;
    }
    atomic_store(&stop, 1);
    int reads = 0, bad = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        reads += args[i].reads;
        bad += args[i].bad;
    }
    CHECK_INT(wfail, 0);
    CHECK_INT(bad, 0);
    CHECK(reads > 0);
    faas_function_t f;
    CHECK_INT(faas_store_function_get(s, "hot", &f, NULL), FAAS_OK);
    CHECK_INT(f.last_executed, 150);
    faas_function_free(&f);
    faas_store_close(s);
}

int main(void)
{
    RUN(open_creates_private_dir_and_reopen_keeps_data);
    RUN(revisions_kept_newest_first_and_pruned);
    RUN(schema_written_and_future_schema_refused);
    RUN(open_fails_cleanly_on_a_file);
    RUN(function_put_get_list_delete);
    RUN(unreadable_records_are_refused_on_write);
    RUN(function_list_empty);
    RUN(function_id_index_follows_replace_rename_delete);
    RUN(update_is_atomic_across_threads);
    RUN(update_errors_leave_record_unchanged);
    RUN(corrupt_records_are_reported_skipped_and_deletable);
    RUN(runtime_put_get_list_delete);
    RUN(build_put_get_and_log);
    RUN(build_logs_keep_binary_and_stay_separate);
    RUN(invocation_retention_and_newest_first);
    RUN(function_delete_takes_builds_and_invocations);
    RUN(blob_put_get_delete_keys);
    RUN(full_map_is_a_clear_error);
    RUN(readers_run_beside_a_writer);
    return testlib_done();
}
