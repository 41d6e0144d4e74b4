/*
 * output.c: a run's stdout and stderr lines merged back in time order (see
 * output.h). Pure code: any thread.
 */
#include "faas/job/output.h"

#include <stdlib.h>
#include <string.h>

typedef struct ordered {
    const faas_output_line_t *line;
    size_t index;
} ordered_t;

static int by_time(const void *a, const void *b)
{
    const ordered_t *x = a, *y = b;
    if (x->line->sec != y->line->sec)
        return x->line->sec < y->line->sec ? -1 : 1;
    if (x->line->nsec != y->line->nsec)
        return x->line->nsec < y->line->nsec ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index); /* stable */
}

char *faas_output_merge(faas_output_line_t *lines, size_t n, size_t max, size_t *len, int *truncated)
{
    ordered_t *order = calloc(n ? n : 1, sizeof(*order));
    size_t total = 0;
    for (size_t i = 0; order != NULL && i < n; i++) {
        order[i] = (ordered_t){&lines[i], i};
        total += lines[i].len;
    }
    char *out = order != NULL ? malloc((total < max ? total : max) + 1) : NULL;
    if (out == NULL) {
        free(order);
        return NULL;
    }
    if (n > 1)
        qsort(order, n, sizeof(*order), by_time);
    size_t used = 0;
    *truncated = 0;
    for (size_t i = 0; i < n; i++) {
        size_t take = order[i].line->len;
        if (used + take > max) {
            take = max - used;
            *truncated = 1;
        }
        memcpy(out + used, order[i].line->text, take);
        used += take;
    }
    out[used] = '\0';
    *len = used;
    free(order);
    return out;
}
