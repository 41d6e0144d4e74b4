/*
 * hpack_guard.c: a bound on what one HTTP/2 header block may decode to, put in front of libh2o's
 * own HPACK decoder. Loop threads (libh2o calls it while it reads a connection's frames).
 *
 * DESIGN
 * - HPACK lets a client add one large header to the connection's table and then name it again
 *   with one byte per copy: 100 KB on the wire decodes to 400 MB. libh2o 2.2.5 decodes a header
 *   block whole, and keeps the result while the request's body is still to come, before any
 *   handler of faas runs (50 such streams on one connection held 1.8 GB). Nothing in its public
 *   API bounds that, so faas bounds it where libh2o decodes.
 * - libh2o-evloop is a shared library that calls h2o_hpack_parse_headers through its PLT, so the
 *   definition below, in the faas executable, is the one it calls (symbol interposition, as an
 *   allocator replacement works). It counts the block's header fields without decoding any
 *   (representations are self-delimiting: integers and string lengths), refuses a block of more
 *   than FAAS_HPACK_GUARD_MAX_FIELDS with a connection error, and otherwise calls libh2o's own
 *   decoder (dlsym RTLD_NEXT). A field from the table is at most its capacity (4096 bytes, what
 *   libh2o advertises), so a block decodes to at most about 1 MiB plus its own literal bytes.
 * - A block the counter cannot read goes to libh2o's decoder unchanged: it knows the real error.
 * - faas_hpack_guard_max_fields exists so that server.c references this file: a static library
 *   member nothing refers to would not be linked in, and the guard would silently be absent.
 */
#include "faas/http/hpack_guard.h"

#include <dlfcn.h>
#include <h2o.h>
#include <stddef.h>
#include <stdint.h>

typedef int (*parse_headers_fn)(h2o_req_t *req, void *header_table, const uint8_t *src, size_t len,
                                int *pseudo_header_exists_map, size_t *content_length, void **digests,
                                const char **err_desc);

/* libh2o 2.2.5's prototype (h2o/http2_internal.h, which cannot be compiled here: no khash.h). */
int h2o_hpack_parse_headers(h2o_req_t *req, void *header_table, const uint8_t *src, size_t len,
                            int *pseudo_header_exists_map, size_t *content_length, void **digests,
                            const char **err_desc);

/* Skips an HPACK integer with a prefix_bits prefix (RFC 7541 5.1); 0, or -1 when it runs past end. */
static int skip_int(const uint8_t **p, const uint8_t *end, int prefix_bits, uint64_t *value)
{
    uint64_t mask = (1u << prefix_bits) - 1, v = **p & mask;
    (*p)++;
    if (v == mask) {
        for (int shift = 0;; shift += 7) {
            if (*p == end || shift > 28)
                return -1; /* libh2o refuses integers this long too */
            uint8_t b = *(*p)++;
            v += (uint64_t)(b & 0x7f) << shift;
            if (!(b & 0x80))
                break;
        }
    }
    *value = v;
    return 0;
}

/* Skips a string literal (RFC 7541 5.2): its length, Huffman or not, says how far. */
static int skip_string(const uint8_t **p, const uint8_t *end)
{
    uint64_t len;
    if (*p == end || skip_int(p, end, 7, &len) != 0 || len > (uint64_t)(end - *p))
        return -1;
    *p += len;
    return 0;
}

int faas_hpack_guard_count_fields(const uint8_t *src, size_t len)
{
    const uint8_t *p = src, *end = src + len;
    int fields = 0;
    while (p < end) {
        uint8_t b = *p;
        uint64_t index;
        if (b & 0x80) { /* indexed field: 1 byte and up */
            if (skip_int(&p, end, 7, &index) != 0)
                return -1;
        } else if ((b & 0xe0) == 0x20) { /* dynamic table size update: no field */
            if (skip_int(&p, end, 5, &index) != 0)
                return -1;
            continue;
        } else { /* a literal: with indexing (6-bit index), or without / never indexed (4-bit) */
            if (skip_int(&p, end, (b & 0x40) ? 6 : 4, &index) != 0 || (index == 0 && skip_string(&p, end) != 0) ||
                skip_string(&p, end) != 0)
                return -1;
        }
        fields++;
    }
    return fields;
}

int h2o_hpack_parse_headers(h2o_req_t *req, void *header_table, const uint8_t *src, size_t len,
                            int *pseudo_header_exists_map, size_t *content_length, void **digests,
                            const char **err_desc)
{
    static parse_headers_fn libh2o_parse; /* each loop resolves the same pointer: a benign race */
    if (libh2o_parse == NULL)
        libh2o_parse = (parse_headers_fn)dlsym(RTLD_NEXT, "h2o_hpack_parse_headers");
    if (faas_hpack_guard_count_fields(src, len) > FAAS_HPACK_GUARD_MAX_FIELDS) {
        *err_desc = "too many header fields in one block";
        return H2O_HTTP2_ERROR_COMPRESSION; /* a connection error: libh2o sends GOAWAY and closes */
    }
    if (libh2o_parse == NULL) { /* cannot happen with libh2o linked: refuse rather than guess */
        *err_desc = "header decoder unavailable";
        return H2O_HTTP2_ERROR_INTERNAL;
    }
    return libh2o_parse(req, header_table, src, len, pseudo_header_exists_map, content_length, digests, err_desc);
}

int faas_hpack_guard_max_fields(void)
{
    return FAAS_HPACK_GUARD_MAX_FIELDS;
}
