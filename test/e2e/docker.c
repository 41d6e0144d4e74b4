/*
 * test/e2e/docker.c: the Docker client and the build context writer against the REAL engine on
 * /var/run/docker.sock (busybox:latest must exist locally). Builds, runs, waits, kills, reads
 * logs and events, provokes the documented failures, and uses one client from many threads.
 *
 * Everything it makes is labelled faas.test=<run name>; cleanup() removes all of it at the end,
 * also when checks failed. Every wait is bounded. Single main thread plus the helper threads
 * that each test joins before it ends.
 */
#include "faas/docker/docker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "faas/service/buildctx.h"
#include "faas/core/clock.h"
#include "testlib.h"

static faas_docker_t *dk;
static char run_name[64];     /* faas-e2e-dk-<pid>: the faas.function value and image name */
static char label_test[96];   /* faas.test=<run name>, on everything this test makes */
static char label_fn[96];     /* faas.function=<run name> */
static const char *only_test[] = {label_test, NULL}, *only_fn[] = {label_fn, NULL}; /* as filters */
static char image_tag[96];    /* <run name>:1 */
static char image_id[FAAS_DOCKER_ID_MAX];

/* ---- helpers ---- */

typedef struct text {
    char buf[16384];
    size_t len;
} text_t;

static void text_add(text_t *t, const char *s, size_t n)
{
    if (t->len + n < sizeof(t->buf)) {
        memcpy(t->buf + t->len, s, n);
        t->len += n;
        t->buf[t->len] = '\0';
    }
}

static void on_build_line(void *arg, const char *s, size_t n)
{
    text_add(arg, s, n);
}

typedef struct logs {
    text_t out, err;
    int bad_stream;
} logs_t;

static void on_log(void *arg, int stream, const char *s, size_t n)
{
    logs_t *l = arg;
    if (stream == FAAS_DOCKER_STDOUT)
        text_add(&l->out, s, n);
    else if (stream == FAAS_DOCKER_STDERR)
        text_add(&l->err, s, n);
    else
        l->bad_stream++;
}

/* A tar holding Dockerfile plus the given extra files (name, content pairs, NULL-ended). */
static void make_context(const char *dockerfile, const char *const *files, void **tar, size_t *len)
{
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(faas_buildctx_add(ctx, "Dockerfile", dockerfile, strlen(dockerfile), 0644, &err), FAAS_OK);
    for (size_t i = 0; files != NULL && files[i] != NULL; i += 2)
        CHECK_INT(faas_buildctx_add(ctx, files[i], files[i + 1], strlen(files[i + 1]), 0644, &err), FAAS_OK);
    CHECK_INT(faas_buildctx_finish(ctx, tar, len, &err), FAAS_OK);
    faas_buildctx_dispose(ctx);
}

/* Builds dockerfile (+ files) labelled for this run; returns the code and fills id, err, progress. */
static faas_err_t build(const char *tag, const char *dockerfile, const char *const *files, char *id,
                        text_t *progress, faas_error_t *err)
{
    void *tar = NULL;
    size_t len = 0;
    make_context(dockerfile, files, &tar, &len);
    const char *labels[] = {"faas.managed=1", label_fn, "faas.kind=job", label_test, NULL};
    faas_docker_build_opts_t o = {.tag = tag, .labels = labels, .timeout_ms = 120000,
                                  .on_line = progress != NULL ? on_build_line : NULL, .cbdata = progress};
    faas_err_t code = faas_docker_build(dk, tar, len, &o, id, err);
    free(tar);
    return code;
}

static const char *const job_labels[] = {"faas.managed=1", label_fn, "faas.kind=job", label_test, NULL};

/* The sandbox every test container gets. */
static faas_docker_container_spec_t job_spec(const char *image, const char *const *cmd)
{
    faas_docker_container_spec_t s = {
        .image = image, .cmd = cmd, .labels = job_labels, .network_mode = "none", .memory_bytes = 64 << 20,
        .nano_cpus = 1000000000, .pids_limit = 64, .readonly_rootfs = 1, .tmpfs_tmp = "rw,noexec,nosuid,size=16m",
        .cap_drop_all = 1, .no_new_privileges = 1, .init = 1, .log_max_size = "1m"};
    return s;
}

static int json_has_id(const cJSON *arr, const char *key, const char *id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, key);
        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
            return 1;
    }
    return 0;
}

