/*
 * config.h: the validated, immutable configuration of a running faas.
 *
 * faas.conf.lua (read by policy.c) and the seeds' environment variables are
 * turned into one faas_config_t. Every setting is described once in config.c
 * (name, type, default, range, environment variable), and every value goes
 * through the same parser whether it came from Lua, the environment or the
 * default, so an error always names the setting and the reason.
 *
 * Each setting also remembers where its value came from (the file, an
 * environment variable or the default), for `faas check`.
 *
 * A faas_config_t is built on one thread and then shared read-only; it is
 * reference counted so a SIGHUP reload can replace it while requests still
 * read the old one.
 */
#ifndef FAAS_CORE_CONFIG_H
#define FAAS_CORE_CONFIG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "faas/core/error.h"
#include "faas/core/log.h"

/* Room for the origins of config.c's settings (it checks at compile time that they fit). */
#define FAAS_CONFIG_MAX_SETTINGS 64

/* Where a setting's value came from. */
typedef enum faas_config_origin {
    FAAS_ORIGIN_DEFAULT = 0,
    FAAS_ORIGIN_FILE = 1, /* faas_config_set: the config file */
    FAAS_ORIGIN_ENV = 2,  /* faas_config_apply_env: the setting's environment variable */
} faas_config_origin_t;

/* An address to listen on; host "" means every interface. */
typedef struct faas_listen {
    char host[64];
    int port;
} faas_listen_t;

typedef struct faas_config {
    atomic_int _refs;

    char *path;                /* the config file it was loaded from (absolute), or NULL */
    faas_listen_t listen;      /* listen / SERVER_PORT */
    char *domain;              /* functions are served at <name>.<domain> */
    char *data_dir;            /* absolute; LMDB, runtimes, volumes, builds */
    char *passfile;            /* absolute, ~ expanded */
    char *temp_dir;            /* absolute; TEMP_DIR_BASE, default <data_dir>/tmp */
    int prod;                  /* mode = "prod" / ENV=prod */
    faas_log_level_t log_level;
    char *log_file;            /* NULL: stderr */
    char *access_log;          /* one JSON line per request: absolute path, "-" for stderr, NULL: off */
    int64_t metrics;           /* 1: requests are counted and GET /metrics answers; 0: neither */

    uint8_t reserved_ports[65536 / 8]; /* bitmap */
    int64_t cleanup_interval_ms;
    int64_t restart_interval_ms;
    int64_t revisions;         /* deploys kept per service function (images kept for rollback) */
    char **allowlist;          /* exact names and "*.domain" patterns */
    size_t allowlist_len;

    struct {
        int64_t max_file_size;     /* uploaded code (zips, Dockerfiles) */
        int64_t max_body_size;     /* any request body, proxied traffic included */
        int64_t max_unauth_body; /* an API request's body without the passkey (cut while it arrives) */
        int64_t max_unpacked_size; /* what an uploaded zip may unpack to */
        int64_t memory;            /* container memory limit, bytes */
        int64_t nano_cpus;         /* container CPU limit, 1e9 = one CPU */
        int64_t pids;              /* container pids limit */
        int64_t containers;        /* executions at once (DOCKER_CONTAINER_LIMIT) */
        int64_t run_timeout_ms;    /* one execution (DOCKER_RUN_TIMEOUT) */
        int64_t warm;              /* pre-started execution containers kept per job function, 0 = none */
        int64_t warm_idle_ms;      /* an unused pre-started container is removed after it */
        int64_t build_timeout_ms;  /* one image build (DOCKER_BUILD_TIMEOUT) */
        int64_t start_timeout_ms;  /* a new service container must answer HTTP within it */
        int64_t upstream_timeout_ms; /* proxied request I/O */
    } limits;

    struct {
        int64_t read_timeout_ms;     /* whole HTTP/1.1 request, headers and body */
        int64_t write_timeout_ms;    /* HTTP/2 connection idle timeout */
        int64_t header_timeout_ms;   /* a request's header block; a new connection's first one from accept */
        int64_t keepalive_timeout_ms; /* a connection with no request in progress */
        int64_t max_connections;     /* open client connections of all loops together */
        int64_t shutdown_timeout_ms; /* graceful stop deadline */
        int64_t threads;             /* event-loop threads, 0 = one per core */
        int64_t workers;             /* blocking-work threads */
    } server;

    struct {
        int64_t min;             /* replicas kept while idle, 0: scale to zero */
        int64_t max;             /* most replicas per function */
        int64_t target;          /* requests in flight per replica the autoscaler aims at */
        int64_t concurrency;     /* hard cap of requests in flight per replica, 0 = none */
        int64_t window_ms;       /* how long the load must stay low before replicas go */
        int64_t pause_after_ms;  /* idle this long (and min 0): replicas paused */
        int64_t stop_after_ms;   /* paused this long: stopped */
        int64_t wake_timeout_ms; /* the longest a request waits for a wake or a free replica */
        int64_t queue;           /* requests that may wait per function */
    } scale;                     /* the defaults of every service function (core/scale.h) */

    struct {
        char *cert, *key;          /* static certificate (PEM files), optional */
        int64_t https_port;
        int64_t http_port;
        struct {
            char *directory, *email, *ca_bundle; /* directory != NULL enables ACME */
        } acme;
    } tls;

    struct {
        char *socket;              /* Docker engine unix socket */
        char *image_prefix;        /* DOCKER_IMAGE_PREFIX */
        char *registry;            /* "host:port" built images are pushed to (swarm backend), NULL = none */
    } docker;

    char *backend;                 /* "docker" (one engine) or "swarm" (Swarm services); restart only */

    uint8_t _origin[FAAS_CONFIG_MAX_SETTINGS]; /* a faas_config_origin_t per row of config.c's table */
} faas_config_t;

