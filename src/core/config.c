/*
 * config.c: every setting of faas described once (name, type, default, range,
 * environment variable), and the parsers that turn Lua or environment values
 * into a validated faas_config_t. Pure code: no Lua, no I/O except access(2)
 * checks in faas_config_finish. Runs on the main thread (start-up, SIGHUP).
 */
#include "faas/core/config.h"

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
    T_DURATION, T_SIZE, T_INT, T_CPUS, T_HOSTLIST, T_URL, T_SOCKET, T_IMAGE_PREFIX, T_EMAIL,
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

#define OFF(field) offsetof(faas_config_t, field)
#define DAY_MS (86400LL * 1000)
#define GIB (1024LL * 1024 * 1024)

static const setting_t settings[] = {
    {"listen", NULL, T_LISTEN, OFF(listen), 0, 0, "127.0.0.1:8080", FIXED},
    {"listen.port", "SERVER_PORT", T_PORT0, OFF(listen.port), 0, 65535, NULL, FIXED},
    {"domain", NULL, T_DOMAIN, OFF(domain), 0, 0, "localhost", 0},
    {"data_dir", NULL, T_PATH, OFF(data_dir), 0, 0, "/var/lib/faas", FIXED},
    {"passfile", NULL, T_PATH, OFF(passfile), 0, 0, "~/.passfile", FIXED},
    {"temp_dir", "TEMP_DIR_BASE", T_PATH, OFF(temp_dir), 0, 0, NULL, FIXED},
    {"mode", "ENV", T_MODE, OFF(prod), 0, 0, "dev", FIXED},
    {"log_level", "LOG_LEVEL", T_LEVEL, OFF(log_level), 0, 0, "info", 0},
    {"log_file", "LOG_TO_FILE", T_LOGFILE, OFF(log_file), 0, 0, NULL, 0},
    {"reserved_ports", NULL, T_PORTS, OFF(reserved_ports), 0, 0, NULL, 0},
    {"cleanup_interval", "CLEANUP_INTERVAL", T_DURATION, OFF(cleanup_interval_ms), 1000, 7 * DAY_MS, "120s", 0},
    {"restart_interval", "RESTART_INTERVAL", T_DURATION, OFF(restart_interval_ms), 1000, 7 * DAY_MS, "120s", 0},
    {"allowlist", "ALLOWLIST", T_HOSTLIST, OFF(allowlist), 0, 0, NULL, 0},
    {"limits.max_file_size", "MAX_FILE_SIZE", T_SIZE, OFF(limits.max_file_size), 1024, 4 * GIB, "10m", 0},
    {"limits.max_unpacked_size", NULL, T_SIZE, OFF(limits.max_unpacked_size), 1024, 64 * GIB, "256m", 0},
    {"limits.max_body_size", NULL, T_SIZE, OFF(limits.max_body_size), 1024, 16 * GIB, "64m", FIXED},
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
    {"server.shutdown_timeout", "SERVER_SHUTDOWN_TIMEOUT", T_DURATION, OFF(server.shutdown_timeout_ms), 0, 3600000, "5s", 0},
    {"server.threads", NULL, T_INT, OFF(server.threads), 0, 256, "0", FIXED},
    {"server.workers", NULL, T_INT, OFF(server.workers), 1, 1024, "16", FIXED},
    {"tls.cert", NULL, T_PATH, OFF(tls.cert), 0, 0, NULL, FIXED},
    {"tls.key", NULL, T_PATH, OFF(tls.key), 0, 0, NULL, FIXED},
    {"tls.https_port", NULL, T_PORT0, OFF(tls.https_port), 0, 65535, "443", FIXED},
    {"tls.http_port", NULL, T_PORT0, OFF(tls.http_port), 0, 65535, "80", FIXED},
    {"tls.acme.directory", NULL, T_URL, OFF(tls.acme.directory), 0, 0, NULL, FIXED},
    {"tls.acme.email", NULL, T_EMAIL, OFF(tls.acme.email), 0, 0, NULL, FIXED},
    {"tls.acme.ca_bundle", NULL, T_PATH, OFF(tls.acme.ca_bundle), 0, 0, NULL, FIXED},
    {"docker.socket", "DOCKER_HOST", T_SOCKET, OFF(docker.socket), 0, 0, "/var/run/docker.sock", FIXED},
    {"docker.image_prefix", "DOCKER_IMAGE_PREFIX", T_IMAGE_PREFIX, OFF(docker.image_prefix), 0, 0, "faas", 0},
};

