/*
 * log.h: leveled, line-atomic logging to stderr or a file.
 * Any thread may log; each line is written with one write(2).
 * Repeats are held back: a line with the same level and text as one written less than
 * FAAS_LOG_REPEAT_INTERVAL_MS ago is counted, not written, and the count of those held copies
 * comes out once that interval is over: on the line's next copy, "<text> (repeated N times in
 * 10 s before this one)", or on a line of its own at the next log call (or faas_log_flush, or
 * exit), "<text> (repeated N times in 10 s)". The last 8 distinct lines are tracked, so lines
 * that alternate are each held back too.
 */
#ifndef FAAS_CORE_LOG_H
#define FAAS_CORE_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "faas/core/error.h"

typedef enum faas_log_level {
    FAAS_LOG_DEBUG = 0,
    FAAS_LOG_INFO = 1,
    FAAS_LOG_WARN = 2,
    FAAS_LOG_ERROR = 3,
} faas_log_level_t;

/** Parses "debug", "info", "warn"/"warning", "error"; returns 0 on success, -1 otherwise. */
int faas_log_parse_level(const char *s, faas_log_level_t *out);

/** Lines below level are dropped. Call before threads start, or accept a racy but harmless switch. */
void faas_log_set_level(faas_log_level_t level);

/** Sends lines to path (appended, 0640), or back to stderr when path is NULL. Counts of held
 * repeats are written to the old destination first, and the new one starts with none held. */
faas_err_t faas_log_open_file(const char *path, faas_error_t *err);

/** Writes one line "<time> <level> <message>" (no trailing newline needed), unless it repeats
 * a line written less than the repeat interval ago (see above). Newlines become spaces. */
void faas_log(faas_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How long a written line holds back its repeats. */
#define FAAS_LOG_REPEAT_INTERVAL_MS 10000

/** Writes the counts of all held repeats now, each on a line of its own (also done at exit). */
void faas_log_flush(void);

/** Sets the repeat interval (ms); 0 writes every line. Held counts are written out first. */
void faas_log_set_repeat_interval(int64_t ms);

/* A monotonic clock in ms for the repeat intervals; it must not log. */
typedef int64_t (*faas_log_clock_fn)(void);

/** Replaces the repeat intervals' clock (NULL: faas_clock_mono_ms), for tests that must not
 * wait out an interval. Held counts are written out first; the time on lines stays real. */
void faas_log_set_clock(faas_log_clock_fn now_ms);

#define faas_log_debug(...) faas_log(FAAS_LOG_DEBUG, __VA_ARGS__)
#define faas_log_info(...) faas_log(FAAS_LOG_INFO, __VA_ARGS__)
#define faas_log_warn(...) faas_log(FAAS_LOG_WARN, __VA_ARGS__)
#define faas_log_error(...) faas_log(FAAS_LOG_ERROR, __VA_ARGS__)

/* The last bytes of some text that comes in pieces (a build log's or a container log's end,
   for an error message). Start it zeroed. */
typedef struct faas_log_tail {
    char text[2048];     /* NUL-terminated */
    size_t len;
} faas_log_tail_t;

/** Appends len bytes of data, dropping the oldest bytes when full. */
void faas_log_tail_add(faas_log_tail_t *t, const char *data, size_t len);

#endif
