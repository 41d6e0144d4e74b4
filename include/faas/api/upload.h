/*
 * upload.h: the fields of a function upload that need more than a number
 * check: environment lines, secret names, volume entries, image tags, scale
 * settings, memory and cpus. Pure code (no I/O,
 * no policy): the API handler asks the policy about what these mark as
 * needing permission. Any thread.
 */
#ifndef FAAS_API_UPLOAD_H
#define FAAS_API_UPLOAD_H

#include <stddef.h>

#include "faas/core/error.h"
#include "faas/core/scale.h"
#include "faas/store/record.h"

#define FAAS_UPLOAD_MAX_ENV 200
#define FAAS_UPLOAD_MAX_VOLUMES 16

/**
 * Parses "K=V" lines (blank lines and # comments skipped; \r\n or \n) into a
 * new array *env of *n entries (free with faas_env_free). Names are
 * [A-Za-z_][A-Za-z0-9_]*; PORT is refused (faas sets it). FAAS_EINVAL with
 * the line number. Free *env with faas_env_free.
 */
faas_err_t faas_upload_parse_env(const char *text, size_t len, faas_env_var_t **env, size_t *n, faas_error_t *err);

#define FAAS_UPLOAD_MAX_SECRETS 64

/**
 * Parses the secrets field, "a,b" (spaces around names and empty items ignored, so "" is no
 * secret), into a new array *names of *n names (NULL when none; free with
 * faas_secret_names_free). FAAS_EINVAL naming a bad or repeated name, or past
 * FAAS_UPLOAD_MAX_SECRETS. Whether each exists is the caller's to check.
 */
faas_err_t faas_upload_parse_secrets(const char *text, size_t len, char ***names, size_t *n, faas_error_t *err);

/**
 * Parses the placement field, Swarm placement constraints separated by commas
 * ("node.role==worker, node.labels.zone!=eu"; spaces around items and empty items ignored, so ""
 * is none), into a new array *out of *n constraints (NULL when none; free with
 * faas_secret_names_free). FAAS_EINVAL naming a constraint that is not "key==value" or
 * "key!=value" (faas_record_valid_constraint), a repeated one, or past FAAS_RECORD_PLACEMENT_MAX.
 */
faas_err_t faas_upload_parse_placement(const char *text, size_t len, char ***out, size_t *n, faas_error_t *err);

/* One bind mount from the volume field. */
typedef struct faas_upload_volume {
    char host[1024];       /* absolute, normalised; after faas_upload_resolve_volumes, with no symlink on it */
    char container[256];   /* absolute, normalised */
    int read_only;
    int needs_policy;      /* absolute or escaping host side: only volume_allowed may allow it */
    int through_link;      /* faas_upload_resolve_volumes followed a symlink to find host */
} faas_upload_volume_t;

/**
 * Parses "./data:/data,./x:/x:ro" into out (at most max entries). Relative
 * host sides resolve under base ("<data_dir>/volumes/<function>"); a host
 * side that is absolute or leaves base is marked needs_policy. FAAS_EINVAL
 * for a missing ':', a relative or escaping container side, a bad mode, too
 * many entries.
 */
faas_err_t faas_upload_parse_volumes(const char *text, const char *base, faas_upload_volume_t *out, size_t max,
                                     size_t *n, faas_error_t *err);

/**
 * Reads one link for faas_upload_resolve: returns 1 with the NUL-terminated target in target when
 * path is a symlink, 0 when it is anything else or nothing (missing, or below a file), -1 with
 * errno set when it cannot tell.
 */
typedef int (*faas_upload_readlink_cb)(void *ctx, const char *path, char *target, size_t size);

/**
 * Resolves the absolute path the way the kernel does when Docker binds it: every symlink on it is
 * followed (at most 40), "." and ".." apply to what the links led to; a part that does not exist
 * yet is kept as written. The links come from readlink_cb, so this is pure. *links counts the
 * symlinks followed. FAAS_EINVAL for a relative or too long path, a link loop, or a link that
 * cannot be read.
 */
faas_err_t faas_upload_resolve(const char *path, faas_upload_readlink_cb readlink_cb, void *ctx, char *out,
                               size_t size, int *links, faas_error_t *err);

/**
 * Replaces each host side of vols with its resolved path (faas_upload_resolve) and marks
 * needs_policy every one that does not stay under base, the function's folder as resolved by the
 * caller: a relative volume that leaves the folder through a symlink is outside like any other.
 */
faas_err_t faas_upload_resolve_volumes(faas_upload_volume_t *vols, size_t n, const char *base,
                                       faas_upload_readlink_cb readlink_cb, void *ctx, faas_error_t *err);

/**
 * FAAS_EINVAL when the host folder of a writable volume strictly contains another volume's: the
 * container could swap the inner folder for a symlink, and Docker follows it the next time it
 * binds the inner one (a restart). Run on resolved volumes.
 */
faas_err_t faas_upload_check_nesting(const faas_upload_volume_t *vols, size_t n, faas_error_t *err);

/** Writes the Docker bind list "host:container[:ro],..." of vols into a new string; NULL on OOM. */
char *faas_upload_binds(const faas_upload_volume_t *vols, size_t n);

/** The upload field of one FAAS_SCALE_* bit: "scale_min", "scale_max", "scale_target", "concurrency"; NULL for any other. */
const char *faas_upload_scale_field(unsigned bit);

/**
 * The text of the scale field of bit into *s: a whole number in the setting's range (scale.h)
 * sets it, "" unsets it. FAAS_EINVAL naming the field ("scale_max: 0 is out of range 1..1000",
 * "scale_target: must be a whole number (got \"x\")"), s unchanged.
 */
faas_err_t faas_upload_parse_scale(unsigned bit, const char *text, faas_scale_t *s, faas_error_t *err);

/* The smallest memory limit Docker takes, and of a function's own (limits.memory has the same floor). */
#define FAAS_UPLOAD_MIN_MEMORY (6LL << 20)
/* The fewest CPUs a function may have: 0.01. */
#define FAAS_UPLOAD_MIN_NANO_CPUS 10000000LL

/**
 * The memory field: "" or "0" is 0 (limits.memory applies); else a size (bytes, "256m", "1g")
 * from 6 MiB to max (limits.memory). FAAS_EINVAL naming "memory".
 */
faas_err_t faas_upload_parse_memory(const char *text, int64_t max, int64_t *bytes, faas_error_t *err);

/**
 * The cpus field: "" or "0" is 0 (limits.cpus applies); else a decimal number of CPUs ("0.5",
 * "2") from 0.01 to max_nano / 1e9 (limits.cpus), into *nano (1e9 = one CPU). FAAS_EINVAL
 * naming "cpus".
 */
faas_err_t faas_upload_parse_cpus(const char *text, int64_t max_nano, int64_t *nano, faas_error_t *err);

/** 1 if ref is a valid image reference name[:tag] (Docker's grammar, no digest). */
int faas_upload_valid_tag(const char *ref);

#endif
