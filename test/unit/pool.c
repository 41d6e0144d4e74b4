/*
 * pool.c (unit): the worker pool with a loop's inbox as its return path (a
 * real h2o evloop and message queue, as http/loop.c makes it), parallelism,
 * periodic tasks, and dispose.
 */
#include "faas/core/clock.h"
#include "faas/core/pool.h"
#include "faas/http/loop.h"
#include "testlib.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static h2o_evloop_t *evloop; /* static: reachable at exit, h2o 2.2 has no destroy for it */
static h2o_multithread_queue_t *queue;
static pthread_t main_thread;

typedef struct counters {
    atomic_int work_runs, done_runs, done_on_main, work_on_main, running, peak;
    int sleep_ms;
} counters_t;

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void on_work(void *data)
{
    counters_t *c = data;
    int now = atomic_fetch_add(&c->running, 1) + 1;
    for (int peak = atomic_load(&c->peak); now > peak && !atomic_compare_exchange_weak(&c->peak, &peak, now);)
        ;
    atomic_fetch_add(&c->work_on_main, pthread_equal(pthread_self(), main_thread) ? 1 : 0);
    if (c->sleep_ms)
        sleep_ms(c->sleep_ms);
    atomic_fetch_add(&c->work_runs, 1);
    atomic_fetch_sub(&c->running, 1);
}

static void on_done(void *data)
{
    counters_t *c = data;
    atomic_fetch_add(&c->done_on_main, pthread_equal(pthread_self(), main_thread) ? 1 : 0);
    atomic_fetch_add(&c->done_runs, 1);
}

/* Runs the loop until n done callbacks came back, or 10 s passed. */
static void run_until(counters_t *c, int n)
{
    int64_t deadline = faas_clock_mono_ms() + 10000;
    while (atomic_load(&c->done_runs) < n && faas_clock_mono_ms() < deadline)
        h2o_evloop_run(evloop, 100);
}

TEST(results_come_back_on_the_loop)
{
    faas_pool_t *pool = faas_pool_create("test", 4);
    faas_pool_inbox_t *inbox = faas_loop_inbox_create(queue);
    counters_t c = {0};
    for (int i = 0; i < 200; i++)
        CHECK_INT(faas_pool_submit(pool, inbox, on_work, on_done, &c), 0);
    run_until(&c, 200);
    CHECK_INT(atomic_load(&c.work_runs), 200);
    CHECK_INT(atomic_load(&c.done_runs), 200);
    CHECK_INT(atomic_load(&c.done_on_main), 200); /* every done on the loop's thread */
    CHECK_INT(atomic_load(&c.work_on_main), 0);   /* no work on it */
    CHECK_INT(faas_pool_pending(pool), 0);
    faas_loop_inbox_dispose(inbox);
    CHECK_INT(faas_pool_dispose(pool, faas_clock_mono_ms() + 5000), 0);
}

TEST(workers_run_in_parallel_and_without_a_loop)
{
    faas_pool_t *pool = faas_pool_create("test", 4);
    counters_t c = {.sleep_ms = 50};
    for (int i = 0; i < 8; i++)
        CHECK_INT(faas_pool_submit(pool, NULL, on_work, on_done, &c), 0);
    int64_t deadline = faas_clock_mono_ms() + 10000;
    while (atomic_load(&c.done_runs) < 8 && faas_clock_mono_ms() < deadline)
        sleep_ms(5);
    CHECK_INT(atomic_load(&c.done_runs), 8);
    CHECK_INT(atomic_load(&c.done_on_main), 0); /* without a loop, done runs on the worker */
    CHECK(atomic_load(&c.peak) >= 2);
    CHECK(atomic_load(&c.peak) <= 4);
    CHECK_INT(faas_pool_dispose(pool, faas_clock_mono_ms() + 5000), 0);
}

static int64_t short_interval(void *data)
{
    (void)data;
    return 20;
}

TEST(periodic_tasks_never_overlap)
{
    faas_pool_t *pool = faas_pool_create("test", 4);
    counters_t c = {.sleep_ms = 30};
    CHECK_INT(faas_pool_every(pool, 0, short_interval, on_work, &c), 0);
    int64_t deadline = faas_clock_mono_ms() + 10000;
    while (atomic_load(&c.work_runs) < 4 && faas_clock_mono_ms() < deadline)
        sleep_ms(5);
    CHECK(atomic_load(&c.work_runs) >= 4);
    CHECK_INT(atomic_load(&c.peak), 1); /* the next run starts only after the previous one ended */
    CHECK_INT(faas_pool_dispose(pool, faas_clock_mono_ms() + 5000), 0);
}

TEST(dispose_drops_queued_jobs_and_waits_for_running_ones)
{
    faas_pool_t *pool = faas_pool_create("test", 1);
    counters_t slow = {.sleep_ms = 200}, queued = {0};
    CHECK_INT(faas_pool_submit(pool, NULL, on_work, on_done, &slow), 0);
    int64_t deadline = faas_clock_mono_ms() + 5000;
    while (atomic_load(&slow.running) == 0 && faas_clock_mono_ms() < deadline)
        sleep_ms(1);
    CHECK_INT(faas_pool_submit(pool, NULL, on_work, on_done, &queued), 0);
    CHECK_INT(faas_pool_pending(pool), 2);
    CHECK_INT(faas_pool_dispose(pool, faas_clock_mono_ms() + 5000), 0);
    CHECK_INT(atomic_load(&slow.done_runs), 1);   /* the running job finished */
    CHECK_INT(atomic_load(&queued.work_runs), 0); /* the queued one never started */
}

int main(void)
{
    main_thread = pthread_self();
    evloop = h2o_evloop_create();
    queue = h2o_multithread_create_queue(evloop);
    RUN(results_come_back_on_the_loop);
    RUN(workers_run_in_parallel_and_without_a_loop);
    RUN(periodic_tasks_never_overlap);
    RUN(dispose_drops_queued_jobs_and_waits_for_running_ones);
    h2o_multithread_destroy_queue(queue);
    return testlib_done();
}
