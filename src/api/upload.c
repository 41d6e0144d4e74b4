/*
 * upload.c: parsing environment lines, volume entries, image tags, scale
 * settings, memory and cpus of a function upload (see upload.h). Pure code;
 * any thread.
 */
#include "faas/api/upload.h"
#include "faas/core/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENV_NAME 128
#define MAX_ENV_VALUE 32768

static int valid_env_name(const char *s, size_t len)
{
    if (len == 0 || len > MAX_ENV_NAME || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

faas_err_t faas_upload_parse_env(const char *text, size_t len, faas_env_var_t **env, size_t *n, faas_error_t *err)
{
    faas_env_var_t *out = calloc(FAAS_UPLOAD_MAX_ENV, sizeof(*out));
    size_t count = 0, line = 0;
    faas_err_t rc = out ? FAAS_OK : faas_error_set(err, FAAS_ENOMEM, "out of memory");
    for (const char *p = text, *end = text + len; rc == FAAS_OK && p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *stop = nl ? nl : end, *next = nl ? nl + 1 : end;
        while (stop > p && (stop[-1] == '\r' || stop[-1] == ' ' || stop[-1] == '\t'))
            stop--;
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (p == stop || *p == '#') {
            /* blank or comment */
        } else if (eq == NULL || !valid_env_name(p, (size_t)(eq - p))) {
            rc = faas_error_set(err, FAAS_EINVAL, "env line %zu: expected NAME=value with NAME of A-Z, a-z, 0-9, _", line + 1);
        } else if (eq - p == 4 && memcmp(p, "PORT", 4) == 0) {
            rc = faas_error_set(err, FAAS_EINVAL, "env line %zu: PORT is set by faas (use container_port)", line + 1);
        } else if ((size_t)(stop - eq - 1) > MAX_ENV_VALUE) {
            rc = faas_error_set(err, FAAS_EINVAL, "env line %zu: value longer than %d bytes", line + 1, MAX_ENV_VALUE);
        } else if (count == FAAS_UPLOAD_MAX_ENV) {
            rc = faas_error_set(err, FAAS_EINVAL, "more than %d environment variables", FAAS_UPLOAD_MAX_ENV);
        } else if (memchr(p, '\0', (size_t)(stop - p)) != NULL) {
            rc = faas_error_set(err, FAAS_EINVAL, "env line %zu: contains a NUL byte", line + 1);
        } else {
            out[count].name = strndup(p, (size_t)(eq - p));
            out[count].value = strndup(eq + 1, (size_t)(stop - eq - 1));
            if (out[count++].value == NULL || out[count - 1].name == NULL)
                rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
            for (size_t i = 0; rc == FAAS_OK && i + 1 < count; i++)
                if (strcmp(out[i].name, out[count - 1].name) == 0)
                    rc = faas_error_set(err, FAAS_EINVAL, "env line %zu: %s is set twice", line + 1, out[i].name);
        }
        p = next;
    }
    if (rc != FAAS_OK) {
        faas_env_free(out, count);
        return rc;
    }
    *env = out;
    *n = count;
    return FAAS_OK;
}

/* One name of the secrets field, trimmed, appended to out[*count]. */
static faas_err_t add_secret(const char *p, const char *stop, char **out, size_t *count, faas_error_t *err)
{
    while (p < stop && (*p == ' ' || *p == '\t'))
        p++;
    while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r' || stop[-1] == '\n'))
        stop--;
    if (p == stop)
        return FAAS_OK;
    char name[FAAS_RECORD_SECRET_NAME_MAX + 2];
    snprintf(name, sizeof(name), "%.*s", (int)(stop - p < (ptrdiff_t)sizeof(name) ? stop - p : (ptrdiff_t)sizeof(name) - 1), p);
    if ((size_t)(stop - p) > FAAS_RECORD_SECRET_NAME_MAX || memchr(p, '\0', (size_t)(stop - p)) != NULL ||
        !faas_record_valid_secret_name(name))
        return faas_error_set(err, FAAS_EINVAL, "secrets: \"%.64s\" is not a secret name (1 to %d of A-Z, a-z, 0-9, "
                              "'_', '.', '-', not starting with '.' or '-')", name, FAAS_RECORD_SECRET_NAME_MAX);
    for (size_t i = 0; i < *count; i++)
        if (strcmp(out[i], name) == 0)
            return faas_error_set(err, FAAS_EINVAL, "secrets: %s is named twice", name);
    if (*count == FAAS_UPLOAD_MAX_SECRETS)
        return faas_error_set(err, FAAS_EINVAL, "secrets: more than %d", FAAS_UPLOAD_MAX_SECRETS);
    if ((out[*count] = strdup(name)) == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    ++*count;
    return FAAS_OK;
}

faas_err_t faas_upload_parse_secrets(const char *text, size_t len, char ***names, size_t *n, faas_error_t *err)
{
    char **out = calloc(FAAS_UPLOAD_MAX_SECRETS, sizeof(*out));
    size_t count = 0;
    faas_err_t rc = out != NULL ? FAAS_OK : faas_error_set(err, FAAS_ENOMEM, "out of memory");
    for (const char *p = text, *end = text + len; rc == FAAS_OK && p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p)), *stop = comma != NULL ? comma : end;
        rc = add_secret(p, stop, out, &count, err);
        p = comma != NULL ? comma + 1 : end;
    }
    if (rc != FAAS_OK || count == 0) {
        faas_secret_names_free(out, count);
        out = NULL;
    }
    *names = rc == FAAS_OK ? out : NULL;
    *n = rc == FAAS_OK ? count : 0;
    return rc;
}

/* One constraint of the placement field, trimmed, appended to out[*count]. */
static faas_err_t add_constraint(const char *p, const char *stop, char **out, size_t *count, faas_error_t *err)
{
    while (p < stop && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r' || stop[-1] == '\n'))
        stop--;
    if (p == stop)
        return FAAS_OK;
    size_t len = (size_t)(stop - p);
    char c[FAAS_RECORD_CONSTRAINT_MAX + 2];
    snprintf(c, sizeof(c), "%.*s", (int)(len < sizeof(c) ? len : sizeof(c) - 1), p);
    if (len > FAAS_RECORD_CONSTRAINT_MAX || memchr(p, '\0', len) != NULL || !faas_record_valid_constraint(c))
        return faas_error_set(err, FAAS_EINVAL, "placement: \"%.64s\" is not a constraint (\"key==value\" or "
                              "\"key!=value\", at most %d printable characters, the key of A-Z, a-z, 0-9, '.', '_', "
                              "'-', e.g. node.role==worker)", c, FAAS_RECORD_CONSTRAINT_MAX);
    for (size_t i = 0; i < *count; i++)
        if (strcmp(out[i], c) == 0)
            return faas_error_set(err, FAAS_EINVAL, "placement: %s is given twice", c);
    if (*count == FAAS_RECORD_PLACEMENT_MAX)
        return faas_error_set(err, FAAS_EINVAL, "placement: more than %d constraints", FAAS_RECORD_PLACEMENT_MAX);
    if ((out[*count] = strdup(c)) == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    ++*count;
    return FAAS_OK;
}

faas_err_t faas_upload_parse_placement(const char *text, size_t len, char ***placement, size_t *n, faas_error_t *err)
{
    char **out = calloc(FAAS_RECORD_PLACEMENT_MAX, sizeof(*out));
    size_t count = 0;
    faas_err_t rc = out != NULL ? FAAS_OK : faas_error_set(err, FAAS_ENOMEM, "out of memory");
    for (const char *p = text, *end = text + len; rc == FAAS_OK && p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p)), *stop = comma != NULL ? comma : end;
        rc = add_constraint(p, stop, out, &count, err);
        p = comma != NULL ? comma + 1 : end;
    }
    if (rc != FAAS_OK || count == 0) {
        faas_secret_names_free(out, count);
        out = NULL;
    }
    *placement = rc == FAAS_OK ? out : NULL;
    *n = rc == FAAS_OK ? count : 0;
    return rc;
}

/* Drops the last component of the resolved prefix out (length *len; 0 means "/"). */
static void pop_component(char *out, size_t *len)
{
    while (*len > 0 && out[*len - 1] != '/')
        (*len)--;
    *len = *len > 0 ? *len - 1 : 0;
    out[*len] = '\0';
}

/* The next component of a path after *p (slashes skipped) into *seg; its length, 0 at the end. */
static size_t next_segment(const char **p, const char **seg)
{
    while (**p == '/')
        (*p)++;
    *seg = *p;
    while (**p != '\0' && **p != '/')
        (*p)++;
    return (size_t)(*p - *seg);
}

/* out (len bytes, size room) += "/" seg; -1 when it does not fit. */
static int append_component(char *out, size_t *len, size_t size, const char *seg, size_t n)
{
    if (*len + 1 + n + 1 > size)
        return -1;
    out[(*len)++] = '/';
    memcpy(out + *len, seg, n);
    *len += n;
    out[*len] = '\0';
    return 0;
}

/* Normalises an absolute path lexically ("/a/./b/../c" -> "/a/c"); -1 if it climbs above "/" or is too long. */
static int normalise(const char *in, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (const char *p = in, *seg; *p != '\0';) {
        size_t n = next_segment(&p, &seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            if (len == 0)
                return -1; /* above "/" */
            pop_component(out, &len);
        } else if (append_component(out, &len, size, seg, n) != 0) {
            return -1;
        }
    }
    if (len == 0) {
        if (size < 2)
            return -1;
        strcpy(out, "/");
    }
    return 0;
}

static int under(const char *path, const char *base)
{
    size_t n = strlen(base);
    if (n == 1 && base[0] == '/')
        return path[0] == '/';
    return strncmp(path, base, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* One "host:container[:mode]" entry into v. */
static faas_err_t parse_volume(const char *entry, const char *base, faas_upload_volume_t *v, faas_error_t *err)
{
    char buf[1400], joined[2600];
    if (strlen(entry) >= sizeof(buf)) /* never cut: a cut entry could lose its ":ro" */
        return faas_error_set(err, FAAS_EINVAL, "volume \"%.60s...\": longer than %zu bytes", entry, sizeof(buf) - 1);
    snprintf(buf, sizeof(buf), "%s", entry);
    char *ctr = strchr(buf, ':');
    if (ctr == NULL || ctr == buf)
        return faas_error_set(err, FAAS_EINVAL, "volume \"%s\": expected host:container[:ro]", entry);
    *ctr++ = '\0';
    char *mode = strchr(ctr, ':');
    if (mode != NULL)
        *mode++ = '\0';
    *v = (faas_upload_volume_t){.read_only = mode != NULL && strcmp(mode, "ro") == 0};
    if (mode != NULL && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
        return faas_error_set(err, FAAS_EINVAL, "volume \"%s\": mode must be ro or rw", entry);
    if (ctr[0] != '/' || strstr(ctr, "..") != NULL || normalise(ctr, v->container, sizeof(v->container)) != 0 ||
        strcmp(v->container, "/") == 0)
        return faas_error_set(err, FAAS_EINVAL, "volume \"%s\": the container side must be an absolute path below /", entry);
    int absolute = buf[0] == '/';
    snprintf(joined, sizeof(joined), "%s/%s", absolute ? "" : base, buf);
    if (normalise(joined, v->host, sizeof(v->host)) != 0)
        return faas_error_set(err, FAAS_EINVAL, "volume \"%s\": bad host path", entry);
    v->needs_policy = absolute || !under(v->host, base);
    return FAAS_OK;
}

faas_err_t faas_upload_parse_volumes(const char *text, const char *base, faas_upload_volume_t *out, size_t max,
                                     size_t *n, faas_error_t *err)
{
    *n = 0;
    char *copy = strdup(text != NULL ? text : "");
    if (copy == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    faas_err_t rc = FAAS_OK;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); rc == FAAS_OK && tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok))
            tok++;
        for (size_t l = strlen(tok); l > 0 && isspace((unsigned char)tok[l - 1]); l--)
            tok[l - 1] = '\0';
        if (tok[0] == '\0')
            continue;
        if (*n == max)
            rc = faas_error_set(err, FAAS_EINVAL, "more than %zu volumes", max);
        else if ((rc = parse_volume(tok, base, &out[*n], err)) == FAAS_OK)
            (*n)++;
    }
    free(copy);
    return rc;
}

/* ---- resolving host sides: what the kernel will follow when Docker binds them ---- */

#define MAX_LINKS 40 /* the kernel's own limit (ELOOP) */

/* rest = target "/" rest; 0, or -1 when it does not fit. */
static int splice_link(char *rest, size_t size, const char *target, const char *after)
{
    char joined[4096];
    int n = snprintf(joined, sizeof(joined), "%s/%s", target, after);
    if (n < 0 || (size_t)n >= sizeof(joined) || (size_t)n >= size)
        return -1;
    memcpy(rest, joined, (size_t)n + 1);
    return 0;
}

faas_err_t faas_upload_resolve(const char *path, faas_upload_readlink_cb readlink_cb, void *ctx, char *out,
                               size_t size, int *links, faas_error_t *err)
{
    char rest[4096], target[4096];
    size_t len = 0;
    *links = 0;
    if (path[0] != '/' || snprintf(rest, sizeof(rest), "%s", path) >= (int)sizeof(rest) || size < 2)
        return faas_error_set(err, FAAS_EINVAL, "%.200s: not an absolute path of a usable length", path);
    out[0] = '\0';
    for (const char *p = rest, *seg; *p != '\0';) {
        size_t n = next_segment(&p, &seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            pop_component(out, &len);
            continue;
        }
        if (append_component(out, &len, size, seg, n) != 0)
            return faas_error_set(err, FAAS_EINVAL, "%.200s: resolves to a path too long", path);
        int r = readlink_cb(ctx, out, target, sizeof(target));
        if (r < 0)
            return faas_error_set(err, FAAS_EINVAL, "%.200s: cannot read %.200s: %s", path, out, strerror(errno));
        if (r == 0)
            continue;
        if (++*links > MAX_LINKS)
            return faas_error_set(err, FAAS_EINVAL, "%.200s: more than %d symlinks (a loop?)", path, MAX_LINKS);
        if (target[0] == '/')
            len = 0; /* an absolute link starts over at "/" */
        else
            pop_component(out, &len); /* a relative one is read in the link's folder */
        out[len] = '\0';
        if (splice_link(rest, sizeof(rest), target, p) != 0)
            return faas_error_set(err, FAAS_EINVAL, "%.200s: resolves to a path too long", path);
        p = rest;
    }
    if (len == 0)
        strcpy(out, "/");
    return FAAS_OK;
}

faas_err_t faas_upload_resolve_volumes(faas_upload_volume_t *vols, size_t n, const char *base,
                                       faas_upload_readlink_cb readlink_cb, void *ctx, faas_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        char resolved[sizeof(vols[i].host)];
        int links = 0;
        faas_err_t rc = faas_upload_resolve(vols[i].host, readlink_cb, ctx, resolved, sizeof(resolved), &links, err);
        if (rc != FAAS_OK)
            return faas_error_prefix(err, rc, "volume %s", vols[i].container);
        memcpy(vols[i].host, resolved, sizeof(resolved));
        vols[i].through_link = links > 0;
        vols[i].needs_policy = vols[i].needs_policy || !under(resolved, base);
    }
    return FAAS_OK;
}

