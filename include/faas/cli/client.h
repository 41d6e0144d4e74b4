/*
 * client.h: the client's HTTP side (libcurl): one handle per command, reused for each request
 * (so one connection, HTTP/2 over TLS where the server offers it), timeouts on every request
 * but streams, and the one path that turns a failure into a one-line message. Blocking; one
 * thread.
 */
#ifndef FAAS_CLI_CLIENT_H
#define FAAS_CLI_CLIENT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "faas/core/buf.h"

typedef struct faas_cli_client faas_cli_client_t;

/* A multipart form field: text, or a file's bytes when filename is set. */
typedef struct faas_cli_field {
    const char *name;
    const char *value;
    size_t len;
    const char *filename;
} faas_cli_field_t;

/* Body bytes as they arrive; return 0 to go on, -1 to stop the transfer. */
typedef int (*faas_cli_data_cb)(void *cbdata, const char *data, size_t len);

typedef struct faas_cli_request {
    const char *method;           /* NULL: GET */
    const char *path;             /* "/function/list", query included, escaped by the caller */
    const char *body;             /* a raw body (len body_len) ... */
    size_t body_len;
    const char *content_type;     /* ... of this type */
    const faas_cli_field_t *fields; /* or a multipart form */
    size_t nfields;
    const char *const *headers;   /* more "Name: value" headers */
    size_t nheaders;
    const char *host;             /* a Host header (function traffic) */
    int no_auth;                  /* send no key (function traffic) */
    long timeout_s;               /* 0: 60 s; > 0: that; -1: none (streams, long builds) */
    int progress;                 /* a progress bar for the upload on stderr */
    faas_cli_data_cb on_data;     /* the body of a 2xx answer (any answer with stream_all) goes here */
    void *cbdata;
    int stream_all;
} faas_cli_request_t;

typedef struct faas_cli_response {
    long status;
    faas_buf_t body;              /* what on_data did not take */
    faas_buf_t headers;           /* the answer's header lines */
    cJSON *json;                  /* body parsed, when it is JSON */
    char http_version[8];         /* "1.1", "2" */
} faas_cli_response_t;

/** A client for the server at url (no trailing '/') with key; NULL when out of memory. */
faas_cli_client_t *faas_cli_client_new(const char *url, const char *key);
void faas_cli_client_free(faas_cli_client_t *c);

/** The server URL the client was made with. */
const char *faas_cli_client_url(const faas_cli_client_t *c);

/**
 * Sends req and waits for the whole answer. 0 when an answer came (any status: see resp);
 * -1 when there was none, with "cannot reach URL: <cause>" in err. resp is zeroed first;
 * free it with faas_cli_response_free either way.
 */
int faas_cli_client_send(faas_cli_client_t *c, const faas_cli_request_t *req, faas_cli_response_t *resp, char *err,
                         size_t err_size);

/**
 * The one-line message for an answer that failed (status >= 400): "bad key (faas login URL)"
 * for 401, else "<error>: <details>" from the JSON error body, else "HTTP <status>".
 */
const char *faas_cli_client_error(const faas_cli_response_t *resp, char *out, size_t size);

/** faas_cli_client_send, then any failure printed (faas_cli_fail): 0 for a 2xx answer, 1 otherwise. */
int faas_cli_client_call(faas_cli_client_t *c, const faas_cli_request_t *req, faas_cli_response_t *resp);

/** The answer's "data" member when it has one, else the whole JSON (NULL when not JSON). */
cJSON *faas_cli_response_data(const faas_cli_response_t *resp);

void faas_cli_response_free(faas_cli_response_t *resp);

/** s percent-encoded for a path segment or query value into out; NULL when it does not fit. Pure. */
char *faas_cli_escape(const char *s, char *out, size_t size);

#endif
