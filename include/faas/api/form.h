/*
 * form.h: a request's multipart/form-data body, parsed for an upload handler. Loop thread.
 */
#ifndef FAAS_API_FORM_H
#define FAAS_API_FORM_H

#include <h2o.h>

#include "faas/api/multipart.h"

/**
 * Parses the request body as multipart/form-data into *form (free with faas_multipart_free;
 * parts point into the request body). On failure answers 400 and returns -1 (the caller just
 * returns 0).
 */
int faas_form_or_reply(h2o_req_t *req, faas_multipart_t **form);

#endif