faas_err_t faas_upload_check_nesting(const faas_upload_volume_t *vols, size_t n, faas_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (vols[i].read_only || strcmp(vols[i].host, vols[j].host) == 0 || !under(vols[j].host, vols[i].host))
                continue;
            return faas_error_set(err, FAAS_EINVAL,
                                  "the folder of volume %.200s (%.400s) lies inside the folder of volume %.200s, "
                                  "mounted writable: the function could swap it for a symlink, which Docker follows "
                                  "when it binds it again; mount the outer one :ro or keep them apart",
                                  vols[j].container, vols[j].host, vols[i].container);
        }
    }
    return FAAS_OK;
}

char *faas_upload_binds(const faas_upload_volume_t *vols, size_t n)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += strlen(vols[i].host) + strlen(vols[i].container) + 6;
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    size_t len = 0;
    s[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%s:%s%s", i ? "," : "", vols[i].host, vols[i].container,
                                vols[i].read_only ? ":ro" : "");
    return s;
}

/* path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static int valid_component(const char *s, size_t len)
{
    if (len == 0 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])) ||
        !(islower((unsigned char)s[len - 1]) || isdigit((unsigned char)s[len - 1])))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (islower((unsigned char)c) || isdigit((unsigned char)c))
            continue;
        if (c == '.' || c == '_') {
            size_t run = 1;
            while (i + run < len && s[i + run] == c)
                run++;
            if ((c == '.' && run > 1) || (c == '_' && run > 2))
                return 0;
            i += run - 1;
        } else if (c != '-') {
            return 0;
        }
    }
    return 1;
}

static int valid_domain(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '-' || s[i] == ':'))
            return 0;
    return len > 0;
}

int faas_upload_valid_tag(const char *ref)
{
    size_t len = ref != NULL ? strlen(ref) : 0;
    if (len == 0 || len > 255 || strchr(ref, '@') != NULL)
        return 0;
    const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':'), *name_end = ref + len;
    if (colon != NULL && (slash == NULL || colon > slash)) {
        const char *tag = colon + 1;
        size_t tlen = strlen(tag);
        if (tlen == 0 || tlen > 128 || !(isalnum((unsigned char)tag[0]) || tag[0] == '_'))
            return 0;
        for (size_t i = 0; i < tlen; i++)
            if (!(isalnum((unsigned char)tag[i]) || tag[i] == '_' || tag[i] == '.' || tag[i] == '-'))
                return 0;
        name_end = colon;
    }
    const char *p = ref;
    const char *first_end = memchr(p, '/', (size_t)(name_end - p));
    if (first_end != NULL) {
        size_t n = (size_t)(first_end - p);
        int is_domain = memchr(p, '.', n) != NULL || memchr(p, ':', n) != NULL || (n == 9 && memcmp(p, "localhost", 9) == 0);
        if (is_domain) {
            if (!valid_domain(p, n))
                return 0;
            p = first_end + 1;
        }
    }
    while (p <= name_end) {
        const char *end = memchr(p, '/', (size_t)(name_end - p));
        if (end == NULL)
            end = name_end;
        if (!valid_component(p, (size_t)(end - p)))
            return 0;
        if (end == name_end)
            break;
        p = end + 1;
    }
    return 1;
}

/* ---- scale settings, memory, cpus ---- */

