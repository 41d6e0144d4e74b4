/*
 * multipart.h: multipart/form-data request bodies (RFC 7578 over RFC 2046), as uploads send them
 * (curl -F, browsers). The body is parsed in place: parts point into it, so it must outlive the
 * parsed form. It need not be NUL-terminated; nothing past len is read. One pass, linear in the
 * body size (a 10 MB upload parses in milliseconds).
 *
 * Accepted: a boundary of 1 to 70 characters, quoted or not, from the "boundary" parameter
 * (any case; other parameters ignored); a preamble and an epilogue (ignored); transport padding
 * after a delimiter; CRLF or bare LF ending header lines; Content-Disposition parameters as
 * quoted-strings with backslash escapes or as tokens ("filename*" is ignored); other part
 * headers ignored. Part data ends only at CRLF "--" boundary followed by "--", padding or a line
 * end, so data may hold anything else, the boundary string itself included.
 * Refused (FAAS_EINVAL): more than FAAS_MULTIPART_MAX_PARTS parts, over 8 KiB of headers in a
 * part, a part without a Content-Disposition form-data name, a repeated Content-Disposition or
 * Content-Type, NUL bytes or malformed lines in headers, no closing delimiter.
 *
 * Pure code: any thread, one form per thread at a time.
 */
#ifndef FAAS_API_MULTIPART_H
#define FAAS_API_MULTIPART_H

#include <stddef.h>

#include "faas/core/error.h"

/* At most this many parts are accepted (more is FAAS_EINVAL "more than 64 parts"). */
#define FAAS_MULTIPART_MAX_PARTS 64

typedef struct faas_multipart_part {
    const char *name;          /* the form field name (NUL-terminated copy, unescaped) */
    const char *filename;      /* the file name (copy, unescaped), or NULL for a plain field */
    const char *content_type;  /* the part's Content-Type (copy), or NULL */
    const char *data;          /* points into the body; not NUL-terminated, not NULL when len is 0 */
    size_t len;
} faas_multipart_part_t;

typedef struct faas_multipart faas_multipart_t;

/**
 * Parses body (len bytes) sent with the given Content-Type header value
 * ("multipart/form-data; boundary=..."). FAAS_EINVAL with a reason a client can act on
 * ("not multipart/form-data", "no boundary", "part 2 has no name", "body ends before the
 * closing boundary", ...), FAAS_ENOMEM when a copy cannot be allocated; *out is then NULL.
 * *out is freed with faas_multipart_free.
 */
faas_err_t faas_multipart_parse(const char *content_type, size_t content_type_len, const void *body, size_t len,
                                faas_multipart_t **out, faas_error_t *err);

/** The first part named name, or NULL (also for a NULL form). */
const faas_multipart_part_t *faas_multipart_get(const faas_multipart_t *form, const char *name);

/** The number of parts, and part i (0-based, in body order) of them (NULL when i is out of range). */
size_t faas_multipart_count(const faas_multipart_t *form);
const faas_multipart_part_t *faas_multipart_at(const faas_multipart_t *form, size_t i);

/** Frees a parsed form (not the body). NULL is ignored. */
void faas_multipart_free(faas_multipart_t *form);

#endif
