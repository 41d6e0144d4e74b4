/*
 * scale.h (api): the scale settings of service functions as the API takes and shows them:
 * PUT /function/scale/:name, the scale_min, scale_max, scale_target, concurrency, memory and
 * cpus fields of POST /function/upload, and a function's record with the settings in force
 * ("scaleInForce"). functions.c routes to these. Loop thread.
 */
#ifndef FAAS_API_SCALE_H
#define FAAS_API_SCALE_H

#include <cjson/cJSON.h>

#include <h2o.h>

#include "faas/api/multipart.h"
#include "faas/http/loop.h"
#include "faas/http/router.h"
#include "faas/service/deploy.h"
#include "faas/store/record.h"

/**
 * A function's record as GET /function/get/:name shows it: faas_function_to_json's API view
 * plus, for a service function, "scaleInForce": {"min","max","target","concurrency","windowMs",
 * "pauseAfterMs","stopAfterMs","wakeTimeoutMs","queue"}, the function's own settings, then what
 * the loop's scale hook returns, then the `scale` table (faas_scale_resolve). The caller owns it;
 * NULL when out of memory.
 */
cJSON *faas_api_scale_function_json(faas_loop_t *loop, const faas_function_t *fn);

/**
 * The upload's scale fields, memory and cpus into spec (scale, scale_given, memory,
 * memory_given, nano_cpus, cpus_given). A bad one answers 400 "Invalid <field>" with details
 * naming it and returns -1; else 0.
 */
int faas_api_scale_fields_or_reply(faas_loop_t *loop, h2o_req_t *req, const faas_multipart_t *form,
                                   faas_deploy_spec_t *spec);

/** PUT /function/scale/:name: the route's handler (see scale.c). */
int faas_api_scale_on_put(faas_loop_t *loop, h2o_req_t *req, const faas_router_params_t *params);

#endif
