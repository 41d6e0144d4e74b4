/*
 * docker.h: a blocking client for the Docker Engine API (pinned to v1.41) over its unix
 * socket, with libcurl, plus the pure parsers it uses (log frame demux, build stream).
 *
 * Threads: every call that talks to the engine is marked "worker thread only: blocks". Call
 * them from worker-pool tasks (core/pool.h), never from an event loop thread. One faas_docker_t may be
 * used by any number of threads at once: each call borrows its own curl handle from a small
 * locked pool. The parsers (demux, build parser) are plain values used by one thread at a time.
 *
 * Errors: every call returns a faas_err_t and, when err is not NULL, fills it with a message
 * that names the operation and carries Docker's own "message" text:
 *   socket missing / refused / no permission  -> FAAS_EUNAVAIL "docker unreachable at <socket>: <strerror> (errno N)"
 *   connection lost mid-answer                -> FAAS_EUNAVAIL
 *   a client-side deadline passed             -> FAAS_ETIMEOUT
 *   HTTP 404 -> FAAS_ENOTFOUND, 409 -> FAAS_ECONFLICT, 400 -> FAAS_EINVAL, other non-2xx -> FAAS_EDOCKER
 *   answer not understood (bad JSON, no id)   -> FAAS_EDOCKER
 * Calls without their own timeout parameter give up after FAAS_DOCKER_CALL_TIMEOUT_MS.
 */
#ifndef FAAS_DOCKER_DOCKER_H
#define FAAS_DOCKER_DOCKER_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "faas/core/buf.h"
#include "faas/core/error.h"

/* Room for "sha256:" + 64 hex digits (image ids) or 64 hex digits (container ids), and a NUL. */
#define FAAS_DOCKER_ID_MAX 72
#define FAAS_DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"
/* Deadline of calls that take no timeout argument (create, start, remove, inspect, list, logs). */
#define FAAS_DOCKER_CALL_TIMEOUT_MS 60000

/* Log stream ids, as in byte 0 of a log frame. */
enum { FAAS_DOCKER_STDIN = 0, FAAS_DOCKER_STDOUT = 1, FAAS_DOCKER_STDERR = 2 };

typedef struct faas_docker faas_docker_t;

/* Human progress text of a build: one "stream" value or error message, ANSI escapes removed. */
typedef void (*faas_docker_build_line_cb)(void *cbdata, const char *text, size_t len);
/* Container output; one frame's payload may come in several calls. */
typedef void (*faas_docker_log_cb)(void *cbdata, int stream, const char *data, size_t len);
/* One engine event (a JSON object, valid during the call); return nonzero to stop listening. */
typedef int (*faas_docker_event_cb)(void *cbdata, const cJSON *event);

/* ---- client ---- */

/** Makes a client for socket_path (copied; NULL means FAAS_DOCKER_DEFAULT_SOCKET). Does not connect.
    Aborts on OOM. Any thread. */
faas_docker_t *faas_docker_create(const char *socket_path);
/** Frees the client; no call may be running on it. NULL is ignored. */
void faas_docker_dispose(faas_docker_t *d);
/** The socket path this client talks to. */
const char *faas_docker_socket(const faas_docker_t *d);

/** GET /_ping within timeout_ms (0 = the default deadline). Worker thread only: blocks. */
faas_err_t faas_docker_ping(faas_docker_t *d, int timeout_ms, faas_error_t *err);

/* ---- images ---- */

typedef struct faas_docker_build_opts {
    const char *tag;                 /* "name:tag", or NULL for an untagged image */
    const char *dockerfile;          /* path inside the tar; NULL means "Dockerfile" */
    const char *const *labels;       /* "k=v" strings, NULL-terminated; NULL for none */
    const char *const *buildargs;    /* "K=V" build arguments (ARG), NULL-terminated; NULL for none */
    int nocache;
    int timeout_ms;                  /* whole build; 0 = no deadline */
    const char *const *leftovers_labels; /* "k=v", NULL-terminated: afterwards, success or not, prune the
                                        untagged images carrying them all (earlier stages, steps of a
                                        failed build); NULL: keep */
    faas_docker_build_line_cb on_line; /* may be NULL */
    void *cbdata;
} faas_docker_build_opts_t;

