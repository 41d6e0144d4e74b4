/*
 * autoscale.c: the per-function autoscaler's sample window and decision (see autoscale.h).
 * Pure code, no I/O: any thread, one thread at a time per faas_autoscale_t.
 *
 * DESIGN
 * - Samples go into a ring of per-second buckets (sum, count), enough for the longest window:
 *   3600 x 8 bytes instead of 18,000 samples. The ring knows the second of its newest bucket;
 *   moving to a later second clears the buckets in between (all of them after a gap as long as
 *   the ring), so a bucket never mixes two seconds. An average over n seconds adds the buckets
 *   of the last n seconds and divides by the samples found there.
 * - One clock per autoscaler that never goes back (the latest now_ms seen): a sample from the
 *   past lands in the newest bucket, a decision from the past decides at the latest time seen.
 *   Durations are compared as unsigned differences of two points of that clock, so no value of
 *   now_ms can overflow them.
 * - The decision follows Knative's KPA (pkg/autoscaler/scaling/autoscaler.go): stable and panic
 *   averages, panic threshold 200% of ready, no scale-down in panic, max-scale-down-rate 2. The
 *   "scale down waits for window" of faas's `scale.window` is a hold: desired goes down only
 *   after the panic window's load stayed below desired for a whole window, which also makes the
 *   stable average by then an average of the low load alone. Scale-up has no rate limit but max.
 */
#include "faas/service/autoscale.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS (FAAS_AUTOSCALE_WINDOW_MAX_MS / 1000)
#define PANIC_THRESHOLD 2    /* panic when panic want >= 2 x ready (panic-threshold-percentage 200) */
#define SCALE_DOWN_RATE 2    /* a decision keeps at least ready / 2 (max-scale-down-rate) */
#define WANT_LIMIT 1000000   /* caps ceil(avg / target) so any average fits an int */

typedef struct bucket {
    uint32_t sum;   /* in-flight counts added up (saturates) */
    uint32_t count; /* samples (saturates) */
} bucket_t;

struct faas_autoscale {
    int have_clock, have_samples;
    int64_t clock_ms;  /* the latest now_ms seen */
    int64_t head_sec;  /* the second of the newest bucket */
    int last_inflight; /* the latest sample */
    int desired;       /* the last decision, -1 before the first */
    int in_panic;
    int64_t panic_ms; /* the last decision over the panic threshold */
    int low;          /* the panic window's want below desired since low_ms */
    int64_t low_ms;
    bucket_t buckets[NBUCKETS];
};

/* The settings of one decision, made safe to compute with. */
typedef struct limits {
    int min, max, target;
    int64_t window_ms, panic_ms;
    int window_s, panic_s; /* the windows in buckets */
} limits_t;

/* What one decision works from. */
typedef struct inputs {
    int64_t now;
    double stable_avg, panic_avg;
    int stable_want, panic_want;
    int ready, prev;
} inputs_t;

faas_autoscale_t *faas_autoscale_create(void)
{
    faas_autoscale_t *a = calloc(1, sizeof(*a));
    if (a == NULL)
        abort();
    a->desired = -1;
    return a;
}

void faas_autoscale_dispose(faas_autoscale_t *a)
{
    free(a);
}

/* Moves the clock to now_ms unless that is in the past; returns the clock. */
static int64_t advance_clock(faas_autoscale_t *a, int64_t now_ms)
{
    if (!a->have_clock || now_ms > a->clock_ms) {
        a->clock_ms = now_ms;
        a->have_clock = 1;
    }
    return a->clock_ms;
}

/* The second a millisecond falls in, rounding down also below 0. */
static int64_t sec_of(int64_t ms)
{
    return ms >= 0 ? ms / 1000 : -((-(ms + 1)) / 1000) - 1;
}

/* The ring slot of a second. */
static size_t slot_of(int64_t sec)
{
    return (size_t)(((sec % NBUCKETS) + NBUCKETS) % NBUCKETS);
}

/* ms from earlier to later, two points of the autoscaler's clock (earlier <= later). */
static uint64_t elapsed(int64_t earlier, int64_t later)
{
    return later >= earlier ? (uint64_t)later - (uint64_t)earlier : 0;
}

