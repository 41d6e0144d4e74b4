/*
 * logs.c: what a service function wrote, and its build logs: read once (faas_service_logs) or
 * followed as they are written (faas_service_logs_follow: one Docker log stream per replica,
 * each on its own thread; faas_service_build_log_follow: the store's build log, read again each
 * time the deploy says it grew, until the build ends). Followers block for as long as their reader stays.
 */
#include "internal.h"
#include "faas/core/buf.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The longest a build-log follower waits for news before it reads again (and checks its stop). */
#define BUILD_POLL_MS 200
/* Longest replica prefix: "[" + 12 hex digits + "] ". */
#define PREFIX_MAX 16

static void on_log(void *cbdata, int stream, const char *data, size_t len)
{
    (void)stream;
    faas_buf_add(cbdata, data, len);
}

faas_err_t faas_service_logs(faas_services_t *s, const char *name, int build, int tail, char **text, size_t *len,
                             faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = faas_store_function_get(s->app->store, name, &fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "Function not found");
    faas_buf_t t = {0};
    if (rc == FAAS_OK && build) {
        rc = fn.build.id != NULL ? faas_store_build_log_read(s->app->store, fn.build.id, 0, &t.p, &t.len, err)
                                 : faas_error_set(err, FAAS_ENOTFOUND, "'%s' has no build", name);
    } else if (rc == FAAS_OK && fn.n_replicas > 0) {
        /* The first replica's: the others run the same code. */
        rc = faas_docker_container_logs(s->app->docker, fn.replicas[0].id, tail > 0 ? tail : -1, on_log, &t, err);
        if (rc == FAAS_OK && t.oom)
            rc = faas_error_set(err, FAAS_ENOMEM, "out of memory reading logs");
    }
    faas_function_free(&fn);
    if (rc != FAAS_OK) {
        free(t.p);
        return rc;
    }
    *text = t.p != NULL ? t.p : strdup("");
    *len = t.len;
    return *text != NULL ? FAAS_OK : faas_error_set(err, FAAS_ENOMEM, "out of memory");
}

/* ---- following the replicas ---- */

typedef struct follower {
    faas_services_t *s;
    char id[FAAS_DOCKER_ID_MAX];
    char prefix[PREFIX_MAX];       /* "" with one replica */
    int tail;
    faas_service_log_write_cb write;
    void *ctx;
    atomic_int *stop;              /* shared: set by the reader's stop or by a refused write */
    const atomic_int *reader_stop;
    pthread_t tid;
    int started;
    faas_buf_t line;
} follower_t;

static void on_line(void *cbdata, int stream, const char *data, size_t len)
{
    (void)stream;
    follower_t *f = cbdata;
    f->line.len = 0;
    faas_buf_adds(&f->line, f->prefix);
    faas_buf_add(&f->line, data, len);
    if (!f->line.oom && f->write(f->ctx, f->line.p, f->line.len) != 0)
        atomic_store(f->stop, 1);
}

static void *follow_main(void *arg)
{
    follower_t *f = arg;
    pthread_setname_np(pthread_self(), "faas-logs-rep");
    faas_docker_logs_opts_t o = {.tail = f->tail, .whole_frames = 1, .follow = 1, .stop = f->stop};
    faas_error_t err = {0};
    faas_err_t rc = faas_docker_container_logs_opts(f->s->app->docker, f->id, &o, on_line, f, &err);
    if (rc != FAAS_OK && rc != FAAS_ENOTFOUND)
        faas_log_warn("logs: following %.12s: %s", f->id, err.msg);
    return NULL;
}

