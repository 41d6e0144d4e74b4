/*
 * job_detect.c: the pure parts of job functions: which language a submitted
 * zip is (and which file runs), an execute request's input as environment
 * variables, and a run's stdout and stderr merged back in time order.
 * Pure code: any thread.
 */
#include "faas/job/job.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT_VARS 200
#define MAX_INPUT_NAME 128
#define MAX_INPUT_VALUE 32768

/* ---- detection ------------------------------------------------------------------ */

static int has(const faas_build_context_t *ctx, const char *path)
{
    size_t len;
    return faas_build_context_file(ctx, path, &len) != NULL;
}

/* The first top-level file (sorted) ending in suffix, or NULL. */
static const char *first_top_level(const faas_build_context_t *ctx, const char *suffix)
{
    const char *best = NULL;
    size_t slen = strlen(suffix);
    for (size_t i = 0; i < faas_build_context_count(ctx); i++) {
        const char *p = faas_build_context_path(ctx, i);
        size_t len = strlen(p);
        if (strchr(p, '/') == NULL && len > slen && strcmp(p + len - slen, suffix) == 0 && (best == NULL || strcmp(p, best) < 0))
            best = p;
    }
    return best;
}

static void set(faas_job_detection_t *out, const char *language, const char *handler, const char *reason)
{
    snprintf(out->language, sizeof(out->language), "%s", language);
    snprintf(out->handler, sizeof(out->handler), "%s", handler);
    snprintf(out->reason, sizeof(out->reason), "%s", reason);
}

/* serverless.json {"handler","language"}: 0 when it decided, -1 when absent or not usable (why in note). */
static int from_manifest(const faas_build_context_t *ctx, faas_job_detection_t *out, char *note, size_t size)
{
    size_t len;
    const char *text = faas_build_context_file(ctx, "serverless.json", &len);
    if (text == NULL)
        return -1;
    cJSON *m = cJSON_ParseWithLength(text, len);
    const char *handler = cJSON_GetStringValue(cJSON_GetObjectItem(m, "handler"));
    const char *language = cJSON_GetStringValue(cJSON_GetObjectItem(m, "language"));
    int rc = -1;
    if (m == NULL)
        snprintf(note, size, " (serverless.json ignored: not JSON)");
    else if (handler == NULL || language == NULL)
        snprintf(note, size, " (serverless.json ignored: it needs \"handler\" and \"language\")");
    else if (strcmp(language, "python") != 0 && strcmp(language, "go") != 0 && strcmp(language, "golang") != 0)
        snprintf(note, size, " (serverless.json ignored: language must be python or go)");
    else if (handler[0] == '/' || strstr(handler, "..") != NULL || strlen(handler) >= sizeof(out->handler) ||
             !has(ctx, handler))
        snprintf(note, size, " (serverless.json ignored: its handler is not a file of the zip)");
    else {
        char reason[sizeof(out->reason)];
        const char *lang = language[0] == 'p' ? "python" : "go";
        snprintf(reason, sizeof(reason), "%s: serverless.json names %.100s", lang, handler);
        set(out, lang, language[0] == 'p' ? handler : "", reason);
        rc = 0;
    }
    cJSON_Delete(m);
    return rc;
}

faas_err_t faas_job_detect(const faas_build_context_t *ctx, faas_job_detection_t *out, faas_error_t *err)
{
    char note[96] = "", reason[sizeof(out->reason)];
    if (from_manifest(ctx, out, note, sizeof(note)) == 0)
        return FAAS_OK;
    static const struct { const char *file, *language, *handler; } rules[] = {
        {"main.py", "python", "main.py"}, {"handler.py", "python", "handler.py"},
        {"go.mod", "go", ""}, {"main.go", "go", ""},
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (has(ctx, rules[i].file)) {
            snprintf(reason, sizeof(reason), "%s: found %s%s", rules[i].language, rules[i].file, note);
            set(out, rules[i].language, rules[i].handler, reason);
            return FAAS_OK;
        }
    }
    /* Then what the seed accepted: a lone script (with requirements.txt or not), a lone Go file. */
    const char *py = first_top_level(ctx, ".py"), *go = first_top_level(ctx, ".go");
    if (py != NULL || go != NULL) {
        const char *language = py != NULL ? "python" : "go";
        snprintf(reason, sizeof(reason), "%s: found %.100s%s%s", language, py != NULL ? py : go,
                 py != NULL && has(ctx, "requirements.txt") ? " and requirements.txt" : "", note);
        set(out, language, py != NULL ? py : "", reason);
        return FAAS_OK;
    }
    return faas_error_set(err, FAAS_EINVAL,
                          "no handler found: expected main.py, handler.py, go.mod or main.go at the top of the zip, "
                          "or a serverless.json naming the handler and language%s", note);
}

/* ---- input ------------------------------------------------------------------------- */

