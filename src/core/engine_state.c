/*
 * engine_state.c: whether the Docker engine answered its last ping (see engine_state.h): one
 * atomic flag, written by the engine watch's thread, read by any loop. Any thread.
 */
#include "faas/core/engine_state.h"

#include <stdatomic.h>

static atomic_int engine_ok = 1;

int faas_engine_state_set(int ok)
{
    ok = ok != 0;
    return atomic_exchange(&engine_ok, ok) != ok;
}

int faas_engine_state_ok(void)
{
    return atomic_load(&engine_ok);
}