static const char *jstr(const cJSON *obj, const char *path1, const char *path2)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, path1);
    if (path2 != NULL)
        v = cJSON_GetObjectItemCaseSensitive(v, path2);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *obj, const char *path1, const char *path2)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, path1), path2);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int is_image_id(const char *s)
{
    if (strlen(s) != 71 || strncmp(s, "sha256:", 7) != 0)
        return 0;
    return strspn(s + 7, "0123456789abcdef") == 64;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* ---- tests ---- */

TEST(ping)
{
    faas_error_t err = {0};
    CHECK_INT(faas_docker_ping(dk, 2000, &err), FAAS_OK);
}

TEST(build_image)
{
    char df[512], hello[128];
    snprintf(df, sizeof(df),
             "FROM busybox:latest\n"
             "COPY hello.txt h\xc3\xa9llo.txt /data/\n"
             "CMD [\"sh\", \"-c\", \"cat /data/hello.txt /data/h\xc3\xa9llo.txt; echo to-stderr >&2; "
             "touch /x 2>/dev/null || echo rootfs-ro; echo t > /tmp/t && echo tmp-rw; exit 3\"]\n");
    snprintf(hello, sizeof(hello), "hello from %s\n", run_name);
    const char *files[] = {"hello.txt", hello, "h\xc3\xa9llo.txt", "utf8 name ok\n", NULL};
    text_t progress = {.len = 0};
    faas_error_t err = {0};
    int64_t t0 = faas_clock_mono_ms();
    CHECK_INT(build(image_tag, df, files, image_id, &progress, &err), FAAS_OK);
    int64_t t1 = faas_clock_mono_ms();
    CHECK(is_image_id(image_id));
    CHECK_CONTAINS(progress.buf, "Step 1/");
    CHECK_CONTAINS(progress.buf, "Successfully built");
    CHECK(strchr(progress.buf, '\x1b') == NULL);
    char again[FAAS_DOCKER_ID_MAX];
    CHECK_INT(build(image_tag, df, files, again, NULL, &err), FAAS_OK); /* same tar: all cached */
    int64_t t2 = faas_clock_mono_ms();
    CHECK_STR(again, image_id);
    fprintf(stderr, "  build %lld ms, cached rebuild %lld ms, id %.19s...\n", (long long)(t1 - t0),
            (long long)(t2 - t1), image_id);
    if (err.code != FAAS_OK)
        fprintf(stderr, "  build error: %s\n", err.msg);
}

TEST(list_and_inspect_image)
{
    faas_error_t err = {0};
    cJSON *list = NULL, *img = NULL;
    CHECK_INT(faas_docker_image_list(dk, only_fn, &list, &err), FAAS_OK);
    CHECK(json_has_id(list, "Id", image_id));
    CHECK_INT(cJSON_GetArraySize(list), 1);
    cJSON_Delete(list);
    CHECK_INT(faas_docker_image_inspect(dk, image_tag, &img, &err), FAAS_OK); /* "name:tag" in the path */
    CHECK_STR(jstr(img, "Id", NULL), image_id);
    const cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(img, "Config"), "Labels");
    CHECK_STR(jstr(labels, "faas.kind", NULL), "job");
    CHECK_STR(jstr(labels, "faas.function", NULL), run_name);
    cJSON_Delete(img);
}

static void check_inspect(const char *id)
{
    faas_error_t err = {0};
    cJSON *c = NULL;
    CHECK_INT(faas_docker_container_inspect(dk, id, &c, &err), FAAS_OK);
    const cJSON *hc = cJSON_GetObjectItem(c, "HostConfig");
    CHECK_STR(jstr(c, "State", "Status"), "exited");
    CHECK_INT(jnum(c, "State", "ExitCode"), 3);
    CHECK_STR(jstr(hc, "NetworkMode", NULL), "none");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(hc, "ReadonlyRootfs")));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(hc, "Init")));
    CHECK_INT(jnum(c, "HostConfig", "Memory"), 64 << 20);
    CHECK_INT(jnum(c, "HostConfig", "PidsLimit"), 64);
    CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(hc, "CapDrop"), 0)->valuestring, "ALL");
    CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(hc, "SecurityOpt"), 0)->valuestring, "no-new-privileges");
    CHECK_STR(jstr(cJSON_GetObjectItem(hc, "Tmpfs"), "/tmp", NULL), "rw,noexec,nosuid,size=16m");
    CHECK_STR(jstr(cJSON_GetObjectItem(c, "Config"), "Labels", "faas.kind"), "job");
    cJSON_Delete(c);
}

