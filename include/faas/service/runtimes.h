/*
 * runtimes.h: runtimes are named Dockerfiles. The text lives in
 * <data_dir>/runtimes/<uuid>.dockerfile (folder 0700, files 0600), and a store record
 * (faas_runtime_t {name, file, created_at}) names it. A new Dockerfile is always a new file,
 * written and synced before its record is committed, so a crash leaves at most an orphan
 * file, never a record without its file; a replaced or deleted runtime's file becomes an
 * orphan too, and faas_runtimes_cleanup removes orphans once they are old enough.
 * The built-in runtimes (default, python, go) are faas's own: they cannot be overwritten or
 * deleted, and start-up restores one whose record or file is missing.
 *
 * Threads: faas_runtimes_check and faas_runtimes_list may run anywhere (no file I/O, store
 * reads only); everything else reads or writes files and the store: worker thread only
 * (or the main thread at start-up), it blocks (fsync).
 */
#ifndef FAAS_SERVICE_RUNTIMES_H
#define FAAS_SERVICE_RUNTIMES_H

#include <stddef.h>
#include <stdint.h>

#include "faas/core/error.h"
#include "faas/store/record.h"
#include "faas/store/store.h"

/* The built-in runtime functions use when they name none. */
#define FAAS_RUNTIMES_DEFAULT "default"

/* The folder under data_dir that holds the Dockerfiles. */
#define FAAS_RUNTIMES_DIR "runtimes"

/** 1 when name is one of the built-in runtimes (default, python, go), else 0. Any thread. */
int faas_runtimes_is_builtin(const char *name);

/**
 * Validates an upload without touching anything: name is a DNS label (faas_record_valid_name)
 * and not a built-in runtime's (FAAS_EFORBIDDEN, "'x' is a built-in runtime and cannot be
 * overwritten: ..."); content is not empty, at most max_size bytes (FAAS_ETOOLARGE), UTF-8
 * text without NUL bytes, and its first instruction that is not a comment, blank line, parser
 * directive or ARG is FROM.
 * FAAS_EINVAL otherwise, with a message a client can act on ("not a Dockerfile: ...").
 * Pure: any thread.
 */
faas_err_t faas_runtimes_check(const char *name, const char *content, size_t len, size_t max_size,
                               faas_error_t *err);

/**
 * Stores content as runtime name, inserting or replacing it: checks it (faas_runtimes_check),
 * writes a new <uuid>.dockerfile (temp file, fsync, rename, fsync the folder), and only then
 * commits the record. On success *out (if not NULL) gets the stored record (caller frees with
 * faas_runtime_free). On failure nothing new is left behind. FAAS_EINVAL, FAAS_ETOOLARGE,
 * FAAS_EFORBIDDEN (a built-in name), FAAS_EIO, FAAS_ESTORE. Worker thread only: blocks (fsync).
 */
faas_err_t faas_runtimes_put(faas_store_t *store, const char *data_dir, const char *name, const char *content,
                             size_t len, size_t max_size, faas_runtime_t *out, faas_error_t *err);

/**
 * Reads the Dockerfile of runtime name into a new NUL-terminated buffer *content of *len
 * bytes (caller frees with free()). FAAS_ENOTFOUND for an unknown name ("no runtime named
 * 'x'") and for a record whose file is gone ("runtime 'x' has no Dockerfile"); FAAS_EIO,
 * FAAS_ENOMEM, FAAS_ESTORE. Worker thread only: blocks (file I/O).
 */
faas_err_t faas_runtimes_read(faas_store_t *store, const char *data_dir, const char *name, char **content,
                              size_t *len, faas_error_t *err);

/**
 * Deletes runtime name: the record, then its file (a file that cannot be removed is left for
 * cleanup). FAAS_EFORBIDDEN for a built-in runtime, even a missing one ("'x' is a built-in
 * runtime and cannot be deleted"), FAAS_ENOTFOUND, FAAS_ESTORE. Worker thread only: blocks
 * (fsync).
 */
faas_err_t faas_runtimes_delete(faas_store_t *store, const char *data_dir, const char *name, faas_error_t *err);

/**
 * Removes the files of the runtimes folder that no record names (only "*.dockerfile" and this
 * module's leftover temp files) and whose last change is at least min_age_seconds old, so an
 * upload in progress is never raced. Returns how many it removed, or -1 with err set when the
 * store or the folder cannot be read (a missing folder removes nothing). A file that cannot be
 * removed is logged and skipped. Worker thread only: blocks.
 */
long faas_runtimes_cleanup(faas_store_t *store, const char *data_dir, int64_t min_age_seconds, faas_error_t *err);

/**
 * Makes the built-in runtimes whole: creates one that has no record, and restores from faas's
 * own text one whose record names no file or a file that is gone or empty (logged as a
 * warning). Leaves an intact one as it is. Creates the runtimes folder (0700) and removes the
 * marker file older versions kept there. FAAS_EIO, FAAS_ESTORE. Main thread at start-up, or
 * a worker: blocks (fsync).
 */
faas_err_t faas_runtimes_seed(faas_store_t *store, const char *data_dir, faas_error_t *err);

/**
 * The runtime names, sorted, into a new array *names of *n strings (caller frees with
 * faas_runtimes_names_free; NULL when there are none). FAAS_ENOMEM, FAAS_ESTORE.
 * Store reads only: any thread.
 */
faas_err_t faas_runtimes_list(faas_store_t *store, char ***names, size_t *n, faas_error_t *err);

/** Frees an array of n names from faas_runtimes_list; NULL-safe. */
void faas_runtimes_names_free(char **names, size_t n);

#endif
