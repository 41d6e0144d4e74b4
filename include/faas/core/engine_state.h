/*
 * engine_state.h: whether the Docker engine answered its last ping, one flag per process: the
 * server's engine watch (server/engine_watch.c) sets it every second from its own thread, GET
 * /health reads it on the loops without waiting for anything. Lock-free; any thread.
 */
#ifndef FAAS_CORE_ENGINE_STATE_H
#define FAAS_CORE_ENGINE_STATE_H

/** Records a ping's outcome (ok: it answered); returns 1 when that differs from the previous one. */
int faas_engine_state_set(int ok);

/** 1 if the last ping answered (also before the first: the engine is taken as up until a ping says otherwise). */
int faas_engine_state_ok(void);

#endif
