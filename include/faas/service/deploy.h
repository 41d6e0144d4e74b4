/*
 * deploy.h: deploying a service function: an upload checked by the API becomes a build that
 * runs on the worker pool, then a container that must answer HTTP, then the switch of traffic
 * to it and the retirement of the version that served before (zero downtime; see deploy.c).
 * Each deploy that switched is a numbered revision (revisions.c); a rollback switches back to a
 * kept one the same way, without a build.
 */
#ifndef FAAS_SERVICE_DEPLOY_H
#define FAAS_SERVICE_DEPLOY_H

#include "faas/core/error.h"
#include "faas/core/scale.h"
#include "faas/service/service.h"
#include "faas/store/record.h"

/* A validated upload. Strings are heap-owned; faas_deploy_start takes it over. */
typedef struct faas_deploy_spec {
    char *name;
    char *tag;            /* the operator's image name, e.g. "hello:v2" */
    char *runtime;
    char *source;         /* the uploaded file's name */
    char *volume;         /* as uploaded: "./data:/data,./x:/x:ro" */
    char *binds;          /* resolved and allowed: "/abs/host:/data,/abs/x:/x:ro" */
    int port;             /* loopback port faas serves it on; 0: none (the subdomain only) */
    int container_port;   /* port the code listens on inside its container ($PORT) */
    faas_env_var_t *env;
    size_t env_len;
    int env_given;        /* the upload had an env field: it replaces the function's env, else it is kept */
    char **secrets;       /* names of the secrets mounted at /run/secrets/<name> */
    size_t n_secrets;
    int secrets_given;    /* the upload had a secrets field ("" clears): it replaces the function's list, else it is kept */
    char **placement;     /* Swarm placement constraints (backend "swarm") */
    size_t n_placement;
    int placement_given;  /* as secrets_given, for the placement field */
    faas_scale_t scale;   /* the function's own scale settings: the upload's, then (a redeploy) the kept ones */
    unsigned scale_given; /* FAAS_SCALE_* bits of the scale fields the upload had ("" unsets); the others are kept */
    int64_t memory;       /* bytes, 0 = limits.memory */
    int64_t nano_cpus;    /* 1e9 = one CPU, 0 = limits.cpus */
    int memory_given, cpus_given; /* the upload had the field: it replaces the function's, else it is kept */
    void *zip;
    size_t zip_len;
} faas_deploy_spec_t;

/** Frees a spec's members and the spec. NULL is allowed. Any thread. */
void faas_deploy_spec_free(faas_deploy_spec_t *spec);

/**
 * Checks what needs the store or Docker (runtime exists, zip is safe, the tag
 * is not another image's, the port is free, no deploy of this name is
 * running), records the build (status building) and queues it. *out gets the
 * function record as it is now (caller frees). Takes spec over in any case.
 * On failure *failed (when not NULL) names what failed for the API's "error"
 * when it is the zip (FAAS_BUILDCTX_BAD_ZIP, FAAS_BUILDCTX_ZIP_TOO_LARGE),
 * else NULL.
 */
faas_err_t faas_deploy_start(faas_services_t *s, faas_deploy_spec_t *spec, faas_function_t *out, const char **failed,
                             faas_error_t *err);

/**
 * Rolls name back to its kept revision (0: the newest one before the one that serves) without a
 * build: that revision's image and settings (env, volume, scale, port, ...) start as new replicas
 * that must answer, then the same zero-downtime switch as a deploy. Returns once the switch is
 * done, with the record in *out (caller frees). FAAS_ENOTFOUND (function, revision), FAAS_ECONFLICT
 * (a job function, nothing serves, the revision serves already, its image is gone, another operation
 * runs), or the error of the new replicas. Worker thread only: blocks for a container start.
 */
faas_err_t faas_deploy_rollback(faas_services_t *s, const char *name, int64_t revision, faas_function_t *out,
                                faas_error_t *err);

/**
 * Serves name's image again with the record's own settings: new replicas, the same switch (what
 * a changed secret needs: its files are written when a container is made). FAAS_ECONFLICT for a
 * stopped function (its containers are made anew when it starts) and as for a rollback. Worker
 * thread only: blocks for a container start.
 */
faas_err_t faas_deploy_restart(faas_services_t *s, const char *name, faas_error_t *err);

/** faas_deploy_restart on the worker pool; the outcome is logged, with why. Any thread. */
void faas_deploy_restart_later(faas_services_t *s, const char *name, const char *why);

#endif
