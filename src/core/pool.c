/*
 * jobs.c: the worker pool and the periodic scheduler.
 *
 * DESIGN
 * - One FIFO queue (mutex + condvar) feeds nthreads workers. A job is one
 *   malloc'd struct that travels: loop -> queue -> worker -> (message) -> loop.
 *   Only one thread touches it at a time, so its fields need no lock.
 * - The return path is an h2o_multithread_receiver_t per loop: workers call
 *   h2o_multithread_send_message, which wakes the loop only when its inbox
 *   was empty, so bursts of completions cost one wake-up.
 * - The scheduler is one more thread that sleeps until the earliest periodic
 *   task is due and queues it, unless the previous run is still going.
 * Which thread: faas_jobs_submit and faas_jobs_every from any thread;
 * create/dispose from the main thread; loop create/dispose on that loop.
 */
#include "faas/core/pool.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct job {
    h2o_multithread_message_t super; /* first: the message is the job */
    struct job *next;
    faas_jobs_loop_t *loop;
    faas_jobs_work_cb work;
    faas_jobs_done_cb done;
    void *data;
} job_t;

typedef struct periodic {
    struct periodic *next;
    faas_jobs_t *jobs;
    faas_jobs_interval_cb interval;
    faas_jobs_work_cb work;
    void *data;
    int64_t due_ms;  /* monotonic; INT64_MAX while a run is queued or running */
} periodic_t;

struct faas_jobs_loop {
    h2o_multithread_receiver_t receiver;
};

struct faas_jobs {
    char name[32];
    pthread_mutex_t mutex;
    pthread_cond_t has_work;     /* workers wait on it */
    pthread_cond_t has_change;   /* the scheduler and dispose wait on it */
    job_t *head, *tail;
    size_t queued, running, alive;
    int stopping;
    periodic_t *periodic;
    pthread_t scheduler;
    int scheduler_started;
    size_t nthreads;
    pthread_t *threads;
};

static void on_job_message(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        job_t *job = H2O_STRUCT_FROM_MEMBER(job_t, super.link, messages->next);
        h2o_linklist_unlink(&job->super.link);
        job->done(job->data);
        free(job);
    }
}

/* Appends job to the queue and wakes a worker; jobs->mutex held. */
static void enqueue_locked(faas_jobs_t *jobs, job_t *job)
{
    if (jobs->tail != NULL)
        jobs->tail->next = job;
    else
        jobs->head = job;
    jobs->tail = job;
    jobs->queued++;
    pthread_cond_signal(&jobs->has_work);
}

static void *worker_main(void *arg)
{
    faas_jobs_t *jobs = arg;
    pthread_mutex_lock(&jobs->mutex);
    for (;;) {
        while (jobs->head == NULL && !jobs->stopping)
            pthread_cond_wait(&jobs->has_work, &jobs->mutex);
        if (jobs->stopping)
            break;
        job_t *job = jobs->head;
        jobs->head = job->next;
        if (jobs->head == NULL)
            jobs->tail = NULL;
        jobs->queued--;
        jobs->running++;
        pthread_mutex_unlock(&jobs->mutex);

        job->work(job->data);
        /* The work is finished before its result is posted: whoever sees the result sees it no longer pending. */
        pthread_mutex_lock(&jobs->mutex);
        jobs->running--;
        pthread_cond_broadcast(&jobs->has_change);
        pthread_mutex_unlock(&jobs->mutex);
        if (job->loop != NULL && job->done != NULL) {
            h2o_multithread_send_message(&job->loop->receiver, &job->super);
        } else {
            if (job->done != NULL)
                job->done(job->data);
            free(job);
        }
        pthread_mutex_lock(&jobs->mutex);
    }
    jobs->alive--;
    pthread_cond_broadcast(&jobs->has_change);
    pthread_mutex_unlock(&jobs->mutex);
    return NULL;
}

