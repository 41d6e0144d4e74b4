/*
 * pool.h: the worker pool, where blocking work runs so that event loops never block.
 *
 * Worker threads run work callbacks ("tasks"). A task submitted with an inbox has its done
 * callback run on the inbox's thread afterwards (an event loop: http/loop.c makes one inbox per
 * loop), so a loop never shares a task's state with a worker while the work runs. A scheduler
 * runs periodic tasks (reconcile, cleanup, renewals) on the same pool, never two runs of one
 * periodic task at once.
 *
 * Nothing here knows HTTP or libh2o: an inbox is just "run this on that thread later".
 */
#ifndef FAAS_CORE_POOL_H
#define FAAS_CORE_POOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct faas_pool faas_pool_t;

/* Runs on a worker thread; may block. */
typedef void (*faas_pool_work_cb)(void *data);
/* Runs after the work: on the inbox's thread, or on the worker when submitted without an inbox. */
typedef void (*faas_pool_done_cb)(void *data);
/* The current interval of a periodic task in milliseconds (read again before each wait). */
typedef int64_t (*faas_pool_interval_cb)(void *data);

/*
 * A thread that runs callbacks posted to it. post queues fn(data) to run soon on that thread;
 * it may be called from any thread and aborts the process when out of memory (a done callback
 * that never runs would leak its request).
 */
typedef struct faas_pool_inbox faas_pool_inbox_t;
struct faas_pool_inbox {
    void (*post)(faas_pool_inbox_t *inbox, faas_pool_done_cb fn, void *data);
};

/** Starts a pool of nthreads workers named name (for logs); NULL on failure. Main thread. */
faas_pool_t *faas_pool_create(const char *name, size_t nthreads);

/**
 * Stops the scheduler and the pool: queued tasks that have not started are dropped (their done
 * callbacks are not called), running ones are waited for until deadline_ms (faas_clock_mono_ms).
 * Returns 0 if every worker stopped, -1 if some are still running (they are left to process
 * exit). NULL is allowed. Main thread.
 */
int faas_pool_dispose(faas_pool_t *pool, int64_t deadline_ms);

/**
 * Queues work(data); then done(data) runs on inbox's thread (inbox != NULL) or on the worker
 * (inbox == NULL). done may be NULL. Returns 0, or -1 when the pool is stopping or out of
 * memory (nothing is called). Any thread.
 */
int faas_pool_submit(faas_pool_t *pool, faas_pool_inbox_t *inbox, faas_pool_work_cb work, faas_pool_done_cb done,
                     void *data);

/** Runs fn(data) soon on inbox's thread, with no work before it. Any thread. */
static inline void faas_pool_post(faas_pool_inbox_t *inbox, faas_pool_done_cb fn, void *data)
{
    inbox->post(inbox, fn, data);
}

/** Tasks queued or running now (for tests and shutdown). Any thread. */
size_t faas_pool_pending(faas_pool_t *pool);

/**
 * Runs work(data) on the pool first after first_delay_ms, then every interval(data) ms after the
 * previous run finished. Returns 0 or -1. Any thread.
 */
int faas_pool_every(faas_pool_t *pool, int64_t first_delay_ms, faas_pool_interval_cb interval, faas_pool_work_cb work,
                    void *data);

/**
 * Reads the interval of the periodic task registered with data again and brings its next run
 * forward when the new interval ends sooner. Any thread.
 */
void faas_pool_reschedule(faas_pool_t *pool, void *data);

#endif