static const char *const sections[] = {"limits", "server", "tls", "tls.acme", "docker"};
static const int default_reserved_ports[] = {80, 8080, 9001};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))
#define FIELD(cfg, s, type) ((type *)((char *)(cfg) + (s)->offset))

/* ---- small value helpers ---------------------------------------------- */

static faas_config_value_t str_value(const char *s)
{
    return (faas_config_value_t){.type = FAAS_CV_STRING, .s = s};
}

static const char *type_name(const faas_config_value_t *v)
{
    static const char *const names[] = {"a string", "a number", "a boolean", "a table"};
    return names[v->type];
}

/* An integral number from a number or a decimal string; 0 or -1. */
static int value_int(const faas_config_value_t *v, int64_t *out)
{
    if (v->type == FAAS_CV_NUMBER) {
        if (!isfinite(v->n) || v->n != floor(v->n) || fabs(v->n) > 9e15)
            return -1;
        *out = (int64_t)v->n;
        return 0;
    }
    if (v->type != FAAS_CV_STRING || v->s[0] == '\0')
        return -1;
    char *end;
    errno = 0;
    long long n = strtoll(v->s, &end, 10);
    if (errno != 0 || *end != '\0' || !(isdigit((unsigned char)v->s[0]) || v->s[0] == '-'))
        return -1;
    *out = n;
    return 0;
}

/* Splits "<number><unit>" where number may have a fraction; unit is lower-cased into unit[8]. */
static int split_number_unit(const char *s, double *num, char unit[8])
{
    while (isspace((unsigned char)*s))
        s++;
    /* Plain decimals only: strtod would also take "0x10", "inf" and "1e3". */
    size_t digits = strspn(s, "0123456789."), dots = 0;
    for (size_t i = 0; i < digits; i++)
        dots += s[i] == '.';
    if (digits == 0 || dots > 1 || (digits == 1 && dots == 1))
        return -1;
    char number[64];
    if (digits >= sizeof(number))
        return -1;
    memcpy(number, s, digits);
    number[digits] = '\0';
    errno = 0;
    *num = strtod(number, NULL);
    if (errno != 0 || !isfinite(*num))
        return -1;
    const char *end = s + digits;
    while (isspace((unsigned char)*end))
        end++;
    size_t n = 0;
    for (; *end != '\0' && !isspace((unsigned char)*end); end++) {
        if (n >= 7)
            return -1;
        unit[n++] = (char)tolower((unsigned char)*end);
    }
    unit[n] = '\0';
    while (isspace((unsigned char)*end))
        end++;
    return *end == '\0' ? 0 : -1;
}

int faas_config_parse_duration(const faas_config_value_t *v, int64_t *ms)
{
    double num, mult;
    char unit[8] = "";
    if (v->type == FAAS_CV_NUMBER)
        num = v->n;
    else if (v->type != FAAS_CV_STRING || split_number_unit(v->s, &num, unit) != 0)
        return -1;
    if (unit[0] == '\0' || strcmp(unit, "s") == 0)
        mult = 1000;
    else if (strcmp(unit, "ms") == 0)
        mult = 1;
    else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
        mult = 60000;
    else if (strcmp(unit, "h") == 0)
        mult = 3600000;
    else
        return -1;
    if (!isfinite(num) || num < 0 || num * mult > 9e15)
        return -1;
    *ms = (int64_t)llround(num * mult);
    return 0;
}

int faas_config_parse_size(const faas_config_value_t *v, int64_t *bytes)
{
    static const struct { const char *unit; double mult; } units[] = {
        {"", 1}, {"b", 1}, {"k", 1024.0}, {"kb", 1024.0}, {"kib", 1024.0},
        {"m", 1048576.0}, {"mb", 1048576.0}, {"mib", 1048576.0},
        {"g", 1073741824.0}, {"gb", 1073741824.0}, {"gib", 1073741824.0},
    };
    double num;
    char unit[8] = "";
    if (v->type == FAAS_CV_NUMBER)
        num = v->n;
    else if (v->type != FAAS_CV_STRING || split_number_unit(v->s, &num, unit) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(unit, units[i].unit) == 0) {
            double b = num * units[i].mult;
            if (!isfinite(b) || b < 0 || b > 9e15)
                return -1;
            *bytes = (int64_t)llround(b);
            return 0;
        }
    }
    return -1;
}

