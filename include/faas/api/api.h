/*
 * api.h: the API's route tables, one per resource file of src/api/, each NULL-pattern
 * terminated. server.c hands them to the router (http/router.h), which checks key, method,
 * scope and path parameters before it calls a handler. Handlers answer through http/reply.h and
 * move blocking work to the worker pool through http/defer.h.
 */
#ifndef FAAS_API_API_H
#define FAAS_API_API_H

#include "faas/http/router.h"

extern const faas_router_route_t faas_api_health_routes[];
extern const faas_router_route_t faas_api_functions_routes[];
extern const faas_router_route_t faas_api_revisions_routes[];
extern const faas_router_route_t faas_api_logs_routes[];
extern const faas_router_route_t faas_api_jobs_routes[];
extern const faas_router_route_t faas_api_runtimes_routes[];
extern const faas_router_route_t faas_api_tls_routes[];
extern const faas_router_route_t faas_api_keys_routes[];
extern const faas_router_route_t faas_api_secrets_routes[];
extern const faas_router_route_t faas_api_config_routes[];
extern const faas_router_route_t faas_api_ui_routes[];
extern const faas_router_route_t faas_api_metrics_routes[];

#endif
