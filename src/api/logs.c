/*
 * logs.c (api): what a service function wrote, and its build logs.
 *   GET /function/logs/:name                  text: the container's output (?tail=N: the last N lines)
 *   GET /function/logs/:name?source=build     text: the current build's log
 *   ...&follow=1                              the same, streamed as it is written (HTTP/1.1 chunks,
 *                                             HTTP/2 DATA frames): the container's output until the
 *                                             client goes away (lines carry "[<replica>] " with several
 *                                             replicas); a build's log until the build ends, its outcome
 *                                             as the last line
 * A followed log is read by a thread of its own (a Docker stream can stay silent for hours), at
 * most MAX_FOLLOWERS at once; a plain read runs on the worker pool.
 */
#include "faas/api/api.h"
#include "faas/http/defer.h"
#include "faas/http/reply.h"
#include "faas/http/request.h"
#include "faas/http/stream.h"
#include "faas/service/service.h"
#include "faas/store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Logs followed at once; each holds a thread (and one more per replica beyond the first). */
#define MAX_FOLLOWERS 64
#define TAIL_MAX 100000

typedef struct logs {
    faas_app_t *app;
    char name[FAAS_RECORD_NAME_MAX + 1];
    int build;          /* ?source=build */
    int tail;           /* ?tail=N; 0: all */
    faas_stream_t *st;  /* following: where the text goes */
} logs_t;

static void do_logs(void *data, faas_defer_result_t *res)
{
    logs_t *l = data;
    res->rc = faas_service_logs(l->app->services, l->name, l->build, l->tail, &res->text, &res->text_len, &res->err);
}

static int on_write(void *ctx, const char *data, size_t len)
{
    return faas_stream_write(ctx, data, len);
}

static void *follow_main(void *arg)
{
    logs_t *l = arg;
    pthread_setname_np(pthread_self(), "faas-logs"); /* what ps -L and /proc/<pid>/task/<tid>/comm show */
    faas_error_t err = {0};
    const atomic_int *gone = faas_stream_gone(l->st);
    faas_err_t rc = l->build ? faas_service_build_log_follow(l->app->services, l->name, on_write, l->st, gone, &err)
                             : faas_service_logs_follow(l->app->services, l->name, l->tail > 0 ? l->tail : -1,
                                                        on_write, l->st, gone, &err);
    if (rc != FAAS_OK) { /* the head went out already: the reason is the last line */
        char line[FAAS_ERROR_MSG_MAX + 16];
        int n = snprintf(line, sizeof(line), "faas: %s\n", err.msg);
        faas_stream_write(l->st, line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : 0);
    }
    faas_stream_end(l->st);
    atomic_fetch_sub(&l->app->log_followers, 1);
    free(l);
    return NULL;
}

/* The function (and for a build log, its build) exists: else answers 404 and returns -1. Loop-safe read. */
static int exists_or_reply(faas_loop_t *loop, h2o_req_t *req, const logs_t *l)
{
    faas_function_t fn = {0};
    faas_error_t err = {0};
    faas_err_t rc = faas_store_function_get(loop->app->store, l->name, &fn, &err);
    int has_build = fn.build.id != NULL;
    faas_function_free(&fn);
    if (rc == FAAS_ENOTFOUND)
        faas_reply_error(req, 404, "Function not found", NULL);
    else if (rc != FAAS_OK)
        faas_reply_failure(req, NULL, &err);
    else if (l->build && !has_build)
        faas_reply_error(req, 404, "Not found", "the function has no build");
    return rc == FAAS_OK && (has_build || !l->build) ? 0 : -1;
}

static int follow(faas_loop_t *loop, h2o_req_t *req, logs_t *l)
{
    if (exists_or_reply(loop, req, l) != 0) {
        free(l);
        return 0;
    }
    if (atomic_fetch_add(&loop->app->log_followers, 1) >= MAX_FOLLOWERS) {
        atomic_fetch_sub(&loop->app->log_followers, 1);
        free(l);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("5"));
        return faas_reply_error(req, 503, "Service unavailable", "too many logs are being followed; try again later");
    }
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    l->st = faas_stream_start(loop, req, "text/plain; charset=utf-8");
    if (l->st == NULL || pthread_create(&tid, &attr, follow_main, l) != 0) {
        if (l->st != NULL) {
            faas_stream_write(l->st, "faas: cannot start a thread to follow the log\n", 46);
            faas_stream_end(l->st);
        }
        atomic_fetch_sub(&loop->app->log_followers, 1);
        free(l);
    }
    pthread_attr_destroy(&attr);
    return 0;
}

static int on_get_logs(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    logs_t *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return faas_reply_error(req, 500, "Internal server error", NULL);
    l->app = loop->app;
    h2o_iovec_t v = params->v[0];
    snprintf(l->name, sizeof(l->name), "%.*s", (int)v.len, v.base);
    if (v.len > FAAS_RECORD_NAME_MAX || !faas_record_valid_name(l->name)) {
        free(l);
        return faas_reply_error(req, 404, "Function not found", NULL);
    }
    char value[16];
    l->build = faas_request_query(req, "source", value, sizeof(value)) >= 0 && strcmp(value, "build") == 0;
    int tail = faas_request_query(req, "tail", value, sizeof(value)) > 0 ? atoi(value) : 0;
    l->tail = tail < 0 ? 0 : (tail > TAIL_MAX ? TAIL_MAX : tail);
    if (faas_request_query(req, "follow", value, sizeof(value)) >= 0 && strcmp(value, "0") != 0 &&
        strcmp(value, "false") != 0)
        return follow(loop, req, l);
    return faas_defer_answer(loop, req, do_logs, l, NULL);
}

const faas_router_route_t faas_api_logs_routes[] = {
    {"/function/logs/:name", FAAS_M_GET, 0, on_get_logs, FAAS_SCOPE_READ},
    {NULL, 0, 0, NULL, 0},
};
