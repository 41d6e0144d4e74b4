/*
 * build.h: making Docker build contexts. For now an in-memory tar writer whose output depends
 * only on what is added (pax_restricted format, mtime 0, uid/gid 0, no user or group names), so
 * identical input gives a byte-identical tar and Docker's build cache hits on a rebuild.
 * A later change adds zip -> tar conversion here.
 *
 * Threads: worker thread only (CPU and memory work that grows with the input). A context
 * belongs to one thread at a time.
 */
#ifndef FAAS_BUILD_H
#define FAAS_BUILD_H

#include <stddef.h>

#include "faas/error.h"

typedef struct faas_build_context faas_build_context_t;

/** Starts an empty tar in memory. Aborts on OOM. */
faas_build_context_t *faas_build_context_create(void);

/**
 * Adds a regular file of len bytes at path with permission bits mode (0 means 0644; other
 * bits are ignored). Refuses with FAAS_EINVAL an empty or absolute path, one ending in '/',
 * or one with a ".." component, and any add after finish. Directories are implied.
 */
faas_err_t faas_build_context_add(faas_build_context_t *ctx, const char *path, const void *data, size_t len,
                                  int mode, faas_error_t *err);

/** Ends the tar and hands it over: the caller frees *tar with free(). Only once per context. */
faas_err_t faas_build_context_finish(faas_build_context_t *ctx, void **tar, size_t *len, faas_error_t *err);

/** Frees the context (and the tar if it was never handed over). NULL is ignored. */
void faas_build_context_dispose(faas_build_context_t *ctx);

#endif
