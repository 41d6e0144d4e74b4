/*
 * record.h: the records faas keeps (function, runtime, build, invocation, API key), with one cJSON
 * serialiser and one parser per type. The same JSON is what the store keeps and what the API
 * shows, so a record looks the same on disk and on the wire, with one exception: times.
 * Pure functions without shared state: any thread may call them.
 *
 * JSON field names (one scheme for every record):
 *  - keys are camelCase; where a seed API already shows a key, that key is used verbatim
 *    (seed 000 function: name, tag, runtime, port, volume, id = the container id;
 *    seed 002: functionId, imageId, language, createdAt, lastExecuted, name; the runtime
 *    upload answer: fileName), and "container_port" as DESIGN.md section 5 spells it.
 *  - a record's own UUID is "id", except the function, whose UUID is "functionId" because
 *    seed 000 spends "id" on the container id; the invocation's is "invocationId" as in the
 *    execute answer. References to other records are "functionId" / "functionName".
 *  - times are integers in keys ending "At" (plus the seed's "lastExecuted"); 0 means "not
 *    yet". The store keeps milliseconds since the Unix epoch (FAAS_RECORD_STORED); the API
 *    shows the seeds' Unix seconds (FAAS_RECORD_API). Durations end in "Ms" and are
 *    milliseconds in both.
 *  - every key is always written; an absent string (NULL) is written as null, and the parser
 *    takes null or a missing key as absent. Unknown keys are ignored (older code can read
 *    newer records); a known key of the wrong type or an unknown enum string is FAAS_EINVAL.
 *
 * Function:   {"functionId","name","kind","language","runtime","tag","port","container_port",
 *              "volume","env":{"K":"V"},"secrets":["name"],"status","imageId","id","previousImage","address","binds","source","createdAt",
 *              "updatedAt","lastExecuted","restarts","lastOutput","memory","cpus",
 *              "build":{"id","status","startedAt","finishedAt","error"}|null,
 *              "scale":{"min","max","target","concurrency"},"placement":["node.role==worker"],
 *              "replicas":[{"id","address","state"}]}
 *             "memory" is bytes and "cpus" a number of CPUs (nano_cpus / 1e9), 0 for limits.memory /
 *             limits.cpus; each "scale" key is a whole number or null (not set: the hook's or the
 *             `scale` table's value applies); a replica's "state" is "starting", "ready", "paused"
 *             or "stopped". A record without "scale", "memory", "cpus", "replicas" or "secrets"
 *             (written by an older faas) reads with nothing set, no replica and no secret; one without
 *             "placement" with no constraint (placement applies to backend "swarm" only).
 *             "revision" is the number of the revision that serves (0: none yet).
 * Revision:   {"functionName","revision","imageId","buildId","createdAt","settings":{function}}: one
 *             successful deploy; "settings" is the function record as it was when the revision
 *             started serving (what a rollback restores), without replicas or build.
 * Runtime:    {"name","fileName","createdAt"}
 * Build:      {"id","functionName","status","startedAt","finishedAt","error"}
 * Invocation: {"invocationId","functionId","startedAt","durationMs","exitCode","status","output"}
 * API key:    {"name","scope","hash","createdAt","lastUsedAt"}: "hash" is the hex SHA-256 of the
 *             key, never the key; the API view leaves it out (the one key a view drops).
 *
 * Strings in records are heap-owned (malloc) char *, NULL when absent. Each type's _free frees
 * the members, not the struct itself, and leaves the struct zeroed, so it can be reused.
 */
#ifndef FAAS_STORE_RECORD_H
#define FAAS_STORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "faas/core/error.h"
#include "faas/core/keys.h"
#include "faas/core/scale.h"

/* Which JSON a record is written as: the store's (times in Unix ms) or the API's (Unix seconds). */
typedef enum faas_record_view {
    FAAS_RECORD_STORED = 0,
    FAAS_RECORD_API = 1,
} faas_record_view_t;

/* Longest DNS label, so the longest function name. */
#define FAAS_RECORD_NAME_MAX 63

typedef enum faas_kind {
    FAAS_KIND_SERVICE = 0, /* "service": long-running HTTP server on port */
    FAAS_KIND_JOB = 1,     /* "job": runs to completion on execute */
} faas_kind_t;

