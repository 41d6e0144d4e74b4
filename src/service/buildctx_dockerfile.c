/*
 * buildctx_dockerfile.c: the Dockerfile a build runs: the runtime's, with
 * faas's labels put in so that every image the build leaves is findable.
 *
 * Why after every FROM: Docker's classic builder keeps the last image of each
 * earlier stage of a multi-stage build, and the steps of a failed build, as
 * untagged images. A LABEL at the end of the file marks only the final image;
 * one right after each FROM marks them all (its values are the same for every
 * build of a function, so it does not defeat the build cache). The build id,
 * which changes every time, goes into one LABEL at the end.
 */
#include "faas/core/labels.h"
#include "faas/service/buildctx.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The escape character: '\' unless a parser directive at the top says `# escape=``. */
static char escape_char(const char *p, const char *end)
{
    while (p < end && *p == '#') {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((eol ? eol : end) - p);
        char line[64];
        size_t k = 0;
        for (size_t i = 1; i < n && k + 1 < sizeof(line); i++)
            if (!isspace((unsigned char)p[i]))
                line[k++] = (char)tolower((unsigned char)p[i]);
        line[k] = '\0';
        if (strncmp(line, "escape=", 7) == 0 && (line[7] == '`' || line[7] == '\\') && line[8] == '\0')
            return line[7];
        if (strchr(line, '=') == NULL) /* a plain comment ends the directives */
            break;
        p = eol ? eol + 1 : end;
    }
    return '\\';
}

/* Does the physical line [p, eol) continue on the next one? */
static int continues(const char *p, const char *eol, char esc)
{
    while (eol > p && isspace((unsigned char)eol[-1]))
        eol--;
    return eol > p && eol[-1] == esc;
}

static int is_comment(const char *p, const char *eol)
{
    while (p < eol && isspace((unsigned char)*p))
        p++;
    return p < eol && *p == '#';
}

static int starts_with_from(const char *p, const char *eol)
{
    while (p < eol && isspace((unsigned char)*p))
        p++;
    return eol - p > 4 && strncasecmp(p, "FROM", 4) == 0 && isspace((unsigned char)p[4]);
}

char *faas_buildctx_label_dockerfile(const char *text, size_t len, const faas_buildctx_labels_t *l, size_t *out_len)
{
    char stage[512], last[128];
    int sn = snprintf(stage, sizeof(stage),
                      "LABEL " FAAS_LABEL_MANAGED "=\"1\" " FAAS_LABEL_INSTANCE "=\"%s\" " FAAS_LABEL_KIND
                      "=\"%s\" " FAAS_LABEL_FUNCTION "=\"%s\"\n",
                      l->instance, l->kind, l->function);
    int ln = snprintf(last, sizeof(last), "LABEL " FAAS_LABEL_BUILD "=\"%s\"\n", l->build_id);
    if (sn < 0 || (size_t)sn >= sizeof(stage) || ln < 0 || (size_t)ln >= sizeof(last))
        return NULL;
    size_t froms = 0;
    for (const char *p = text; p < text + len; p++)
        froms += *p == '\n';
    char *out = malloc(len + (froms + 1) * (size_t)sn + (size_t)ln + 2), *o = out;
    if (out == NULL)
        return NULL;
    const char *p = text, *end = text + len;
    char esc = escape_char(p, end);
    int in_from = 0, continued = 0;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        if (!is_comment(p, eol ? eol : end)) { /* a comment line neither starts nor continues an instruction */
            if (!continued)
                in_from = starts_with_from(p, eol ? eol : end);
            continued = continues(p, eol ? eol : end, esc);
        }
        memcpy(o, p, (size_t)(next - p));
        o += next - p;
        if (eol == NULL)
            *o++ = '\n';
        if (in_from && !continued) {
            memcpy(o, stage, (size_t)sn);
            o += sn;
            in_from = 0;
        }
        p = next;
    }
    if (len > 0 && o > out && o[-1] != '\n')
        *o++ = '\n';
    memcpy(o, last, (size_t)ln);
    o += ln;
    *o = '\0';
    *out_len = (size_t)(o - out);
    return out;
}

faas_err_t faas_buildctx_add_dockerfile(faas_buildctx_t *ctx, const char *text, size_t len,
                                             const faas_buildctx_labels_t *labels, faas_error_t *err)
{
    size_t n = 0;
    char *labelled = faas_buildctx_label_dockerfile(text, len, labels, &n);
    if (labelled == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory labelling the Dockerfile");
    faas_err_t rc = faas_buildctx_add(ctx, FAAS_BUILDCTX_DOCKERFILE, labelled, n, 0644, err);
    free(labelled);
    if (rc == FAAS_ECONFLICT)
        rc = faas_error_set(err, FAAS_EINVAL, "the zip must not contain %s (faas puts the runtime's Dockerfile there)",
                            FAAS_BUILDCTX_DOCKERFILE);
    return rc;
}
