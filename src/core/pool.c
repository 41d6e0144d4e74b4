/*
 * pool.c: the worker pool and the scheduler of periodic tasks (see pool.h).
 *
 * DESIGN
 * - One FIFO queue (mutex + condvar) feeds nthreads workers. A task is one malloc'd struct
 *   that travels: submitter -> queue -> worker; its done callback then goes to the submitter's
 *   inbox (an event loop's message queue, which wakes the loop only when it was empty, so a
 *   burst of completions costs one wake-up). Only one thread touches a task at a time, so its
 *   fields need no lock.
 * - The scheduler is one more thread that sleeps until the earliest periodic task is due and
 *   queues it, unless the previous run is still going.
 * Which thread: submit, every and reschedule from any thread; create and dispose from the main
 * thread.
 */
#include "faas/core/pool.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct task {
    struct task *next;
    faas_pool_inbox_t *inbox;
    faas_pool_work_cb work;
    faas_pool_done_cb done;
    void *data;
} task_t;

typedef struct periodic {
    struct periodic *next;
    faas_pool_t *pool;
    faas_pool_interval_cb interval;
    faas_pool_work_cb work;
    void *data;
    int64_t due_ms;  /* monotonic; INT64_MAX while a run is queued or running */
} periodic_t;

struct faas_pool {
    char name[32];
    pthread_mutex_t mutex;
    pthread_cond_t has_work;     /* workers wait on it */
    pthread_cond_t has_change;   /* the scheduler and dispose wait on it */
    task_t *head, *tail;
    size_t queued, running, alive;
    int stopping;
    periodic_t *periodic;
    pthread_t scheduler;
    int scheduler_started;
    size_t nthreads;
    pthread_t *threads;
};

/* Appends task to the queue and wakes a worker; pool->mutex held. */
static void enqueue_locked(faas_pool_t *pool, task_t *task)
{
    if (pool->tail != NULL)
        pool->tail->next = task;
    else
        pool->head = task;
    pool->tail = task;
    pool->queued++;
    pthread_cond_signal(&pool->has_work);
}

static void *worker_main(void *arg)
{
    faas_pool_t *pool = arg;
    pthread_mutex_lock(&pool->mutex);
    for (;;) {
        while (pool->head == NULL && !pool->stopping)
            pthread_cond_wait(&pool->has_work, &pool->mutex);
        if (pool->stopping)
            break;
        task_t *task = pool->head;
        pool->head = task->next;
        if (pool->head == NULL)
            pool->tail = NULL;
        pool->queued--;
        pool->running++;
        pthread_mutex_unlock(&pool->mutex);

        task->work(task->data);
        /* The work is finished before its result is posted: whoever sees the result sees it no longer pending. */
        pthread_mutex_lock(&pool->mutex);
        pool->running--;
        pthread_cond_broadcast(&pool->has_change);
        pthread_mutex_unlock(&pool->mutex);
        if (task->inbox != NULL && task->done != NULL)
            faas_pool_post(task->inbox, task->done, task->data);
        else if (task->done != NULL)
            task->done(task->data);
        free(task);
        pthread_mutex_lock(&pool->mutex);
    }
    pool->alive--;
    pthread_cond_broadcast(&pool->has_change);
    pthread_mutex_unlock(&pool->mutex);
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

faas_pool_t *faas_pool_create(const char *name, size_t nthreads)
{
    faas_pool_t *pool = calloc(1, sizeof(*pool));
    if (pool == NULL || nthreads == 0)
        goto fail;
    snprintf(pool->name, sizeof(pool->name), "%s", name);
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->has_work, NULL);
    pthread_cond_init(&pool->has_change, NULL);
    pool->threads = calloc(nthreads, sizeof(pthread_t));
    if (pool->threads == NULL)
        goto fail;
    for (size_t i = 0; i < nthreads; i++) {
        if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0) {
            faas_log_error("pool %s: cannot start worker %zu: %s", name, i, strerror(errno));
            break;
        }
        pool->nthreads++;
        pool->alive++;
    }
    if (pool->nthreads > 0)
        return pool;
fail:
    if (pool != NULL)
        free(pool->threads);
    free(pool);
    return NULL;
}

int faas_pool_submit(faas_pool_t *pool, faas_pool_inbox_t *inbox, faas_pool_work_cb work, faas_pool_done_cb done,
                     void *data)
{
    task_t *task = calloc(1, sizeof(*task));
    if (task == NULL)
        return -1;
    *task = (task_t){.inbox = inbox, .work = work, .done = done, .data = data};
    pthread_mutex_lock(&pool->mutex);
    if (pool->stopping) {
        pthread_mutex_unlock(&pool->mutex);
        free(task);
        return -1;
    }
    enqueue_locked(pool, task);
    pthread_mutex_unlock(&pool->mutex);
    return 0;
}

