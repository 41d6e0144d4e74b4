/*
 * config.c: every setting of faas described once (name, type, default, range,
 * environment variable), one table row each, and what walks that table: the
 * parser that turns Lua or environment values into a validated faas_config_t
 * (single values through config_value.c) and remembers each value's origin,
 * the nearest known name for a typo, the settings as text for `faas check`
 * and the reload log. Pure code: no Lua, no I/O except access(2) checks in
 * faas_config_finish and the reload log. Runs on the main thread (start-up,
 * SIGHUP).
 */
#include "faas/core/config.h"
#include "faas/core/scale.h"
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef enum {
    T_LISTEN, T_PORT0, T_PORT, T_DOMAIN, T_PATH, T_MODE, T_LEVEL, T_LOGFILE, T_PORTS,
    T_DURATION, T_SIZE, T_INT, T_CPUS, T_HOSTLIST, T_URL, T_SOCKET, T_IMAGE_PREFIX, T_EMAIL, T_BOOL, T_ACCESSLOG,
    T_BACKEND, T_REGISTRY,
} setting_type_t;

typedef struct setting {
    const char *name;  /* dotted name, as written in faas.conf.lua */
    const char *env;   /* environment variable that overrides it, or NULL */
    setting_type_t type;
    size_t offset;
    int64_t min, max;  /* range for numbers (ms for durations, bytes for sizes) */
    const char *def;   /* default, parsed like any other value; NULL = unset */
    unsigned flags;
} setting_t;

#define FIXED 1u /* read once at start-up: a reload keeps the running value */
#define PART 2u  /* part of another setting (SERVER_PORT for listen's port): no name of its own in the file */

#define OFF(field) offsetof(faas_config_t, field)
#define DAY_MS (86400LL * 1000)
#define GIB (1024LL * 1024 * 1024)

