/*
 * log.c: leveled logging. One formatted line per write(2) so lines from
 * different threads never interleave. State is two atomics (level, fd).
 */
#include "faas/core/log.h"
#include "faas/core/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static atomic_int log_level = FAAS_LOG_INFO;
static atomic_int log_fd = STDERR_FILENO;

int faas_log_parse_level(const char *s, faas_log_level_t *out)
{
    static const struct { const char *name; faas_log_level_t level; } names[] = {
        {"debug", FAAS_LOG_DEBUG}, {"info", FAAS_LOG_INFO}, {"warn", FAAS_LOG_WARN},
        {"warning", FAAS_LOG_WARN}, {"error", FAAS_LOG_ERROR},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return -1;
}

void faas_log_set_level(faas_log_level_t level)
{
    atomic_store(&log_level, (int)level);
}

faas_err_t faas_log_open_file(const char *path, faas_error_t *err)
{
    int fd = STDERR_FILENO;
    if (path != NULL) {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0)
            return faas_error_set(err, FAAS_EIO, "cannot open log file %s: %s", path, strerror(errno));
    }
    int old = atomic_exchange(&log_fd, fd);
    if (old != STDERR_FILENO)
        close(old);
    return FAAS_OK;
}

void faas_log(faas_log_level_t level, const char *fmt, ...)
{
    static const char *const tags[] = {"debug", "info", "warn", "error"};
    if ((int)level < atomic_load(&log_level))
        return;
    char line[4096];
    char ts[FAAS_CLOCK_RFC3339_MAX];
    faas_clock_format_rfc3339(ts, faas_clock_now_ms(), 1);
    int n = snprintf(line, sizeof(line), "%s %-5s ", ts, tags[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    /* Control characters from user input must not forge log lines. */
    for (size_t i = (size_t)n; i < len; i++) {
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    }
    line[len++] = '\n';
    ssize_t w = write(atomic_load(&log_fd), line, len);
    (void)w;
}

void faas_log_tail_add(faas_log_tail_t *t, const char *data, size_t len)
{
    if (len >= sizeof(t->text) - 1) {
        data += len - (sizeof(t->text) - 1);
        len = sizeof(t->text) - 1;
    }
    if (t->len + len >= sizeof(t->text)) {
        size_t drop = t->len + len - (sizeof(t->text) - 1);
        memmove(t->text, t->text + drop, t->len - drop);
        t->len -= drop;
    }
    memcpy(t->text + t->len, data, len);
    t->len += len;
    t->text[t->len] = '\0';
}