const char *faas_upload_scale_field(unsigned bit)
{
    switch (bit) {
    case FAAS_SCALE_MIN: return "scale_min";
    case FAAS_SCALE_MAX: return "scale_max";
    case FAAS_SCALE_TARGET: return "scale_target";
    case FAAS_SCALE_CONCURRENCY: return "concurrency";
    }
    return NULL;
}

/* An optionally signed run of digits (surrounding blanks allowed) into *out; -1 for anything else. */
static int whole_number(const char *text, long long *out)
{
    while (isspace((unsigned char)*text))
        text++;
    const char *digits = text + (*text == '-');
    if (!isdigit((unsigned char)*digits) || strspn(digits, "0123456789") > 12)
        return -1;
    char *end;
    long long v = strtoll(text, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

faas_err_t faas_upload_parse_scale(unsigned bit, const char *text, faas_scale_t *s, faas_error_t *err)
{
    const char *field = faas_upload_scale_field(bit);
    long long v;
    if (field == NULL)
        return faas_error_set(err, FAAS_EINVAL, "not a scale setting");
    if (text[0] == '\0') {
        faas_scale_t none = {0};
        faas_scale_copy(s, &none, bit);
        return FAAS_OK;
    }
    if (whole_number(text, &v) != 0)
        return faas_error_set(err, FAAS_EINVAL, "%s: must be a whole number (got \"%.40s\")", field, text);
    return faas_scale_set(s, bit, v, field, err);
}

faas_err_t faas_upload_parse_memory(const char *text, int64_t max, int64_t *bytes, faas_error_t *err)
{
    faas_config_value_t v = {.type = FAAS_CV_STRING, .s = text};
    int64_t n = 0;
    if (text[0] != '\0' && faas_config_parse_size(&v, &n) != 0)
        return faas_error_set(err, FAAS_EINVAL, "memory: must be a size like 268435456, \"512k\", \"256m\" or \"1g\" "
                              "(got \"%.40s\")", text);
    if (n != 0 && n < FAAS_UPLOAD_MIN_MEMORY)
        return faas_error_set(err, FAAS_EINVAL, "memory: %lld bytes is below the smallest limit, 6 MiB (0: limits.memory)",
                              (long long)n);
    if (n > max)
        return faas_error_set(err, FAAS_EINVAL, "memory: %lld bytes is above limits.memory (%lld bytes)", (long long)n,
                              (long long)max);
    *bytes = n;
    return FAAS_OK;
}

faas_err_t faas_upload_parse_cpus(const char *text, int64_t max_nano, int64_t *nano, faas_error_t *err)
{
    size_t len = strlen(text), digits = strspn(text, "0123456789."), dots = 0;
    for (size_t i = 0; i < digits; i++)
        dots += text[i] == '.';
    if (len > 0 && (digits != len || len > 12 || dots > 1 || (len == 1 && dots == 1)))
        return faas_error_set(err, FAAS_EINVAL, "cpus: must be a number of CPUs like 0.5 or 2 (got \"%.40s\")", text);
    int64_t n = len > 0 ? llround(strtod(text, NULL) * 1e9) : 0;
    if (n != 0 && n < FAAS_UPLOAD_MIN_NANO_CPUS)
        return faas_error_set(err, FAAS_EINVAL, "cpus: %s is below 0.01 (0: limits.cpus)", text);
    if (n > max_nano)
        return faas_error_set(err, FAAS_EINVAL, "cpus: %s is above limits.cpus (%g)", text, (double)max_nano / 1e9);
    *nano = n;
    return FAAS_OK;
}