typedef enum faas_function_status {
    FAAS_FUNCTION_BUILDING = 0, /* "building" */
    FAAS_FUNCTION_STARTING = 1, /* "starting" */
    FAAS_FUNCTION_RUNNING = 2,  /* "running" */
    FAAS_FUNCTION_STOPPED = 3,  /* "stopped" */
    FAAS_FUNCTION_FAILED = 4,   /* "failed" */
    FAAS_FUNCTION_CRASHING = 5, /* "crashing": its container keeps dying; faas restarts it with back-off */
} faas_function_status_t;

typedef enum faas_build_status {
    FAAS_BUILD_BUILDING = 0,  /* "building" */
    FAAS_BUILD_SUCCEEDED = 1, /* "succeeded" */
    FAAS_BUILD_FAILED = 2,    /* "failed" */
} faas_build_status_t;

typedef enum faas_invocation_status {
    FAAS_INVOCATION_SUCCEEDED = 0, /* "succeeded": exit code 0 */
    FAAS_INVOCATION_FAILED = 1,    /* "failed": non-zero exit code */
    FAAS_INVOCATION_TIMEOUT = 2,   /* "timeout": killed at the deadline */
    FAAS_INVOCATION_ERROR = 3,     /* "error": could not run (Docker error, ...) */
} faas_invocation_status_t;

/* Where one replica (a container of the function's current version) stands. */
typedef enum faas_replica_state {
    FAAS_REPLICA_STARTING = 0, /* "starting": created, not answering HTTP yet */
    FAAS_REPLICA_READY = 1,    /* "ready": answers HTTP, in the routing snapshot */
    FAAS_REPLICA_PAUSED = 2,   /* "paused": frozen while idle (no CPU, memory kept) */
    FAAS_REPLICA_STOPPED = 3,  /* "stopped": stopped while idle (memory freed); also one stopped by the operator */
} faas_replica_state_t;

/* One replica ("replicas": [{"id","address","state"}]). */
typedef struct faas_replica {
    char *id;      /* container id */
    char *address; /* "ip:port" on the functions' network; NULL while not known */
    faas_replica_state_t state;
} faas_replica_t;

/* One environment variable of a function ("env" is a JSON object of them). */
typedef struct faas_env_var {
    char *name;
    char *value;
} faas_env_var_t;

/* The current build of a function, embedded in its record; absent when id is NULL. */
typedef struct faas_build_info {
    char *id;
    faas_build_status_t status;
    int64_t started_at;
    int64_t finished_at;
    char *error;
} faas_build_info_t;

/* One function, stored under its name. id and name are required. */
typedef struct faas_function {
    char *id;   /* functionId: a UUID kept across redeploys */
    char *name; /* DNS label, the subdomain */
    faas_kind_t kind;
    char *language;
    char *runtime;
    char *tag;
    int port;           /* host loopback port, 0 = none */
    int container_port; /* port inside the container, 0 = default */
    char *volume;       /* "./data:/data,./x:/x:ro" as uploaded */
    char *binds;        /* the volumes resolved and allowed at upload: "/abs/host:/data,..." */
    faas_env_var_t *env;
    size_t env_len;
    char **secrets;     /* names of the secrets mounted at /run/secrets/<name> (never their values) */
    size_t n_secrets;
    char **placement;   /* Swarm placement constraints ("node.role==worker"); backend "swarm" only */
    size_t n_placement;
    faas_function_status_t status;
    char *image_id;
    char *prev_image; /* image of the previous deploy, for rollback */
    char *source;     /* the uploaded file's name, as the client sent it */
    int64_t created_at;
    int64_t updated_at;
    int64_t last_executed;
    int restarts;       /* restarts faas made since the container last stayed up */
    char *last_output;  /* the end of a crashing container's output */
    faas_build_info_t build;
    faas_scale_t scale;         /* the function's own scale settings (scale.set: which it has) */
    int64_t memory;             /* its containers' memory limit in bytes, 0 = limits.memory */
    int64_t nano_cpus;          /* its containers' CPUs (1e9 = one), 0 = limits.cpus */
    faas_replica_t *replicas;   /* its current version's containers */
    size_t n_replicas;
    int64_t revision;           /* the revision that serves, 0 = none yet */
} faas_function_t;

/* One revision of a service function: a deploy that served, kept for rollback. */
typedef struct faas_revision {
    char *function;          /* function name */
    int64_t number;          /* 1, 2, ... per function */
    char *image_id;
    char *build_id;
    int64_t created_at;
    faas_function_t settings; /* the record as it started serving (no replicas, no build) */
} faas_revision_t;