static const setting_t settings[] = {
    {"listen", NULL, T_LISTEN, OFF(listen), 0, 0, "127.0.0.1:8080", FIXED},
    {"listen.port", "SERVER_PORT", T_PORT0, OFF(listen.port), 0, 65535, NULL, FIXED | PART},
    {"domain", NULL, T_DOMAIN, OFF(domain), 0, 0, "localhost", 0},
    {"data_dir", NULL, T_PATH, OFF(data_dir), 0, 0, "/var/lib/faas", FIXED},
    {"passfile", NULL, T_PATH, OFF(passfile), 0, 0, "~/.passfile", FIXED},
    {"temp_dir", "TEMP_DIR_BASE", T_PATH, OFF(temp_dir), 0, 0, NULL, FIXED},
    {"mode", "ENV", T_MODE, OFF(prod), 0, 0, "dev", FIXED},
    {"log_level", "LOG_LEVEL", T_LEVEL, OFF(log_level), 0, 0, "info", 0},
    {"log_file", "LOG_TO_FILE", T_LOGFILE, OFF(log_file), 0, 0, NULL, 0},
    {"access_log", NULL, T_ACCESSLOG, OFF(access_log), 0, 0, NULL, FIXED},
    {"metrics", NULL, T_BOOL, OFF(metrics), 0, 1, "true", FIXED},
    {"reserved_ports", NULL, T_PORTS, OFF(reserved_ports), 0, 0, NULL, 0},
    {"cleanup_interval", "CLEANUP_INTERVAL", T_DURATION, OFF(cleanup_interval_ms), 1000, 7 * DAY_MS, "120s", 0},
    {"restart_interval", "RESTART_INTERVAL", T_DURATION, OFF(restart_interval_ms), 1000, 7 * DAY_MS, "120s", 0},
    {"revisions", NULL, T_INT, OFF(revisions), 1, 100, "5", 0},
    {"allowlist", "ALLOWLIST", T_HOSTLIST, OFF(allowlist), 0, 0, NULL, 0},
    {"limits.max_file_size", "MAX_FILE_SIZE", T_SIZE, OFF(limits.max_file_size), 1024, 4 * GIB, "10m", 0},
    {"limits.max_unpacked_size", NULL, T_SIZE, OFF(limits.max_unpacked_size), 1024, 64 * GIB, "256m", 0},
    {"limits.max_body_size", NULL, T_SIZE, OFF(limits.max_body_size), 1024, 16 * GIB, "64m", FIXED},
    {"limits.max_unauth_body", NULL, T_SIZE, OFF(limits.max_unauth_body), 0, 16 * GIB, "64k", 0},
    {"limits.memory", NULL, T_SIZE, OFF(limits.memory), 6 * 1024 * 1024, 1024 * GIB, "256m", 0},
    {"limits.cpus", NULL, T_CPUS, OFF(limits.nano_cpus), 10000000, 1024LL * 1000000000, "1", 0},
    {"limits.pids", NULL, T_INT, OFF(limits.pids), 8, 1 << 22, "256", 0},
    {"limits.containers", "DOCKER_CONTAINER_LIMIT", T_INT, OFF(limits.containers), 1, 10000, "10", 0},
    {"limits.run_timeout", "DOCKER_RUN_TIMEOUT", T_DURATION, OFF(limits.run_timeout_ms), 100, DAY_MS, "30s", 0},
    {"limits.warm", NULL, T_INT, OFF(limits.warm), 0, 64, "2", 0},
    {"limits.warm_idle", NULL, T_DURATION, OFF(limits.warm_idle_ms), 1000, DAY_MS, "300s", 0},
    {"limits.build_timeout", "DOCKER_BUILD_TIMEOUT", T_DURATION, OFF(limits.build_timeout_ms), 1000, DAY_MS, "120s", 0},
    {"limits.start_timeout", NULL, T_DURATION, OFF(limits.start_timeout_ms), 1000, DAY_MS, "60s", 0},
    {"limits.upstream_timeout", NULL, T_DURATION, OFF(limits.upstream_timeout_ms), 100, DAY_MS, "60s", FIXED},
    {"server.read_timeout", "SERVER_READ_TIMEOUT", T_DURATION, OFF(server.read_timeout_ms), 100, DAY_MS, "300s", FIXED},
    {"server.write_timeout", "SERVER_WRITE_TIMEOUT", T_DURATION, OFF(server.write_timeout_ms), 100, DAY_MS, "60s", FIXED},
    {"server.header_timeout", NULL, T_DURATION, OFF(server.header_timeout_ms), 1000, DAY_MS, "60s", 0},
    {"server.keepalive_timeout", NULL, T_DURATION, OFF(server.keepalive_timeout_ms), 1000, DAY_MS, "60s", 0},
    {"server.max_connections", NULL, T_INT, OFF(server.max_connections), 16, 1000000, "4096", 0},
    {"server.shutdown_timeout", "SERVER_SHUTDOWN_TIMEOUT", T_DURATION, OFF(server.shutdown_timeout_ms), 0, 3600000, "5s", 0},
    {"server.threads", NULL, T_INT, OFF(server.threads), 0, 256, "0", FIXED},
    {"server.workers", NULL, T_INT, OFF(server.workers), 1, 1024, "16", FIXED},
    {"scale.min", NULL, T_INT, OFF(scale.min), 0, FAAS_SCALE_REPLICAS_MAX, "0", 0},
    {"scale.max", NULL, T_INT, OFF(scale.max), 1, FAAS_SCALE_REPLICAS_MAX, "1", 0},
    {"scale.target", NULL, T_INT, OFF(scale.target), 1, FAAS_SCALE_TARGET_MAX, "10", 0},
    {"scale.concurrency", NULL, T_INT, OFF(scale.concurrency), 0, FAAS_SCALE_CONCURRENCY_MAX, "0", 0},
    {"scale.window", NULL, T_DURATION, OFF(scale.window_ms), 2000, 3600000, "60s", 0},
    {"scale.pause_after", NULL, T_DURATION, OFF(scale.pause_after_ms), 1000, 30 * DAY_MS, "5m", 0},
    {"scale.stop_after", NULL, T_DURATION, OFF(scale.stop_after_ms), 1000, 365 * DAY_MS, "1h", 0},
    {"scale.wake_timeout", NULL, T_DURATION, OFF(scale.wake_timeout_ms), 100, 600000, "60s", 0},
    {"scale.queue", NULL, T_INT, OFF(scale.queue), 0, 1000000, "1000", 0},
    {"tls.cert", NULL, T_PATH, OFF(tls.cert), 0, 0, NULL, FIXED},
    {"tls.key", NULL, T_PATH, OFF(tls.key), 0, 0, NULL, FIXED},
    {"tls.https_port", NULL, T_PORT0, OFF(tls.https_port), 0, 65535, "443", FIXED},
    {"tls.http_port", NULL, T_PORT0, OFF(tls.http_port), 0, 65535, "80", FIXED},
    {"tls.acme.directory", NULL, T_URL, OFF(tls.acme.directory), 0, 0, NULL, FIXED},
    {"tls.acme.email", NULL, T_EMAIL, OFF(tls.acme.email), 0, 0, NULL, FIXED},
    {"tls.acme.ca_bundle", NULL, T_PATH, OFF(tls.acme.ca_bundle), 0, 0, NULL, FIXED},
    {"docker.socket", "DOCKER_HOST", T_SOCKET, OFF(docker.socket), 0, 0, "/var/run/docker.sock", FIXED},
    {"docker.image_prefix", "DOCKER_IMAGE_PREFIX", T_IMAGE_PREFIX, OFF(docker.image_prefix), 0, 0, "faas", 0},
    {"docker.registry", NULL, T_REGISTRY, OFF(docker.registry), 0, 0, NULL, 0},
    {"backend", NULL, T_BACKEND, OFF(backend), 0, 0, "docker", FIXED},
};

