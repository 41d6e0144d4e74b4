/*
 * wait.c (api): waiting on a build through GET /function/get/:name?wait=<build id> (see
 * wait.h). The waiter lives in the request's pool, so a client that goes away takes its timer
 * with it; the check is two store reads, safe on the loop.
 */
#include "faas/api/wait.h"
#include "faas/api/scale.h"
#include "faas/core/clock.h"
#include "faas/http/reply.h"
#include "faas/http/request.h"
#include "faas/store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_S 60
#define MAX_TIMEOUT_S 600

typedef struct waiter {
    h2o_timeout_entry_t tick;   /* on the loop's 100 ms timeout list */
    faas_loop_t *loop;
    h2o_req_t *req;
    char name[FAAS_RECORD_NAME_MAX + 1];
    char build[FAAS_STORE_ID_MAX + 1];
    int64_t deadline_ms;
} waiter_t;

/* 1 when the build ended (served or failed), 0 while it runs, -1 when name has no such build. */
static int build_ended(faas_store_t *store, const char *name, const char *id)
{
    faas_build_t b = {0};
    faas_err_t rc = faas_store_build_get(store, id, &b, NULL);
    int ended = rc != FAAS_OK || b.function == NULL || strcmp(b.function, name) != 0 ? -1
                                                                                     : b.status != FAAS_BUILD_BUILDING;
    faas_build_free(&b);
    return ended;
}

static void answer(waiter_t *w)
{
    faas_function_t fn = {0};
    faas_error_t err = {0};
    faas_err_t rc = faas_store_function_get(w->loop->app->store, w->name, &fn, &err);
    if (rc == FAAS_ENOTFOUND) {
        faas_reply_error(w->req, 404, "Function not found", NULL);
    } else if (rc != FAAS_OK) {
        faas_reply_failure(w->req, NULL, &err);
    } else {
        cJSON *json = faas_api_scale_function_json(w->loop, &fn);
        if (json != NULL)
            faas_reply_json(w->req, 200, json);
        else
            faas_reply_error(w->req, 500, "Internal server error", NULL);
    }
    faas_function_free(&fn);
}

static void on_tick(h2o_timeout_entry_t *entry)
{
    waiter_t *w = H2O_STRUCT_FROM_MEMBER(waiter_t, tick, entry);
    if (build_ended(w->loop->app->store, w->name, w->build) != 0 || faas_clock_mono_ms() >= w->deadline_ms) {
        answer(w);
        return;
    }
    h2o_timeout_link(w->loop->ctx.loop, &w->loop->ctx.hundred_ms_timeout, &w->tick);
}

static void on_dispose(void *p)
{
    waiter_t *w = p;
    if (h2o_timeout_is_linked(&w->tick))
        h2o_timeout_unlink(&w->tick);
}

int faas_api_wait_build(faas_loop_t *loop, h2o_req_t *req, const char *name)
{
    char build[FAAS_STORE_ID_MAX + 2], timeout[16];
    ssize_t n = faas_request_query(req, "wait", build, sizeof(build));
    if (n < 0)
        return 0;
    long seconds = DEFAULT_TIMEOUT_S;
    char *end = NULL;
    if (faas_request_query(req, "timeout", timeout, sizeof(timeout)) >= 0)
        seconds = strtol(timeout, &end, 10);
    if (n == 0 || (size_t)n > FAAS_STORE_ID_MAX) {
        faas_reply_error(req, 400, "Invalid wait", "wait must name a build id (the upload's buildId)");
        return 1;
    }
    if ((end != NULL && (*end != '\0' || end == timeout)) || seconds < 0 || seconds > MAX_TIMEOUT_S) {
        faas_reply_error(req, 400, "Invalid wait", "timeout must be a whole number of seconds from 0 to 600");
        return 1;
    }
    int ended = build_ended(loop->app->store, name, build);
    if (ended < 0) {
        faas_reply_error(req, 404, "Not found", "the function has no build with that id");
        return 1;
    }
    waiter_t *w = h2o_mem_alloc_shared(&req->pool, sizeof(*w), on_dispose);
    *w = (waiter_t){.tick = {.cb = on_tick}, .loop = loop, .req = req,
                    .deadline_ms = faas_clock_mono_ms() + (int64_t)seconds * 1000};
    snprintf(w->name, sizeof(w->name), "%s", name);
    memcpy(w->build, build, (size_t)n + 1); /* n <= FAAS_STORE_ID_MAX */
    if (ended || seconds == 0)
        answer(w);
    else
        h2o_timeout_link(loop->ctx.loop, &loop->ctx.hundred_ms_timeout, &w->tick);
    return 1;
}