/* One runtime (a Dockerfile under <data_dir>/runtimes/). name is required. */
typedef struct faas_runtime {
    char *name;
    char *file; /* "<uuid>.dockerfile" */
    int64_t created_at;
} faas_runtime_t;

/* One build of a function; its log lives beside it in the store. id is required. */
typedef struct faas_build {
    char *id;
    char *function; /* function name */
    faas_build_status_t status;
    int64_t started_at;
    int64_t finished_at;
    char *error;
} faas_build_t;

/* One run of a job function. id and function_id are required. */
typedef struct faas_invocation {
    char *id;
    char *function_id;
    int64_t started_at;
    int64_t duration_ms;
    int exit_code;
    faas_invocation_status_t status;
    char *output;
} faas_invocation_t;

/* One named API key (core/keys.h), stored under its name. name, scope and hash are required. */
typedef struct faas_apikey {
    char *name;
    faas_scope_t scope;
    char *hash; /* FAAS_KEYS_HEX_LEN hex digits: the SHA-256 of the key */
    int64_t created_at;
    int64_t last_used_at; /* 0: never used */
} faas_apikey_t;

/** 1 when name is a DNS label `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`, else 0 (NULL is 0). */
int faas_record_valid_name(const char *name);

/* Longest secret name. */
#define FAAS_RECORD_SECRET_NAME_MAX 64

/** 1 when name is a secret name `^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$` (a file name under
 *  /run/secrets: no "/", never "." or ".."), else 0 (NULL is 0). */
int faas_record_valid_secret_name(const char *name);

/* A function's placement constraints: at most this many, each at most this long. */
#define FAAS_RECORD_PLACEMENT_MAX 16
#define FAAS_RECORD_CONSTRAINT_MAX 200

/** 1 when c is one Swarm placement constraint: 1 to FAAS_RECORD_CONSTRAINT_MAX printable ASCII
 *  characters, "key==value" or "key!=value" (spaces around the operator allowed), the key of
 *  A-Za-z0-9 . _ - (node.id, node.hostname, node.role, node.labels.x, engine.labels.x, ...),
 *  the value non-empty; else 0 (NULL is 0). Swarm checks the key's meaning. */
int faas_record_valid_constraint(const char *c);

/** Frees n strings and the array (a function's secret names). NULL is allowed. */
void faas_secret_names_free(char **names, size_t n);

/** Copies n strings into a new array *dst (NULL when n is 0). FAAS_ENOMEM. */
faas_err_t faas_secret_names_copy(char *const *src, size_t n, char ***dst, faas_error_t *err);

/** Frees n environment variables and the array. NULL is allowed. */
void faas_env_free(faas_env_var_t *env, size_t n);

/** Copies n environment variables into a new array *dst (NULL when n is 0). FAAS_ENOMEM. */
faas_err_t faas_env_copy(const faas_env_var_t *src, size_t n, faas_env_var_t **dst, faas_error_t *err);

/** "service" / "job"; never NULL ("?" for a value outside the enum). */
const char *faas_kind_name(faas_kind_t kind);
/** Parses "service" / "job" into out; returns 0, or -1 for anything else (out untouched). */
int faas_kind_parse(const char *s, faas_kind_t *out);
/** "building", "starting", "running", "stopped", "failed", "crashing"; never NULL. */
const char *faas_function_status_name(faas_function_status_t status);
/** Parses a function status name; returns 0, or -1 when unknown. */
int faas_function_status_parse(const char *s, faas_function_status_t *out);
/** "building", "succeeded", "failed"; never NULL. */
const char *faas_build_status_name(faas_build_status_t status);
/** Parses a build status name; returns 0, or -1 when unknown. */
int faas_build_status_parse(const char *s, faas_build_status_t *out);
/** "succeeded", "failed", "timeout", "error"; never NULL. */
const char *faas_invocation_status_name(faas_invocation_status_t status);
/** Parses an invocation status name; returns 0, or -1 when unknown. */
int faas_invocation_status_parse(const char *s, faas_invocation_status_t *out);

/** "starting", "ready", "paused", "stopped"; never NULL. */
const char *faas_replica_state_name(faas_replica_state_t state);
/** Parses a replica state name; returns 0, or -1 when unknown. */
int faas_replica_state_parse(const char *s, faas_replica_state_t *out);

