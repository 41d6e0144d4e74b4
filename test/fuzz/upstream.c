/*
 * upstream.c (fuzz): a function container's HTTP/1.1 response as src/proxy/forward.c reads it.
 * forward.c's reads are tied to a live exchange (socket, request, timers), so this target makes
 * its calls the way on_head and pump make them: phr_parse_response on the whole input from its
 * start with at most 128 headers, 1xx answers other than 101 skipped, the framing decided by the
 * same faas_proxy__framing (framing.c), then the chunked body decoded in place by
 * phr_decode_chunked with consume_trailer set as forward.c sets it, the leftover kept as pump
 * keeps it. When pump changes its calls, change them here.
 *
 * Input: one byte (bit 0: the request was HEAD; the rest seeds how the body is cut into reads),
 * then the container's bytes. Properties: a parsed head lies inside the input and a cut of it
 * is "incomplete", never "invalid" (on_head parses again as bytes arrive); the body decoded in
 * reads of any size is the body decoded at once, with the same end, and what is left after the
 * last chunk in that read is the start of what is left after it at once.
 */
#include "fuzz.h"
#include "proxy/internal.h"

#include <h2o.h>
#include <strings.h>
#include <sys/types.h>

FUZZ_QUIET_INIT

typedef struct decoded {
    char *out;        /* the body as the client gets it */
    size_t len;
    ssize_t rc;       /* -1 broken, -2 the stream ended first, else the leftover after the last chunk */
    char *left;       /* that leftover */
} decoded_t;

/* pump's loop for a chunked body arriving in reads whose sizes come from seed (0: one read). */
static void decode(const char *body, size_t len, unsigned seed, decoded_t *d)
{
    struct phr_chunked_decoder dec = {.consume_trailer = 1}; /* as forward.c sets it */
    char *in = fuzz_dup(body, len); /* the socket's input buffer: never more than what was read */
    size_t in_size = 0, read = 0;
    *d = (decoded_t){.out = malloc(len + 1), .rc = -2};
    for (;;) {
        if (in_size == 0) { /* nothing handed: read more */
            if (read == len)
                break;
            size_t k = seed == 0 ? len - read : 1 + (seed = seed * 1103515245u + 12345u) % 61;
            if (k > len - read)
                k = len - read;
            memcpy(in + in_size, body + read, k);
            in_size += k, read += k;
        }
        size_t size = in_size;
        ssize_t rest = phr_decode_chunked(&dec, in, &size);
        FUZZ_CHECK(size <= in_size && (rest < 0 || size + (size_t)rest <= in_size));
        if (rest == -1) {
            d->rc = -1;
            break;
        }
        in_size = size + (rest > 0 ? (size_t)rest : 0); /* decoded in place, then what follows */
        memcpy(d->out + d->len, in, size); /* handed to the client, then consumed on proceed */
        d->len += size;
        if (rest >= 0) {
            d->rc = rest;
            d->left = fuzz_dup(in + size, (size_t)rest);
            break;
        }
        memmove(in, in + size, in_size - size);
        in_size -= size;
    }
    free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int head_request = data[0] & 1;
    unsigned seed = data[0] >> 1;
    char *buf = fuzz_dup(data + 1, size - 1);
    size_t len = size - 1, off = 0;
    struct phr_header headers[FAAS_PROXY__MAX_RESPONSE_HEADERS];
    size_t nheaders;
    int minor, status, rlen;
    for (;;) { /* on_head */
        const char *msg;
        size_t msg_len;
        nheaders = FAAS_PROXY__MAX_RESPONSE_HEADERS;
        rlen = phr_parse_response(buf + off, len - off, &minor, &status, &msg, &msg_len, headers, &nheaders, 0);
        if (rlen < 0)
            break; /* -2: more to come (502 past 64 KiB), -1: 502 */
        FUZZ_CHECK(rlen > 0 && (size_t)rlen <= len - off && nheaders <= FAAS_PROXY__MAX_RESPONSE_HEADERS);
        FUZZ_CHECK(status >= 0 && status <= 999 && minor >= 0 && minor <= 9);
        FUZZ_CHECK(msg >= buf + off && msg + msg_len <= buf + off + rlen);
        for (size_t i = 0; i < nheaders; i++) {
            FUZZ_CHECK(headers[i].value >= buf + off && headers[i].value + headers[i].value_len <= buf + off + rlen);
            FUZZ_CHECK(headers[i].name == NULL ||
                       (headers[i].name >= buf + off && headers[i].name + headers[i].name_len <= buf + off + rlen));
        }
        /* Any cut of a whole head is "more to come" (on_head parses from the start on each read). */
        size_t cut = (size_t)rlen * (seed + 1) / 129;
        int mminor, mstatus;
        const char *mmsg;
        size_t mmsg_len, mn = FAAS_PROXY__MAX_RESPONSE_HEADERS;
        struct phr_header mh[FAAS_PROXY__MAX_RESPONSE_HEADERS];
        char *prefix = fuzz_dup(buf + off, cut);
        FUZZ_CHECK(phr_parse_response(prefix, cut, &mminor, &mstatus, &mmsg, &mmsg_len, mh, &mn, 0) == -2);
        free(prefix);
        if (status < 100 || status > 999) {
            rlen = -1; /* 502: libh2o's HTTP/2 encoder aborts on such a status */
            break;
        }
        if (status >= 100 && status < 200 && status != 101) {
            off += (size_t)rlen; /* 100 Continue, 103: not forwarded */
            continue;
        }
        break;
    }
    faas_proxy__framing_t framing;
    const h2o_token_t *tokens[sizeof(headers) / sizeof(headers[0])];
    if (rlen > 0)
        faas_proxy__header_tokens(headers, nheaders, tokens);
    if (rlen > 0 && status != 101 &&
        faas_proxy__framing(headers, tokens, nheaders, minor, status, head_request, &framing) == NULL &&
        framing.body == FAAS_PROXY__BODY_CHUNKED) {
        const char *body = buf + off + (size_t)rlen;
        size_t body_len = len - off - (size_t)rlen;
        decoded_t whole, cut;
        decode(body, body_len, 0, &whole);
        decode(body, body_len, seed | 1, &cut);
        /* The same end; the same body unless broken (then forward.c sends no more of it); after the
           last chunk, what one read holds of the rest, the rest starts with. */
        FUZZ_CHECK(whole.len <= body_len && (whole.rc < 0 ? cut.rc == whole.rc : cut.rc >= 0));
        if (whole.rc != -1)
            FUZZ_CHECK(whole.len == cut.len && memcmp(whole.out, cut.out, whole.len) == 0);
        if (whole.rc >= 0)
            FUZZ_CHECK(cut.rc <= whole.rc && memcmp(whole.left, cut.left, (size_t)cut.rc) == 0);
        free(whole.out), free(whole.left), free(cut.out), free(cut.left);
    }
    free(buf);
    return 0;
}
