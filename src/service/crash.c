/*
 * crash.c: service containers that die on their own. faas, not Docker, restarts them (their
 * restart policy is "no"), so it can wait longer after each crash and say so in the record.
 * Worker threads (the restart task runs on the pool).
 *
 * DESIGN
 * - A crash is seen by the reconcile (a "die" event, or the periodic pass): the record gets
 *   status "crashing", restarts + 1 and the container's last output, the routes answer 503, and
 *   the name waits in s->crashes until its back-off ends: 1 s after the first crash, doubling
 *   up to 5 minutes, like Kubernetes' CrashLoopBackOff but starting sooner.
 * - One periodic task restarts what is due; its interval is the time to the next due restart,
 *   and a new crash brings it forward (faas_pool_reschedule). A restart that fails is one more
 *   crash. The name is held (fnlock) while a restart runs; a deploy, stop or delete holding it
 *   wins, and a record that is no longer "crashing" drops the restart.
 * - A container that then stays up for STABLE_MS is settled: restarts go back to 0.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS (5 * 60 * 1000)
#define STABLE_MS 60000       /* up this long after a restart: the crashes are over */
#define IDLE_CHECK_MS 60000   /* the restart task's interval when nothing waits */
#define BUSY_RETRY_MS 1000    /* the name was held by an operation: try again after it */

