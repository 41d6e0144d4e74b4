/*
 * internal.h: what the files of src/docker/ share: docker.c (transport,
 * simple calls), objects.c (images, networks) and stream.c (build, logs,
 * wait, events). Names: faas_docker__*. Not a public header;
 * the unit test includes it to reach the encoding helpers.
 */
#ifndef FAAS_DOCKER_INTERNAL_H
#define FAAS_DOCKER_INTERNAL_H

#include "faas/core/buf.h"
#include "faas/docker/docker.h"

/* Appends text percent-encoded (everything but A-Z a-z 0-9 - . _ ~). */
void faas_docker__add_escaped(faas_buf_t *s, const char *text);
/* Appends the URL-encoded filters JSON {"type":[type],"label":[labels...],"dangling":["true"]}
   (type and labels may be NULL, dangling 0 to leave it out). */
void faas_docker__add_filters(faas_buf_t *s, const char *type, const char *const *labels, int dangling);
/* Turns "k=v" strings (NULL-terminated, or NULL) into a JSON object; FAAS_EINVAL on "k" or "=v". */
faas_err_t faas_docker__labels(const char *const *labels, cJSON **out, faas_error_t *err);

/* One HTTP exchange. The caller fills the inputs; faas_docker__call fills the outputs. */
typedef struct faas_docker__req {
    const char *method;        /* "GET", "POST", "DELETE" */
    const char *path;          /* after /v1.41, with the encoded query: "/containers/json?all=1" */
    const char *what;          /* for messages: "remove container abc" */
    const char *content_type;  /* of body; NULL when there is none */
    const char *header;        /* one more request header line ("X-Registry-Auth: ..."), or NULL */
    const void *body;
    size_t body_len;
    long timeout_ms;           /* 0 = none */
    /* Streaming: gets the body of a 2xx answer; return nonzero to end the transfer early.
       NULL: the body is buffered into body_out. Non-2xx bodies are always buffered. */
    int (*on_body)(void *ctx, const char *data, size_t len);
    void *ctx;
    const atomic_int *stop;    /* checked about once a second; nonzero ends the transfer */
    /* outputs */
    long status;
    faas_buf_t body_out;
    int stopped;               /* ended early by on_body or *stop; status is valid */
} faas_docker__req_t;

/* Runs rq. FAAS_OK for a 2xx or 304 answer (see rq->status) or an early stop; otherwise the
   mapped error. The caller frees rq->body_out.p. */
faas_err_t faas_docker__call(faas_docker_t *d, faas_docker__req_t *rq, faas_error_t *err);


/* Room for an operation's description in messages ("remove image abc:1"). */
#define FAAS_DOCKER__WHAT_MAX 160

/* Runs a buffered request on path (freed here), with the default deadline when rq has none; the
   caller frees rq->body_out.p. */
faas_err_t faas_docker__run(faas_docker_t *d, faas_docker__req_t *rq, faas_buf_t *path, faas_error_t *err);
/* Parses the buffered answer of rq into *out, which must be of cJSON type type. */
faas_err_t faas_docker__take_json(faas_docker__req_t *rq, int type, cJSON **out, faas_error_t *err);

/* Appends "/<kind>/<ref escaped><suffix>" to s. */
void faas_docker__add_path(faas_buf_t *s, const char *kind, const char *ref, const char *suffix);
/* FAAS_EINVAL when ref is NULL or empty. */
faas_err_t faas_docker__check_ref(const char *ref, const char *what, faas_error_t *err);
/* A request with no body whose answer only matters through its status (path is freed). */
faas_err_t faas_docker__simple(faas_docker_t *d, const char *method, faas_buf_t *path, const char *what,
                               long timeout_ms, faas_error_t *err);
/* A GET whose answer is JSON of the given cJSON type (path is freed). */
faas_err_t faas_docker__get_json(faas_docker_t *d, faas_buf_t *path, const char *what, int type, cJSON **out,
                                 faas_error_t *err);

#endif