static const char *const sections[] = {"limits", "server", "scale", "tls", "tls.acme", "docker"};
static const int default_reserved_ports[] = {80, 8080, 9001};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))
_Static_assert(NSETTINGS <= FAAS_CONFIG_MAX_SETTINGS, "raise FAAS_CONFIG_MAX_SETTINGS");
#define FIELD(cfg, s, type) ((type *)((char *)(cfg) + (s)->offset))

static void replace_string(char **slot, char *value)
{
    free(*slot);
    *slot = value;
}

/* ---- parsers, one per setting type; errors carry only the reason -------- */

static faas_err_t parse_int(const setting_t *s, int64_t *out, const faas_config_value_t *v, faas_error_t *err)
{
    int64_t n;
    if (faas_core__value_int(v, &n) != 0)
        return faas_error_set(err, FAAS_EINVAL, "must be a whole number%s%s%s", v->type == FAAS_CV_STRING ? " (got \"" : "",
                              v->type == FAAS_CV_STRING ? v->s : "", v->type == FAAS_CV_STRING ? "\")" : "");
    if (n < s->min || n > s->max)
        return faas_error_set(err, FAAS_EINVAL, "%lld is out of range %lld..%lld", (long long)n, (long long)s->min,
                              (long long)s->max);
    *out = n;
    return FAAS_OK;
}

static faas_err_t check_range(const setting_t *s, int64_t n, faas_error_t *err)
{
    char lo[32], hi[32], got[32];
    int d = s->type == T_DURATION;
    if (n < s->min || n > s->max)
        return faas_error_set(err, FAAS_EINVAL, "%s is out of range (%s to %s)", faas_core__human(n, d, got, sizeof(got)),
                              faas_core__human(s->min, d, lo, sizeof(lo)), faas_core__human(s->max, d, hi, sizeof(hi)));
    return FAAS_OK;
}

/* A duration or a size: parsed, range-checked, stored. */
static faas_err_t parse_measure(const setting_t *s, faas_config_t *cfg, const faas_config_value_t *v,
                                int (*parse)(const faas_config_value_t *, int64_t *), const char *what, faas_error_t *err)
{
    int64_t n;
    if (parse(v, &n) != 0)
        return faas_error_set(err, FAAS_EINVAL, "must be %s", what);
    if (check_range(s, n, err) != FAAS_OK)
        return FAAS_EINVAL;
    *FIELD(cfg, s, int64_t) = n;
    return FAAS_OK;
}

/* Strings: accepted from Lua strings only (and from the environment). */
static faas_err_t want_string(const faas_config_value_t *v, faas_error_t *err)
{
    if (v->type != FAAS_CV_STRING)
        return faas_error_set(err, FAAS_EINVAL, "must be a string, got %s", faas_core__value_type(v));
    if (v->s[0] == '\0')
        return faas_error_set(err, FAAS_EINVAL, "must not be empty");
    return FAAS_OK;
}

static faas_err_t parse_text(const setting_t *s, faas_config_t *cfg, const faas_config_value_t *v, faas_error_t *err)
{
    char **slot = FIELD(cfg, s, char *);
    if (want_string(v, err) != FAAS_OK)
        return FAAS_EINVAL;
    const char *val = v->s;
    switch (s->type) {
    case T_DOMAIN:
        if (!faas_core__valid_hostname(val))
            return faas_error_set(err, FAAS_EINVAL, "\"%s\" is not a valid domain name", val);
        replace_string(slot, faas_core__lower_dup(val));
        return FAAS_OK;
    case T_URL:
        if (strncmp(val, "https://", 8) != 0 && strncmp(val, "http://", 7) != 0)
            return faas_error_set(err, FAAS_EINVAL, "must be an http(s):// URL (got \"%s\")", val);
        break;
    case T_EMAIL:
        if (strchr(val, '@') == NULL || strpbrk(val, " \t\r\n,<>") != NULL)
            return faas_error_set(err, FAAS_EINVAL, "\"%s\" is not an e-mail address", val);
        break;
    case T_SOCKET:
        if (strncmp(val, "unix://", 7) == 0)
            val += 7;
        else if (strstr(val, "://") != NULL)
            return faas_error_set(err, FAAS_EINVAL, "only unix:// sockets are supported (got \"%s\")", val);
        if (val[0] != '/')
            return faas_error_set(err, FAAS_EINVAL, "must be an absolute socket path (got \"%s\")", v->s);
        break;
    case T_IMAGE_PREFIX:
        if (strlen(val) > 100 || strspn(val, "abcdefghijklmnopqrstuvwxyz0123456789._-/") != strlen(val) ||
            !isalnum((unsigned char)val[0]))
            return faas_error_set(err, FAAS_EINVAL, "\"%s\" is not a valid image name prefix (a-z 0-9 . _ - /)", val);
        break;
    case T_BACKEND:
        if (strcmp(val, "docker") != 0 && strcmp(val, "swarm") != 0)
            return faas_error_set(err, FAAS_EINVAL, "must be \"docker\" or \"swarm\" (got \"%s\")", val);
        break;
    case T_REGISTRY:
        if (!faas_core__valid_registry(val))
            return faas_error_set(err, FAAS_EINVAL, "\"%s\" is not a registry address (host:port, e.g. \"127.0.0.1:5000\")",
                                  val);
        break;
    default:
        break;
    }
    replace_string(slot, strdup(val));
    return *slot ? FAAS_OK : faas_error_set(err, FAAS_ENOMEM, "out of memory");
}

