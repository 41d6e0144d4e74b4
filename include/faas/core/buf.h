/*
 * buf.h: the one growable byte buffer: text read from a socket, a log, an answer being
 * assembled. Always NUL-terminated (when it holds anything), so text can be used as a string.
 * Allocation failure is sticky: the first one sets oom, later adds do nothing, and the owner
 * checks once at the end. Start it zeroed ({0}); one thread at a time.
 */
#ifndef FAAS_CORE_BUF_H
#define FAAS_CORE_BUF_H

#include <stddef.h>

typedef struct faas_buf {
    char *p;     /* NULL until something is added */
    size_t len;  /* bytes held, the NUL not counted */
    size_t cap;
    int oom;     /* an allocation failed: the content is incomplete */
} faas_buf_t;

/** Makes room for extra more bytes (and the NUL); 0, or -1 (and oom) when it cannot. */
int faas_buf_reserve(faas_buf_t *b, size_t extra);

/** Appends len bytes; 0, or -1 (and oom) when out of memory. */
int faas_buf_add(faas_buf_t *b, const void *data, size_t len);

/** Appends a NUL-terminated string. */
int faas_buf_adds(faas_buf_t *b, const char *s);

/** Hands the bytes over (caller frees; NULL when empty) and leaves b empty. */
char *faas_buf_take(faas_buf_t *b, size_t *len);

/** Frees the bytes and leaves b empty. */
void faas_buf_free(faas_buf_t *b);

#endif