/* Makes sec (never before head_sec) the newest bucket, clearing the seconds skipped. */
static void advance_head(faas_autoscale_t *a, int64_t sec)
{
    if (!a->have_samples || sec - a->head_sec >= NBUCKETS) {
        memset(a->buckets, 0, sizeof(a->buckets));
    } else {
        for (int64_t s = a->head_sec + 1; s <= sec; s++)
            a->buckets[slot_of(s)] = (bucket_t){0, 0};
    }
    a->head_sec = sec;
    a->have_samples = 1;
}

void faas_autoscale_sample(faas_autoscale_t *a, int64_t now_ms, int inflight)
{
    int64_t sec = sec_of(advance_clock(a, now_ms));
    if (!a->have_samples || sec > a->head_sec)
        advance_head(a, sec);
    a->last_inflight = inflight < 0 ? 0 : inflight;
    bucket_t *b = &a->buckets[slot_of(a->head_sec)];
    if (b->count == UINT32_MAX)
        return; /* a full bucket keeps the average of what it has */
    b->count++;
    uint32_t add = (uint32_t)a->last_inflight;
    b->sum = add > UINT32_MAX - b->sum ? UINT32_MAX : b->sum + add;
}

/* The average in flight over the n seconds up to now_sec; *count gets the samples found. */
static double window_avg(const faas_autoscale_t *a, int64_t now_sec, int n, uint64_t *count)
{
    double sum = 0;
    *count = 0;
    if (!a->have_samples)
        return 0;
    int64_t lo = now_sec - n + 1, hi = now_sec < a->head_sec ? now_sec : a->head_sec;
    if (lo < a->head_sec - NBUCKETS + 1)
        lo = a->head_sec - NBUCKETS + 1;
    for (int64_t s = lo; s <= hi; s++) {
        const bucket_t *b = &a->buckets[slot_of(s)];
        sum += b->sum;
        *count += b->count;
    }
    return *count > 0 ? sum / (double)*count : 0;
}

static limits_t limits_of(const faas_autoscale_params_t *p)
{
    limits_t l = {.min = p->min < 0 ? 0 : p->min, .target = p->target < 1 ? 1 : p->target};
    l.max = p->max < l.min ? l.min : p->max;
    if (l.max < 1)
        l.max = 1;
    l.window_ms = p->window_ms;
    if (l.window_ms < FAAS_AUTOSCALE_WINDOW_MIN_MS)
        l.window_ms = FAAS_AUTOSCALE_WINDOW_MIN_MS;
    if (l.window_ms > FAAS_AUTOSCALE_WINDOW_MAX_MS)
        l.window_ms = FAAS_AUTOSCALE_WINDOW_MAX_MS;
    l.panic_ms = l.window_ms / 10 < FAAS_AUTOSCALE_PANIC_MIN_MS ? FAAS_AUTOSCALE_PANIC_MIN_MS : l.window_ms / 10;
    l.window_s = (int)((l.window_ms + 999) / 1000);
    l.panic_s = (int)((l.panic_ms + 999) / 1000);
    return l;
}

static int want_of(double avg, int target)
{
    double w = ceil(avg / target);
    return w > WANT_LIMIT ? WANT_LIMIT : (int)w;
}

/* Enters panic mode over the threshold (and stays while over); leaves a window after the last. */
static void update_panic(faas_autoscale_t *a, const inputs_t *in, const limits_t *l)
{
    int64_t base = in->ready < 1 ? 1 : in->ready;
    if ((int64_t)in->panic_want >= PANIC_THRESHOLD * base) {
        a->in_panic = 1;
        a->panic_ms = in->now;
    } else if (a->in_panic && elapsed(a->panic_ms, in->now) >= (uint64_t)l->window_ms) {
        a->in_panic = 0;
    }
}

/* Tracks since when the short-term load has wanted fewer replicas than the last decision. */
static void update_low(faas_autoscale_t *a, const inputs_t *in)
{
    if (in->panic_want >= in->prev) {
        a->low = 0;
    } else if (!a->low) {
        a->low = 1;
        a->low_ms = in->now;
    }
}

