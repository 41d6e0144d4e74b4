/*
 * build.h: making Docker build contexts. A context collects files in memory (added one by one
 * or unpacked from an uploaded zip, which is checked on the way in), can be searched (language
 * detection looks for main.py, go.mod, ...), and is then written as a tar whose bytes depend only
 * on the set of files: entries sorted by path, pax_restricted format, mtime 0, uid/gid 0, no user
 * or group names. The same files, added in any order, give the same tar, so Docker's build cache
 * hits on a rebuild.
 *
 * Threads: worker thread only (CPU and memory work that grows with the input). A context
 * belongs to one thread at a time.
 */
#ifndef FAAS_SERVICE_BUILDCTX_H
#define FAAS_SERVICE_BUILDCTX_H

#include <stddef.h>
#include <stdint.h>

#include "faas/core/error.h"

typedef struct faas_buildctx faas_buildctx_t;

/* What the API answers (the "error") for a zip that cannot be a build context, services and jobs
   alike; the reason (faas_buildctx_add_zip's message) goes to "details". */
#define FAAS_BUILDCTX_BAD_ZIP "Invalid zip file"
#define FAAS_BUILDCTX_ZIP_TOO_LARGE "File too large"

/* Defaults for a zero field of faas_buildctx_zip_limits_t (or a NULL limits). */
#define FAAS_BUILDCTX_ZIP_MAX_ENTRIES 10000
#define FAAS_BUILDCTX_ZIP_MAX_BYTES ((uint64_t)256 << 20)

typedef struct faas_buildctx_zip_limits {
    size_t max_entries; /* files and folders in the zip, skipped ones included */
    uint64_t max_bytes; /* total uncompressed size of the files kept */
} faas_buildctx_zip_limits_t;

/** Starts an empty context. Aborts on OOM. */
faas_buildctx_t *faas_buildctx_create(void);

/**
 * Adds a regular file of len bytes (copied) at path with permission bits mode (0 means 0644;
 * other bits are ignored). The path is normalised ("./a//b" is "a/b"). FAAS_EINVAL for an empty
 * or absolute path, one ending in '/', one with a ".." component, and any add after finish.
 * FAAS_ECONFLICT when path is already there, or is a folder of a file already there (or the
 * other way round). Directories are implied. FAAS_ENOMEM when the copy cannot be allocated
 * (bookkeeping aborts on OOM).
 */
faas_err_t faas_buildctx_add(faas_buildctx_t *ctx, const char *path, const void *data, size_t len, int mode,
                                  faas_error_t *err);

/**
 * Adds the files and folders (empty ones are kept) of a zip held in memory to ctx; limits may
 * be NULL. Refuses with FAAS_EINVAL, in a message naming the entry: absolute paths (/x, \x, C:x),
 * any ".." component, names with control characters, over 4096 bytes or not UTF-8, symbolic and
 * hard links, devices, encrypted entries, the same path twice (also as file and folder), data
 * that cannot be unpacked (bad CRC, sizes that disagree, unknown method), and a zip with no
 * files left ("zip has no files"). Input that is no zip is FAAS_EINVAL "not a zip file" (only
 * the central directory is trusted: libarchive's seekable reader). Over a limit is
 * FAAS_ETOOLARGE ("zip has more than N entries", "zip unpacks to more than N bytes"), found
 * while reading: the bytes actually inflated are counted and reading stops at the cap, whatever
 * the headers claim. A path that ctx already holds is FAAS_ECONFLICT. Backslashes in names are
 * separators. Entries under __MACOSX/ and .DS_Store files are skipped (after the checks). When
 * every remaining entry sits under one top-level folder ("fn/..." as `zip -r fn.zip fn/`
 * makes), that folder is unwrapped. Executable bits are kept (files are 0644 plus the zip's x
 * bits, folders 0755). Nothing is added on failure. Allocation failure while holding file data
 * is FAAS_ENOMEM.
 */
faas_err_t faas_buildctx_add_zip(faas_buildctx_t *ctx, const void *zip, size_t len,
                                      const faas_buildctx_zip_limits_t *limits, faas_error_t *err);

/**
 * The content of the file at path in ctx (borrowed, valid until finish or dispose; never NULL
 * for an empty file), with its size in *len (len may be NULL). NULL when there is no such file
 * (folders included) or after finish.
 */
const void *faas_buildctx_file(const faas_buildctx_t *ctx, const char *path, size_t *len);

/** The number of files added so far (folders not counted). */
size_t faas_buildctx_count(const faas_buildctx_t *ctx);

/** The normalised path of file i (0-based, in the order added; valid until dispose), or NULL. */
const char *faas_buildctx_path(const faas_buildctx_t *ctx, size_t i);

/**
 * Writes the tar and hands it over: the caller frees *tar with free(). Only once per context;
 * file contents are released on the way (paths stay readable). Adds after it are FAAS_EINVAL.
 */
faas_err_t faas_buildctx_finish(faas_buildctx_t *ctx, void **tar, size_t *len, faas_error_t *err);

/* Where a context holds the Dockerfile the build runs (a zip may not hold this path). */
#define FAAS_BUILDCTX_DOCKERFILE ".faas/Dockerfile"

/* The labels faas puts on every image of a build (values are plain names and ids, no quotes). */
typedef struct faas_buildctx_labels {
    const char *instance;  /* the faas instance that builds it */
    const char *kind;      /* "service" or "job" */
    const char *function;
    const char *build_id;
} faas_buildctx_labels_t;

/**
 * The Dockerfile text with `LABEL faas.managed faas.instance faas.kind faas.function` after every FROM
 * instruction (so each stage's image, and every step of a failed build, is labelled) and
 * `LABEL faas.build` at the end. Continuation lines and the `# escape=` directive are
 * respected. Returns a malloc'd string (*out_len bytes), NULL when out of memory. Pure.
 */
char *faas_buildctx_label_dockerfile(const char *text, size_t len, const faas_buildctx_labels_t *labels, size_t *out_len);

/**
 * Adds the labelled Dockerfile at FAAS_BUILDCTX_DOCKERFILE. FAAS_EINVAL when the zip already put
 * a file there, FAAS_ENOMEM.
 */
faas_err_t faas_buildctx_add_dockerfile(faas_buildctx_t *ctx, const char *text, size_t len,
                                             const faas_buildctx_labels_t *labels, faas_error_t *err);

/** Frees the context (and the tar if it was never handed over). NULL is ignored. */
void faas_buildctx_dispose(faas_buildctx_t *ctx);

#endif
