/*
 * api.h: what every API handler (the files in src/api/) uses.
 *
 * A handler file declares a NULL-terminated table of faas_api_route_t; the
 * router matches the path, checks auth, method and body size once, then
 * calls the handler. Handlers answer through faas_api_send_json and the one
 * error writer faas_api_send_error / faas_api_send_err, and move blocking
 * work to the worker pool with faas_api_defer. All functions here run on a
 * loop thread unless said otherwise.
 */
#ifndef FAAS_API_H
#define FAAS_API_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "faas/core/error.h"
#include "faas/server/server.h"

/* HTTP methods a route accepts (a bit mask). */
enum {
    FAAS_M_GET = 1 << 0,
    FAAS_M_HEAD = 1 << 1,
    FAAS_M_POST = 1 << 2,
    FAAS_M_PUT = 1 << 3,
    FAAS_M_DELETE = 1 << 4,
    FAAS_M_PATCH = 1 << 5,
    FAAS_M_OPTIONS = 1 << 6,
};

/* Route flags. */
enum {
    FAAS_ROUTE_PUBLIC = 1 << 0, /* no passkey needed (/health) */
};

#define FAAS_API_MAX_PARAMS 4

/* Path parameters in pattern order (":name" one segment, "*rest" the remainder). */
typedef struct faas_api_params {
    h2o_iovec_t v[FAAS_API_MAX_PARAMS];
    size_t n;
} faas_api_params_t;

/* Returns 0: the request is answered now or later (never -1). */
typedef int (*faas_api_handler_t)(faas_loop_t *loop, h2o_req_t *req, const faas_api_params_t *params);

typedef struct faas_api_route {
    const char *pattern;     /* "/runtime/show/:name"; "*id" takes the rest */
    unsigned methods;        /* FAAS_M_* */
    unsigned flags;          /* FAAS_ROUTE_* */
    faas_api_handler_t handler;
} faas_api_route_t;

/* The routes of each API file (NULL-pattern terminated). */
extern const faas_api_route_t faas_api_health_routes[];
extern const faas_api_route_t faas_api_functions_routes[];
extern const faas_api_route_t faas_api_jobs_routes[];
extern const faas_api_route_t faas_api_runtimes_routes[];
extern const faas_api_route_t faas_api_tls_routes[];

/** Sends body (consumed, may be NULL for no body) as JSON with status. Returns 0. */
int faas_api_send_json(h2o_req_t *req, int status, cJSON *body);

/** The one error writer: {"error":message,"code":status[,"details":details]}. Returns 0. */
int faas_api_send_error(h2o_req_t *req, int status, const char *message, const char *details);

/**
 * Answers an error from a faas_error_t: status from its code, its message for
 * client errors; for server errors a generic message, with details only where
 * they help the operator (Docker's own message, a timeout), the rest logged.
 */
int faas_api_send_err(h2o_req_t *req, const faas_error_t *err);

/** Like faas_api_send_err, but a client error, a Docker error or a timeout answers
    {"error":message,"details":err->msg} (message may be NULL). */
int faas_api_send_err_as(h2o_req_t *req, const char *message, const faas_error_t *err);

/** An error body as a cJSON object, for answers that add fields to it (caller owns it). */
cJSON *faas_api_error_json(int status, const char *message, const char *details);

/** The JSON text of an error body (malloc'd, caller frees); NULL on allocation failure. Any thread. */
char *faas_api_error_body(int status, const char *message, const char *details);

/** Adds the CORS headers faas sends on every API answer. */
void faas_api_add_cors(h2o_req_t *req);

/**
 * Copies the value of query parameter name (percent-decoded) into buf;
 * returns its length, or -1 when absent or longer than size - 1.
 */
int faas_api_query(h2o_req_t *req, const char *name, char *buf, size_t size);

/* Called on the loop after deferred work; req is NULL when the client went away. */
typedef void (*faas_api_done_cb)(h2o_req_t *req, void *data);

/**
 * Runs work(data) on the worker pool, then done(req or NULL, data) on this
 * loop. data must not point into the request (copy what work needs). If the
 * pool is stopping, answers 503 and calls done(NULL, data) at once. Returns 0.
 */
int faas_api_defer(faas_loop_t *loop, h2o_req_t *req, faas_jobs_work_cb work, faas_api_done_cb done, void *data);

/* What a worker computed for a request: an error (rc != FAAS_OK, with err), or an answer of
 * status (200 if 0) with a JSON body (json) or a text/plain body (text, text_len). For a
 * client error, message (a static string, optional) is the "error" and err.msg the details. */
typedef struct faas_api_result {
    faas_err_t rc;
    faas_error_t err;
    const char *message;
    int error_status;  /* the status of an error answer, when not the code's usual one */
    int status;
    cJSON *json;
    char *text;
    size_t text_len;
} faas_api_result_t;

/* Runs on a worker: fills res. */
typedef void (*faas_api_work_cb)(void *data, faas_api_result_t *res);

/**
 * Runs work(data, &res) on the worker pool and answers with res on this loop;
 * then frees data with free_data (NULL: free()). data must not point into the
 * request. Returns 0.
 */
int faas_api_run(faas_loop_t *loop, h2o_req_t *req, faas_api_work_cb work, void *data, void (*free_data)(void *));

struct faas_multipart;

/**
 * Parses the request body as multipart/form-data into *form (free with
 * faas_multipart_free; parts point into the request body). On failure answers
 * 400 and returns -1 (the caller just returns 0).
 */
int faas_api_form_or_reply(h2o_req_t *req, struct faas_multipart **form);

/** Sends text (copied) as text/plain with status. Returns 0. */
int faas_api_send_text(h2o_req_t *req, int status, const char *text, size_t len);

#endif
