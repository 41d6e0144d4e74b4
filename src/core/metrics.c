/*
 * metrics.c: the Prometheus text exposition format 0.0.4 (see core/metrics.h): families,
 * samples with escaped labels, histograms with the default buckets. Pure; any thread, one
 * buffer per caller.
 */
#include "faas/core/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bucket_le[FAAS_METRICS_NBUCKETS - 1] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

double faas_metrics_bucket_le(size_t i)
{
    return i < FAAS_METRICS_NBUCKETS - 1 ? bucket_le[i] : INFINITY;
}

size_t faas_metrics_bucket_of(double seconds)
{
    size_t i = 0;
    while (i < FAAS_METRICS_NBUCKETS - 1 && !(seconds <= bucket_le[i]))
        i++;
    return i;
}

void faas_metrics_hist_observe(faas_metrics_hist_t *h, double seconds)
{
    h->buckets[faas_metrics_bucket_of(seconds)]++;
    h->count++;
    h->sum += seconds;
}

void faas_metrics_hist_add(faas_metrics_hist_t *dst, const faas_metrics_hist_t *src)
{
    for (size_t i = 0; i < FAAS_METRICS_NBUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->sum += src->sum;
}

void faas_metrics_escape(faas_buf_t *b, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        const char *s = NULL;
        if (*p == '\\')
            s = "\\\\";
        else if (*p == '"')
            s = "\\\"";
        else if (*p == '\n')
            s = "\\n";
        if (s != NULL)
            faas_buf_adds(b, s);
        else
            faas_buf_add(b, p, 1);
    }
}

/* HELP text escapes \ and newline only (the format's rule for docstrings). */
static void escape_help(faas_buf_t *b, const char *help)
{
    for (const char *p = help; *p != '\0'; p++) {
        if (*p == '\\')
            faas_buf_adds(b, "\\\\");
        else if (*p == '\n')
            faas_buf_adds(b, "\\n");
        else
            faas_buf_add(b, p, 1);
    }
}

void faas_metrics_family(faas_buf_t *b, const char *name, const char *type, const char *help)
{
    faas_buf_adds(b, "# HELP ");
    faas_buf_adds(b, name);
    faas_buf_adds(b, " ");
    escape_help(b, help);
    faas_buf_adds(b, "\n# TYPE ");
    faas_buf_adds(b, name);
    faas_buf_adds(b, " ");
    faas_buf_adds(b, type);
    faas_buf_adds(b, "\n");
}

static void add_value(faas_buf_t *b, double v)
{
    char text[48];
    if (isnan(v))
        snprintf(text, sizeof(text), "NaN");
    else if (isinf(v))
        snprintf(text, sizeof(text), v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(text, sizeof(text), "%.0f", v);
    else if (snprintf(text, sizeof(text), "%.15g", v) > 0 && strtod(text, NULL) != v)
        snprintf(text, sizeof(text), "%.17g", v); /* the shortest of the two that reads back exactly */
    faas_buf_adds(b, text);
}

/* name{l1="v1",...,extra="x"}: extra (may be NULL) is one more label, already safe (le). */
static void add_name(faas_buf_t *b, const char *name, const char *suffix, const faas_metrics_label_t *labels,
                     size_t n, const char *extra_name, const char *extra_value)
{
    faas_buf_adds(b, name);
    faas_buf_adds(b, suffix);
    if (n == 0 && extra_name == NULL)
        return;
    faas_buf_adds(b, "{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            faas_buf_adds(b, ",");
        faas_buf_adds(b, labels[i].name);
        faas_buf_adds(b, "=\"");
        faas_metrics_escape(b, labels[i].value != NULL ? labels[i].value : "");
        faas_buf_adds(b, "\"");
    }
    if (extra_name != NULL) {
        faas_buf_adds(b, n ? "," : "");
        faas_buf_adds(b, extra_name);
        faas_buf_adds(b, "=\"");
        faas_buf_adds(b, extra_value);
        faas_buf_adds(b, "\"");
    }
    faas_buf_adds(b, "}");
}

void faas_metrics_sample(faas_buf_t *b, const char *name, const faas_metrics_label_t *labels, size_t n, double value)
{
    add_name(b, name, "", labels, n, NULL, NULL);
    faas_buf_adds(b, " ");
    add_value(b, value);
    faas_buf_adds(b, "\n");
}

void faas_metrics_histogram(faas_buf_t *b, const char *name, const faas_metrics_label_t *labels, size_t n,
                            const faas_metrics_hist_t *h)
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i < FAAS_METRICS_NBUCKETS; i++) {
        char le[24];
        if (i < FAAS_METRICS_NBUCKETS - 1)
            snprintf(le, sizeof(le), "%g", bucket_le[i]);
        else
            snprintf(le, sizeof(le), "+Inf");
        cumulative += h->buckets[i];
        add_name(b, name, "_bucket", labels, n, "le", le);
        faas_buf_adds(b, " ");
        add_value(b, (double)cumulative);
        faas_buf_adds(b, "\n");
    }
    add_name(b, name, "_sum", labels, n, NULL, NULL);
    faas_buf_adds(b, " ");
    add_value(b, h->sum);
    faas_buf_adds(b, "\n");
    add_name(b, name, "_count", labels, n, NULL, NULL);
    faas_buf_adds(b, " ");
    add_value(b, (double)h->count);
    faas_buf_adds(b, "\n");
}
