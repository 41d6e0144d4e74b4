/*
 * job.h: job functions, the seed-002 API: submit turns a zip into an image
 * (language detected, built with the `python` or `go` runtime), delete
 * removes one. Running one is execute.h's; containers started ahead are
 * warm.h's. Every function blocks (Docker, LMDB writes): worker thread only.
 */
#ifndef FAAS_JOB_JOB_H
#define FAAS_JOB_JOB_H

#include <stddef.h>

#include "faas/core/app.h"
#include "faas/core/error.h"
#include "faas/job/detect.h"

typedef struct faas_job_submitted {
    const char *failed;  /* on failure, what failed: "Invalid zip file", "Failed to detect handler file", ... */
    char function_id[40];
    char name[64];
    char image_id[80];
    faas_detect_result_t detection;
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

/**
 * Deletes job function name: its record, invocations, containers waiting for it and image.
 * FAAS_ENOTFOUND, FAAS_EINVAL when name is a service function (faas_service_delete deletes
 * those), FAAS_ECONFLICT while another operation holds the name. Worker thread only.
 */
faas_err_t faas_job_delete(faas_app_t *app, const char *name, faas_error_t *err);

/** Removes leftover execution containers (from a faas that stopped mid-run). Start-up, worker. */
void faas_job_remove_leftovers(faas_app_t *app);

#endif
