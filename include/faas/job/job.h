/*
 * job.h: job functions, the seed-002 API. Submit turns a zip into an image
 * (language detected, built with the `python` or `go` runtime); execute runs
 * the image to completion in a sandboxed container (no network, read-only
 * root, no capabilities, limits), with the input as environment variables,
 * and keeps an invocation record.
 *
 * The pure parts (detection, input, output merge) may run on any thread;
 * submit, execute and delete block (Docker, LMDB writes): worker thread only.
 */
#ifndef FAAS_JOB_H
#define FAAS_JOB_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "faas/service/buildctx.h"
#include "faas/core/error.h"
#include "faas/store/record.h"
#include "faas/server/server.h"

/* Output kept in an invocation record; longer output is cut (the answer says so). */
#define FAAS_JOB_RECORD_OUTPUT_MAX (64 * 1024)
/* Output returned by an execute answer. */
#define FAAS_JOB_ANSWER_OUTPUT_MAX (1024 * 1024)
/* Invocation records kept per function (older ones are deleted). */
#define FAAS_JOB_INVOCATIONS_KEPT 100

typedef struct faas_job_detection {
    char language[16];   /* "python" or "go": also the runtime that builds it */
    char handler[256];   /* the file run (python), "" for go */
    char reason[320];    /* "python: found main.py" */
} faas_job_detection_t;

/**
 * Finds the language and handler of a build context: serverless.json
 * ({"handler","language"}) if present and valid; else main.py, handler.py, a
 * requirements.txt with a .py file -> python; go.mod or main.go -> go.
 * FAAS_EINVAL ("no handler found ...", "serverless.json: ...") otherwise. Pure.
 */
faas_err_t faas_job_detect(const faas_build_context_t *ctx, faas_job_detection_t *out, faas_error_t *err);

/**
 * Turns an execute request's "input" object into environment variables:
 * keys upper-cased with anything outside [A-Z0-9_] made '_'; values strings,
 * numbers or booleans. FAAS_EINVAL for other values, empty or clashing keys,
 * and names that would change the runtime (PATH, HOME, LD_*, PYTHON*, ...).
 * *env is freed with faas_env_free. Pure.
 */
faas_err_t faas_job_input_env(const cJSON *input, faas_env_var_t **env, size_t *n, faas_error_t *err);

/* One line of a container's output, as the log API returns it with timestamps. */
typedef struct faas_job_line {
    int64_t sec, nsec;   /* when it was written */
    int stream;          /* 1 stdout, 2 stderr */
    const char *text;
    size_t len;
} faas_job_line_t;

/**
 * Orders lines by time (stable, so one stream's order never changes) and
 * appends their text to a new buffer of at most max bytes; *truncated says if
 * more was there. Returns NULL when out of memory. Pure.
 */
char *faas_job_merge_output(faas_job_line_t *lines, size_t n, size_t max, size_t *len, int *truncated);

typedef struct faas_job_submitted {
    const char *failed;  /* on failure, what failed: "Invalid zip file", "Failed to detect handler file", ... */
    char function_id[40];
    char name[64];
    char image_id[80];
    faas_job_detection_t detection;
    char *log_tail;      /* the build log's end on a failed build (malloc'd), else NULL */
} faas_job_submitted_t;

/**
 * Builds zip (taken over) into the image of job function name (NULL: a new
 * unique name): replaces an existing job's image, keeping its functionId.
 * FAAS_EINVAL (unsafe zip, no handler), FAAS_ETOOLARGE, FAAS_ECONFLICT (the
 * name is a service function, or busy), FAAS_EDOCKER (the build failed:
 * log_tail set), FAAS_ETIMEOUT (limits.build_timeout). Worker thread only.
 */
faas_err_t faas_job_submit(faas_app_t *app, const char *name, void *zip, size_t len, faas_job_submitted_t *out,
                           faas_error_t *err);

typedef struct faas_job_result {
    char invocation_id[40];
    int exit_code;
    int timed_out;
    int64_t started_at_ms, duration_ms;
    char *output;        /* stdout and stderr in order (malloc'd) */
    size_t output_len;
    int truncated;
} faas_job_result_t;

/**
 * Runs job function function_id once with env and records the invocation.
 * Fills *out unless the run could not start (FAAS_ENOTFOUND, FAAS_EINVAL for
 * a service function, FAAS_EDOCKER, ...). A non-zero exit or a timeout is
 * FAAS_OK with out->exit_code / out->timed_out set. The container is removed
 * whatever happened. Worker thread only.
 */
faas_err_t faas_job_execute(faas_app_t *app, const char *function_id, const faas_env_var_t *env, size_t n,
                            faas_job_result_t *out, faas_error_t *err);

/**
 * Deletes function function_id: a job's record, invocations and image; a service through
 * faas_service_delete. FAAS_ENOTFOUND. Worker thread only.
 */
faas_err_t faas_job_delete(faas_app_t *app, const char *function_id, faas_error_t *err);

/** Frees a result's members. */
void faas_job_result_free(faas_job_result_t *r);

/** Removes leftover execution containers (from a faas that stopped mid-run). Start-up, worker. */
void faas_job_remove_leftovers(faas_app_t *app);

/*
 * Pre-started containers (job_warm.c). A call that finds one waiting skips
 * creating and starting a container: it hands its input over and the
 * function's command starts at once. Each such container is made with the
 * same sandbox as any execution, runs only faas-start (which waits on a
 * read-only FIFO for the input) until its call comes, serves that one call
 * and is removed: calls never share a container. A function keeps up to
 * limits.warm waiting once it has been called; unused ones go after
 * limits.warm_idle.
 */
typedef struct faas_job_warm faas_job_warm_t;

/**
 * Writes faas-start to <data_dir>/exec and clears what an earlier run left
 * there (call after faas_job_remove_leftovers). NULL with err when it cannot:
 * executions then make a container per call. Start-up only.
 */
faas_job_warm_t *faas_job_warm_create(faas_app_t *app, faas_error_t *err);

/** Removes the waiting containers and frees the pool; the worker pool must be stopped. Shutdown. */
void faas_job_warm_dispose(faas_job_warm_t *w);

#endif