/**
 * Builds an image from a tar context (plain or gzip) with the legacy builder, rm=1&forcerm=1.
 * On success writes "sha256:<64 hex>" (the last aux.ID) to image_id. A failed step, a stream
 * without an image id, or a non-200 answer is an error carrying Docker's message (a Dockerfile
 * parse error is FAAS_EINVAL). Worker thread only: blocks.
 */
faas_err_t faas_docker_build(faas_docker_t *d, const void *tar, size_t len, const faas_docker_build_opts_t *opts,
                             char image_id[FAAS_DOCKER_ID_MAX], faas_error_t *err);

/** GET /images/json of the images carrying every label of labels ("k=v", NULL-terminated; NULL for
    all); *out is a cJSON array the caller deletes. Worker thread only: blocks. */
faas_err_t faas_docker_image_list(faas_docker_t *d, const char *const *labels, cJSON **out, faas_error_t *err);
/** GET /images/<ref>/json; *out is an object the caller deletes. Missing: FAAS_ENOTFOUND.
    Worker thread only: blocks. */
faas_err_t faas_docker_image_inspect(faas_docker_t *d, const char *ref, cJSON **out, faas_error_t *err);
/** DELETE /images/<ref>. In use: FAAS_ECONFLICT; missing: FAAS_ENOTFOUND. Worker thread only: blocks. */
faas_err_t faas_docker_image_remove(faas_docker_t *d, const char *ref, int force, faas_error_t *err);
/** Removes the untagged images no container uses that carry every label of labels ("k=v",
    NULL-terminated, at least one): what the stages of a multi-stage build and the steps of a
    failed one leave. Worker thread only: blocks. */
faas_err_t faas_docker_image_prune(faas_docker_t *d, const char *const *labels, faas_error_t *err);
/** POST /images/<ref>/tag: names image ref repo:tag (the tag moves off any other image).
    Worker thread only: blocks. */
faas_err_t faas_docker_image_tag(faas_docker_t *d, const char *ref, const char *repo, const char *tag,
                                 faas_error_t *err);

/* ---- networks ---- */

/** Makes sure a bridge network called name exists (created with labels, "k=v" NULL-terminated,
    and inter-container traffic allowed only when icc). Worker thread only: blocks. */
faas_err_t faas_docker_network_ensure(faas_docker_t *d, const char *name, int icc, const char *const *labels,
                                      faas_error_t *err);

/* ---- containers ---- */

/* A bind mount of HostConfig.Mounts. Unlike binds, the engine never makes a missing source (it fails
   the start instead of mounting an empty folder there). */
typedef struct faas_docker_mount {
    const char *source;              /* absolute host path; must exist at create (else FAAS_EINVAL) */
    const char *target;              /* absolute path in the container */
    int read_only;
} faas_docker_mount_t;

/* What to create. Zero means "unset" for every number; NULL for every pointer. Never a TTY. */
typedef struct faas_docker_container_spec {
    const char *name;                /* optional; must be unique on the engine */
    const char *image;               /* required: id or "name:tag" */
    const char *const *entrypoint;   /* argv, NULL-terminated; NULL keeps the image's ENTRYPOINT */
    const char *const *cmd;          /* argv, NULL-terminated; NULL keeps the image's CMD */
    const char *const *env;          /* "K=V", NULL-terminated */
    const char *user;                /* "uid:gid" the process runs as; NULL = the image's USER */
    const char *const *labels;       /* "k=v", NULL-terminated */
    const char *const *binds;        /* "/abs/host:/ctr[:ro]"; the host path must exist (else FAAS_EINVAL) */
    const faas_docker_mount_t *mounts; /* n_mounts bind mounts (HostConfig.Mounts) */
    size_t n_mounts;
    const char *network_mode;        /* "none", "bridge", ...; NULL = engine default. "none" also disables networking */
    int64_t memory_bytes;            /* also used as MemorySwap: no swap */
    int64_t nano_cpus;               /* 1e9 = one CPU */
    int64_t pids_limit;
    int readonly_rootfs;
    const char *tmpfs_tmp;           /* options of a tmpfs on /tmp ("rw,noexec,nosuid,size=16m"); NULL = none */
    int cap_drop_all;
    const char *const *cap_add;      /* capabilities to keep ("NET_BIND_SERVICE"), NULL-terminated; with
                                        cap_drop_all, the whole set the container gets */
    int no_new_privileges;
    int init;                        /* docker-init as PID 1, so SIGTERM works */
    const char *restart_policy;      /* NULL/"no", "always", "unless-stopped", "on-failure" */
    int restart_max_retries;         /* on-failure only */
    const char *exposed_port;        /* "8080/tcp"; optional */
    int publish_loopback;            /* publish exposed_port on 127.0.0.1 */
    int host_port;                   /* with publish_loopback: 0 = engine picks (see inspect NetworkSettings.Ports) */
    const char *log_max_size;        /* json-file max-size, e.g. "1m"; optional */
} faas_docker_container_spec_t;

