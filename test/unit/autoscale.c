/*
 * autoscale.c (unit): the autoscaler's decision over simulated time (service/autoscale.h):
 * steady load, bursts and panic mode, the hold and the halving after load ends, min/max,
 * a request in flight at min 0, sparse samples, a clock that goes back or jumps, extremes.
 */
#include "faas/service/autoscale.h"
#include "testlib.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>

/* A function under simulated load; replicas start at once (ready = the last decision). */
typedef struct sim {
    faas_autoscale_t *a;
    faas_autoscale_params_t p;
    int64_t now; /* ms */
    int ready;
    faas_autoscale_decision_t d;
} sim_t;

static sim_t sim_new(int min, int max, int target, int64_t window_ms)
{
    sim_t s = {.a = faas_autoscale_create(), .p = {min, max, target, window_ms}};
    return s;
}

/* Two seconds of inflight: a sample every 200 ms, then a decision; returns desired. */
static int step(sim_t *s, int inflight)
{
    for (int i = 0; i < 10; i++) {
        s->now += 200;
        faas_autoscale_sample(s->a, s->now, inflight);
    }
    faas_autoscale_decide(s->a, s->now, &s->p, s->ready, &s->d);
    s->ready = s->d.desired;
    return s->d.desired;
}

/* Steps for ms of steady load; returns the last desired. */
static int run(sim_t *s, int64_t ms, int inflight)
{
    int desired = s->d.desired;
    for (int64_t t = 0; t < ms; t += 2000)
        desired = step(s, inflight);
    return desired;
}

TEST(steady_load_reaches_target)
{
    int maxes[] = {10, 4, 3};
    int wants[] = {4, 4, 3};
    for (int i = 0; i < 3; i++) {
        sim_t s = sim_new(0, maxes[i], 10, 60000);
        CHECK_INT(run(&s, 180000, 32), wants[i]);
        CHECK(fabs(s.d.stable_avg - 32) < 1e-9);
        CHECK(fabs(s.d.panic_avg - 32) < 1e-9);
        CHECK_INT(s.d.panic, 0);
        faas_autoscale_dispose(s.a);
    }
}

TEST(partial_window_uses_what_there_is)
{
    sim_t s = sim_new(0, 10, 10, 60000);
    run(&s, 10000, 32);
    CHECK(fabs(s.d.stable_avg - 32) < 1e-9); /* not 32 x 10 / 60 */
    CHECK_INT(s.d.desired, 4);
    faas_autoscale_dispose(s.a);
}

TEST(burst_panics_and_scales_up_in_one_decision)
{
    sim_t s = sim_new(0, 10, 10, 60000);
    CHECK_INT(run(&s, 120000, 5), 1);
    CHECK_INT(s.d.panic, 0);
    int desired = step(&s, 100); /* the stable average alone would still say 1 */
    CHECK_INT(s.d.panic, 1);
    CHECK(desired >= 3);
    CHECK_CONTAINS(s.d.reason, "panic");
    CHECK_INT(run(&s, 6000, 100), 10); /* bounded by max */
    CHECK_INT(s.d.panic, 1);
    faas_autoscale_dispose(s.a);
}

TEST(no_scale_down_in_panic)
{
    sim_t s = sim_new(0, 10, 10, 60000);
    run(&s, 60000, 5);
    run(&s, 8000, 100);
    CHECK_INT(s.d.desired, 10);
    int prev = s.d.desired, steps = 0, panic_steps = 0;
    for (; steps < 200 && s.d.desired > 0; steps++) {
        int was_panic = s.d.panic;
        int desired = step(&s, 0);
        if (s.d.panic) {
            panic_steps++;
            CHECK(desired >= prev);
        }
        if (!was_panic && desired < prev)
            CHECK(desired >= prev / 2); /* at most half per decision (ready == prev here) */
        prev = desired;
    }
    CHECK(panic_steps >= 25); /* a whole window after the last decision over the threshold */
    CHECK_INT(s.d.desired, 0);
    CHECK(steps <= 40); /* one window of hold, then 10 -> 5 -> 2 -> 1 -> 0 */
    faas_autoscale_dispose(s.a);
}