TEST(run_job_container)
{
    faas_error_t err = {0};
    char id[FAAS_DOCKER_ID_MAX], name[96];
    snprintf(name, sizeof(name), "%s-job", run_name);
    faas_docker_container_spec_t spec = job_spec(image_tag, NULL);
    spec.name = name;
    CHECK_INT(faas_docker_container_create(dk, &spec, id, &err), FAAS_OK);
    CHECK_INT(strlen(id), 64);
    char dup[FAAS_DOCKER_ID_MAX];
    CHECK_INT(faas_docker_container_create(dk, &spec, dup, &err), FAAS_ECONFLICT); /* name in use */
    CHECK_CONTAINS(err.msg, "is already in use");
    CHECK_INT(faas_docker_container_start(dk, id, &err), FAAS_OK);
    int code = -1;
    CHECK_INT(faas_docker_container_wait(dk, id, 20000, &code, &err), FAAS_OK);
    CHECK_INT(code, 3);
    logs_t l = {.bad_stream = 0};
    CHECK_INT(faas_docker_container_logs(dk, id, -1, on_log, &l, &err), FAAS_OK);
    char want[128];
    snprintf(want, sizeof(want), "hello from %s\nutf8 name ok\n", run_name);
    CHECK_CONTAINS(l.out.buf, want);
    CHECK_CONTAINS(l.out.buf, "rootfs-ro\ntmp-rw\n");
    CHECK_STR(l.err.buf, "to-stderr\n");
    CHECK_INT(l.bad_stream, 0);
    logs_t last = {.bad_stream = 0};
    CHECK_INT(faas_docker_container_logs(dk, id, 1, on_log, &last, &err), FAAS_OK);
    CHECK_INT(last.out.len + last.err.len > 0 && last.out.len + last.err.len < l.out.len + l.err.len, 1);
    check_inspect(id);
    cJSON *list = NULL;
    CHECK_INT(faas_docker_container_list(dk, only_fn, 1, &list, &err), FAAS_OK);
    CHECK(json_has_id(list, "Id", id));
    cJSON_Delete(list);
    CHECK_INT(faas_docker_container_list(dk, only_fn, 0, &list, &err), FAAS_OK); /* running only */
    CHECK(!json_has_id(list, "Id", id));
    cJSON_Delete(list);
    CHECK_INT(faas_docker_container_remove(dk, id, 0, &err), FAAS_OK);
    cJSON *gone = NULL;
    CHECK_INT(faas_docker_container_inspect(dk, id, &gone, &err), FAAS_ENOTFOUND);
}

/* create -> start -> wait -> logs -> remove, timed; prints the median of n runs. */
TEST(run_cycle_timing)
{
    enum { N = 7 };
    long long ms[N], create_ms[N], start_ms[N];
    const char *cmd[] = {"sh", "-c", "echo out; echo err >&2", NULL};
    for (int i = 0; i < N; i++) {
        faas_error_t err = {0};
        char id[FAAS_DOCKER_ID_MAX];
        int code = -1;
        logs_t l = {.bad_stream = 0};
        faas_docker_container_spec_t spec = job_spec("busybox:latest", cmd);
        int64_t t0 = faas_clock_mono_ms();
        CHECK_INT(faas_docker_container_create(dk, &spec, id, &err), FAAS_OK);
        int64_t t1 = faas_clock_mono_ms();
        CHECK_INT(faas_docker_container_start(dk, id, &err), FAAS_OK);
        int64_t t2 = faas_clock_mono_ms();
        CHECK_INT(faas_docker_container_wait(dk, id, 20000, &code, &err), FAAS_OK);
        CHECK_INT(faas_docker_container_logs(dk, id, -1, on_log, &l, &err), FAAS_OK);
        CHECK_INT(faas_docker_container_remove(dk, id, 1, &err), FAAS_OK);
        ms[i] = faas_clock_mono_ms() - t0;
        create_ms[i] = t1 - t0;
        start_ms[i] = t2 - t1;
        CHECK_INT(code, 0);
        CHECK_STR(l.out.buf, "out\n");
        CHECK_STR(l.err.buf, "err\n");
    }
    qsort(ms, N, sizeof(ms[0]), cmp_ll);
    qsort(create_ms, N, sizeof(ms[0]), cmp_ll);
    qsort(start_ms, N, sizeof(ms[0]), cmp_ll);
    fprintf(stderr, "  run cycle median %lld ms (min %lld, max %lld); create %lld ms, start %lld ms\n", ms[N / 2],
            ms[0], ms[N - 1], create_ms[N / 2], start_ms[N / 2]);
}

