/*
 * form.h: a request's multipart/form-data body, parsed for an upload handler. Loop thread.
 */
#ifndef FAAS_API_FORM_H
#define FAAS_API_FORM_H

#include <stdint.h>

#include <h2o.h>

#include "faas/api/multipart.h"

/**
 * Parses the request body as multipart/form-data into *form (free with faas_multipart_free;
 * parts point into the request body). On failure answers 400 and returns -1 (the caller just
 * returns 0).
 */
int faas_form_or_reply(h2o_req_t *req, faas_multipart_t **form);

/**
 * The first look at an uploaded zip, the same for services and jobs: at most max bytes (else 413
 * "File too large"), and a zip's signature (else 400 "Invalid zip file", "not a zip file", the
 * words the unpacker uses). Answers and returns -1 on failure, else 0.
 */
int faas_form_zip_or_reply(h2o_req_t *req, const faas_multipart_part_t *file, int64_t max);

#endif