/** 1 when service functions run as Docker Swarm services (backend "swarm"). */
static inline int faas_config_swarm(const faas_config_t *cfg)
{
    return cfg->backend != NULL && cfg->backend[0] == 's';
}

/* Let's Encrypt's production directory: what prod mode uses when tls.acme.directory is not set. */
#define FAAS_ACME_DEFAULT_DIRECTORY "https://acme-v02.api.letsencrypt.org/directory"

/** 1 in ACME mode (mode "prod" or tls.acme.directory set): HTTPS with certificates from the CA. */
static inline int faas_config_acme_mode(const faas_config_t *cfg)
{
    return cfg->prod || cfg->tls.acme.directory != NULL;
}

/** The ACME directory URL in ACME mode. */
static inline const char *faas_config_acme_directory(const faas_config_t *cfg)
{
    return cfg->tls.acme.directory != NULL ? cfg->tls.acme.directory : FAAS_ACME_DEFAULT_DIRECTORY;
}

/* The type of a value handed to faas_config_set (from Lua or the environment). */
typedef enum faas_config_vtype {
    FAAS_CV_STRING,
    FAAS_CV_NUMBER,
    FAAS_CV_BOOL,
    FAAS_CV_LIST,
} faas_config_vtype_t;

/* A value for a setting; lists hold items of any type. Borrowed, never owned. */
typedef struct faas_config_value {
    faas_config_vtype_t type;
    const char *s;
    double n;
    int b;
    const struct faas_config_value *items;
    size_t n_items;
} faas_config_value_t;

/** Allocates a config holding every default (refcount 1); NULL on allocation failure. */
faas_config_t *faas_config_new(void);

/** Takes a reference; returns cfg. Any thread. */
faas_config_t *faas_config_ref(faas_config_t *cfg);

/** Drops a reference; frees at zero. NULL is allowed. Any thread. */
void faas_config_unref(faas_config_t *cfg);

/**
 * Sets the setting named by its dotted name ("limits.memory") from a value of
 * the config file (its origin becomes FAAS_ORIGIN_FILE). FAAS_ENOTFOUND for an
 * unknown name (err as faas_config_unknown), FAAS_EINVAL for a bad value; err
 * says "<name>: <reason>".
 */