static int64_t backoff_ms(int restarts)
{
    int64_t ms = BACKOFF_FIRST_MS;
    for (int i = 1; i < restarts && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

/* ---- the table of waiting restarts (s->mutex) ---- */

static void schedule(faas_services_t *s, const char *name, int64_t due_ms)
{
    pthread_mutex_lock(&s->mutex);
    crash_t *c = s->crashes;
    while (c != NULL && strcmp(c->name, name) != 0)
        c = c->next;
    if (c == NULL && (c = calloc(1, sizeof(*c))) != NULL) {
        snprintf(c->name, sizeof(c->name), "%s", name);
        c->next = s->crashes;
        s->crashes = c;
    }
    if (c != NULL)
        c->due_ms = due_ms;
    pthread_mutex_unlock(&s->mutex);
    faas_pool_reschedule(s->app->pool, &s->crashes); /* the task may sleep longer than this back-off */
}

int faas_service__crash_pending(faas_services_t *s, const char *name)
{
    pthread_mutex_lock(&s->mutex);
    crash_t *c = s->crashes;
    while (c != NULL && strcmp(c->name, name) != 0)
        c = c->next;
    pthread_mutex_unlock(&s->mutex);
    return c != NULL;
}

/* Unlinks the entries due by now into a list the caller frees. */
static crash_t *take_due(faas_services_t *s, int64_t now)
{
    crash_t *due = NULL;
    pthread_mutex_lock(&s->mutex);
    for (crash_t **p = &s->crashes; *p != NULL;) {
        crash_t *c = *p;
        if (c->due_ms <= now) {
            *p = c->next;
            c->next = due;
            due = c;
        } else {
            p = &c->next;
        }
    }
    pthread_mutex_unlock(&s->mutex);
    return due;
}

/* ---- the record ---- */

typedef struct crash_fix {
    int crashed;            /* 1: one more crash; 0: settled */
    const char *output;
} crash_fix_t;

static faas_err_t on_crash_fix(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    crash_fix_t *f = cbdata;
    char *output = f->crashed && f->output != NULL ? strdup(f->output) : NULL;
    if (f->crashed && f->output != NULL && output == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    free(fn->last_output);
    fn->last_output = output;
    fn->restarts = f->crashed ? fn->restarts + 1 : 0;
    if (f->crashed)
        fn->status = FAAS_FUNCTION_CRASHING;
    fn->updated_at = faas_clock_now_ms();
    return FAAS_OK;
}

void faas_service__crashed(faas_services_t *s, const faas_function_t *fn, const char *id,
                           const faas_service__state_t *st)
{
    faas_log_tail_t tail = {.len = 0};
    if (id != NULL && id[0] != '\0')
        faas_service__last_output(s, id, &tail);
    crash_fix_t fix = {.crashed = 1, .output = tail.len > 0 ? tail.text : NULL};
    faas_function_t now = {0};
    faas_error_t err = {0};
    if (faas_store_function_update(s->app->store, fn->name, on_crash_fix, &fix, &now, &err) != FAAS_OK) {
        faas_log_error("service %s: cannot record its crash: %s", fn->name, err.msg);
        return;
    }
    int64_t wait = backoff_ms(now.restarts);
    faas_log_warn("service %s: its container exited (code %d%s); restart %d in %lld ms", fn->name,
                  st != NULL ? st->exit_code : -1, st != NULL && st->oom_killed ? ", out of memory" : "", now.restarts,
                  (long long)wait);
    schedule(s, fn->name, faas_clock_mono_ms() + wait);
    faas_function_free(&now);
}

void faas_service__crash_settled(faas_services_t *s, const faas_function_t *fn, const faas_service__state_t *st)
{
    if (fn->restarts == 0 || fn->status != FAAS_FUNCTION_RUNNING || st->started_ms < 0 ||
        faas_clock_now_ms() - st->started_ms < STABLE_MS)
        return;
    crash_fix_t fix = {.crashed = 0};
    if (faas_store_function_update(s->app->store, fn->name, on_crash_fix, &fix, NULL, NULL) == FAAS_OK)
        faas_log_info("service %s: up for %d s since its last restart; crashes forgotten", fn->name, STABLE_MS / 1000);
}

/* ---- the restart task ---- */

/* The task's data is &s->crashes (it names the task for faas_pool_reschedule): back to s. */
static faas_services_t *services_of(void *data)
{
    return (faas_services_t *)((char *)data - offsetof(faas_services_t, crashes));
}

/* Restarts name if it still crashes; 1 if the routes may have changed. */
static int restart(faas_services_t *s, const char *name)
{
    if (faas_fnlock_try(s->app->locks, name) != 0) {
        schedule(s, name, faas_clock_mono_ms() + BUSY_RETRY_MS); /* an operation owns it now */
        return 0;
    }
    faas_function_t fn = {0};
    faas_error_t err = {0};
    int changed = 0;
    if (faas_store_function_get(s->app->store, name, &fn, NULL) == FAAS_OK && fn.status == FAAS_FUNCTION_CRASHING) {
        faas_log_info("service %s: restart %d", name, fn.restarts);
        faas_err_t rc = faas_service__bring_up(s, &fn, &err);
        if (rc == FAAS_OK) {
            changed = 1;
        } else if (rc == FAAS_EUNAVAIL) {
            /* The engine is away, not the function broken: no crash; the reconcile that follows the
               engine's return brings it up, and this restart is tried again meanwhile. */
            faas_log_warn("service %s: restart %d waits for the engine: %s", name, fn.restarts, err.msg);
            schedule(s, name, faas_clock_mono_ms() + backoff_ms(fn.restarts));
        } else {
            faas_service__state_t st;
            faas_log_warn("service %s: restart %d failed: %s", name, fn.restarts, err.msg);
            const char *id = fn.n_replicas > 0 ? fn.replicas[0].id : NULL;
            int known = id != NULL && faas_service__inspect(s, id, fn.container_port, &st, NULL) == FAAS_OK;
            faas_service__crashed(s, &fn, id, known ? &st : NULL);
        }
    }
    faas_function_free(&fn);
    faas_fnlock_release(s->app->locks, name);
    return changed;
}

static void on_restart_due(void *data)
{
    faas_services_t *s = services_of(data);
    crash_t *due = take_due(s, faas_clock_mono_ms());
    int changed = 0;
    while (due != NULL) {
        crash_t *next = due->next;
        if (!atomic_load(&s->stopping))
            changed |= restart(s, due->name);
        free(due);
        due = next;
    }
    if (changed)
        faas_proxy_publish(s->app->proxy, s->app->store, NULL, NULL);
}

/* The time to the next due restart: the task sleeps exactly that long. */
static int64_t until_next(void *data)
{
    faas_services_t *s = services_of(data);
    int64_t now = faas_clock_mono_ms(), wait = IDLE_CHECK_MS;
    pthread_mutex_lock(&s->mutex);
    for (crash_t *c = s->crashes; c != NULL; c = c->next)
        if (c->due_ms - now < wait)
            wait = c->due_ms - now;
    pthread_mutex_unlock(&s->mutex);
    return wait > 1 ? wait : 1;
}

int faas_service__crash_start(faas_services_t *s)
{
    return faas_pool_every(s->app->pool, IDLE_CHECK_MS, until_next, on_restart_due, &s->crashes);
}