static faas_err_t parse_mode(faas_config_t *cfg, const faas_config_value_t *v, faas_error_t *err)
{
    if (want_string(v, err) != FAAS_OK)
        return FAAS_EINVAL;
    static const char *const prod[] = {"prod", "production"};
    static const char *const dev[] = {"dev", "development", "not_prod", "test"};
    for (size_t i = 0; i < sizeof(prod) / sizeof(prod[0]); i++) {
        if (strcasecmp(v->s, prod[i]) == 0) {
            cfg->prod = 1;
            return FAAS_OK;
        }
    }
    for (size_t i = 0; i < sizeof(dev) / sizeof(dev[0]); i++) {
        if (strcasecmp(v->s, dev[i]) == 0) {
            cfg->prod = 0;
            return FAAS_OK;
        }
    }
    return faas_error_set(err, FAAS_EINVAL, "must be \"dev\" or \"prod\" (got \"%s\")", v->s);
}

static faas_err_t parse_logfile(faas_config_t *cfg, const faas_config_value_t *v, faas_error_t *err)
{
    /* LOG_TO_FILE=1 (the seed's switch) means the default file; a path names one. */
    int on = -1;
    if (v->type == FAAS_CV_BOOL)
        on = v->b;
    else if (v->type == FAAS_CV_STRING && (strcmp(v->s, "1") == 0 || strcasecmp(v->s, "true") == 0))
        on = 1;
    else if (v->type == FAAS_CV_STRING && (strcmp(v->s, "0") == 0 || strcasecmp(v->s, "false") == 0 || !v->s[0]))
        on = 0;
    if (on >= 0) {
        replace_string(&cfg->log_file, on ? strdup("faas.log") : NULL);
        return FAAS_OK;
    }
    if (want_string(v, err) != FAAS_OK)
        return FAAS_EINVAL;
    replace_string(&cfg->log_file, strdup(v->s));
    return FAAS_OK;
}

/* true/false (Lua booleans, or "true"/"false"/"1"/"0" from the environment or a default). */
static faas_err_t parse_bool(const faas_config_value_t *v, int *out)
{
    if (v->type == FAAS_CV_BOOL)
        *out = v->b;
    else if (v->type == FAAS_CV_STRING && (strcmp(v->s, "1") == 0 || strcasecmp(v->s, "true") == 0))
        *out = 1;
    else if (v->type == FAAS_CV_STRING && (strcmp(v->s, "0") == 0 || strcasecmp(v->s, "false") == 0))
        *out = 0;
    else
        return FAAS_EINVAL;
    return FAAS_OK;
}

/* access_log: false (off), true (stderr, kept as "-") or a path (relative to data_dir, resolved later). */
static faas_err_t parse_accesslog(faas_config_t *cfg, const faas_config_value_t *v, faas_error_t *err)
{
    int on;
    if (v->type == FAAS_CV_BOOL || (v->type == FAAS_CV_STRING && parse_bool(v, &on) == FAAS_OK)) {
        parse_bool(v, &on);
        replace_string(&cfg->access_log, on ? strdup("-") : NULL);
        return FAAS_OK;
    }
    if (want_string(v, err) != FAAS_OK)
        return faas_error_set(err, FAAS_EINVAL, "must be true (stderr), false or a file path");
    replace_string(&cfg->access_log, strdup(v->s));
    return cfg->access_log ? FAAS_OK : faas_error_set(err, FAAS_ENOMEM, "out of memory");
}

