/*
 * execute.h: running a job function once: a container with the call's input
 * as its environment, in the execution sandbox (no network, read-only root,
 * no capabilities, limits), run to its end or its deadline, its output, an
 * invocation record. Worker thread only: it blocks on Docker and LMDB.
 */
#ifndef FAAS_JOB_EXECUTE_H
#define FAAS_JOB_EXECUTE_H

#include <stddef.h>
#include <stdint.h>

#include "faas/core/app.h"
#include "faas/core/error.h"
#include "faas/store/record.h"

/* Output kept in an invocation record; longer output is cut (the answer says so). */
#define FAAS_EXECUTE_RECORD_OUTPUT_MAX (64 * 1024)
/* Output returned by an execute answer. */
#define FAAS_EXECUTE_ANSWER_OUTPUT_MAX (1024 * 1024)
/* Invocation records kept per function (older ones are deleted). */
#define FAAS_EXECUTE_INVOCATIONS_KEPT 100

typedef struct faas_execute_result {
    char invocation_id[40];
    int exit_code;
    int timed_out;
    int64_t started_at_ms, duration_ms;
    char *output;        /* stdout and stderr in order (malloc'd) */
    size_t output_len;
    int truncated;
    char function_name[64]; /* the function's name; "" when it was not found */
} faas_execute_result_t;

/**
 * Runs job function function_id (its functionId, or its name) once with env and records the invocation.
 * Fills *out unless the run could not start (FAAS_ENOTFOUND, FAAS_EINVAL for
 * a service function, FAAS_EDOCKER, ...). A non-zero exit or a timeout is
 * FAAS_OK with out->exit_code / out->timed_out set. The container is removed
 * whatever happened. Worker thread only.
 */
faas_err_t faas_execute(faas_app_t *app, const char *function_id, const faas_env_var_t *env, size_t n,
                            faas_execute_result_t *out, faas_error_t *err);

/** Frees a result's members. */
void faas_execute_result_free(faas_execute_result_t *r);

#endif
