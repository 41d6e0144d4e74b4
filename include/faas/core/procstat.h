/*
 * procstat.h: what the kernel says about this process, for the standard process_* series of
 * GET /metrics (as Prometheus client libraries export them): CPU seconds, resident and virtual
 * memory, open file descriptors and their limit, the start time. Linux (/proc). Any thread.
 */
#ifndef FAAS_CORE_PROCSTAT_H
#define FAAS_CORE_PROCSTAT_H

#include <stdint.h>

typedef struct faas_procstat {
    double cpu_seconds;        /* user + system */
    uint64_t resident_bytes;
    uint64_t virtual_bytes;
    uint64_t open_fds;
    uint64_t max_fds;          /* RLIMIT_NOFILE's soft limit */
    double start_time_seconds; /* since the Unix epoch */
} faas_procstat_t;

/**
 * Parses a /proc/<pid>/stat line: utime, stime (fields 14, 15), starttime (22), vsize (23) and
 * rss (24), with ticks clock ticks a second, page_size bytes a page and the boot time btime
 * (Unix seconds), into out (cpu_seconds, virtual_bytes, resident_bytes, start_time_seconds).
 * The command name (field 2) may hold spaces and parentheses: it ends at the last ')'.
 * 0, or -1 when the line is not one. Pure.
 */
int faas_procstat_parse(const char *line, long ticks, long page_size, uint64_t btime, faas_procstat_t *out);

/** Reads this process's figures. 0, or -1 when /proc cannot be read (out partly filled). */
int faas_procstat_read(faas_procstat_t *out);

#endif