static faas_err_t parse_setting(const setting_t *s, faas_config_t *cfg, const faas_config_value_t *v, faas_error_t *err)
{
    int64_t n;
    switch (s->type) {
    case T_LISTEN:
        return faas_core__parse_listen(&cfg->listen, v, err);
    case T_PORT0:
    case T_PORT:
        if (parse_int(s, &n, v, err) != FAAS_OK)
            return FAAS_EINVAL;
        if (s->offset == OFF(listen.port))
            cfg->listen.port = (int)n;
        else
            *FIELD(cfg, s, int64_t) = n;
        return FAAS_OK;
    case T_INT:
        return parse_int(s, FIELD(cfg, s, int64_t), v, err);
    case T_DURATION:
        return parse_measure(s, cfg, v, faas_config_parse_duration,
                             "a duration like 30, \"30s\", \"500ms\", \"2m\", \"1h\" or \"7d\"", err);
    case T_SIZE:
        return parse_measure(s, cfg, v, faas_config_parse_size, "a size like 1048576, \"512k\", \"10m\" or \"1g\"", err);
    case T_CPUS: {
        double cpus = v->type == FAAS_CV_NUMBER ? v->n : (v->type == FAAS_CV_STRING ? strtod(v->s, NULL) : -1);
        n = (int64_t)llround(cpus * 1e9);
        if (!(cpus > 0) || n < s->min || n > s->max)
            return faas_error_set(err, FAAS_EINVAL, "must be a number of CPUs between 0.01 and 1024");
        *FIELD(cfg, s, int64_t) = n;
        return FAAS_OK;
    }
    case T_LEVEL:
        if (v->type != FAAS_CV_STRING || faas_log_parse_level(v->s, &cfg->log_level) != 0)
            return faas_error_set(err, FAAS_EINVAL, "must be \"debug\", \"info\", \"warn\" or \"error\"");
        return FAAS_OK;
    case T_MODE:
        return parse_mode(cfg, v, err);
    case T_LOGFILE:
        return parse_logfile(cfg, v, err);
    case T_ACCESSLOG:
        return parse_accesslog(cfg, v, err);
    case T_BOOL: {
        int b;
        if (parse_bool(v, &b) != FAAS_OK)
            return faas_error_set(err, FAAS_EINVAL, "must be true or false");
        *FIELD(cfg, s, int64_t) = b;
        return FAAS_OK;
    }
    case T_PORTS:
        return faas_core__parse_ports(cfg->reserved_ports, v, err);
    case T_HOSTLIST:
        return faas_core__parse_hosts(&cfg->allowlist, &cfg->allowlist_len, v, err);
    case T_PATH:
    case T_DOMAIN:
    case T_URL:
    case T_EMAIL:
    case T_SOCKET:
    case T_IMAGE_PREFIX:
    case T_BACKEND:
    case T_REGISTRY:
        return parse_text(s, cfg, v, err);
    }
    return faas_error_set(err, FAAS_EINVAL, "unsupported setting type");
}

/* ---- public API ------------------------------------------------------- */

static const setting_t *find_setting(const char *name)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0)
            return &settings[i];
    return NULL;
}

faas_err_t faas_config_set(faas_config_t *cfg, const char *name, const faas_config_value_t *v, faas_error_t *err)
{
    const setting_t *s = find_setting(name);
    if (s == NULL || (s->flags & PART))
        return faas_config_unknown(name, NULL, 0, err);
    if (parse_setting(s, cfg, v, err) != FAAS_OK)
        return faas_error_prefix(err, FAAS_EINVAL, "%s", name);
    cfg->_origin[s - settings] = FAAS_ORIGIN_FILE;
    return FAAS_OK;
}

int faas_config_known(const char *name)
{
    const setting_t *s = find_setting(name);
    return faas_config_is_section(name) || (s != NULL && !(s->flags & PART));
}

int faas_config_is_section(const char *name)
{
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (strcmp(sections[i], name) == 0)
            return 1;
    return 0;
}

/* Keeps in *best the candidate nearest to name (both relative to the same table); d is its distance. */
static void consider(const char *name, const char *candidate, const char *full, const char **best, size_t *d)
{
    size_t len = strlen(candidate), max = len <= 4 ? 1 : len <= 8 ? 2 : 3; /* a typo, not another word */
    size_t dist = faas_core__distance(name, candidate);
    if (dist <= max && dist < *d) {
        *best = full;
        *d = dist;
    }
}

