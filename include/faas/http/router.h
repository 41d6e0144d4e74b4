/*
 * router.h: what happens to every request, in order: the ACME challenge,
 * the function proxy, then the API: CORS preflight, route match, passkey,
 * method, handler; anything else is a JSON 404. In ACME mode the plain-HTTP
 * listener has its own handler: challenges, else a 308 to HTTPS.
 */
#ifndef FAAS_ROUTER_H
#define FAAS_ROUTER_H

#include "faas/http/reply.h"

/** on_req of the one catch-all h2o handler. Loop thread. */
int faas_router_on_req(h2o_handler_t *self, h2o_req_t *req);

/** on_req of the plain-HTTP listener in ACME mode (redirect.c). Loop thread. */
int faas_redirect_on_req(h2o_handler_t *self, h2o_req_t *req);

/** Answers an HTTP-01 challenge the ACME client waits on: 0 when answered, -1 when req is none. Loop thread. */
int faas_router_acme_challenge(faas_loop_t *loop, h2o_req_t *req);

/**
 * Matches path (len bytes, no query) against pattern: literal segments,
 * ":name" for one non-empty segment, "*name" (last) for the rest, possibly
 * empty. Fills params and returns 1 on a match, else 0. Pure.
 */
int faas_router_match(const char *pattern, const char *path, size_t len, faas_api_params_t *params);

/** The FAAS_M_* bit of a method, 0 for an unknown one. Pure. */
unsigned faas_router_method_bit(const char *method, size_t len);

#endif