static void cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline_mono_ms)
{
    /* Condition variables take CLOCK_REALTIME by default: convert the monotonic deadline. */
    int64_t wait = deadline_mono_ms - faas_clock_mono_ms();
    if (wait <= 0)
        return;
    int64_t abs_ms = faas_clock_now_ms() + wait;
    struct timespec ts = {.tv_sec = abs_ms / 1000, .tv_nsec = (abs_ms % 1000) * 1000000};
    pthread_cond_timedwait(cond, mutex, &ts);
}

faas_jobs_t *faas_jobs_create(const char *name, size_t nthreads)
{
    faas_jobs_t *jobs = calloc(1, sizeof(*jobs));
    if (jobs == NULL || nthreads == 0)
        goto fail;
    snprintf(jobs->name, sizeof(jobs->name), "%s", name);
    pthread_mutex_init(&jobs->mutex, NULL);
    pthread_cond_init(&jobs->has_work, NULL);
    pthread_cond_init(&jobs->has_change, NULL);
    jobs->threads = calloc(nthreads, sizeof(pthread_t));
    if (jobs->threads == NULL)
        goto fail;
    for (size_t i = 0; i < nthreads; i++) {
        if (pthread_create(&jobs->threads[i], NULL, worker_main, jobs) != 0) {
            faas_log_error("jobs %s: cannot start worker %zu: %s", name, i, strerror(errno));
            break;
        }
        jobs->nthreads++;
        jobs->alive++;
    }
    if (jobs->nthreads > 0)
        return jobs;
fail:
    if (jobs != NULL)
        free(jobs->threads);
    free(jobs);
    return NULL;
}

int faas_jobs_submit(faas_jobs_t *jobs, faas_jobs_loop_t *loop, faas_jobs_work_cb work, faas_jobs_done_cb done,
                     void *data)
{
    job_t *job = calloc(1, sizeof(*job));
    if (job == NULL)
        return -1;
    *job = (job_t){.loop = loop, .work = work, .done = done, .data = data};
    pthread_mutex_lock(&jobs->mutex);
    if (jobs->stopping) {
        pthread_mutex_unlock(&jobs->mutex);
        free(job);
        return -1;
    }
    enqueue_locked(jobs, job);
    pthread_mutex_unlock(&jobs->mutex);
    return 0;
}

size_t faas_jobs_pending(faas_jobs_t *jobs)
{
    pthread_mutex_lock(&jobs->mutex);
    size_t n = jobs->queued + jobs->running;
    pthread_mutex_unlock(&jobs->mutex);
    return n;
}

faas_jobs_loop_t *faas_jobs_loop_create(h2o_multithread_queue_t *queue)
{
    faas_jobs_loop_t *loop = calloc(1, sizeof(*loop));
    if (loop != NULL)
        h2o_multithread_register_receiver(queue, &loop->receiver, on_job_message);
    return loop;
}

int faas_jobs_post(faas_jobs_loop_t *loop, faas_jobs_done_cb done, void *data)
{
    job_t *job = calloc(1, sizeof(*job));
    if (job == NULL)
        return -1;
    *job = (job_t){.loop = loop, .done = done, .data = data};
    h2o_multithread_send_message(&loop->receiver, &job->super);
    return 0;
}

void faas_jobs_loop_dispose(faas_jobs_loop_t *loop)
{
    if (loop == NULL)
        return;
    h2o_multithread_unregister_receiver(loop->receiver.queue, &loop->receiver);
    free(loop);
}

/* ---- periodic tasks ------------------------------------------------------ */

static void on_periodic_done(void *data)
{
    periodic_t *p = data;
    faas_jobs_t *jobs = p->jobs;
    int64_t interval = p->interval(p->data);
    pthread_mutex_lock(&jobs->mutex);
    p->due_ms = faas_clock_mono_ms() + (interval > 0 ? interval : 1000);
    pthread_cond_broadcast(&jobs->has_change);
    pthread_mutex_unlock(&jobs->mutex);
}

static void on_periodic_work(void *data)
{
    periodic_t *p = data;
    p->work(p->data);
}

