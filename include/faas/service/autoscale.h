/*
 * autoscale.h: how many replicas a service function wants, decided from the requests it has in
 * flight, in the style of Knative's KPA autoscaler (stable and panic windows, a target per
 * replica). Pure: no I/O, no globals, no threads; one faas_autoscale_t per function, used by
 * one thread at a time (the caller serialises sample and decide).
 *
 * The caller samples every 200 ms and decides every 2 s:
 *   faas_autoscale_sample(a, faas_clock_mono_ms(), load->inflight);   every 200 ms
 *   faas_autoscale_decide(a, faas_clock_mono_ms(), &params, ready, &d); every 2 s
 * then adds replicas up to d.desired or retires down to it, and logs d.reason at debug level.
 *
 * Units: times are milliseconds of one monotonic clock (faas_clock_mono_ms); the same clock
 * for every call on one faas_autoscale_t. A clock that goes backwards is treated as standing
 * still, and a gap with no samples leaves the window with fewer samples (or none).
 *
 * The decision (every input is read again on each call, so settings may change between calls):
 * - stable = ceil(average in flight over window / target), panic = ceil(average over the panic
 *   window / target). The panic window is window / 10 (at least 2 s). Until a window of samples
 *   exists, the average is over the samples there are.
 * - Panic mode starts when panic >= 2 x ready (ready taken as at least 1) and ends after a whole
 *   window without that; in panic mode desired never goes down: max(panic, stable, desired).
 * - Otherwise desired follows stable up at once, and down only once the short-term load (the
 *   panic window's) has stayed below desired for a whole window; then by at most half of the
 *   ready replicas per decision (Knative's max-scale-down-rate 2: never below floor(ready / 2)).
 * - Last, bounded by min..max (max raised to min if below it), and never below 1 while the latest
 *   sample shows a request in flight.
 */
#ifndef FAAS_SERVICE_AUTOSCALE_H
#define FAAS_SERVICE_AUTOSCALE_H

#include <stdint.h>

/* The longest stable window the ring keeps (the config's `scale.window` allows 2 s..1 h); a
   longer window_ms is treated as this, a shorter one than the minimum as the minimum. */
#define FAAS_AUTOSCALE_WINDOW_MAX_MS 3600000
#define FAAS_AUTOSCALE_WINDOW_MIN_MS 2000
/* The shortest panic window (a tenth of the stable window otherwise). */
#define FAAS_AUTOSCALE_PANIC_MIN_MS 2000
/* Room for faas_autoscale_decision_t.reason, NUL included. */
#define FAAS_AUTOSCALE_REASON_MAX 160

/* One function's samples (per-second buckets over the longest window) and decision state. */
typedef struct faas_autoscale faas_autoscale_t;

/* The settings in force for the function (faas_scale_resolve, cfg->scale.window_ms). */
typedef struct faas_autoscale_params {
    int min;           /* fewest replicas; 0: may scale to zero. Below 0 counts as 0 */
    int max;           /* most replicas; raised to min when below it, and to at least 1 */
    int target;        /* requests in flight per replica aimed at; below 1 counts as 1 */
    int64_t window_ms; /* the stable window in ms, clamped to 2 s..1 h */
} faas_autoscale_params_t;

typedef struct faas_autoscale_decision {
    int desired;       /* replicas wanted now */
    double stable_avg; /* average requests in flight over the window (0 with no samples) */
    double panic_avg;  /* the same over the panic window (the window's when it has none) */
    int panic;         /* 1 while in panic mode */
    char reason[FAAS_AUTOSCALE_REASON_MAX]; /* e.g. "60s avg 32.0 / target 10 = 4" */
} faas_autoscale_decision_t;

/** An autoscaler with no samples (about 29 KB). Aborts when out of memory. */
faas_autoscale_t *faas_autoscale_create(void);

/** Frees a; NULL is allowed. */
void faas_autoscale_dispose(faas_autoscale_t *a);

/**
 * Records one sample: inflight = the function's requests in flight at now_ms, those waiting in
 * the proxy included (faas_load_t.inflight). Meant every 200 ms; any rate works, since the
 * averages are over the samples taken. A negative inflight counts as 0.
 */
void faas_autoscale_sample(faas_autoscale_t *a, int64_t now_ms, int inflight);

/**
 * Decides the replicas wanted at now_ms into *out (see the top of this file); meant every 2 s.
 * ready = the function's replicas that answer now (starting ones not counted; below 0 counts
 * as 0). Remembers the decision (the next one starts from it) and the panic state.
 * With no sample in the window it keeps the last decision (at first: ready), within min..max.
 */
void faas_autoscale_decide(faas_autoscale_t *a, int64_t now_ms, const faas_autoscale_params_t *p, int ready,
                           faas_autoscale_decision_t *out);

#endif