/* The replicas wanted before min..max, with the reason in reason. */
static int choose(const faas_autoscale_t *a, const inputs_t *in, const limits_t *l, char *reason, size_t size)
{
    double ws = (double)l->window_ms / 1000, ps = (double)l->panic_ms / 1000;
    if (a->in_panic) {
        int want = in->panic_want > in->stable_want ? in->panic_want : in->stable_want;
        want = want > in->prev ? want : in->prev;
        snprintf(reason, size, "panic: %gs avg %.1f / target %d = %d on %d ready; %gs avg %.1f = %d; not below %d: %d",
                 ps, in->panic_avg, l->target, in->panic_want, in->ready, ws, in->stable_avg, in->stable_want, in->prev,
                 want);
        return want;
    }
    int n = snprintf(reason, size, "%gs avg %.1f / target %d = %d", ws, in->stable_avg, l->target, in->stable_want);
    size_t used = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
    if (in->stable_want >= in->prev)
        return in->stable_want;
    uint64_t low_for = a->low ? elapsed(a->low_ms, in->now) : 0;
    if (!a->low || low_for < (uint64_t)l->window_ms) {
        snprintf(reason + used, size - used, "; load low for %.0fs of %gs: keep %d", (double)low_for / 1000, ws,
                 in->prev);
        return in->prev;
    }
    int floor_half = in->ready / SCALE_DOWN_RATE;
    int want = in->stable_want > floor_half ? in->stable_want : floor_half;
    want = want < in->prev ? want : in->prev;
    snprintf(reason + used, size - used, "; low for %gs: down to %d (at most half of %d ready)", ws, want, in->ready);
    return want;
}

/* Applies min..max and the request in flight, noting in reason what changed want. */
static int bound(const faas_autoscale_t *a, int want, const limits_t *l, char *reason, size_t size)
{
    size_t used = strlen(reason);
    const char *why = NULL;
    if (want > l->max) {
        want = l->max;
        why = "max";
    }
    if (want < l->min) {
        want = l->min;
        why = "min";
    }
    if (want < 1 && a->last_inflight > 0) {
        want = 1;
        why = "a request in flight";
    }
    if (why != NULL && used < size)
        snprintf(reason + used, size - used, " -> %d (%s)", want, why);
    return want;
}

void faas_autoscale_decide(faas_autoscale_t *a, int64_t now_ms, const faas_autoscale_params_t *p, int ready,
                           faas_autoscale_decision_t *out)
{
    limits_t l = limits_of(p);
    inputs_t in = {.now = advance_clock(a, now_ms), .ready = ready < 0 ? 0 : ready};
    in.prev = a->desired >= 0 ? a->desired : in.ready;
    uint64_t stable_n, panic_n;
    int64_t now_sec = sec_of(in.now);
    in.stable_avg = window_avg(a, now_sec, l.window_s, &stable_n);
    in.panic_avg = window_avg(a, now_sec, l.panic_s, &panic_n);
    if (panic_n == 0)
        in.panic_avg = in.stable_avg; /* sparse samples: the window's average stands in */
    memset(out, 0, sizeof(*out));
    int want;
    if (stable_n == 0) {
        /* Nothing measured lately (not yet, or the sampler was away): no reason to change. */
        snprintf(out->reason, sizeof(out->reason), "no samples in the last %gs: keep %d", (double)l.window_ms / 1000,
                 in.prev);
        want = in.prev;
    } else {
        in.stable_want = want_of(in.stable_avg, l.target);
        in.panic_want = want_of(in.panic_avg, l.target);
        update_panic(a, &in, &l);
        update_low(a, &in);
        want = choose(a, &in, &l, out->reason, sizeof(out->reason));
    }
    a->desired = bound(a, want, &l, out->reason, sizeof(out->reason));
    out->desired = a->desired;
    out->stable_avg = in.stable_avg;
    out->panic_avg = in.panic_avg;
    out->panic = a->in_panic;
}
