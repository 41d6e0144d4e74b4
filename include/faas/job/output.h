/*
 * output.h: a run's output lines, as the log API gives them with timestamps,
 * merged back in time order. Pure: any thread.
 */
#ifndef FAAS_JOB_OUTPUT_H
#define FAAS_JOB_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

/* One line of a container's output, as the log API returns it with timestamps. */
typedef struct faas_output_line {
    int64_t sec, nsec;   /* when it was written */
    int stream;          /* 1 stdout, 2 stderr */
    const char *text;
    size_t len;
} faas_output_line_t;

/**
 * Orders lines by time (stable, so one stream's order never changes) and
 * appends their text to a new buffer of at most max bytes; *truncated says if
 * more was there. Returns NULL when out of memory. Pure.
 */
char *faas_output_merge(faas_output_line_t *lines, size_t n, size_t max, size_t *len, int *truncated);

#endif
