/*
 * hpack_guard.h: the bound on HTTP/2 header blocks (hpack_guard.c). faas defines libh2o's
 * h2o_hpack_parse_headers itself, counts a block's fields before libh2o decodes it, and refuses
 * (COMPRESSION_ERROR: GOAWAY, the connection closed) a block of more than
 * FAAS_HPACK_GUARD_MAX_FIELDS, so HPACK references cannot turn a few KB on the wire into hundreds
 * of MB. Loop threads; the counter is pure.
 */
#ifndef FAAS_HTTP_HPACK_GUARD_H
#define FAAS_HTTP_HPACK_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* The most header fields one header block may carry: libh2o takes 100 headers over HTTP/1.1, faas
   forwards at most 100 (src/proxy); a browser sends 20 to 40. A field from the HPACK table is at
   most its 4096-byte capacity, so a block decodes to about 1 MiB plus its own bytes at most. */
#define FAAS_HPACK_GUARD_MAX_FIELDS 256

/** The header fields an HPACK block (RFC 7541) of len bytes carries, read without decoding any;
    -1 when it cannot be read (libh2o's decoder then reports the real error). Pure. */
int faas_hpack_guard_count_fields(const uint8_t *src, size_t len);

/** FAAS_HPACK_GUARD_MAX_FIELDS. server.c calls it at start-up: the reference is what links the
    guard (a member of faas's static library) into the program. */
int faas_hpack_guard_max_fields(void);

#endif
