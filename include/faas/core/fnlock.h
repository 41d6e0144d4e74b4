/*
 * fnlock.h: one operation per function name at a time. A deploy holds its function's name from
 * upload to switch, a start, stop or delete while it runs, a job submit while it builds; the
 * reconcile holds a name in the background while it brings that function back. Services and
 * jobs share one set, so a submit and a deploy of one name never run together.
 *
 * An operator's operation that finds background work on its name waits for it (up to a minute)
 * rather than failing; one that finds another operator's operation gets FAAS_ECONFLICT at once.
 * Any thread; every call takes one mutex, never held while waiting for anything else.
 */
#ifndef FAAS_CORE_FNLOCK_H
#define FAAS_CORE_FNLOCK_H

#include <stdint.h>

#include "faas/core/error.h"

typedef struct faas_fnlock faas_fnlock_t;

/** An empty set. Aborts when out of memory. */
faas_fnlock_t *faas_fnlock_create(void);

/** Frees the set; nothing may hold a name any more. NULL is allowed. */
void faas_fnlock_dispose(faas_fnlock_t *locks);

/**
 * Takes name for an operator's operation; build_id names the deploy that holds it (NULL for
 * other operations). FAAS_ECONFLICT ("a deploy of 'x' is in progress", "another operation on
 * 'x' is in progress") when another operation holds it, also after a minute of waiting for a
 * background holder; FAAS_ENOMEM.
 */
faas_err_t faas_fnlock_take(faas_fnlock_t *locks, const char *name, const char *build_id, faas_error_t *err);

/** Takes name for background work without waiting: 0, or -1 when anything holds it. */
int faas_fnlock_try(faas_fnlock_t *locks, const char *name);

/** Takes name for background work, waiting for whoever holds it until deadline_ms (Unix ms): 0, or -1
    when it is still held then (or out of memory). */
int faas_fnlock_wait(faas_fnlock_t *locks, const char *name, int64_t deadline_ms);
/** Gives name back (nothing happens when it is not held). */
void faas_fnlock_release(faas_fnlock_t *locks, const char *name);

/** 1 while name is held; when build_id is not NULL, only if that deploy holds it. */
int faas_fnlock_held(faas_fnlock_t *locks, const char *name, const char *build_id);

#endif