static void *scheduler_main(void *arg)
{
    faas_jobs_t *jobs = arg;
    pthread_mutex_lock(&jobs->mutex);
    while (!jobs->stopping) {
        int64_t now = faas_clock_mono_ms(), next = now + 60000;
        for (periodic_t *p = jobs->periodic; p != NULL; p = p->next) {
            if (p->due_ms <= now) {
                p->due_ms = INT64_MAX; /* until on_periodic_done reschedules it */
                job_t *job = calloc(1, sizeof(*job));
                if (job == NULL) {
                    p->due_ms = now + 1000;
                    continue;
                }
                *job = (job_t){.work = on_periodic_work, .done = on_periodic_done, .data = p};
                enqueue_locked(jobs, job);
            } else if (p->due_ms < next) {
                next = p->due_ms;
            }
        }
        cond_wait_until(&jobs->has_change, &jobs->mutex, next);
    }
    pthread_mutex_unlock(&jobs->mutex);
    return NULL;
}

void faas_jobs_reschedule(faas_jobs_t *jobs, void *data)
{
    pthread_mutex_lock(&jobs->mutex);
    periodic_t *p = jobs->periodic;
    while (p != NULL && p->data != data)
        p = p->next;
    pthread_mutex_unlock(&jobs->mutex);
    if (p == NULL)
        return;
    int64_t interval = p->interval(p->data); /* outside the mutex: it may take the caller's locks */
    int64_t due = faas_clock_mono_ms() + (interval > 0 ? interval : 1000);
    pthread_mutex_lock(&jobs->mutex);
    if (p->due_ms != INT64_MAX && due < p->due_ms) {
        p->due_ms = due;
        pthread_cond_broadcast(&jobs->has_change);
    }
    pthread_mutex_unlock(&jobs->mutex);
}

int faas_jobs_every(faas_jobs_t *jobs, int64_t first_delay_ms, faas_jobs_interval_cb interval, faas_jobs_work_cb work,
                    void *data)
{
    periodic_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -1;
    *p = (periodic_t){.jobs = jobs, .interval = interval, .work = work, .data = data,
                      .due_ms = faas_clock_mono_ms() + first_delay_ms};
    pthread_mutex_lock(&jobs->mutex);
    int rc = 0;
    if (!jobs->scheduler_started) {
        if (pthread_create(&jobs->scheduler, NULL, scheduler_main, jobs) == 0)
            jobs->scheduler_started = 1;
        else
            rc = -1;
    }
    if (rc == 0) {
        p->next = jobs->periodic;
        jobs->periodic = p;
        pthread_cond_broadcast(&jobs->has_change);
    } else {
        free(p);
    }
    pthread_mutex_unlock(&jobs->mutex);
    return rc;
}

int faas_jobs_dispose(faas_jobs_t *jobs, int64_t deadline_ms)
{
    if (jobs == NULL)
        return 0;
    pthread_mutex_lock(&jobs->mutex);
    jobs->stopping = 1;
    while (jobs->head != NULL) {
        job_t *job = jobs->head;
        jobs->head = job->next;
        free(job);
    }
    jobs->tail = NULL;
    jobs->queued = 0;
    pthread_cond_broadcast(&jobs->has_work);
    pthread_cond_broadcast(&jobs->has_change);
    while (jobs->alive > 0 && faas_clock_mono_ms() < deadline_ms)
        cond_wait_until(&jobs->has_change, &jobs->mutex, deadline_ms);
    int all_stopped = jobs->alive == 0;
    pthread_mutex_unlock(&jobs->mutex);
    if (jobs->scheduler_started)
        pthread_join(jobs->scheduler, NULL);
    if (!all_stopped) {
        /* A worker is stuck in a blocking call: leave it and its memory to process exit. */
        faas_log_warn("jobs %s: %zu job(s) still running at the deadline", jobs->name, jobs->running);
        return -1;
    }
    for (size_t i = 0; i < jobs->nthreads; i++)
        pthread_join(jobs->threads[i], NULL);
    for (periodic_t *p = jobs->periodic, *next; p != NULL; p = next) {
        next = p->next;
        free(p);
    }
    pthread_mutex_destroy(&jobs->mutex);
    pthread_cond_destroy(&jobs->has_work);
    pthread_cond_destroy(&jobs->has_change);
    free(jobs->threads);
    free(jobs);
    return 0;
}