TEST(wait_timeout_then_kill)
{
    faas_error_t err = {0};
    char id[FAAS_DOCKER_ID_MAX];
    const char *cmd[] = {"sleep", "30", NULL};
    faas_docker_container_spec_t spec = job_spec("busybox:latest", cmd);
    CHECK_INT(faas_docker_container_create(dk, &spec, id, &err), FAAS_OK);
    CHECK_INT(faas_docker_container_start(dk, id, &err), FAAS_OK);
    CHECK_INT(faas_docker_container_start(dk, id, &err), FAAS_OK); /* 304: already running */
    int code = -1;
    int64_t t0 = faas_clock_mono_ms();
    CHECK_INT(faas_docker_container_wait(dk, id, 400, &code, &err), FAAS_ETIMEOUT);
    int64_t waited = faas_clock_mono_ms() - t0;
    CHECK(waited >= 350 && waited < 3000);
    t0 = faas_clock_mono_ms();
    CHECK_INT(faas_docker_container_kill(dk, id, "SIGKILL", &err), FAAS_OK);
    CHECK_INT(faas_docker_container_wait(dk, id, 10000, &code, &err), FAAS_OK);
    CHECK_INT(code, 137);
    fprintf(stderr, "  wait timed out after %lld ms; kill + wait %lld ms\n", (long long)waited,
            (long long)(faas_clock_mono_ms() - t0));
    CHECK_INT(faas_docker_container_kill(dk, id, NULL, &err), FAAS_ECONFLICT); /* not running */
    CHECK_INT(faas_docker_container_stop(dk, id, 1, &err), FAAS_OK);          /* 304: already stopped */
    CHECK_INT(faas_docker_container_remove(dk, id, 0, &err), FAAS_OK);
}

TEST(stop_running_container)
{
    faas_error_t err = {0};
    char id[FAAS_DOCKER_ID_MAX];
    const char *cmd[] = {"sleep", "30", NULL};
    faas_docker_container_spec_t spec = job_spec("busybox:latest", cmd); /* Init: SIGTERM works */
    CHECK_INT(faas_docker_container_create(dk, &spec, id, &err), FAAS_OK);
    CHECK_INT(faas_docker_container_start(dk, id, &err), FAAS_OK);
    int64_t t0 = faas_clock_mono_ms();
    CHECK_INT(faas_docker_container_stop(dk, id, 10, &err), FAAS_OK);
    int64_t took = faas_clock_mono_ms() - t0;
    fprintf(stderr, "  stop with Init took %lld ms\n", (long long)took);
    CHECK(took < 5000);
    CHECK_INT(faas_docker_container_remove(dk, id, 0, &err), FAAS_OK);
}

TEST(build_failures)
{
    faas_error_t err = {0};
    char id[FAAS_DOCKER_ID_MAX], missing[160];
    text_t progress = {.len = 0};
    CHECK_INT(build(NULL, "FROM busybox:latest\nRUN exit 3\n", NULL, id, &progress, &err), FAAS_EDOCKER);
    CHECK_CONTAINS(err.msg, "returned a non-zero code: 3");
    CHECK_CONTAINS(progress.buf, "returned a non-zero code: 3");
    CHECK_STR(id, "");
    faas_err_t code = build(NULL, "FROM busybox:latest\nFOOBAR x\n", NULL, id, NULL, &err);
    CHECK_INT(code, FAAS_EINVAL); /* HTTP 400 */
    CHECK_CONTAINS(err.msg, "unknown instruction: FOOBAR");
    snprintf(missing, sizeof(missing), "FROM %s-missing:none\n", run_name);
    int64_t t0 = faas_clock_mono_ms();
    code = build(NULL, missing, NULL, id, NULL, &err);
    CHECK(code != FAAS_OK);
    fprintf(stderr, "  missing FROM: %s after %lld ms: %s\n", faas_strerror(code),
            (long long)(faas_clock_mono_ms() - t0), err.msg);
    CHECK(err.msg[0] != '\0');
}

TEST(missing_things)
{
    faas_error_t err = {0};
    char name[96], id[FAAS_DOCKER_ID_MAX];
    snprintf(name, sizeof(name), "%s-nope", run_name);
    CHECK_INT(faas_docker_container_remove(dk, name, 1, &err), FAAS_ENOTFOUND);
    CHECK_CONTAINS(err.msg, "No such container");
    CHECK_INT(faas_docker_image_remove(dk, name, 0, &err), FAAS_ENOTFOUND);
    faas_docker_container_spec_t spec = job_spec(name, NULL); /* the image does not exist: no pull */
    CHECK_INT(faas_docker_container_create(dk, &spec, id, &err), FAAS_ENOTFOUND);
    CHECK_CONTAINS(err.msg, "No such image");
}