/** Creates a container (never pulls) and writes its 64-hex id. Bad spec: FAAS_EINVAL (nothing sent);
    name in use: FAAS_ECONFLICT; image missing: FAAS_ENOTFOUND. Worker thread only: blocks. */
faas_err_t faas_docker_container_create(faas_docker_t *d, const faas_docker_container_spec_t *spec,
                                        char id[FAAS_DOCKER_ID_MAX], faas_error_t *err);
/** Starts it; already running counts as success. Worker thread only: blocks. */
faas_err_t faas_docker_container_start(faas_docker_t *d, const char *id, faas_error_t *err);
/**
 * Waits until it is not running and writes its exit code. timeout_ms 0 = no deadline; past it,
 * FAAS_ETIMEOUT and the container keeps running. On a created-but-never-started container this
 * returns at once with 0, so start first. Worker thread only: blocks.
 */
faas_err_t faas_docker_container_wait(faas_docker_t *d, const char *id, int timeout_ms, int *exit_code,
                                      faas_error_t *err);
/** Freezes its processes (the cgroup freezer: no CPU, memory kept). Not running or already paused:
    FAAS_ECONFLICT. Worker thread only: blocks. */
faas_err_t faas_docker_container_pause(faas_docker_t *d, const char *id, faas_error_t *err);
/** Thaws a paused container. Not paused: FAAS_ECONFLICT. Worker thread only: blocks. */
faas_err_t faas_docker_container_unpause(faas_docker_t *d, const char *id, faas_error_t *err);
/** Sends signal ("SIGKILL", "TERM", "9"; NULL = SIGKILL). Not running: FAAS_ECONFLICT. Worker thread only: blocks. */
faas_err_t faas_docker_container_kill(faas_docker_t *d, const char *id, const char *signal, faas_error_t *err);
/** SIGTERM, then SIGKILL after timeout_s; already stopped counts as success. Worker thread only: blocks. */
faas_err_t faas_docker_container_stop(faas_docker_t *d, const char *id, int timeout_s, faas_error_t *err);
/** Removes it with its anonymous volumes (v=1); force kills a running one. Worker thread only: blocks. */
faas_err_t faas_docker_container_remove(faas_docker_t *d, const char *id, int force, faas_error_t *err);
/**
 * Reads stdout and stderr (tail < 0: all lines; else the last tail lines) through the frame
 * demux and hands each piece to cb. A malformed frame is FAAS_EDOCKER. Read before removing:
 * a removed container has no logs. Worker thread only: blocks.
 */
faas_err_t faas_docker_container_logs(faas_docker_t *d, const char *id, int tail, faas_docker_log_cb cb,
                                      void *cbdata, faas_error_t *err);

typedef struct faas_docker_logs_opts {
    int tail;           /* last lines; < 0 = all */
    int timestamps;     /* prefix each line with its RFC 3339 time ("2026-11-22T15:26:54.823306496Z ") */
    int whole_frames;   /* one callback per log line (frame), never a piece of one */
    int follow;         /* go on with what the container writes until it stops or *stop is set */
    const atomic_int *stop; /* with follow: checked about once a second; nonzero ends it (FAAS_OK) */
} faas_docker_logs_opts_t;

/** faas_docker_container_logs with options. Worker thread only: blocks. */
faas_err_t faas_docker_container_logs_opts(faas_docker_t *d, const char *id, const faas_docker_logs_opts_t *opts,
                                           faas_docker_log_cb cb, void *cbdata, faas_error_t *err);
/**
 * Reads one regular file of a container's file system (created or running; GET
 * /containers/<id>/archive) into *data (NUL-terminated, *len bytes; caller frees with free()).
 * FAAS_ENOTFOUND when the path does not exist, FAAS_EINVAL when it is not a regular file,
 * FAAS_ETOOLARGE past max bytes. Worker thread only: blocks.
 */