/* Watches the reader's stop and hands it to the followers' shared flag, until they are done. */
static void wait_followers(follower_t *fs, size_t n, atomic_int *stop, const atomic_int *reader_stop)
{
    for (size_t i = 0; i < n; i++) {
        while (fs[i].started && pthread_tryjoin_np(fs[i].tid, NULL) != 0) {
            if (reader_stop != NULL && atomic_load(reader_stop))
                atomic_store(stop, 1);
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

faas_err_t faas_service_logs_follow(faas_services_t *s, const char *name, int tail, faas_service_log_write_cb write,
                                    void *ctx, const atomic_int *stop, faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = faas_store_function_get(s->app->store, name, &fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "Function not found");
    follower_t *fs = rc == FAAS_OK && fn.n_replicas > 0 ? calloc(fn.n_replicas, sizeof(*fs)) : NULL;
    if (rc == FAAS_OK && fn.n_replicas > 0 && fs == NULL)
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
    atomic_int shared = 0;
    for (size_t i = 0; rc == FAAS_OK && i < fn.n_replicas; i++) {
        follower_t *f = &fs[i];
        *f = (follower_t){.s = s, .tail = tail, .write = write, .ctx = ctx, .stop = &shared, .reader_stop = stop};
        snprintf(f->id, sizeof(f->id), "%s", fn.replicas[i].id);
        if (fn.n_replicas > 1)
            snprintf(f->prefix, sizeof(f->prefix), "[%.12s] ", f->id);
        f->started = pthread_create(&f->tid, NULL, follow_main, f) == 0;
        if (!f->started)
            faas_log_warn("logs %s: cannot start a follower for %.12s", name, f->id);
    }
    if (rc == FAAS_OK)
        wait_followers(fs, fn.n_replicas, &shared, stop);
    for (size_t i = 0; fs != NULL && i < fn.n_replicas; i++)
        faas_buf_free(&fs[i].line);
    free(fs);
    faas_function_free(&fn);
    return rc;
}

/* ---- following a build ---- */

void faas_service__build_news(faas_services_t *s)
{
    pthread_mutex_lock(&s->mutex);
    s->build_gen++;
    pthread_cond_broadcast(&s->build_news);
    pthread_mutex_unlock(&s->mutex);
}

static unsigned build_gen(faas_services_t *s)
{
    pthread_mutex_lock(&s->mutex);
    unsigned gen = s->build_gen;
    pthread_mutex_unlock(&s->mutex);
    return gen;
}

/* Waits until a build log grew or a build ended after gen, or BUILD_POLL_MS passed (the reader's stop). */
static void wait_build_news(faas_services_t *s, unsigned gen)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += BUILD_POLL_MS * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&s->mutex);
    while (s->build_gen == gen && pthread_cond_timedwait(&s->build_news, &s->mutex, &until) == 0)
        ;
    pthread_mutex_unlock(&s->mutex);
}

/* Writes what the build log holds past *sent; -1 when the reader went away. */
static int write_new(faas_services_t *s, const char *build_id, size_t *sent, faas_service_log_write_cb write, void *ctx)
{
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    if (faas_store_build_log_read(s->app->store, build_id, 0, &text, &len, NULL) == FAAS_OK && len > *sent) {
        rc = write(ctx, text + *sent, len - *sent);
        *sent = len;
    }
    free(text);
    return rc;
}

faas_err_t faas_service_build_log_follow(faas_services_t *s, const char *name, faas_service_log_write_cb write,
                                         void *ctx, const atomic_int *stop, faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = faas_store_function_get(s->app->store, name, &fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "Function not found");
    if (rc == FAAS_OK && fn.build.id == NULL)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "'%s' has no build", name);
    char id[FAAS_STORE_ID_MAX + 1] = "";
    if (rc == FAAS_OK)
        snprintf(id, sizeof(id), "%s", fn.build.id);
    faas_function_free(&fn);
    size_t sent = 0;
    while (rc == FAAS_OK && !atomic_load(stop)) {
        unsigned gen = build_gen(s);
        faas_build_t b = {0};
        rc = faas_store_build_get(s->app->store, id, &b, err);
        int done = rc == FAAS_OK && b.status != FAAS_BUILD_BUILDING; /* read before the log: nothing comes after */
        if (rc == FAAS_OK && write_new(s, id, &sent, write, ctx) != 0)
            done = 1;
        if (done && rc == FAAS_OK) {
            char last[FAAS_ERROR_MSG_MAX + 128];
            if (b.status == FAAS_BUILD_SUCCEEDED)
                snprintf(last, sizeof(last), "faas: build %s succeeded\n", id);
            else
                snprintf(last, sizeof(last), "faas: build %s failed: %s\n", id, b.error ? b.error : "unknown error");
            write(ctx, last, strlen(last));
        }
        faas_build_free(&b);
        if (done)
            break;
        wait_build_news(s, gen);
    }
    return rc;
}