faas_err_t faas_config_set(faas_config_t *cfg, const char *name, const faas_config_value_t *v, faas_error_t *err);

/** 1 if name is a setting or a section that faas.conf.lua may set. */
int faas_config_known(const char *name);

/** 1 if name is a table of settings ("limits", "tls", "tls.acme", ...), else 0. */
int faas_config_is_section(const char *name);

/**
 * The known name nearest to an unknown one, if it is close enough to be a
 * typo: a setting or section in the same table ("limits.memroy" ->
 * "limits.memory"), for a top-level name also one of extra (the hooks'
 * names); else the same name in another table ("threads" ->
 * "server.threads"). Case is ignored; NULL when nothing is close.
 */
const char *faas_config_nearest(const char *name, const char *const *extra, size_t n_extra);

/**
 * Sets err to "<name>: unknown setting", with "(did you mean "<nearest>"?)"
 * from faas_config_nearest when there is one; returns FAAS_ENOTFOUND.
 */
faas_err_t faas_config_unknown(const char *name, const char *const *extra, size_t n_extra, faas_error_t *err);

/**
 * Applies the seeds' environment variables (SERVER_PORT, MAX_FILE_SIZE, ...),
 * read through getenv_fn (getenv in production, a table in tests). An error
 * names the variable.
 */
faas_err_t faas_config_apply_env(faas_config_t *cfg, const char *(*getenv_fn)(const char *), faas_error_t *err);

/**
 * Resolves relative paths against base_dir (the config file's directory),
 * expands "~/" with home, fills derived defaults (temp_dir) and checks
 * settings against each other. Call once after all faas_config_set calls.
 */
faas_err_t faas_config_finish(faas_config_t *cfg, const char *base_dir, const char *home, faas_error_t *err);

/* One setting of a config as text, for `faas check` and the reload log. */
typedef struct faas_config_item {
    const char *name;  /* dotted, as written in faas.conf.lua: "limits.memory" */
    char value[1024];  /* the resolved value ("256MiB", "2m", "-" when unset), cut with "..." */
    char origin[80];   /* "file", "default" or "env MAX_FILE_SIZE" */
    int restart;       /* 1: a reload keeps the running value */
} faas_config_item_t;

/** Fills *item with the i-th setting of cfg (i from 0, the table's order); -1 once i is past the last. */
int faas_config_item(const faas_config_t *cfg, size_t i, faas_config_item_t *item);

/**
 * For a reload: logs each setting whose value differs from cur to next, one
 * line each ("reload: domain: a.example -> b.example"); those that need a
 * restart as warnings that the running value is kept. Returns how many of
 * the others (those the reload applies) changed. Main thread.
 */
size_t faas_config_log_changes(const faas_config_t *cur, const faas_config_t *next);

/**
 * For a reload: copies into next every setting that only takes effect at
 * start-up (listen, data_dir, tls.*, ...) from cur, and writes the names of
 * those whose value differed into changed ("" if none; NULL with size 0).
 * Main thread.
 */
void faas_config_keep_fixed(faas_config_t *next, const faas_config_t *cur, char *changed, size_t size);

/** 1 if port is in reserved_ports. */
int faas_config_port_reserved(const faas_config_t *cfg, int port);

/** Parses a duration: 30, 1.5, "30", "30s", "500ms", "2m", "1h", "7d"; milliseconds in *ms. 0 or -1. */
int faas_config_parse_duration(const faas_config_value_t *v, int64_t *ms);

/** Parses a size: 1048576, "512k", "10m", "10MB", "1g", "2GiB"; bytes in *bytes. 0 or -1. */
int faas_config_parse_size(const faas_config_value_t *v, int64_t *bytes);

/** Writes "host:port" (or "*:port") for l into buf; returns buf. */
char *faas_config_format_listen(const faas_listen_t *l, char *buf, size_t size);

#endif