/* A DNS name: labels of [a-z0-9-] not starting or ending with '-', at most 253 chars. */
static int valid_hostname(const char *s)
{
    size_t len = strlen(s), label = 0;
    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        char c = s[i];
        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if (isalnum((unsigned char)c) || c == '-') {
            if (label == 0 && c == '-')
                return 0;
            label++;
        } else {
            return 0;
        }
    }
    return 1;
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    if (d != NULL)
        for (char *p = d; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return d;
}

static void replace_string(char **slot, char *value)
{
    free(*slot);
    *slot = value;
}

/* ---- parsers, one per setting type; errors carry only the reason -------- */

static faas_err_t parse_listen(faas_listen_t *l, const faas_config_value_t *v, faas_error_t *err)
{
    int64_t port;
    if (value_int(v, &port) == 0) {
        if (port < 0 || port > 65535)
            return faas_error_set(err, FAAS_EINVAL, "port %lld out of range 0..65535", (long long)port);
        l->host[0] = '\0';
        l->port = (int)port;
        return FAAS_OK;
    }
    if (v->type != FAAS_CV_STRING)
        return faas_error_set(err, FAAS_EINVAL, "must be a port number or \"host:port\", got %s", type_name(v));
    const char *colon = strrchr(v->s, ':');
    if (colon == NULL)
        return faas_error_set(err, FAAS_EINVAL, "must be a port number or \"host:port\" (got \"%s\")", v->s);
    char host[64];
    size_t hlen = (size_t)(colon - v->s);
    if (hlen >= sizeof(host))
        return faas_error_set(err, FAAS_EINVAL, "host too long in \"%s\"", v->s);
    memcpy(host, v->s, hlen);
    host[hlen] = '\0';
    faas_config_value_t pv = str_value(colon + 1);
    if (value_int(&pv, &port) != 0 || port < 0 || port > 65535)
        return faas_error_set(err, FAAS_EINVAL, "bad port in \"%s\"", v->s);
    if (strcmp(host, "*") == 0)
        host[0] = '\0';
    else if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    else if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = '\0';
    }
    if (host[0] != '\0' && strspn(host, "0123456789.abcdefABCDEF:") != strlen(host))
        return faas_error_set(err, FAAS_EINVAL, "host must be an IP address, \"localhost\" or \"*\" (got \"%s\")", host);
    snprintf(l->host, sizeof(l->host), "%s", host);
    l->port = (int)port;
    return FAAS_OK;
}

static faas_err_t parse_int(const setting_t *s, int64_t *out, const faas_config_value_t *v, faas_error_t *err)
{
    int64_t n;
    if (value_int(v, &n) != 0)
        return faas_error_set(err, FAAS_EINVAL, "must be a whole number%s%s%s", v->type == FAAS_CV_STRING ? " (got \"" : "",
                              v->type == FAAS_CV_STRING ? v->s : "", v->type == FAAS_CV_STRING ? "\")" : "");
    if (n < s->min || n > s->max)
        return faas_error_set(err, FAAS_EINVAL, "%lld is out of range %lld..%lld", (long long)n, (long long)s->min,
                              (long long)s->max);
    *out = n;
    return FAAS_OK;
}

/* "30s", "2m" for durations, "10MiB" for sizes: the largest unit that divides n. */
static const char *human(int64_t n, setting_type_t type, char *buf, size_t size)
{
    static const struct unit { int64_t div; const char *name; } durations[] = {
        {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}, {0, NULL}};
    static const struct unit sizes[] = {{1LL << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}, {1, " bytes"}, {0, NULL}};
    const struct unit *u = type == T_DURATION ? durations : sizes;
    while (u[1].name != NULL && (n == 0 || n % u->div != 0))
        u++;
    snprintf(buf, size, "%lld%s", (long long)(n / u->div), u->name);
    return buf;
}

