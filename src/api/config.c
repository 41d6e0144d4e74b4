/*
 * config.c: GET /config (scope read), the resolved configuration the dashboard shows: every
 * setting `faas check` prints, in the same order, as {"data":[{"name","value","origin"}]}
 * (core/config.h faas_config_item). The configuration holds paths and values, never a secret: the
 * passfile's path is here, the key is not. Reads the current config only, on the loop. Loop thread.
 */
#include "faas/api/api.h"
#include "faas/core/app.h"
#include "faas/http/reply.h"

static int on_get_config(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    faas_config_t *cfg = faas_app_config(loop->app);
    cJSON *list = cJSON_CreateArray();
    faas_config_item_t item;
    for (size_t i = 0; faas_config_item(cfg, i, &item) == 0; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", item.name);
        cJSON_AddStringToObject(o, "value", item.value);
        cJSON_AddStringToObject(o, "origin", item.origin);
        cJSON_AddBoolToObject(o, "restart", item.restart);
        cJSON_AddItemToArray(list, o);
    }
    faas_config_unref(cfg);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemToObject(body, "data", list);
    return faas_reply_json(req, 200, body);
}

const faas_router_route_t faas_api_config_routes[] = {
    {"/config", FAAS_M_GET, 0, on_get_config, FAAS_SCOPE_READ},
    {NULL, 0, 0, NULL, 0},
};