static int reserved(const char *name)
{
    static const char *const exact[] = {"PATH", "HOME", "HOSTNAME", "PWD", "SHELL", "USER", "TERM", "LANG",
                                        "TMPDIR", "PORT", "GOROOT", "GOPATH", "GODEBUG", "GOGC", "GOMAXPROCS",
                                        "GOMEMLIMIT", "GOTRACEBACK"};
    static const char *const prefixes[] = {"LD_", "PYTHON", "FAAS_", "LC_", "DOCKER_"};
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(name, exact[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* key -> "KEY": upper case, anything outside [A-Z0-9_] becomes '_' (as the seed did). */
static faas_err_t env_name(const char *key, char *out, size_t size, faas_error_t *err)
{
    size_t len = strlen(key);
    if (len == 0 || len > MAX_INPUT_NAME || len >= size)
        return faas_error_set(err, FAAS_EINVAL, "input key \"%.40s\" must have 1 to %d characters", key, MAX_INPUT_NAME);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)toupper((unsigned char)key[i]);
        out[i] = (c < 0x80 && (isupper(c) || isdigit(c) || c == '_')) ? (char)c : '_';
    }
    out[len] = '\0';
    if (isdigit((unsigned char)out[0]))
        return faas_error_set(err, FAAS_EINVAL, "input key \"%.40s\": environment names cannot start with a digit", key);
    if (reserved(out))
        return faas_error_set(err, FAAS_EINVAL, "input key \"%.40s\" would set %s, which the runtime needs", key, out);
    return FAAS_OK;
}

static char *env_value(const cJSON *v)
{
    char buf[64];
    if (cJSON_IsString(v))
        return strlen(v->valuestring) <= MAX_INPUT_VALUE ? strdup(v->valuestring) : NULL;
    if (cJSON_IsBool(v))
        return strdup(cJSON_IsTrue(v) ? "true" : "false");
    double d = v->valuedouble;
    if (d == (double)(long long)d && d > -9e15 && d < 9e15)
        snprintf(buf, sizeof(buf), "%lld", (long long)d);
    else
        snprintf(buf, sizeof(buf), "%.17g", d);
    return strdup(buf);
}

faas_err_t faas_job_input_env(const cJSON *input, faas_env_var_t **env, size_t *n, faas_error_t *err)
{
    *env = NULL;
    *n = 0;
    if (input == NULL || cJSON_IsNull(input))
        return FAAS_OK;
    if (!cJSON_IsObject(input))
        return faas_error_set(err, FAAS_EINVAL, "input must be a JSON object of names and values");
    int count = cJSON_GetArraySize(input);
    if (count > MAX_INPUT_VARS)
        return faas_error_set(err, FAAS_EINVAL, "input has more than %d keys", MAX_INPUT_VARS);
    faas_env_var_t *vars = calloc((size_t)(count ? count : 1), sizeof(*vars));
    if (vars == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    faas_err_t rc = FAAS_OK;
    size_t k = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, input) {
        char name[MAX_INPUT_NAME + 1];
        if ((rc = env_name(item->string, name, sizeof(name), err)) != FAAS_OK)
            break;
        if (!cJSON_IsString(item) && !cJSON_IsNumber(item) && !cJSON_IsBool(item)) {
            rc = faas_error_set(err, FAAS_EINVAL, "input \"%.40s\" must be a string, a number or a boolean", item->string);
            break;
        }
        for (size_t j = 0; j < k && rc == FAAS_OK; j++)
            if (strcmp(vars[j].name, name) == 0)
                rc = faas_error_set(err, FAAS_EINVAL, "input keys \"%.40s\" and another both become %s", item->string, name);
        if (rc != FAAS_OK)
            break;
        vars[k].name = strdup(name);
        vars[k].value = env_value(item);
        if (vars[k++].value == NULL || vars[k - 1].name == NULL) {
            rc = faas_error_set(err, FAAS_EINVAL, "input \"%.40s\": value longer than %d bytes", item->string, MAX_INPUT_VALUE);
            break;
        }
    }
    if (rc != FAAS_OK) {
        faas_env_free(vars, k);
        return rc;
    }
    *env = vars;
    *n = k;
    return FAAS_OK;
}

/* ---- output -------------------------------------------------------------------------- */

typedef struct ordered {
    const faas_job_line_t *line;
    size_t index;
} ordered_t;

static int by_time(const void *a, const void *b)
{
    const ordered_t *x = a, *y = b;
    if (x->line->sec != y->line->sec)
        return x->line->sec < y->line->sec ? -1 : 1;
    if (x->line->nsec != y->line->nsec)
        return x->line->nsec < y->line->nsec ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index); /* stable */
}

char *faas_job_merge_output(faas_job_line_t *lines, size_t n, size_t max, size_t *len, int *truncated)
{
    ordered_t *order = calloc(n ? n : 1, sizeof(*order));
    size_t total = 0;
    for (size_t i = 0; order != NULL && i < n; i++) {
        order[i] = (ordered_t){&lines[i], i};
        total += lines[i].len;
    }
    char *out = order != NULL ? malloc((total < max ? total : max) + 1) : NULL;
    if (out == NULL) {
        free(order);
        return NULL;
    }
    if (n > 1)
        qsort(order, n, sizeof(*order), by_time);
    size_t used = 0;
    *truncated = 0;
    for (size_t i = 0; i < n; i++) {
        size_t take = order[i].line->len;
        if (used + take > max) {
            take = max - used;
            *truncated = 1;
        }
        memcpy(out + used, order[i].line->text, take);
        used += take;
    }
    out[used] = '\0';
    *len = used;
    free(order);
    return out;
}