/** Frees n replicas' strings and the array. NULL is allowed. */
void faas_replicas_free(faas_replica_t *replicas, size_t n);

/** Copies n replicas into a new array *dst (NULL when n is 0). FAAS_ENOMEM. */
faas_err_t faas_replicas_copy(const faas_replica_t *src, size_t n, faas_replica_t **dst, faas_error_t *err);

/** Frees f's members (not f) and zeroes f; NULL-safe. */
void faas_function_free(faas_function_t *f);
/** Frees each record's members and then the array; NULL-safe. */
void faas_function_array_free(faas_function_t *arr, size_t n);
/** A new cJSON object for f; the caller owns it (cJSON_Delete). NULL only when out of memory. */
cJSON *faas_function_to_json(const faas_function_t *f, faas_record_view_t view);
/** Fills *out (zeroed first) from json; FAAS_EINVAL naming the bad key, FAAS_ENOMEM; out is empty on error. */
faas_err_t faas_function_from_json(const cJSON *json, faas_function_t *out, faas_error_t *err);

/** Frees rev's members (not rev) and zeroes rev; NULL-safe. */
void faas_revision_free(faas_revision_t *rev);
/** Frees each revision's members and then the array; NULL-safe. */
void faas_revision_array_free(faas_revision_t *arr, size_t n);
/** A new cJSON object for rev; the caller owns it. NULL only when out of memory. */
cJSON *faas_revision_to_json(const faas_revision_t *rev, faas_record_view_t view);
/** Fills *out from json; FAAS_EINVAL / FAAS_ENOMEM with out left empty on error. */
faas_err_t faas_revision_from_json(const cJSON *json, faas_revision_t *out, faas_error_t *err);

/** Frees r's members (not r) and zeroes r; NULL-safe. */
void faas_runtime_free(faas_runtime_t *r);
/** Frees each record's members and then the array; NULL-safe. */
void faas_runtime_array_free(faas_runtime_t *arr, size_t n);
/** A new cJSON object for r; the caller owns it. NULL only when out of memory. */
cJSON *faas_runtime_to_json(const faas_runtime_t *r, faas_record_view_t view);
/** Fills *out from json; FAAS_EINVAL / FAAS_ENOMEM with out left empty on error. */
faas_err_t faas_runtime_from_json(const cJSON *json, faas_runtime_t *out, faas_error_t *err);

/** Frees b's members (not b) and zeroes b; NULL-safe. */
void faas_build_free(faas_build_t *b);
/** A new cJSON object for b; the caller owns it. NULL only when out of memory. */
cJSON *faas_build_to_json(const faas_build_t *b, faas_record_view_t view);
/** Fills *out from json; FAAS_EINVAL / FAAS_ENOMEM with out left empty on error. */
faas_err_t faas_build_from_json(const cJSON *json, faas_build_t *out, faas_error_t *err);

/** Frees inv's members (not inv) and zeroes inv; NULL-safe. */
void faas_invocation_free(faas_invocation_t *inv);
/** Frees each record's members and then the array; NULL-safe. */
void faas_invocation_array_free(faas_invocation_t *arr, size_t n);
/** A new cJSON object for inv; the caller owns it. NULL only when out of memory. */
cJSON *faas_invocation_to_json(const faas_invocation_t *inv, faas_record_view_t view);
/** Fills *out from json; FAAS_EINVAL / FAAS_ENOMEM with out left empty on error. */
faas_err_t faas_invocation_from_json(const cJSON *json, faas_invocation_t *out, faas_error_t *err);

/** Frees k's members (not k) and zeroes k; NULL-safe. */
void faas_apikey_free(faas_apikey_t *k);
/** Frees each record's members and then the array; NULL-safe. */
void faas_apikey_array_free(faas_apikey_t *arr, size_t n);
/** A new cJSON object for k (without "hash" in the API view); the caller owns it. NULL only when out of memory. */
cJSON *faas_apikey_to_json(const faas_apikey_t *k, faas_record_view_t view);
/** Fills *out from json; FAAS_EINVAL (also for a name that is no key name or a hash that is not 64 hex
 *  digits) / FAAS_ENOMEM with out left empty on error. */
faas_err_t faas_apikey_from_json(const cJSON *json, faas_apikey_t *out, faas_error_t *err);

#endif