TEST(load_end_holds_a_window_then_halves_to_min)
{
    int mins[] = {0, 1};
    for (int i = 0; i < 2; i++) {
        sim_t s = sim_new(mins[i], 10, 10, 60000);
        run(&s, 180000, 32);
        CHECK_INT(s.d.desired, 4);
        CHECK_INT(s.d.panic, 0);
        for (int k = 1; k <= 30; k++) /* 2 s .. 60 s after the load ended */
            CHECK_INT(step(&s, 0), 4);
        CHECK_CONTAINS(s.d.reason, "keep 4");
        CHECK_INT(step(&s, 0), 2);
        CHECK_CONTAINS(s.d.reason, "at most half of 4 ready");
        CHECK_INT(step(&s, 0), 1);
        CHECK_INT(step(&s, 0), mins[i]);
        CHECK_INT(run(&s, 120000, 0), mins[i]);
        faas_autoscale_dispose(s.a);
    }
}

TEST(lower_load_goes_down_after_a_window)
{
    sim_t s = sim_new(0, 10, 10, 60000);
    run(&s, 180000, 32);
    for (int k = 1; k <= 30; k++)
        CHECK_INT(step(&s, 15), 4);
    CHECK_INT(step(&s, 15), 2);
    CHECK_INT(run(&s, 60000, 15), 2);
    faas_autoscale_dispose(s.a);
}

TEST(min_max_bounds)
{
    sim_t s = sim_new(2, 5, 10, 60000);
    CHECK_INT(step(&s, 0), 2);
    CHECK_CONTAINS(s.d.reason, "(min)");
    CHECK_INT(run(&s, 120000, 0), 2);
    CHECK_INT(run(&s, 60000, 1000), 5);
    CHECK_CONTAINS(s.d.reason, "(max)");
    s.p = (faas_autoscale_params_t){.min = 7, .max = 3, .target = 10, .window_ms = 60000}; /* max raised to min */
    CHECK_INT(step(&s, 1000), 7);
    s.p = (faas_autoscale_params_t){.min = 0, .max = 1, .target = 10, .window_ms = 60000};
    CHECK_INT(step(&s, 1000), 1);
    faas_autoscale_dispose(s.a);
}

TEST(request_in_flight_keeps_one)
{
    sim_t s = sim_new(0, 4, 10, 60000);
    CHECK_INT(run(&s, 120000, 0), 0);
    faas_autoscale_sample(s.a, s.now + 100, 1); /* one request, 1 / 301 on average */
    faas_autoscale_decide(s.a, s.now + 200, &s.p, 0, &s.d);
    CHECK_INT(s.d.desired, 1);
    s.now += 200;
    s.ready = 1;
    CHECK_INT(run(&s, 600000, 1), 1); /* a long request never scales to 0 */

    faas_autoscale_t *a = faas_autoscale_create();
    faas_autoscale_decision_t d;
    faas_autoscale_params_t p = {0, 4, 10, 60000};
    faas_autoscale_decide(a, 1000, &p, 0, &d);
    CHECK_INT(d.desired, 0);
    faas_autoscale_sample(a, 2000, 1);
    faas_autoscale_decide(a, 2000 + 600000, &p, 0, &d); /* that sample is out of the window */
    CHECK_INT(d.desired, 1);
    CHECK_CONTAINS(d.reason, "no samples");
    CHECK_CONTAINS(d.reason, "a request in flight");
    faas_autoscale_dispose(a);
    faas_autoscale_dispose(s.a);
}

TEST(sparse_samples)
{
    int64_t gaps[] = {5000, 10000, 45000};
    for (int i = 0; i < 3; i++) {
        faas_autoscale_t *a = faas_autoscale_create();
        faas_autoscale_params_t p = {0, 10, 10, 60000};
        faas_autoscale_decision_t d;
        int ready = 2, bad = 0;
        for (int64_t t = 0; t <= 300000; t += 2000) {
            if (t % gaps[i] == 0)
                faas_autoscale_sample(a, t, 20);
            faas_autoscale_decide(a, t, &p, ready, &d);
            ready = d.desired;
            bad += d.desired != 2 || !isfinite(d.stable_avg) || !isfinite(d.panic_avg) || d.panic;
        }
        CHECK_INT(bad, 0);
        CHECK(fabs(d.stable_avg - 20) < 1e-9);
        faas_autoscale_dispose(a);
    }
}