static faas_err_t check_range(const setting_t *s, int64_t n, faas_error_t *err)
{
    char lo[32], hi[32], got[32];
    if (n < s->min || n > s->max)
        return faas_error_set(err, FAAS_EINVAL, "%s is out of range (%s to %s)", human(n, s->type, got, sizeof(got)),
                              human(s->min, s->type, lo, sizeof(lo)), human(s->max, s->type, hi, sizeof(hi)));
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

static faas_err_t parse_ports(uint8_t *bitmap, const faas_config_value_t *v, faas_error_t *err)
{
    /* A list of ports or "a-b" ranges; a string is a comma-separated list. */
    uint8_t bits[65536 / 8] = {0};
    faas_config_value_t one[1];
    const faas_config_value_t *items = v->items;
    size_t n = v->n_items;
    char *copy = NULL;
    if (v->type == FAAS_CV_NUMBER) {
        one[0] = *v;
        items = one;
        n = 1;
    } else if (v->type == FAAS_CV_STRING) {
        copy = strdup(v->s);
        if (copy == NULL)
            return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    } else if (v->type != FAAS_CV_LIST) {
        return faas_error_set(err, FAAS_EINVAL, "must be a list of ports, got %s", type_name(v));
    }
    faas_err_t rc = FAAS_OK;
    char *save = NULL, *tok = copy ? strtok_r(copy, ",", &save) : NULL;
    for (size_t i = 0; copy ? tok != NULL : i < n; i++) {
        faas_config_value_t item = copy ? str_value(tok) : items[i];
        int64_t lo, hi;
        const char *dash = item.type == FAAS_CV_STRING ? strchr(item.s, '-') : NULL;
        if (dash != NULL) {
            char first[16];
            snprintf(first, sizeof(first), "%.*s", (int)(dash - item.s), item.s);
            faas_config_value_t a = str_value(first), b = str_value(dash + 1);
            if (value_int(&a, &lo) != 0 || value_int(&b, &hi) != 0 || lo > hi)
                rc = faas_error_set(err, FAAS_EINVAL, "bad port range \"%s\"", item.s);
        } else if (value_int(&item, &lo) != 0) {
            rc = faas_error_set(err, FAAS_EINVAL, "entry %zu is not a port number", i + 1);
        } else {
            hi = lo;
        }
        if (rc == FAAS_OK && (lo < 1 || hi > 65535))
            rc = faas_error_set(err, FAAS_EINVAL, "entry %zu is outside 1..65535", i + 1);
        if (rc != FAAS_OK)
            break;
        for (int64_t p = lo; p <= hi; p++)
            bits[p / 8] |= (uint8_t)(1u << (p % 8));
        if (copy)
            tok = strtok_r(NULL, ",", &save);
    }
    free(copy);
    if (rc == FAAS_OK)
        memcpy(bitmap, bits, sizeof(bits));
    return rc;
}

static faas_err_t parse_hostlist(faas_config_t *cfg, const faas_config_value_t *v, faas_error_t *err)
{
    /* A list of names, or a comma-separated string (ALLOWLIST="a.example,*.example"). */
    size_t cap = v->type == FAAS_CV_LIST ? v->n_items : 1;
    char *copy = NULL;
    if (v->type == FAAS_CV_STRING) {
        copy = strdup(v->s);
        for (const char *p = v->s; *p; p++)
            cap += *p == ',';
    } else if (v->type != FAAS_CV_LIST) {
        return faas_error_set(err, FAAS_EINVAL, "must be a list of host names, got %s", type_name(v));
    }
    char **list = calloc(cap + 1, sizeof(*list));
    size_t n = 0;
    faas_err_t rc = (list == NULL || (v->type == FAAS_CV_STRING && copy == NULL))
                        ? faas_error_set(err, FAAS_ENOMEM, "out of memory") : FAAS_OK;
    char *save = NULL, *tok = (rc == FAAS_OK && copy) ? strtok_r(copy, ",", &save) : NULL;
    for (size_t i = 0; rc == FAAS_OK && (copy ? tok != NULL : i < v->n_items); i++) {
        const char *name = copy ? tok : v->items[i].s;
        if (!copy && v->items[i].type != FAAS_CV_STRING) {
            rc = faas_error_set(err, FAAS_EINVAL, "entry %zu is not a string", i + 1);
            break;
        }
        while (isspace((unsigned char)*name) || *name == '"')
            name++;
        char *entry = lower_dup(name);
        if (entry == NULL) {
            rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
            break;
        }
        for (size_t e = strlen(entry); e > 0 && (isspace((unsigned char)entry[e - 1]) || entry[e - 1] == '"'); e--)
            entry[e - 1] = '\0';
        const char *host = strncmp(entry, "*.", 2) == 0 ? entry + 2 : entry;
        if (entry[0] == '\0') {
            free(entry); /* "a,,b" and a trailing comma are harmless */
        } else if (!valid_hostname(host)) {
            rc = faas_error_set(err, FAAS_EINVAL, "\"%s\" is not a host name or *.domain pattern", entry);
            free(entry);
        } else {
            list[n++] = entry;
        }
        if (copy)
            tok = strtok_r(NULL, ",", &save);
    }
    free(copy);
    if (rc != FAAS_OK) {
        for (size_t i = 0; i < n; i++)
            free(list[i]);
        free(list);
        return rc;
    }
    for (size_t i = 0; i < cfg->allowlist_len; i++)
        free(cfg->allowlist[i]);
    free(cfg->allowlist);
    cfg->allowlist = list;
    cfg->allowlist_len = n;
    return FAAS_OK;
}

/* Strings: accepted from Lua strings only (and from the environment). */
static faas_err_t want_string(const faas_config_value_t *v, faas_error_t *err)
{
    if (v->type != FAAS_CV_STRING)
        return faas_error_set(err, FAAS_EINVAL, "must be a string, got %s", type_name(v));
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
        if (!valid_hostname(val))
            return faas_error_set(err, FAAS_EINVAL, "\"%s\" is not a valid domain name", val);
        replace_string(slot, lower_dup(val));
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

static faas_err_t parse_setting(const setting_t *s, faas_config_t *cfg, const faas_config_value_t *v, faas_error_t *err)
{
    int64_t n;
    switch (s->type) {
    case T_LISTEN:
        return parse_listen(&cfg->listen, v, err);
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
                             "a duration like 30, \"30s\", \"500ms\", \"2m\" or \"1h\"", err);
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
    case T_PORTS:
        return parse_ports(cfg->reserved_ports, v, err);
    case T_HOSTLIST:
        return parse_hostlist(cfg, v, err);
    case T_PATH:
    case T_DOMAIN:
    case T_URL:
    case T_EMAIL:
    case T_SOCKET:
    case T_IMAGE_PREFIX:
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
    if (s == NULL || s->offset == OFF(listen.port))
        return faas_error_set(err, FAAS_ENOTFOUND, "%s: unknown setting", name);
    if (parse_setting(s, cfg, v, err) != FAAS_OK)
        return faas_error_prefix(err, FAAS_EINVAL, "%s", name);
    return FAAS_OK;
}

int faas_config_known(const char *name)
{
    const setting_t *s = find_setting(name);
    return faas_config_is_section(name) || (s != NULL && s->offset != OFF(listen.port));
}

int faas_config_is_section(const char *name)
{
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (strcmp(sections[i], name) == 0)
            return 1;
    return 0;
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
        faas_config_value_t v = str_value(settings[i].def);
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
    char **strings[] = {&cfg->path, &cfg->domain, &cfg->data_dir, &cfg->passfile, &cfg->temp_dir, &cfg->log_file,
                        &cfg->tls.cert, &cfg->tls.key, &cfg->tls.acme.directory, &cfg->tls.acme.email,
                        &cfg->tls.acme.ca_bundle, &cfg->docker.socket, &cfg->docker.image_prefix};
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
        faas_config_value_t v = str_value(val);
        if (parse_setting(s, cfg, &v, err) != FAAS_OK)
            return faas_error_prefix(err, FAAS_EINVAL, "%s (environment, for %s)", s->env, s->name);
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
    return FAAS_OK;
}

/* ---- reload ------------------------------------------------------------- */

static int is_string_type(setting_type_t t)
{
    return t == T_DOMAIN || t == T_PATH || t == T_URL || t == T_EMAIL || t == T_SOCKET || t == T_IMAGE_PREFIX ||
           t == T_LOGFILE;
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
        if (!(s->flags & FIXED) || s->offset == OFF(listen.port))
            continue;
        if (carry_setting(s, next, cur) && n < size)
            n += (size_t)snprintf(changed + n, size - n, "%s%s", n ? ", " : "", s->name);
    }
}
