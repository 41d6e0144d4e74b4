/*
 * metrics.h: the Prometheus text exposition format (version 0.0.4) and the histogram it
 * writes. A family is announced once (# HELP, # TYPE), then its samples follow; label values
 * are escaped (\ " and newline) so a function name or a reason can never break the format.
 * Histograms use Prometheus's default buckets; counts are kept per bucket (not cumulative)
 * and made cumulative when written, with _sum and _count. Pure: the caller owns the buffer
 * and decides which thread writes; a histogram is not shared between threads unless its
 * owner says how (see core/stats.h).
 */
#ifndef FAAS_CORE_METRICS_H
#define FAAS_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "faas/core/buf.h"

/* Prometheus's default buckets (seconds): .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10, then +Inf. */
#define FAAS_METRICS_NBUCKETS 12

typedef struct faas_metrics_hist {
    uint64_t buckets[FAAS_METRICS_NBUCKETS]; /* observations per bucket (not cumulative); the last is +Inf */
    uint64_t count;
    double sum;                              /* seconds */
} faas_metrics_hist_t;

/* One label: name and value (any bytes; escaped when written). */
typedef struct faas_metrics_label {
    const char *name;
    const char *value;
} faas_metrics_label_t;

/** The upper bound of bucket i (i < FAAS_METRICS_NBUCKETS - 1). Pure. */
double faas_metrics_bucket_le(size_t i);

/** The bucket an observation of seconds falls in. Pure. */
size_t faas_metrics_bucket_of(double seconds);

/** Counts one observation of seconds in h (plain writes: h's owning thread only). */
void faas_metrics_hist_observe(faas_metrics_hist_t *h, double seconds);

/** Adds src's observations to dst. */
void faas_metrics_hist_add(faas_metrics_hist_t *dst, const faas_metrics_hist_t *src);

/** Appends "# HELP name help\n# TYPE name type\n" (type: counter, gauge, histogram). Help text is escaped. */
void faas_metrics_family(faas_buf_t *b, const char *name, const char *type, const char *help);

/** Appends one sample: name{labels} value. n may be 0 (no braces). Non-finite values are written
    as +Inf, -Inf and NaN, whole numbers without a fraction. */
void faas_metrics_sample(faas_buf_t *b, const char *name, const faas_metrics_label_t *labels, size_t n, double value);

/** Appends the samples of a histogram: name_bucket{labels,le=...} (cumulative, +Inf last),
    name_sum and name_count. */
void faas_metrics_histogram(faas_buf_t *b, const char *name, const faas_metrics_label_t *labels, size_t n,
                            const faas_metrics_hist_t *h);

/** Appends value with \ " and newline escaped as the format wants inside a label value. */
void faas_metrics_escape(faas_buf_t *b, const char *value);

#endif
