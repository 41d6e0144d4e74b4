/*
 * health.c: GET /health, public. Answers from the Docker engine's last known state
 * (core/engine_state.h), which the server's engine watch refreshes every second on a thread
 * of its own: 200 when the engine answered its last ping, else 503 with "docker":"unreachable".
 * No request waits on Docker or on the worker pool. Loop thread.
 */
#include "faas/api/api.h"
#include "faas/core/clock.h"
#include "faas/core/engine_state.h"
#include "faas/http/reply.h"

static int on_get_health(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)loop;
    (void)params;
    int ok = faas_engine_state_ok();
    char now[FAAS_CLOCK_RFC3339_MAX];
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "status", ok ? "ok" : "unavailable");
    cJSON_AddStringToObject(body, "time", faas_clock_format_rfc3339(now, faas_clock_now_ms(), 0));
    cJSON_AddStringToObject(body, "docker", ok ? "ok" : "unreachable");
    faas_reply_json(req, ok ? 200 : 503, body);
    return 0;
}

const faas_router_route_t faas_api_health_routes[] = {
    {"/health", FAAS_M_GET, FAAS_ROUTE_PUBLIC, on_get_health, FAAS_SCOPE_READ},
    {NULL, 0, 0, NULL, 0},
};
