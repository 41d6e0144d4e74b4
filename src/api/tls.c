/*
 * tls.c: GET /tls/certs, the certificates faas serves: name, status, issuer,
 * validity, when renewal is due and the last issuance error. Reads the
 * in-memory table only, so it answers on the loop. Loop thread.
 */
#include "faas/api/api.h"
#include "faas/http/reply.h"
#include "faas/tls/acme.h"
#include "faas/tls/certs.h"

static int on_get_certs(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params)
{
    (void)params;
    faas_app_t *app = loop->app;
    cJSON *body = cJSON_CreateObject();
    cJSON_AddBoolToObject(body, "acme", app->acme != NULL);
    if (app->acme != NULL)
        cJSON_AddStringToObject(body, "directory", faas_acme_directory(app->acme));
    cJSON_AddItemToObject(body, "certificates", app->certs != NULL ? faas_certs_list(app->certs) : cJSON_CreateArray());
    return faas_reply_json(req, 200, body);
}

const faas_router_route_t faas_api_tls_routes[] = {
    {"/tls/certs", FAAS_M_GET, 0, on_get_certs, FAAS_SCOPE_READ},
    {NULL, 0, 0, NULL, 0},
};