const char *faas_config_nearest(const char *name, const char *const *extra, size_t n_extra)
{
    const char *dot = strrchr(name, '.'), *leaf = dot ? dot + 1 : name, *best = NULL, *moved = NULL;
    size_t parent = dot ? (size_t)(dot - name) + 1 : 0, d = (size_t)-1; /* "limits." or "" */
    for (size_t i = 0; i < NSETTINGS + sizeof(sections) / sizeof(sections[0]); i++) {
        const char *known = i < NSETTINGS ? settings[i].name : sections[i - NSETTINGS];
        const char *known_leaf = strrchr(known, '.') ? strrchr(known, '.') + 1 : known;
        if (i < NSETTINGS && (settings[i].flags & PART))
            continue;
        if (strncmp(known, name, parent) == 0 && strchr(known + parent, '.') == NULL)
            consider(leaf, known + parent, known, &best, &d); /* in the same table */
        else if (moved == NULL && strcasecmp(known_leaf, leaf) == 0)
            moved = known; /* the right name in another table: "threads" for "server.threads" */
    }
    for (size_t i = 0; dot == NULL && i < n_extra; i++)
        consider(name, extra[i], extra[i], &best, &d);
    return best != NULL ? best : moved;
}

faas_err_t faas_config_unknown(const char *name, const char *const *extra, size_t n_extra, faas_error_t *err)
{
    const char *near = faas_config_nearest(name, extra, n_extra);
    if (near == NULL)
        return faas_error_set(err, FAAS_ENOTFOUND, "%s: unknown setting", name);
    return faas_error_set(err, FAAS_ENOTFOUND, "%s: unknown setting (did you mean \"%s\"?)", name, near);
}

faas_config_t *faas_config_new(void)
{
    faas_config_t *cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return NULL;
    atomic_init(&cfg->_refs, 1);
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (settings[i].def == NULL)
            continue;
        faas_config_value_t v = faas_core__string_value(settings[i].def);
        faas_error_t err = {0};
        if (parse_setting(&settings[i], cfg, &v, &err) != FAAS_OK) {
            /* A default that does not parse is a programming error caught by the unit tests. */
            fprintf(stderr, "faas: bad built-in default for %s: %s\n", settings[i].name, err.msg);
            abort();
        }
    }
    for (size_t i = 0; i < sizeof(default_reserved_ports) / sizeof(int); i++)
        cfg->reserved_ports[default_reserved_ports[i] / 8] |= (uint8_t)(1u << (default_reserved_ports[i] % 8));
    return cfg;
}

faas_config_t *faas_config_ref(faas_config_t *cfg)
{
    atomic_fetch_add(&cfg->_refs, 1);
    return cfg;
}

void faas_config_unref(faas_config_t *cfg)
{
    if (cfg == NULL || atomic_fetch_sub(&cfg->_refs, 1) != 1)
        return;
    char **strings[] = {&cfg->path, &cfg->domain, &cfg->data_dir, &cfg->passfile, &cfg->temp_dir, &cfg->log_file, &cfg->access_log,
                        &cfg->tls.cert, &cfg->tls.key, &cfg->tls.acme.directory, &cfg->tls.acme.email,
                        &cfg->tls.acme.ca_bundle, &cfg->docker.socket, &cfg->docker.image_prefix,
                        &cfg->docker.registry, &cfg->backend};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(*strings[i]);
    for (size_t i = 0; i < cfg->allowlist_len; i++)
        free(cfg->allowlist[i]);
    free(cfg->allowlist);
    free(cfg);
}

faas_err_t faas_config_apply_env(faas_config_t *cfg, const char *(*getenv_fn)(const char *), faas_error_t *err)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting_t *s = &settings[i];
        const char *val = s->env ? getenv_fn(s->env) : NULL;
        if (val == NULL)
            continue;
        faas_config_value_t v = faas_core__string_value(val);
        if (parse_setting(s, cfg, &v, err) != FAAS_OK)
            return faas_error_prefix(err, FAAS_EINVAL, "%s (environment, for %s)", s->env, s->name);
        cfg->_origin[i] = FAAS_ORIGIN_ENV;
    }
    return FAAS_OK;
}

int faas_config_port_reserved(const faas_config_t *cfg, int port)
{
    return port > 0 && port < 65536 && (cfg->reserved_ports[port / 8] & (1u << (port % 8))) != 0;
}

char *faas_config_format_listen(const faas_listen_t *l, char *buf, size_t size)
{
    int v6 = strchr(l->host, ':') != NULL;
    snprintf(buf, size, "%s%s%s:%d", v6 ? "[" : "", l->host[0] ? l->host : "*", v6 ? "]" : "", l->port);
    return buf;
}

