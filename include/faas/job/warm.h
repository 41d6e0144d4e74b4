/*
 * warm.h: execution containers started ahead (warm.c). A call that finds one
 * waiting skips creating and starting a container: it hands its input over
 * and the function's command starts at once. Each such container is made with
 * the same sandbox as any execution, runs only faas-start (which waits on a
 * read-only FIFO for the input) until its call comes, serves that one call
 * and is removed: calls never share a container. A function keeps up to
 * limits.warm waiting once it has been called; unused ones go after
 * limits.warm_idle.
 */
#ifndef FAAS_JOB_WARM_H
#define FAAS_JOB_WARM_H

#include "faas/core/app.h"
#include "faas/core/error.h"

typedef struct faas_warm faas_warm_t;

/**
 * Writes faas-start to <data_dir>/exec and clears what an earlier run left
 * there (call after faas_job_remove_leftovers). NULL with err when it cannot:
 * executions then make a container per call. Start-up only.
 */
faas_warm_t *faas_warm_create(faas_app_t *app, faas_error_t *err);

/** Removes the waiting containers and frees the set; the worker pool must be stopped. Shutdown. */
void faas_warm_dispose(faas_warm_t *w);

#endif
