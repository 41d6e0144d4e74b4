/*
 * engine_watch.c: keeps the Docker engine's state (core/engine_state.h) current for GET
 * /health: a one-worker pool of its own pings the engine every ENGINE_WATCH_INTERVAL_MS (after
 * the previous ping ended, each within ENGINE_PING_TIMEOUT_MS), so a busy worker pool never
 * delays it and no request waits on Docker. Logs each change of state once. Start and stop:
 * main thread; the pings: the watch's worker.
 */
#include "internal.h"
#include "faas/core/engine_state.h"
#include "faas/core/log.h"
#include "faas/docker/docker.h"

#define ENGINE_WATCH_INTERVAL_MS 1000
#define ENGINE_PING_TIMEOUT_MS 2000

static int64_t watch_interval(void *data)
{
    (void)data;
    return ENGINE_WATCH_INTERVAL_MS;
}

/* Records one ping's outcome; a change is logged (at start-up the caller logged the first). */
static void record(faas_err_t rc, const faas_error_t *err)
{
    if (!faas_engine_state_set(rc == FAAS_OK))
        return;
    if (rc == FAAS_OK)
        faas_log_info("docker engine answers again");
    else
        faas_log_warn("%s (GET /health answers 503)", err->msg);
}

static void ping(void *data)
{
    faas_server_t *srv = data;
    faas_error_t err = {0};
    record(faas_docker_ping(srv->app.docker, ENGINE_PING_TIMEOUT_MS, &err), &err);
}

int faas_server__engine_watch_start(faas_server_t *srv, faas_err_t first_ping)
{
    faas_engine_state_set(first_ping == FAAS_OK);
    srv->engine_pool = faas_pool_create("engine-watch", 1);
    if (srv->engine_pool == NULL ||
        faas_pool_every(srv->engine_pool, ENGINE_WATCH_INTERVAL_MS, watch_interval, ping, srv) != 0) {
        faas_log_error("cannot start the Docker engine watch");
        return -1;
    }
    return 0;
}
