/*
 * defer.c: blocking work of a request on the worker pool, its answer back on
 * the loop (see defer.h). Loop threads (the work callbacks: workers).
 *
 * DESIGN
 * - A guard allocated in the request's pool nulls the deferred record's
 *   request pointer when the request is freed, so the done callback never
 *   touches a dead request; the record itself is freed by the done callback,
 *   which always runs (the pool only drops tasks at shutdown, after the loops
 *   stopped).
 */
#include "faas/http/defer.h"
#include "faas/http/reply.h"

#include <stdlib.h>

typedef struct deferred deferred_t;

typedef struct guard {
    deferred_t *d;
} guard_t;

struct deferred {
    h2o_req_t *req;   /* NULL once the request is gone */
    guard_t *guard;
    faas_pool_work_cb work;
    faas_defer_done_cb done;
    void *data;
};

/* Runs when the request's pool is freed (client gone, h2 stream reset, or after the answer). */
static void on_guard_dispose(void *p)
{
    guard_t *g = p;
    if (g->d != NULL)
        g->d->req = NULL;
}

static void on_deferred_work(void *p)
{
    deferred_t *d = p;
    d->work(d->data);
}

static void on_deferred_done(void *p)
{
    deferred_t *d = p;
    h2o_req_t *req = d->req;
    if (req != NULL)
        d->guard->d = NULL;
    d->done(req, d->data);
    free(d);
}

int faas_defer(faas_loop_t *loop, h2o_req_t *req, faas_pool_work_cb work, faas_defer_done_cb done, void *data)
{
    deferred_t *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        done(NULL, data);
        return faas_reply_error(req, 500, "Internal server error", NULL);
    }
    *d = (deferred_t){.req = req, .work = work, .done = done, .data = data};
    d->guard = h2o_mem_alloc_shared(&req->pool, sizeof(guard_t), on_guard_dispose);
    d->guard->d = d;
    if (faas_pool_submit(loop->app->pool, loop->inbox, on_deferred_work, on_deferred_done, d) != 0) {
        d->guard->d = NULL;
        free(d);
        done(NULL, data);
        return faas_reply_error(req, 503, "Service unavailable", "the server is shutting down");
    }
    return 0;
}

/* ---- running work and answering with its result ---- */

typedef struct run {
    faas_defer_work_cb work;
    void *data;
    void (*free_data)(void *);
    faas_defer_result_t res;
} run_t;

static void on_run_work(void *p)
{
    run_t *r = p;
    r->work(r->data, &r->res);
}

static void on_run_done(h2o_req_t *req, void *p)
{
    run_t *r = p;
    if (req != NULL) {
        if (r->res.rc != FAAS_OK && r->res.error_status != 0)
            faas_reply_error(req, r->res.error_status, r->res.message, r->res.err.msg);
        else if (r->res.rc != FAAS_OK)
            faas_reply_failure(req, r->res.message, &r->res.err);
        else if (r->res.text != NULL)
            faas_reply_text(req, r->res.status ? r->res.status : 200, r->res.text, r->res.text_len);
        else if (r->res.json == NULL)
            faas_reply_error(req, 500, "Internal server error", "out of memory"); /* never an empty 200 */
        else {
            faas_reply_json(req, r->res.status ? r->res.status : 200, r->res.json); /* consumes it */
            r->res.json = NULL;
        }
    }
    cJSON_Delete(r->res.json);
    free(r->res.text);
    if (r->free_data != NULL)
        r->free_data(r->data);
    else
        free(r->data);
    free(r);
}

int faas_defer_answer(faas_loop_t *loop, h2o_req_t *req, faas_defer_work_cb work, void *data,
                      void (*free_data)(void *))
{
    run_t *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        if (free_data != NULL)
            free_data(data);
        else
            free(data);
        return faas_reply_error(req, 500, "Internal server error", NULL);
    }
    *r = (run_t){.work = work, .data = data, .free_data = free_data};
    return faas_defer(loop, req, on_run_work, on_run_done, r);
}

