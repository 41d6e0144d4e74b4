/*
 * config_value.c: one value of a setting, knowing no setting names: whole
 * numbers, durations ("30s", "7d"), sizes ("10m"), listen addresses, port
 * lists and host lists, from a Lua or an environment value; and the way back
 * to text for `faas check` and the reload log. Pure code, used by config.c.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers, durations, sizes ------------------------------------------ */

const char *faas_core__value_type(const faas_config_value_t *v)
{
    static const char *const names[] = {"a string", "a number", "a boolean", "a table"};
    return names[v->type];
}

int faas_core__value_int(const faas_config_value_t *v, int64_t *out)
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
    else if (strcmp(unit, "d") == 0)
        mult = 86400000;
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

/* ---- addresses, ports, host names --------------------------------------- */

int faas_core__valid_hostname(const char *s)
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

int faas_core__valid_registry(const char *s)
{
    char host[256];
    const char *colon = strchr(s, ':');
    size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);
    if (n == 0 || n >= sizeof(host))
        return 0;
    memcpy(host, s, n);
    host[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (isupper((unsigned char)host[i])) /* image references name registries in lower case */
            return 0;
    if (!faas_core__valid_hostname(host))
        return 0;
    if (colon == NULL) /* without a port, Docker reads "name/x" as a Docker Hub user unless it has a dot */
        return strchr(host, '.') != NULL || strcmp(host, "localhost") == 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    return colon[1] >= '0' && colon[1] <= '9' && *end == '\0' && port >= 1 && port <= 65535;
}

