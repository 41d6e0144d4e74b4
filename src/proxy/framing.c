/*
 * framing.c: what a container's HTTP/1.1 response head says about its body (length, chunked,
 * until close, none) and whether its connection can serve again. Pure, so forward.c and the
 * fuzz target (test/fuzz/upstream.c) run the same decisions.
 */
#include "internal.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

void faas_proxy__header_tokens(const struct phr_header *headers, size_t n, const h2o_token_t **tokens)
{
    for (size_t i = 0; i < n; i++) {
        char name[64]; /* longer than any token's name */
        size_t len = headers[i].name_len;
        tokens[i] = NULL;
        if (headers[i].name == NULL || len == 0 || len >= sizeof(name))
            continue;
        memcpy(name, headers[i].name, len);
        h2o_strtolower(name, len);
        tokens[i] = h2o_lookup_token(name, len);
    }
}

const char *faas_proxy__framing(const struct phr_header *headers, const h2o_token_t *const *tokens, size_t n,
                                int minor, int status, int head, faas_proxy__framing_t *out)
{
    int chunked = 0;
    *out = (faas_proxy__framing_t){.content_length = SIZE_MAX, .keepalive = minor >= 1};
    for (size_t i = 0; i < n; i++) {
        /* picohttpparser gives a folded line (obsolete line folding) as a field without a name: a
           proxy must refuse or unfold it (RFC 9112 5.2). */
        if (headers[i].name == NULL || headers[i].name_len == 0)
            return "the function sent a folded header line (obsolete line folding)";
        const h2o_token_t *token = tokens[i];
        const char *v = headers[i].value;
        size_t vlen = headers[i].value_len;
        if (token == H2O_TOKEN_CONTENT_LENGTH) {
            size_t len = h2o_strtosize(v, vlen);
            if (len == SIZE_MAX || (out->content_length != SIZE_MAX && out->content_length != len))
                return "the function sent a malformed Content-Length";
            out->content_length = len;
        } else if (token == H2O_TOKEN_TRANSFER_ENCODING) {
            chunked = vlen >= 7 && strncasecmp(v + vlen - 7, "chunked", 7) == 0;
        } else if (token == H2O_TOKEN_CONNECTION) {
            if (h2o_contains_token(v, vlen, H2O_STRLIT("close"), ','))
                out->keepalive = 0;
            else if (h2o_contains_token(v, vlen, H2O_STRLIT("keep-alive"), ','))
                out->keepalive = 1;
        }
    }
    if (head || status == 204 || status == 304 || status < 200) {
        out->body = FAAS_PROXY__BODY_NONE;
    } else if (chunked) {
        out->body = FAAS_PROXY__BODY_CHUNKED;
        out->content_length = SIZE_MAX;
    } else if (out->content_length != SIZE_MAX) {
        out->body = FAAS_PROXY__BODY_LENGTH;
    } else {
        out->body = FAAS_PROXY__BODY_UNTIL_CLOSE;
        out->keepalive = 0;
    }
    return NULL;
}