/* Makes *slot absolute: "~/x" under home, "x" under base. */
static faas_err_t resolve_path(char **slot, const char *name, const char *base, const char *home, faas_error_t *err)
{
    const char *p = *slot;
    if (p == NULL || p[0] == '/')
        return FAAS_OK;
    char buf[PATH_MAX];
    int n;
    if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
        if (home == NULL || home[0] == '\0')
            return faas_error_set(err, FAAS_EINVAL, "%s: \"%s\" uses ~ but HOME is not set", name, p);
        n = snprintf(buf, sizeof(buf), "%s%s", home, p + 1);
    } else {
        n = snprintf(buf, sizeof(buf), "%s/%s", base, p);
    }
    if (n < 0 || (size_t)n >= sizeof(buf))
        return faas_error_set(err, FAAS_EINVAL, "%s: path too long", name);
    replace_string(slot, strdup(buf));
    return *slot ? FAAS_OK : faas_error_set(err, FAAS_ENOMEM, "out of memory");
}

static faas_err_t check_readable(const char *path, const char *name, faas_error_t *err)
{
    if (path != NULL && access(path, R_OK) != 0)
        return faas_error_set(err, FAAS_EINVAL, "%s: cannot read %s: %s", name, path, strerror(errno));
    return FAAS_OK;
}

faas_err_t faas_config_finish(faas_config_t *cfg, const char *base_dir, const char *home, faas_error_t *err)
{
    struct { char **slot; const char *name; } paths[] = {
        {&cfg->data_dir, "data_dir"}, {&cfg->passfile, "passfile"}, {&cfg->temp_dir, "temp_dir"},
        {&cfg->tls.cert, "tls.cert"}, {&cfg->tls.key, "tls.key"}, {&cfg->tls.acme.ca_bundle, "tls.acme.ca_bundle"},
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (resolve_path(paths[i].slot, paths[i].name, base_dir, home, err) != FAAS_OK)
            return FAAS_EINVAL;
    /* The log file and the temp dir default to places under data_dir. */
    if (resolve_path(&cfg->log_file, "log_file", cfg->data_dir, home, err) != FAAS_OK)
        return FAAS_EINVAL;
    if (cfg->access_log != NULL && strcmp(cfg->access_log, "-") != 0 &&
        resolve_path(&cfg->access_log, "access_log", cfg->data_dir, home, err) != FAAS_OK)
        return FAAS_EINVAL;
    if (cfg->temp_dir == NULL) {
        cfg->temp_dir = strdup("tmp");
        if (resolve_path(&cfg->temp_dir, "temp_dir", cfg->data_dir, home, err) != FAAS_OK)
            return FAAS_EINVAL;
    }
    if ((cfg->tls.cert == NULL) != (cfg->tls.key == NULL))
        return faas_error_set(err, FAAS_EINVAL, "tls.cert and tls.key: set both or neither");
    if (check_readable(cfg->tls.cert, "tls.cert", err) || check_readable(cfg->tls.key, "tls.key", err) ||
        check_readable(cfg->tls.acme.ca_bundle, "tls.acme.ca_bundle", err))
        return FAAS_EINVAL;
    if (cfg->tls.cert != NULL && !faas_config_acme_mode(cfg) && cfg->tls.https_port != 0 &&
        cfg->tls.https_port == cfg->listen.port)
        return faas_error_set(err, FAAS_EINVAL, "tls.https_port: %d is also the listen port", cfg->listen.port);
    if (faas_config_acme_mode(cfg) && cfg->tls.https_port != 0 && cfg->tls.https_port == cfg->tls.http_port)
        return faas_error_set(err, FAAS_EINVAL, "tls.https_port: %d is also tls.http_port", (int)cfg->tls.http_port);
    if (cfg->scale.min > cfg->scale.max)
        return faas_error_set(err, FAAS_EINVAL, "scale.min: %lld is above scale.max (%lld)", (long long)cfg->scale.min,
                              (long long)cfg->scale.max);
    return FAAS_OK;
}

/* ---- reload ------------------------------------------------------------- */

static int is_string_type(setting_type_t t)
{
    return t == T_DOMAIN || t == T_PATH || t == T_URL || t == T_EMAIL || t == T_SOCKET || t == T_IMAGE_PREFIX ||
           t == T_LOGFILE || t == T_ACCESSLOG || t == T_BACKEND || t == T_REGISTRY;
}

/* Copies setting s from src to dst; 1 if the values differed. Only types used by FIXED settings. */
static int carry_setting(const setting_t *s, faas_config_t *dst, const faas_config_t *src)
{
    if (s->type == T_LISTEN) {
        int differ = memcmp(&dst->listen, &src->listen, sizeof(src->listen)) != 0;
        dst->listen = src->listen;
        return differ;
    }
    if (s->type == T_MODE) {
        int differ = dst->prod != src->prod;
        dst->prod = src->prod;
        return differ;
    }
    if (is_string_type(s->type)) {
        char **d = FIELD(dst, s, char *);
        const char *v = *FIELD(src, s, char *);
        int differ = (*d == NULL) != (v == NULL) || (v != NULL && strcmp(*d, v) != 0);
        replace_string(d, v ? strdup(v) : NULL);
        return differ;
    }
    int64_t *d = FIELD(dst, s, int64_t);
    int64_t v = *FIELD(src, s, int64_t);
    int differ = *d != v;
    *d = v;
    return differ;
}

void faas_config_keep_fixed(faas_config_t *next, const faas_config_t *cur, char *changed, size_t size)
{
    size_t n = 0;
    if (size > 0)
        changed[0] = '\0';
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting_t *s = &settings[i];
        if (!(s->flags & FIXED))
            continue;
        next->_origin[i] = cur->_origin[i];
        if (s->flags & PART)
            continue; /* carried with the setting it is part of */
        if (carry_setting(s, next, cur) && n < size)
            n += (size_t)snprintf(changed + n, size - n, "%s%s", n ? ", " : "", s->name);
    }
}

