/*
 * form.c: a request's multipart body, or a 400 (see form.h). Loop threads.
 */
#include "faas/api/form.h"
#include "faas/http/reply.h"
#include "faas/service/buildctx.h"

#include <stdio.h>
#include <string.h>

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

int faas_form_zip_or_reply(h2o_req_t *req, const faas_multipart_part_t *file, int64_t max)
{
    char details[128];
    if ((int64_t)file->len > max) {
        snprintf(details, sizeof(details), "the file is larger than %lld bytes (limits.max_file_size, MAX_FILE_SIZE)",
                 (long long)max);
        faas_reply_error(req, 413, FAAS_BUILDCTX_ZIP_TOO_LARGE, details);
        return -1;
    }
    /* Local file header or end of central directory (an empty zip): anything else is no zip. */
    if (file->len < 4 || memcmp(file->data, "PK", 2) != 0) {
        faas_reply_error(req, 400, FAAS_BUILDCTX_BAD_ZIP, "not a zip file");
        return -1;
    }
    return 0;
}
