/*
 * reply.c: faas's own answers: JSON and text bodies, and the one error
 * writer (see reply.h). Loop threads (faas_reply_error_json is pure).
 */
#include "faas/http/reply.h"
#include "faas/core/log.h"

#include <stdlib.h>
#include <string.h>

void faas_reply_add_cors(h2o_req_t *req)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-origin"), 0, NULL,
                          H2O_STRLIT("*"));
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : "Error";
    }
}

/* Sends len bytes of body (copied) with a content type. */
static int send_body(h2o_req_t *req, int status, const char *type, size_t type_len, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, type_len);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    faas_reply_add_cors(req);
    req->res.content_length = len; /* unknown length would make h2o close the connection on errors */
    h2o_send_inline(req, body, len);
    return 0;
}

int faas_reply_typed(h2o_req_t *req, int status, const char *type, const char *body, size_t len)
{
    return send_body(req, status, type, strlen(type), body, len);
}

int faas_reply_text(h2o_req_t *req, int status, const char *text, size_t len)
{
    return send_body(req, status, H2O_STRLIT("text/plain; charset=utf-8"), text, len);
}

/* Sends text (owned, may be NULL for an empty body) as a JSON answer. */
static int send_text(h2o_req_t *req, int status, char *text)
{
    send_body(req, status, H2O_STRLIT("application/json"), text, text != NULL ? strlen(text) : 0);
    free(text);
    return 0;
}

static char *out_of_memory_body(void)
{
    faas_log_error("api: out of memory building a response");
    return strdup("{\"error\":\"Internal server error\",\"code\":500}");
}

int faas_reply_json(h2o_req_t *req, int status, cJSON *body)
{
    if (body == NULL)
        return send_text(req, status, NULL);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (text == NULL)
        return send_text(req, 500, out_of_memory_body());
    return send_text(req, status, text);
}

cJSON *faas_reply_error_json(int status, const char *message, const char *details)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "error", message != NULL ? message : "error");
    cJSON_AddNumberToObject(o, "code", status);
    if (details != NULL && details[0] != '\0')
        cJSON_AddStringToObject(o, "details", details);
    return o;
}

int faas_reply_error(h2o_req_t *req, int status, const char *message, const char *details)
{
    if (status >= 500)
        faas_log_warn("%.*s %.*s -> %d %s%s%s", (int)req->method.len, req->method.base, (int)req->path.len,
                      req->path.base, status, message, details ? ": " : "", details ? details : "");
    cJSON *body = faas_reply_error_json(status, message, details);
    char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (text == NULL)
        return send_text(req, 500, out_of_memory_body());
    return send_text(req, status, text);
}

int faas_reply_failure(h2o_req_t *req, const char *message, const faas_error_t *err)
{
    int status = faas_err_http_status(err->code);
    if (status < 500)
        return message != NULL ? faas_reply_error(req, status, message, err->msg)
                               : faas_reply_error(req, status, err->msg, NULL);
    switch (err->code) {
    case FAAS_EDOCKER:
    case FAAS_EUNAVAIL:
    case FAAS_ETIMEOUT:
    case FAAS_ENOSPACE:
        /* Docker's own words, a deadline or a full disk help the operator; they hold no secret. */
        return faas_reply_error(req, status, message != NULL ? message : faas_strerror(err->code), err->msg);
    default:
        faas_log_error("%.*s %.*s: %s", (int)req->method.len, req->method.base, (int)req->path.len, req->path.base,
                       err->msg);
        return faas_reply_error(req, status, "Internal server error", NULL);
    }
}
