/*
 * jobs.h: blocking work off the event loops.
 *
 * A pool of worker threads runs work callbacks; when a job was submitted
 * from an event loop, its done callback runs back on that loop (through the
 * loop's h2o message queue), so loops never block and never share job state
 * with workers while a job runs. A scheduler runs periodic work (cleanup,
 * restart) on the same pool, never two runs of one task at once.
 */
#ifndef FAAS_JOBS_H
#define FAAS_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include <h2o/multithread.h>

typedef struct faas_jobs faas_jobs_t;
typedef struct faas_jobs_loop faas_jobs_loop_t;

/* Runs on a worker thread; may block. */
typedef void (*faas_jobs_work_cb)(void *data);
/* Runs after work: on the submitting loop's thread, or on the worker when submitted without a loop. */
typedef void (*faas_jobs_done_cb)(void *data);
/* The current interval of a periodic task in milliseconds (re-read before each wait). */
typedef int64_t (*faas_jobs_interval_cb)(void *data);

/** Starts a pool of nthreads workers named name (for logs); NULL on failure. Main thread. */
faas_jobs_t *faas_jobs_create(const char *name, size_t nthreads);

/**
 * Stops the scheduler and the pool: queued jobs that have not started are
 * dropped (their done callbacks are not called), running jobs are waited for
 * until deadline_ms (faas_clock_mono_ms). Returns 0 if every worker stopped,
 * -1 if some are still running (they are detached; the process should exit).
 */
int faas_jobs_dispose(faas_jobs_t *jobs, int64_t deadline_ms);

/** Registers a return path on a loop's h2o queue. Call on that loop's thread. */
faas_jobs_loop_t *faas_jobs_loop_create(h2o_multithread_queue_t *queue);

/** Unregisters it; jobs still in flight for this loop must have finished. Loop thread. */
void faas_jobs_loop_dispose(faas_jobs_loop_t *loop);

/**
 * Queues work(data); then done(data) runs on loop's thread (loop != NULL) or
 * on the worker (loop == NULL). done may be NULL. Returns 0, or -1 when the
 * pool is stopping (nothing is called). Any thread.
 */
int faas_jobs_submit(faas_jobs_t *jobs, faas_jobs_loop_t *loop, faas_jobs_work_cb work, faas_jobs_done_cb done,
                     void *data);

/** Runs done(data) on loop's thread soon, with no work before it; 0, or -1 when out of memory. Any thread. */
int faas_jobs_post(faas_jobs_loop_t *loop, faas_jobs_done_cb done, void *data);

/** Jobs queued or running now (for tests and shutdown). Any thread. */
size_t faas_jobs_pending(faas_jobs_t *jobs);

/**
 * Runs work(data) on the pool first after first_delay_ms, then every
 * interval(data) ms after the previous run finished. Returns 0 or -1. Any thread.
 */
int faas_jobs_every(faas_jobs_t *jobs, int64_t first_delay_ms, faas_jobs_interval_cb interval, faas_jobs_work_cb work,
                    void *data);

/**
 * Re-reads the interval of the periodic task registered with data and brings
 * its next run forward when the new interval ends sooner. Any thread.
 */
void faas_jobs_reschedule(faas_jobs_t *jobs, void *data);

#endif