faas_err_t faas_docker_container_read_file(faas_docker_t *d, const char *id, const char *path, size_t max, char **data,
                                           size_t *len, faas_error_t *err);
/** GET /containers/<id>/json; *out is an object the caller deletes. Worker thread only: blocks. */
faas_err_t faas_docker_container_inspect(faas_docker_t *d, const char *id, cJSON **out, faas_error_t *err);
/** GET /containers/json (all = include stopped) of the containers carrying every label of labels
    ("k=v", NULL-terminated; NULL for all); *out is an array the caller deletes. Worker thread
    only: blocks. */
faas_err_t faas_docker_container_list(faas_docker_t *d, const char *const *labels, int all, cJSON **out,
                                      faas_error_t *err);

/* ---- events ---- */

/**
 * Follows the events of containers carrying every label of labels ("k=v", NULL-terminated, or NULL
 * for all), starting at since_unix (0 = now;
 * a past time replays events from then on). Calls cb for each event. Returns FAAS_OK when cb
 * returns nonzero or *stop (checked at least once a second; may be NULL) becomes nonzero, and
 * FAAS_EUNAVAIL when the stream ends for any other reason (daemon gone or restarting): then
 * reconnect with since = the last event's time. Worker thread only: blocks for as long as it listens.
 */
faas_err_t faas_docker_events(faas_docker_t *d, const char *const *labels, int64_t since_unix, faas_docker_event_cb cb,
                              void *cbdata, const atomic_int *stop, faas_error_t *err);

/* ---- pure parsers (no I/O; any thread, one owner at a time) ---- */

/*
 * The multiplexed log format of a container without a TTY: frames of an 8-byte header
 * (stream byte 0..2, three zero bytes, big-endian uint32 length) and the payload.
 */
typedef struct faas_docker_demux {
    unsigned char _hdr[8];
    size_t _hdr_len;   /* header bytes held; 8 while inside a payload */
    uint32_t _left;    /* payload bytes of the current frame still to deliver */
    int _failed;
} faas_docker_demux_t;

/** Resets dmx to the start of a stream. */
void faas_docker_demux_init(faas_docker_demux_t *dmx);
/** Feeds len bytes split anywhere; payload pieces go to cb (may be NULL). Returns 0, or -1 on a
    malformed header (and for ever after). Empty frames produce no call. */
int faas_docker_demux_feed(faas_docker_demux_t *dmx, const void *buf, size_t len, faas_docker_log_cb cb,
                           void *cbdata);
/** 1 when the bytes fed so far end exactly at a frame boundary (the stream was not cut), else 0. */
int faas_docker_demux_complete(const faas_docker_demux_t *dmx);

/*
 * The JSON-lines answer of POST /build: lines may split across chunks and end in "\n" or
 * "\r\n". Any line with "error"/"errorDetail" marks failure; the last aux.ID is the image id;
 * with q=1, a {"stream":"sha256:<hex>"} line is accepted when no aux.ID came.
 */
typedef struct faas_docker_build_parser {
    faas_buf_t _line;                       /* a line split across chunks */
    int _skipping;                          /* dropping the rest of an overlong line */
    int _failed;
    char _error[FAAS_ERROR_MSG_MAX];        /* the first error message */
    char _aux_id[FAAS_DOCKER_ID_MAX];
    char _quiet_id[FAAS_DOCKER_ID_MAX];
    faas_docker_build_line_cb _on_line;
    void *_cbdata;
} faas_docker_build_parser_t;

/** Starts a parser; on_line (may be NULL) gets the progress text. */
void faas_docker_build_parser_init(faas_docker_build_parser_t *p, faas_docker_build_line_cb on_line, void *cbdata);
/** Feeds a chunk. Fails only with FAAS_ENOMEM. */
faas_err_t faas_docker_build_parser_feed(faas_docker_build_parser_t *p, const void *buf, size_t len,
                                         faas_error_t *err);
/** Ends the stream: FAAS_OK with image_id, or FAAS_EDOCKER with the build's error message. */
faas_err_t faas_docker_build_parser_finish(faas_docker_build_parser_t *p, char image_id[FAAS_DOCKER_ID_MAX],
                                           faas_error_t *err);
/** Frees the parser's buffer (after finish or instead of it). */
void faas_docker_build_parser_dispose(faas_docker_build_parser_t *p);

#endif
