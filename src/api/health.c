/*
 * health.c: GET /health, public. Answers 200 when the Docker engine answers
 * a ping, else 503 with "docker":"unreachable". The ping blocks, so it runs
 * on the worker pool. Loop thread (the ping: worker).
 */
#include "faas/api/api.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/docker/docker.h"
#include "faas/http/defer.h"
#include "faas/http/reply.h"

#include <stdatomic.h>
#include <stdlib.h>

#define HEALTH_PING_TIMEOUT_MS 2000

typedef struct health_check {
    faas_docker_t *docker;
    faas_error_t err;
    faas_err_t rc;
} health_check_t;

/* Last Docker state seen, so a flapping engine is logged once per change, not per probe. */
static atomic_int last_docker_ok = 1;

static void do_ping(void *data)
{
    health_check_t *hc = data;
    hc->rc = faas_docker_ping(hc->docker, HEALTH_PING_TIMEOUT_MS, &hc->err);
}

static void on_ping_done(h2o_req_t *req, void *data)
{
    health_check_t *hc = data;
    int ok = hc->rc == FAAS_OK;
    if (atomic_exchange(&last_docker_ok, ok) != ok) {
        if (ok)
            faas_log_info("health: docker engine answers again");
        else
            faas_log_warn("health: %s", hc->err.msg);
    }
    if (req != NULL) {
        char now[FAAS_CLOCK_RFC3339_MAX];
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "status", ok ? "ok" : "unavailable");
        cJSON_AddStringToObject(body, "time", faas_clock_format_rfc3339(now, faas_clock_now_ms(), 0));
        cJSON_AddStringToObject(body, "docker", ok ? "ok" : "unreachable");
        faas_reply_json(req, ok ? 200 : 503, body);
    }
    free(hc);
}

static int on_get_health(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    health_check_t *hc = calloc(1, sizeof(*hc));
    if (hc == NULL)
        return faas_reply_error(req, 500, "Internal server error", NULL);
    hc->docker = loop->app->docker;
    return faas_defer(loop, req, do_ping, on_ping_done, hc);
}

const faas_router_route_t faas_api_health_routes[] = {
    {"/health", FAAS_M_GET, FAAS_ROUTE_PUBLIC, on_get_health},
    {NULL, 0, 0, NULL},
};
