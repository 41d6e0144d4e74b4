/*
 * buf.c: the growable byte buffer (see buf.h). Doubles its capacity, so n appends cost O(n).
 */
#include "faas/core/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int faas_buf_reserve(faas_buf_t *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (extra > SIZE_MAX / 4 - b->len) {
        b->oom = 1;
        return -1;
    }
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap != 0 ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

int faas_buf_add(faas_buf_t *b, const void *data, size_t len)
{
    if (faas_buf_reserve(b, len) != 0)
        return -1;
    if (len > 0)
        memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}

int faas_buf_adds(faas_buf_t *b, const char *s)
{
    return faas_buf_add(b, s, strlen(s));
}

char *faas_buf_take(faas_buf_t *b, size_t *len)
{
    char *p = b->p;
    if (len != NULL)
        *len = b->len;
    *b = (faas_buf_t){0};
    return p;
}

void faas_buf_free(faas_buf_t *b)
{
    free(b->p);
    *b = (faas_buf_t){0};
}
