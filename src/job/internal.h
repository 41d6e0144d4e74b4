/*
 * internal.h: what the files of src/job/ share, and nothing outside it: the
 * sandbox every execution container gets (sandbox.c, used by execute.c and
 * warm.c), and the calls execute.c makes on the containers started ahead
 * (warm.c). Names: faas_job__*.
 */
#ifndef FAAS_JOB_INTERNAL_H
#define FAAS_JOB_INTERNAL_H

#include "faas/core/app.h"
#include "faas/core/config.h"
#include "faas/docker/docker.h"
#include "faas/job/warm.h"
#include "faas/store/record.h"

#define FAAS_JOB__MAX_ENV 256

/* An execution container's create spec with the strings it points into. */
typedef struct faas_job__sandbox {
    faas_docker_container_spec_t docker;
    char *envv[FAAS_JOB__MAX_ENV];
    char *labels[6];
    char name[160];
} faas_job__sandbox_t;

/**
 * The sandbox: no network, read-only root with a small /tmp, no capabilities,
 * no new privileges, the policy's limits, an init, user nobody. The container
 * is named <prefix>-<function>-<suffix> and labelled as app's (managed,
 * instance), faas.kind=job, with the function and extra_label
 * ("faas.invocation=..." or "faas.warm=1").
 * Free with faas_job__sandbox_free, also on failure.
 */
faas_err_t faas_job__sandbox_init(faas_job__sandbox_t *s, const faas_app_t *app, const faas_config_t *cfg,
                                  const char *function, const char *image, const char *suffix,
                                  const char *extra_label, const faas_env_var_t *env, size_t n, faas_error_t *err);
void faas_job__sandbox_free(faas_job__sandbox_t *s);

/* A pre-started container taken for one call. */
typedef struct faas_job__slot {
    char id[FAAS_DOCKER_ID_MAX];
    char dir[1024];           /* the host folder with its input FIFO */
} faas_job__slot_t;

/**
 * Takes a started container of function running image, if one is waiting:
 * 0 and *slot filled, else -1. Any thread.
 */
int faas_job__warm_take(faas_warm_t *w, const char *function, const char *image, faas_job__slot_t *slot);

/**
 * Hands the call's input to the container taken in slot: its command starts
 * now. FAAS_ETIMEOUT if the container never opened its FIFO, FAAS_EIO.
 * Worker thread.
 */
faas_err_t faas_job__warm_deliver(const faas_job__slot_t *slot, const faas_env_var_t *env, size_t n, faas_error_t *err);

/** Forgets the slot's folder once its container is removed. Worker thread. */
void faas_job__warm_release(const faas_job__slot_t *slot);

/**
 * After a call: starts containers in the background so that function has
 * containers waiting again; missed (the call found none) lets the function
 * keep one more, up to limits.warm. Any thread.
 */
void faas_job__warm_refill(faas_warm_t *w, const char *function, const char *image, int missed);

/** Removes function's waiting containers (a new image, a delete). Worker thread. */
void faas_job__warm_drop(faas_warm_t *w, const char *function);

/** The bytes of the faas-start program (helper_blob.c). */
const unsigned char *faas_job__helper_program(size_t *len);

#endif