/* ---- as text: `faas check` and the reload log ----------------------------- */

static void format_value(const setting_t *s, const faas_config_t *cfg, char *buf, size_t size)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    if (is_string_type(s->type)) {
        const char *v = *FIELD(cfg, s, char *);
        if (s->type == T_ACCESSLOG && v != NULL && strcmp(v, "-") == 0)
            v = "stderr"; /* "-" alone would read as "off" */
        snprintf(buf, size, "%s", v != NULL ? v : "-");
    } else if (s->type == T_LISTEN) {
        faas_config_format_listen(&cfg->listen, buf, size);
    } else if (s->type == T_MODE) {
        snprintf(buf, size, "%s", cfg->prod ? "prod" : "dev");
    } else if (s->type == T_LEVEL) {
        snprintf(buf, size, "%s", levels[cfg->log_level]);
    } else if (s->type == T_PORTS) {
        faas_core__format_ports(cfg->reserved_ports, buf, size);
    } else if (s->type == T_HOSTLIST) {
        faas_core__format_hosts(cfg->allowlist, cfg->allowlist_len, buf, size);
    } else if (s->type == T_DURATION || s->type == T_SIZE) {
        faas_core__human(*FIELD(cfg, s, int64_t), s->type == T_DURATION, buf, size);
    } else if (s->type == T_BOOL) {
        snprintf(buf, size, "%s", *FIELD(cfg, s, int64_t) ? "true" : "false");
    } else if (s->type == T_CPUS) {
        snprintf(buf, size, "%g", (double)*FIELD(cfg, s, int64_t) / 1e9);
    } else { /* whole numbers and ports; listen.port (an int) is shown with listen */
        snprintf(buf, size, "%lld", (long long)*FIELD(cfg, s, int64_t));
    }
}

static void format_origin(const setting_t *s, const faas_config_t *cfg, char *buf, size_t size)
{
    faas_config_origin_t o = (faas_config_origin_t)cfg->_origin[s - settings];
    if (o == FAAS_ORIGIN_ENV)
        snprintf(buf, size, "env %s", s->env);
    else
        snprintf(buf, size, "%s", o == FAAS_ORIGIN_FILE ? "file" : "default");
    const setting_t *port = find_setting("listen.port");
    if (s->type == T_LISTEN && cfg->_origin[port - settings] == FAAS_ORIGIN_ENV) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, ", port from env %s", port->env);
    }
}

int faas_config_item(const faas_config_t *cfg, size_t i, faas_config_item_t *item)
{
    const setting_t *s = NULL;
    for (size_t k = 0, seen = 0; k < NSETTINGS && s == NULL; k++)
        if (!(settings[k].flags & PART) && seen++ == i)
            s = &settings[k];
    if (s == NULL)
        return -1;
    item->name = s->name;
    item->restart = (s->flags & FIXED) != 0;
    format_value(s, cfg, item->value, sizeof(item->value));
    format_origin(s, cfg, item->origin, sizeof(item->origin));
    return 0;
}

size_t faas_config_log_changes(const faas_config_t *cur, const faas_config_t *next)
{
    faas_config_item_t was, now;
    size_t applied = 0;
    for (size_t i = 0; faas_config_item(cur, i, &was) == 0 && faas_config_item(next, i, &now) == 0; i++) {
        if (strcmp(was.value, now.value) == 0)
            continue;
        if (now.restart) {
            faas_log_warn("reload: %s: %s -> %s: restart faas to apply (kept %s)", now.name, was.value, now.value,
                          was.value);
        } else {
            faas_log_info("reload: %s: %s -> %s", now.name, was.value, now.value);
            applied++;
        }
    }
    return applied;
}