TEST(clock_backwards_and_gaps)
{
    sim_t s = sim_new(0, 10, 10, 60000);
    s.now = 100000;
    run(&s, 120000, 32);
    CHECK_INT(s.d.desired, 4);
    faas_autoscale_sample(s.a, 50000, 32); /* from the past: counts as now */
    faas_autoscale_decide(s.a, 40000, &s.p, 4, &s.d);
    CHECK_INT(s.d.desired, 4);
    CHECK(fabs(s.d.stable_avg - 32) < 1e-9);

    s.now += 10 * 60000; /* ten minutes without a sample */
    faas_autoscale_decide(s.a, s.now, &s.p, 4, &s.d);
    CHECK_INT(s.d.desired, 4);
    CHECK_CONTAINS(s.d.reason, "no samples");
    CHECK(s.d.stable_avg == 0);
    step(&s, 0); /* samples again: only the new ones count */
    CHECK(s.d.stable_avg == 0);
    CHECK_INT(run(&s, 70000, 0), 0);

    sim_t n = sim_new(0, 10, 10, 60000);
    n.now = -300000;
    CHECK_INT(run(&n, 600000, 32), 4); /* a clock below zero works like any other */
    CHECK(fabs(n.d.stable_avg - 32) < 1e-9);
    faas_autoscale_dispose(n.a);
    faas_autoscale_dispose(s.a);
}

TEST(extreme_inputs)
{
    faas_autoscale_t *a = faas_autoscale_create();
    faas_autoscale_decision_t d;
    faas_autoscale_params_t p = {.min = -5, .max = 0, .target = 0, .window_ms = 0};
    faas_autoscale_decide(a, INT64_MIN, &p, -3, &d); /* no samples at all */
    CHECK_INT(d.desired, 0);
    for (int i = 0; i < 3; i++)
        faas_autoscale_sample(a, INT64_MIN, INT_MAX); /* the bucket's sum saturates */
    faas_autoscale_sample(a, INT64_MIN + 1, -7);
    faas_autoscale_decide(a, INT64_MIN, &p, INT_MAX, &d);
    CHECK(isfinite(d.stable_avg) && d.stable_avg >= 0);
    CHECK_INT(d.desired, 1); /* max 0 counts as 1 */
    faas_autoscale_sample(a, INT64_MAX, 3);
    faas_autoscale_decide(a, INT64_MAX, &p, 1, &d);
    CHECK(fabs(d.stable_avg - 3) < 1e-9);
    CHECK_INT(d.desired, 1);
    faas_autoscale_decide(a, 0, &p, 1, &d); /* back from the end of time: stays there */
    CHECK(fabs(d.stable_avg - 3) < 1e-9);
    p = (faas_autoscale_params_t){.min = 0, .max = 1000, .target = 1, .window_ms = INT64_MAX};
    faas_autoscale_sample(a, INT64_MAX, INT_MAX);
    faas_autoscale_decide(a, INT64_MAX, &p, INT_MAX, &d);
    CHECK_INT(d.desired, 1000);
    CHECK(strlen(d.reason) > 0 && strlen(d.reason) < FAAS_AUTOSCALE_REASON_MAX);
    faas_autoscale_dispose(a);
    faas_autoscale_dispose(NULL);
}

TEST(longest_window_wraps_the_ring)
{
    sim_t s = sim_new(0, 10, 10, 3600000);
    run(&s, 3600000, 10);
    run(&s, 1800000, 20);
    CHECK(fabs(s.d.stable_avg - 15) < 0.01); /* half an hour of each */
    CHECK_INT(run(&s, 3600000, 20), 2);      /* the first hour has left the ring */
    CHECK(fabs(s.d.stable_avg - 20) < 1e-9);
    faas_autoscale_dispose(s.a);
}

int main(void)
{
    RUN(steady_load_reaches_target);
    RUN(partial_window_uses_what_there_is);
    RUN(burst_panics_and_scales_up_in_one_decision);
    RUN(no_scale_down_in_panic);
    RUN(load_end_holds_a_window_then_halves_to_min);
    RUN(lower_load_goes_down_after_a_window);
    RUN(min_max_bounds);
    RUN(request_in_flight_keeps_one);
    RUN(sparse_samples);
    RUN(clock_backwards_and_gaps);
    RUN(extreme_inputs);
    RUN(longest_window_wraps_the_ring);
    return testlib_done();
}