TEST(unreachable_socket)
{
    char path[128];
    snprintf(path, sizeof(path), "/nonexistent-%d/docker.sock", (int)getpid());
    faas_docker_t *bad = faas_docker_create(path);
    faas_error_t err = {0};
    CHECK_INT(faas_docker_ping(bad, 1000, &err), FAAS_EUNAVAIL);
    CHECK_CONTAINS(err.msg, path);
    CHECK_CONTAINS(err.msg, "No such file or directory (errno 2)");
    cJSON *list = NULL;
    CHECK_INT(faas_docker_container_list(bad, NULL, 1, &list, &err), FAAS_EUNAVAIL);
    CHECK(list == NULL);
    faas_docker_dispose(bad);
}

/* ---- events ---- */

typedef struct ev_state {
    const char *want_fn; /* the faas.function label to look for */
    int started, died;
    char exit_code[16];
    faas_err_t code;
    faas_error_t err;
    int64_t since;
    atomic_int stop;
} ev_state_t;

static int on_event(void *arg, const cJSON *ev)
{
    ev_state_t *s = arg;
    const cJSON *attrs = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "Actor"), "Attributes");
    const char *fn = jstr(attrs, "faas.function", NULL), *action = jstr(ev, "Action", NULL);
    if (fn == NULL || action == NULL || strcmp(fn, s->want_fn) != 0)
        return 0;
    if (strcmp(action, "start") == 0)
        s->started++;
    if (strcmp(action, "die") == 0) {
        s->died++;
        const char *exit_code = jstr(attrs, "exitCode", NULL); /* a string in events */
        snprintf(s->exit_code, sizeof(s->exit_code), "%s", exit_code != NULL ? exit_code : "?");
    }
    return s->started > 0 && s->died > 0;
}

static void *events_main(void *arg)
{
    ev_state_t *s = arg;
    char label[128];
    snprintf(label, sizeof(label), "faas.function=%s", s->want_fn);
    const char *labels[] = {label, NULL};
    s->code = faas_docker_events(dk, labels, s->since, on_event, s, &s->stop, &s->err);
    return NULL;
}

/* Joins t within ms; past it, raises the stop flag and joins anyway. Returns 1 when in time. */
static int join_within(pthread_t t, ev_state_t *s, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    if (pthread_timedjoin_np(t, NULL, &ts) == 0)
        return 1;
    atomic_store(&s->stop, 1);
    pthread_join(t, NULL);
    return 0;
}

TEST(events_start_and_die)
{
    char fn[96], label[128], id[FAAS_DOCKER_ID_MAX];
    snprintf(fn, sizeof(fn), "%s-ev", run_name);
    snprintf(label, sizeof(label), "faas.function=%s", fn);
    /* since one second ago: events between our subscribe and the start are replayed, not lost */
    ev_state_t s = {.want_fn = fn, .since = time(NULL) - 1};
    pthread_t t;
    pthread_create(&t, NULL, events_main, &s);
    const char *labels[] = {"faas.managed=1", label, label_test, NULL};
    const char *cmd[] = {"sh", "-c", "exit 7", NULL};
    faas_docker_container_spec_t spec = job_spec("busybox:latest", cmd);
    spec.labels = labels;
    faas_error_t err = {0};
    int code = -1;
    CHECK_INT(faas_docker_container_create(dk, &spec, id, &err), FAAS_OK);
    CHECK_INT(faas_docker_container_start(dk, id, &err), FAAS_OK);
    CHECK_INT(faas_docker_container_wait(dk, id, 20000, &code, &err), FAAS_OK);
    CHECK_INT(code, 7);
    CHECK(join_within(t, &s, 10000));
    CHECK_INT(s.code, FAAS_OK);
    CHECK_INT(s.started, 1);
    CHECK_INT(s.died, 1);
    CHECK_STR(s.exit_code, "7");
    CHECK_INT(faas_docker_container_remove(dk, id, 1, &err), FAAS_OK);
}

