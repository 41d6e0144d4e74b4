/*
 * build_internal.h: what build.c (contexts, path index, tar) shares with build_zip.c (the zip
 * reader). Not part of the public face: only src/build*.c and the build unit test include it.
 *
 * Threads: as build.h: worker thread only, one context per thread at a time.
 */
#ifndef FAAS_BUILD_INTERNAL_H
#define FAAS_BUILD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "faas/service/buildctx.h"

/* Kinds of path in an index. */
enum {
    FAAS_BUILD__FILE = 1,
    FAAS_BUILD__DIR = 2,          /* implied by a file or folder below it */
    FAAS_BUILD__DIR_EXPLICIT = 3, /* listed as a folder of its own (a zip's "x/" entry) */
};

/* What a new path would clash with (faas_build__pathset_clash). */
enum {
    FAAS_BUILD__CLASH_NONE = 0,
    FAAS_BUILD__CLASH_SAME = 1, /* the same file again */
    FAAS_BUILD__CLASH_KIND = 2, /* a file where a folder is, or the other way round */
};

typedef struct faas_build__slot {
    char *key; /* owned; NULL: empty slot */
    int kind;
    size_t index; /* files: index in faas_build_context.files */
} faas_build__slot_t;

/* A set of paths (files and every folder they imply): open addressing, never shrinks. */
typedef struct faas_build__pathset {
    faas_build__slot_t *slots;
    size_t cap, used;
} faas_build__pathset_t;

typedef struct faas_build__file {
    char *path; /* normalised */
    char *data; /* NULL when empty, and after finish */
    size_t len;
    int mode;
} faas_build__file_t;

struct faas_build_context {
    faas_build__file_t *files;
    size_t nfiles, files_cap;
    char **dirs; /* explicit folders (from zips): written to the tar even when empty */
    size_t ndirs, dirs_cap;
    faas_build__pathset_t paths;
    int finished;
};

/** realloc that aborts on OOM (bookkeeping only; file data fails softly). n 0 is fine. */
void *faas_build__realloc(void *p, size_t n);
char *faas_build__strndup(const char *s, size_t n);

/**
 * A normalised copy of path (len bytes): empty and "." components dropped, so "./a//b/" is "a/b".
 * NULL with *why ("is absolute", "has a \"..\" component", ...) when it is empty, starts with '/',
 * has a ".." component, or names nothing ("./"). Backslashes are not separators here.
 */
char *faas_build__clean_path(const char *path, size_t len, const char **why);

/** The entry of key (len bytes) in set, or NULL. */
const faas_build__slot_t *faas_build__pathset_get(const faas_build__pathset_t *set, const char *key, size_t len);
/** Records path (kind FILE or DIR_EXPLICIT, index for files) and every folder it implies. */
void faas_build__pathset_record(faas_build__pathset_t *set, const char *path, int kind, size_t index);
/** FAAS_BUILD__CLASH_*: what adding path as kind would clash with; *at is the length of the clashing prefix. */
int faas_build__pathset_clash(const faas_build__pathset_t *set, const char *path, int kind, size_t *at);
void faas_build__pathset_free(faas_build__pathset_t *set);

/** Appends a file to ctx (taking path and data) and indexes it. The caller checked for clashes. */
void faas_build__append_file(faas_build_context_t *ctx, char *path, char *data, size_t len, int mode);
/** Appends an explicit folder to ctx (taking path), once. The caller checked for clashes. */
void faas_build__append_dir(faas_build_context_t *ctx, char *path);

#endif