size_t faas_pool_pending(faas_pool_t *pool)
{
    pthread_mutex_lock(&pool->mutex);
    size_t n = pool->queued + pool->running;
    pthread_mutex_unlock(&pool->mutex);
    return n;
}

/* ---- periodic tasks ------------------------------------------------------ */

static void on_periodic_done(void *data)
{
    periodic_t *p = data;
    faas_pool_t *pool = p->pool;
    int64_t interval = p->interval(p->data);
    pthread_mutex_lock(&pool->mutex);
    p->due_ms = faas_clock_mono_ms() + (interval > 0 ? interval : 1000);
    pthread_cond_broadcast(&pool->has_change);
    pthread_mutex_unlock(&pool->mutex);
}

static void on_periodic_work(void *data)
{
    periodic_t *p = data;
    p->work(p->data);
}

static void *scheduler_main(void *arg)
{
    faas_pool_t *pool = arg;
    pthread_mutex_lock(&pool->mutex);
    while (!pool->stopping) {
        int64_t now = faas_clock_mono_ms(), next = now + 60000;
        for (periodic_t *p = pool->periodic; p != NULL; p = p->next) {
            if (p->due_ms <= now) {
                p->due_ms = INT64_MAX; /* until on_periodic_done reschedules it */
                task_t *task = calloc(1, sizeof(*task));
                if (task == NULL) {
                    p->due_ms = now + 1000;
                    continue;
                }
                *task = (task_t){.work = on_periodic_work, .done = on_periodic_done, .data = p};
                enqueue_locked(pool, task);
            } else if (p->due_ms < next) {
                next = p->due_ms;
            }
        }
        cond_wait_until(&pool->has_change, &pool->mutex, next);
    }
    pthread_mutex_unlock(&pool->mutex);
    return NULL;
}

void faas_pool_reschedule(faas_pool_t *pool, void *data)
{
    pthread_mutex_lock(&pool->mutex);
    periodic_t *p = pool->periodic;
    while (p != NULL && p->data != data)
        p = p->next;
    pthread_mutex_unlock(&pool->mutex);
    if (p == NULL)
        return;
    int64_t interval = p->interval(p->data); /* outside the mutex: it may take the caller's locks */
    int64_t due = faas_clock_mono_ms() + (interval > 0 ? interval : 1000);
    pthread_mutex_lock(&pool->mutex);
    if (p->due_ms != INT64_MAX && due < p->due_ms) {
        p->due_ms = due;
        pthread_cond_broadcast(&pool->has_change);
    }
    pthread_mutex_unlock(&pool->mutex);
}

int faas_pool_every(faas_pool_t *pool, int64_t first_delay_ms, faas_pool_interval_cb interval, faas_pool_work_cb work,
                    void *data)
{
    periodic_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -1;
    *p = (periodic_t){.pool = pool, .interval = interval, .work = work, .data = data,
                      .due_ms = faas_clock_mono_ms() + first_delay_ms};
    pthread_mutex_lock(&pool->mutex);
    int rc = 0;
    if (!pool->scheduler_started) {
        if (pthread_create(&pool->scheduler, NULL, scheduler_main, pool) == 0)
            pool->scheduler_started = 1;
        else
            rc = -1;
    }
    if (rc == 0) {
        p->next = pool->periodic;
        pool->periodic = p;
        pthread_cond_broadcast(&pool->has_change);
    } else {
        free(p);
    }
    pthread_mutex_unlock(&pool->mutex);
    return rc;
}

int faas_pool_dispose(faas_pool_t *pool, int64_t deadline_ms)
{
    if (pool == NULL)
        return 0;
    pthread_mutex_lock(&pool->mutex);
    pool->stopping = 1;
    while (pool->head != NULL) {
        task_t *task = pool->head;
        pool->head = task->next;
        free(task);
    }
    pool->tail = NULL;
    pool->queued = 0;
    pthread_cond_broadcast(&pool->has_work);
    pthread_cond_broadcast(&pool->has_change);
    while (pool->alive > 0 && faas_clock_mono_ms() < deadline_ms)
        cond_wait_until(&pool->has_change, &pool->mutex, deadline_ms);
    int all_stopped = pool->alive == 0;
    pthread_mutex_unlock(&pool->mutex);
    if (pool->scheduler_started)
        pthread_join(pool->scheduler, NULL);
    if (!all_stopped) {
        /* A worker is stuck in a blocking call: leave it and its memory to process exit. */
        faas_log_warn("pool %s: %zu task(s) still running at the deadline", pool->name, pool->running);
        return -1;
    }
    for (size_t i = 0; i < pool->nthreads; i++)
        pthread_join(pool->threads[i], NULL);
    for (periodic_t *p = pool->periodic, *next; p != NULL; p = next) {
        next = p->next;
        free(p);
    }
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->has_work);
    pthread_cond_destroy(&pool->has_change);
    free(pool->threads);
    free(pool);
    return 0;
}
