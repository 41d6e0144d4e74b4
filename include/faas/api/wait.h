/*
 * wait.h: GET /function/get/:name?wait=<build id>[&timeout=<seconds>] answers once that build
 * has served or failed, or at the timeout (default 60 s, at most 600 s) with the record as it is
 * then: a client follows a deploy without polling. Loop thread.
 */
#ifndef FAAS_API_WAIT_H
#define FAAS_API_WAIT_H

#include "faas/http/loop.h"

/**
 * Takes req when it carries ?wait=: answers it now or once the build ended (checked on the
 * loop's 100 ms timer; a client that goes away ends the wait). Returns 1 when it took req, 0
 * when req has no wait parameter (answer it as usual).
 */
int faas_api_wait_build(faas_loop_t *loop, h2o_req_t *req, const char *name);

#endif
