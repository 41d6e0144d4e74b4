/*
 * form.c: a request's multipart body, or a 400 (see form.h). Loop threads.
 */
#include "faas/api/form.h"
#include "faas/http/reply.h"

int faas_form_or_reply(h2o_req_t *req, faas_multipart_t **form)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    h2o_iovec_t type = i >= 0 ? req->headers.entries[i].value : h2o_iovec_init(H2O_STRLIT(""));
    faas_error_t err = {0};
    if (faas_multipart_parse(type.base, type.len, req->entity.base, req->entity.len, form, &err) != FAAS_OK) {
        faas_reply_error(req, 400, "Invalid form", err.msg);
        return -1;
    }
    return 0;
}
