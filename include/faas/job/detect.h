/*
 * detect.h: the language of a submitted job function and the file that runs,
 * found in its build context. Pure: any thread.
 */
#ifndef FAAS_JOB_DETECT_H
#define FAAS_JOB_DETECT_H

#include "faas/core/error.h"
#include "faas/service/buildctx.h"

typedef struct faas_detect_result {
    char language[16];   /* "python" or "go": also the runtime that builds it */
    char handler[256];   /* the file run (python), "" for go */
    char reason[320];    /* "python: found main.py" */
} faas_detect_result_t;

/**
 * Finds the language and handler of a build context: serverless.json
 * ({"handler","language"}) if present and valid; else main.py, handler.py, a
 * requirements.txt with a .py file -> python; go.mod or main.go -> go.
 * FAAS_EINVAL ("no handler found ...", "serverless.json: ...") otherwise. Pure.
 */
faas_err_t faas_detect_language(const faas_buildctx_t *ctx, faas_detect_result_t *out, faas_error_t *err);

#endif