char *faas_core__lower_dup(const char *s)
{
    char *d = strdup(s);
    if (d != NULL)
        for (char *p = d; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return d;
}

faas_err_t faas_core__parse_listen(faas_listen_t *l, const faas_config_value_t *v, faas_error_t *err)
{
    int64_t port;
    if (faas_core__value_int(v, &port) == 0) {
        if (port < 0 || port > 65535)
            return faas_error_set(err, FAAS_EINVAL, "port %lld out of range 0..65535", (long long)port);
        l->host[0] = '\0';
        l->port = (int)port;
        return FAAS_OK;
    }
    if (v->type != FAAS_CV_STRING)
        return faas_error_set(err, FAAS_EINVAL, "must be a port number or \"host:port\", got %s", faas_core__value_type(v));
    const char *colon = strrchr(v->s, ':');
    if (colon == NULL)
        return faas_error_set(err, FAAS_EINVAL, "must be a port number or \"host:port\" (got \"%s\")", v->s);
    char host[64];
    size_t hlen = (size_t)(colon - v->s);
    if (hlen >= sizeof(host))
        return faas_error_set(err, FAAS_EINVAL, "host too long in \"%s\"", v->s);
    memcpy(host, v->s, hlen);
    host[hlen] = '\0';
    faas_config_value_t pv = faas_core__string_value(colon + 1);
    if (faas_core__value_int(&pv, &port) != 0 || port < 0 || port > 65535)
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

faas_err_t faas_core__parse_ports(uint8_t *bitmap, const faas_config_value_t *v, faas_error_t *err)
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
        return faas_error_set(err, FAAS_EINVAL, "must be a list of ports, got %s", faas_core__value_type(v));
    }
    faas_err_t rc = FAAS_OK;
    char *save = NULL, *tok = copy ? strtok_r(copy, ",", &save) : NULL;
    for (size_t i = 0; copy ? tok != NULL : i < n; i++) {
        faas_config_value_t item = copy ? faas_core__string_value(tok) : items[i];
        int64_t lo, hi;
        const char *dash = item.type == FAAS_CV_STRING ? strchr(item.s, '-') : NULL;
        if (dash != NULL) {
            char first[16];
            snprintf(first, sizeof(first), "%.*s", (int)(dash - item.s), item.s);
            faas_config_value_t a = faas_core__string_value(first), b = faas_core__string_value(dash + 1);
            if (faas_core__value_int(&a, &lo) != 0 || faas_core__value_int(&b, &hi) != 0 || lo > hi)
                rc = faas_error_set(err, FAAS_EINVAL, "bad port range \"%s\"", item.s);
        } else if (faas_core__value_int(&item, &lo) != 0) {
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

faas_err_t faas_core__parse_hosts(char ***out, size_t *out_len, const faas_config_value_t *v, faas_error_t *err)
{
    /* A list of names, or a comma-separated string (ALLOWLIST="a.example,*.example"). */
    size_t cap = v->type == FAAS_CV_LIST ? v->n_items : 1;
    char *copy = NULL;
    if (v->type == FAAS_CV_STRING) {
        copy = strdup(v->s);
        for (const char *p = v->s; *p; p++)
            cap += *p == ',';
    } else if (v->type != FAAS_CV_LIST) {
        return faas_error_set(err, FAAS_EINVAL, "must be a list of host names, got %s", faas_core__value_type(v));
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
        char *entry = faas_core__lower_dup(name);
        if (entry == NULL) {
            rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
            break;
        }
        for (size_t e = strlen(entry); e > 0 && (isspace((unsigned char)entry[e - 1]) || entry[e - 1] == '"'); e--)
            entry[e - 1] = '\0';
        const char *host = strncmp(entry, "*.", 2) == 0 ? entry + 2 : entry;
        if (entry[0] == '\0') {
            free(entry); /* "a,,b" and a trailing comma are harmless */
        } else if (!faas_core__valid_hostname(host)) {
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
    for (size_t i = 0; i < *out_len; i++)
        free((*out)[i]);
    free(*out);
    *out = list;
    *out_len = n;
    return FAAS_OK;
}


/* ---- back to text: `faas check` and the reload log ------------------------ */

const char *faas_core__human(int64_t n, int duration, char *buf, size_t size)
{
    static const struct unit { int64_t div; const char *name; } durations[] = {
        {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}, {0, NULL}};
    static const struct unit sizes[] = {{1LL << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}, {1, " bytes"}, {0, NULL}};
    const struct unit *u = duration ? durations : sizes;
    while (u[1].name != NULL && (n == 0 || n % u->div != 0))
        u++;
    snprintf(buf, size, "%lld%s", (long long)(n / u->div), u->name);
    return buf;
}

/* Appends ", item" (no comma first) to buf of length *len; when it does not fit, ends buf with "..." and returns -1. */
static int append_item(char *buf, size_t size, size_t *len, const char *item)
{
    const char *sep = *len > 0 ? ", " : "";
    size_t need = strlen(sep) + strlen(item);
    if (*len + need + sizeof("...") > size) {
        if (*len + sizeof("...") <= size)
            memcpy(buf + *len, "...", sizeof("..."));
        return -1;
    }
    *len += (size_t)snprintf(buf + *len, size - *len, "%s%s", sep, item);
    return 0;
}

static int port_set(const uint8_t *bitmap, int port)
{
    return (bitmap[port / 8] & (1u << (port % 8))) != 0;
}

void faas_core__format_ports(const uint8_t *bitmap, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int p = 1; p < 65536; p++) {
        if (!port_set(bitmap, p))
            continue;
        int hi = p;
        while (hi + 1 < 65536 && port_set(bitmap, hi + 1))
            hi++;
        char item[32]; /* two ints: room for any, so no compiler sees a truncation */
        if (hi == p)
            snprintf(item, sizeof(item), "%d", p);
        else
            snprintf(item, sizeof(item), "%d-%d", p, hi);
        if (append_item(buf, size, &len, item) != 0)
            return;
        p = hi;
    }
    if (len == 0)
        snprintf(buf, size, "-");
}

void faas_core__format_hosts(char *const *list, size_t n, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (append_item(buf, size, &len, list[i]) != 0)
            return;
    if (len == 0)
        snprintf(buf, size, "-");
}

/* ---- names: the nearest known one for a typo ---------------------------- */

size_t faas_core__distance(const char *a, const char *b)
{
    /* Optimal string alignment over at most 63 characters: setting names are short. */
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    unsigned char d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned char)j;
#define SAME(x, y) (tolower((unsigned char)(x)) == tolower((unsigned char)(y)))
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            unsigned best = d[i - 1][j - 1] + !SAME(a[i - 1], b[j - 1]);
            if (d[i - 1][j] + 1u < best)
                best = d[i - 1][j] + 1u;
            if (d[i][j - 1] + 1u < best)
                best = d[i][j - 1] + 1u;
            if (i > 1 && j > 1 && SAME(a[i - 1], b[j - 2]) && SAME(a[i - 2], b[j - 1]) && d[i - 2][j - 2] + 1u < best)
                best = d[i - 2][j - 2] + 1u;
            d[i][j] = (unsigned char)best;
        }
    }
#undef SAME
    return d[la][lb];
}
