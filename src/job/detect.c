/*
 * detect.c: which language a submitted job function is and which file runs
 * (see detect.h). Pure code: any thread.
 */
#include "faas/job/detect.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static int has(const faas_buildctx_t *ctx, const char *path)
{
    size_t len;
    return faas_buildctx_file(ctx, path, &len) != NULL;
}

/* The first top-level file (sorted) ending in suffix, or NULL. */
static const char *first_top_level(const faas_buildctx_t *ctx, const char *suffix)
{
    const char *best = NULL;
    size_t slen = strlen(suffix);
    for (size_t i = 0; i < faas_buildctx_count(ctx); i++) {
        const char *p = faas_buildctx_path(ctx, i);
        size_t len = strlen(p);
        if (strchr(p, '/') == NULL && len > slen && strcmp(p + len - slen, suffix) == 0 && (best == NULL || strcmp(p, best) < 0))
            best = p;
    }
    return best;
}

static void set(faas_detect_result_t *out, const char *language, const char *handler, const char *reason)
{
    snprintf(out->language, sizeof(out->language), "%s", language);
    snprintf(out->handler, sizeof(out->handler), "%s", handler);
    snprintf(out->reason, sizeof(out->reason), "%s", reason);
}

/* serverless.json {"handler","language"}: 0 when it decided, -1 when absent or not usable (why in note). */
static int from_manifest(const faas_buildctx_t *ctx, faas_detect_result_t *out, char *note, size_t size)
{
    size_t len;
    const char *text = faas_buildctx_file(ctx, "serverless.json", &len);
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

faas_err_t faas_detect_language(const faas_buildctx_t *ctx, faas_detect_result_t *out, faas_error_t *err)
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
