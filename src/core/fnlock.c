/*
 * fnlock.c: the set of function names with an operation in progress (see fnlock.h). A short
 * list under one mutex: a faas runs a handful of operations at once, never thousands.
 */
#include "faas/core/fnlock.h"
#include "faas/core/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKGROUND_WAIT_MS 60000 /* a reconcile bringing a container back waits for its start */

typedef struct held {
    char name[64];
    char build_id[40]; /* the deploy's build, "" for other operations */
    int background;    /* reconcile: operators' requests wait for it instead of failing */
    struct held *next;
} held_t;

struct faas_fnlock {
    pthread_mutex_t mutex;
    pthread_cond_t released; /* a name was given back */
    held_t *held;
};

faas_fnlock_t *faas_fnlock_create(void)
{
    faas_fnlock_t *locks = calloc(1, sizeof(*locks));
    if (locks == NULL)
        abort();
    pthread_mutex_init(&locks->mutex, NULL);
    pthread_cond_init(&locks->released, NULL);
    return locks;
}

void faas_fnlock_dispose(faas_fnlock_t *locks)
{
    if (locks == NULL)
        return;
    while (locks->held != NULL) {
        held_t *h = locks->held;
        locks->held = h->next;
        free(h);
    }
    pthread_mutex_destroy(&locks->mutex);
    pthread_cond_destroy(&locks->released);
    free(locks);
}

static held_t *find(faas_fnlock_t *locks, const char *name)
{
    for (held_t *h = locks->held; h != NULL; h = h->next)
        if (strcmp(h->name, name) == 0)
            return h;
    return NULL;
}

/* Adds an entry; locks->mutex held. */
static int add(faas_fnlock_t *locks, const char *name, const char *build_id, int background)
{
    held_t *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return -1;
    snprintf(h->name, sizeof(h->name), "%s", name);
    snprintf(h->build_id, sizeof(h->build_id), "%s", build_id != NULL ? build_id : "");
    h->background = background;
    h->next = locks->held;
    locks->held = h;
    return 0;
}

faas_err_t faas_fnlock_take(faas_fnlock_t *locks, const char *name, const char *build_id, faas_error_t *err)
{
    int64_t deadline = faas_clock_now_ms() + BACKGROUND_WAIT_MS;
    pthread_mutex_lock(&locks->mutex);
    held_t *h;
    while ((h = find(locks, name)) != NULL && h->background && faas_clock_now_ms() < deadline) {
        struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
        pthread_cond_timedwait(&locks->released, &locks->mutex, &ts);
    }
    faas_err_t rc = FAAS_OK;
    if (h != NULL)
        rc = faas_error_set(err, FAAS_ECONFLICT, h->build_id[0] ? "a deploy of '%s' is in progress"
                                                              : "another operation on '%s' is in progress", name);
    else if (add(locks, name, build_id, 0) != 0)
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
    pthread_mutex_unlock(&locks->mutex);
    return rc;
}

int faas_fnlock_try(faas_fnlock_t *locks, const char *name)
{
    pthread_mutex_lock(&locks->mutex);
    int rc = find(locks, name) == NULL ? add(locks, name, NULL, 1) : -1;
    pthread_mutex_unlock(&locks->mutex);
    return rc;
}

int faas_fnlock_wait(faas_fnlock_t *locks, const char *name, int64_t deadline_ms)
{
    pthread_mutex_lock(&locks->mutex);
    while (find(locks, name) != NULL && faas_clock_now_ms() < deadline_ms) {
        struct timespec ts = {.tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000};
        pthread_cond_timedwait(&locks->released, &locks->mutex, &ts);
    }
    int rc = find(locks, name) == NULL ? add(locks, name, NULL, 1) : -1;
    pthread_mutex_unlock(&locks->mutex);
    return rc;
}

void faas_fnlock_release(faas_fnlock_t *locks, const char *name)
{
    pthread_mutex_lock(&locks->mutex);
    for (held_t **p = &locks->held; *p != NULL; p = &(*p)->next) {
        if (strcmp((*p)->name, name) == 0) {
            held_t *h = *p;
            *p = h->next;
            free(h);
            break;
        }
    }
    pthread_cond_broadcast(&locks->released);
    pthread_mutex_unlock(&locks->mutex);
}

int faas_fnlock_held(faas_fnlock_t *locks, const char *name, const char *build_id)
{
    pthread_mutex_lock(&locks->mutex);
    held_t *h = find(locks, name);
    int found = h != NULL && (build_id == NULL || strcmp(h->build_id, build_id) == 0);
    pthread_mutex_unlock(&locks->mutex);
    return found;
}
