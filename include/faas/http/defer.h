/*
 * defer.h: moving a request's blocking work (Docker, store writes, file I/O) to the worker pool
 * and answering when it is done, on the loop that took the request. A request may die meanwhile
 * (client gone, HTTP/2 stream reset): the work still runs to its end, and the answer is dropped.
 * Loop thread.
 */
#ifndef FAAS_HTTP_DEFER_H
#define FAAS_HTTP_DEFER_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "faas/core/error.h"
#include "faas/core/pool.h"
#include "faas/http/loop.h"

/* Called on the loop after deferred work; req is NULL when the client went away. */
typedef void (*faas_defer_done_cb)(h2o_req_t *req, void *data);

/**
 * Runs work(data) on the worker pool, then done(req or NULL, data) on this loop. data must not
 * point into the request (copy what work needs). If the pool is stopping, answers 503 and calls
 * done(NULL, data) at once. Returns 0.
 */
int faas_defer(faas_loop_t *loop, h2o_req_t *req, faas_pool_work_cb work, faas_defer_done_cb done, void *data);

/* What a worker computed for a request: an error (rc != FAAS_OK, with err), or an answer of
 * status (200 if 0) with a JSON body (json) or a text/plain body (text, text_len). For a
 * client error, message (a static string, optional) is the "error" and err.msg the details. */
typedef struct faas_defer_result {
    faas_err_t rc;
    faas_error_t err;
    const char *message;
    int error_status;  /* the status of an error answer, when not the code's usual one */
    int status;
    cJSON *json;
    char *text;
    size_t text_len;
} faas_defer_result_t;

/* Runs on a worker: fills res. */
typedef void (*faas_defer_work_cb)(void *data, faas_defer_result_t *res);

/**
 * Runs work(data, &res) on the worker pool and answers with res on this loop; then frees data
 * with free_data (NULL: free()). data must not point into the request. Returns 0.
 */
int faas_defer_answer(faas_loop_t *loop, h2o_req_t *req, faas_defer_work_cb work, void *data,
                      void (*free_data)(void *));

#endif
