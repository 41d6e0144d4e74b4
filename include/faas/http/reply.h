/*
 * reply.h: the one way faas answers an HTTP request itself (API answers, and the proxy's own
 * errors): JSON or text bodies with a known length, CORS, no caching, and the one error shape
 * {"error":message,"code":status[,"details":details]} written by faas_reply_error. Every error
 * answer in faas goes through faas_reply_error (faas_reply_failure maps a faas_error_t onto it).
 * Loop thread; faas_reply_error_json is pure.
 */
#ifndef FAAS_HTTP_REPLY_H
#define FAAS_HTTP_REPLY_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include <h2o.h>

#include "faas/core/error.h"

/** Sends body (len bytes, copied) with status and content type type (e.g. the Prometheus text
    format's). Returns 0. */
int faas_reply_typed(h2o_req_t *req, int status, const char *type, const char *body, size_t len);

/** Sends body (consumed; NULL: no body) as JSON with status. Returns 0. */
int faas_reply_json(h2o_req_t *req, int status, cJSON *body);

/** Sends text (copied) as text/plain with status. Returns 0. */
int faas_reply_text(h2o_req_t *req, int status, const char *text, size_t len);

/** The error writer: {"error":message,"code":status[,"details":details]}; 5xx are logged. Returns 0. */
int faas_reply_error(h2o_req_t *req, int status, const char *message, const char *details);

/**
 * Answers err with the status of its code. A client error (4xx) answers message (or, when NULL,
 * err->msg alone) with err->msg as details; Docker errors, timeouts and an unreachable engine
 * name the failure and carry their message (it holds no secret and helps the operator); any
 * other server error is logged and answered with a generic "Internal server error".
 * Returns 0.
 */
int faas_reply_failure(h2o_req_t *req, const char *message, const faas_error_t *err);

/** An error body as a cJSON object, for answers that add fields to it (caller owns it). Pure. */
cJSON *faas_reply_error_json(int status, const char *message, const char *details);

/** Adds the CORS header faas sends on every answer of its own. */
void faas_reply_add_cors(h2o_req_t *req);

#endif
