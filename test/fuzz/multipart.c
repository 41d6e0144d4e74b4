/*
 * multipart.c (fuzz): faas_multipart_parse, the parser of every upload body. Input: the
 * Content-Type header value, '\n', then the body. Both go to the parser as exact-size heap copies.
 * Properties: a parsed form has 1 to FAAS_MULTIPART_MAX_PARTS parts, each with a name, its data
 * inside the body; lookups by name and index agree; a refusal leaves no form behind.
 */
#include "fuzz.h"
#include "faas/api/multipart.h"

FUZZ_QUIET_INIT

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    const uint8_t *line;
    size_t ct_len = fuzz_line(&in, &line);
    char *ct = fuzz_dup(line, ct_len);
    char *body = fuzz_dup(in.p, in.len);
    faas_multipart_t *form = NULL;
    faas_error_t err = {0};
    faas_err_t rc = faas_multipart_parse(ct, ct_len, body, in.len, &form, &err);
    if (rc != FAAS_OK) {
        FUZZ_CHECK(form == NULL);
        FUZZ_CHECK(err.msg[0] != '\0');
    } else {
        size_t n = faas_multipart_count(form);
        FUZZ_CHECK(n <= FAAS_MULTIPART_MAX_PARTS);
        for (size_t i = 0; i < n; i++) {
            const faas_multipart_part_t *p = faas_multipart_at(form, i);
            FUZZ_CHECK(p != NULL && p->name != NULL && p->data != NULL);
            FUZZ_CHECK(p->data >= body && p->len <= in.len && p->data + p->len <= body + in.len);
            (void)strlen(p->name);
            if (p->filename != NULL)
                (void)strlen(p->filename);
            if (p->content_type != NULL)
                (void)strlen(p->content_type);
            size_t j = 0; /* the first part of that name, in body order */
            while (strcmp(faas_multipart_at(form, j)->name, p->name) != 0)
                j++;
            FUZZ_CHECK(faas_multipart_get(form, p->name) == faas_multipart_at(form, j));
        }
        FUZZ_CHECK(faas_multipart_at(form, n) == NULL);
    }
    faas_multipart_free(form);
    free(body);
    free(ct);
    return 0;
}
