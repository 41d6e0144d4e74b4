/*
 * log.h: leveled, line-atomic logging to stderr or a file.
 * Any thread may log; each line is written with one write(2).
 */
#ifndef FAAS_CORE_LOG_H
#define FAAS_CORE_LOG_H

#include <stddef.h>

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

/** Sends lines to path (appended, 0640), or back to stderr when path is NULL. */
faas_err_t faas_log_open_file(const char *path, faas_error_t *err);

/** Writes one line "<time> <level> <message>" (no trailing newline needed). */
void faas_log(faas_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