TEST(events_stop_flag_ends_idle_stream)
{
    char fn[96];
    snprintf(fn, sizeof(fn), "%s-idle", run_name);
    ev_state_t s = {.want_fn = fn};
    pthread_t t;
    pthread_create(&t, NULL, events_main, &s);
    struct timespec idle = {0, 700 * 1000000L};
    nanosleep(&idle, NULL); /* the scenario: a listener with nothing to hear */
    int64_t t0 = faas_clock_mono_ms();
    atomic_store(&s.stop, 1);
    CHECK(join_within(t, &s, 5000));
    int64_t took = faas_clock_mono_ms() - t0;
    fprintf(stderr, "  idle events stream ended %lld ms after the stop flag\n", (long long)took);
    CHECK(took < 2000);
    CHECK_INT(s.code, FAAS_OK);
}

/* ---- one client, many threads ---- */

enum { THREADS = 8, CALLS = 20 };
static atomic_int thread_failures;

static void *hammer(void *arg)
{
    for (int i = 0; i < CALLS; i++) {
        faas_error_t err = {0};
        cJSON *out = NULL;
        int bad = faas_docker_ping(dk, 5000, &err) != FAAS_OK;
        bad |= faas_docker_image_inspect(dk, "busybox:latest", &out, &err) != FAAS_OK;
        cJSON_Delete(out);
        out = NULL;
        bad |= faas_docker_container_list(dk, only_test, 1, &out, &err) != FAAS_OK;
        cJSON_Delete(out);
        if (bad) {
            fprintf(stderr, "  thread call failed: %s\n", err.msg);
            atomic_fetch_add(&thread_failures, 1);
        }
    }
    return NULL;
}

TEST(shared_client_across_threads)
{
    pthread_t t[THREADS];
    int64_t t0 = faas_clock_mono_ms();
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(atomic_load(&thread_failures), 0);
    fprintf(stderr, "  %d calls on %d threads in %lld ms\n", THREADS * CALLS * 3, THREADS,
            (long long)(faas_clock_mono_ms() - t0));
}

TEST(remove_image)
{
    faas_error_t err = {0};
    cJSON *img = NULL;
    CHECK_INT(faas_docker_image_remove(dk, image_tag, 0, &err), FAAS_OK);
    CHECK_INT(faas_docker_image_inspect(dk, image_id, &img, &err), FAAS_ENOTFOUND);
    CHECK(img == NULL);
}

/* Removes every container, then every image, labelled faas.test=<run name>. */
static int cleanup(void)
{
    faas_error_t err = {0};
    cJSON *list = NULL, *it;
    int left = 0;
    if (faas_docker_container_list(dk, only_test, 1, &list, &err) == FAAS_OK) {
        cJSON_ArrayForEach(it, list)
        {
            left++;
            if (jstr(it, "Id", NULL) != NULL)
                faas_docker_container_remove(dk, jstr(it, "Id", NULL), 1, &err);
        }
    }
    cJSON_Delete(list);
    list = NULL;
    if (faas_docker_image_list(dk, only_test, &list, &err) == FAAS_OK) {
        cJSON_ArrayForEach(it, list)
        {
            left++;
            if (jstr(it, "Id", NULL) != NULL)
                faas_docker_image_remove(dk, jstr(it, "Id", NULL), 1, &err);
        }
    }
    cJSON_Delete(list);
    return left;
}

int main(void)
{
    snprintf(run_name, sizeof(run_name), "faas-e2e-dk-%d", (int)getpid());
    snprintf(label_test, sizeof(label_test), "faas.test=%s", run_name);
    snprintf(label_fn, sizeof(label_fn), "faas.function=%s", run_name);
    snprintf(image_tag, sizeof(image_tag), "%s:1", run_name);
    dk = faas_docker_create(NULL);
    faas_error_t err = {0};
    if (faas_docker_ping(dk, 2000, &err) != FAAS_OK) {
        fprintf(stderr, "e2e docker: no engine: %s\n", err.msg);
        faas_docker_dispose(dk);
        return 1;
    }
    RUN(ping);
    RUN(build_image);
    if (image_id[0] != '\0') {
        RUN(list_and_inspect_image);
        RUN(run_job_container);
    }
    RUN(run_cycle_timing);
    RUN(wait_timeout_then_kill);
    RUN(stop_running_container);
    RUN(build_failures);
    RUN(missing_things);
    RUN(unreachable_socket);
    RUN(events_start_and_die);
    RUN(events_stop_flag_ends_idle_stream);
    RUN(shared_client_across_threads);
    if (image_id[0] != '\0')
        RUN(remove_image);
    int left = cleanup();
    CHECK_INT(left, 0); /* every test removed what it made */
    CHECK_INT(cleanup(), 0);
    faas_docker_dispose(dk);
    return testlib_done();
}
