/*
 * log.c: leveled logging. One formatted line per write(2) so lines from
 * different threads never interleave. The level is an atomic, read before any
 * work; everything else (the destination, the table of recent lines) is under
 * one mutex, held for a table look-up and the write.
 *
 * DESIGN: repeats. A line whose level and text were written less than an
 * interval ago is not written again; it is counted in a small table of the
 * last REPEAT_SLOTS distinct lines (by hash, the text kept to confirm a match
 * and to say what repeated). The count comes out once the interval after the
 * written copy is over: folded into that line's next copy ("... (repeated N
 * times in 10 s before this one)"), or, when another log call finds the interval
 * over first, on a line of its own ("... (repeated N times in 10 s)"). So a line repeating
 * without end costs one line per interval, several alternating ones each too,
 * and a line that comes once is never held back. The table is a few linear
 * scans of 8 entries per call, no allocation.
 */
#include "faas/core/log.h"
#include "faas/core/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096        /* a whole line, time and level included */
#define TEXT_MAX (LINE_MAX_BYTES - 96) /* the message; the rest is time, level and a count */
#define REPEAT_SLOTS 8

typedef struct repeat_slot {
    uint64_t hash;     /* of level and text; 0: a free slot */
    int level;
    int64_t shown_ms;  /* when the text was last written: its interval starts there */
    uint64_t seen;     /* the log call that last saw it, for replacing the stalest slot */
    long held;         /* copies not written since */
    size_t len;
    char text[TEXT_MAX];
} repeat_slot_t;

static atomic_int log_level = FAAS_LOG_INFO;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;                                 /* under log_lock */
static int64_t repeat_interval_ms = FAAS_LOG_REPEAT_INTERVAL_MS;   /* under log_lock */
static faas_log_clock_fn repeat_clock = faas_clock_mono_ms;        /* under log_lock */
static repeat_slot_t slots[REPEAT_SLOTS];                          /* under log_lock */
static uint64_t log_calls;                                         /* under log_lock */
static pthread_once_t exit_flush_once = PTHREAD_ONCE_INIT;

static const char *const tags[] = {"debug", "info", "warn", "error"};

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

/* ---- writing (under log_lock) ------------------------------------------------------------ */

/* How much of a buffer of room bytes an snprintf that returned n filled. */
static size_t filled(int n, size_t room)
{
    if (n < 0)
        return 0;
    return (size_t)n < room ? (size_t)n : room - 1;
}

/* Writes "<time> <level> <text>[ (repeated N times in S s[ before this one])]\n" with one
 * write(2): a count of held copies, on a new copy of the line (folded) or on its own. */
static void emit(int level, const char *text, size_t len, long repeated, int folded)
{
    char line[LINE_MAX_BYTES];
    char ts[FAAS_CLOCK_RFC3339_MAX];
    faas_clock_format_rfc3339(ts, faas_clock_now_ms(), 1);
    int n = snprintf(line, sizeof(line), "%s %-5s %.*s", ts, tags[level], (int)len, text);
    size_t used = filled(n, sizeof(line));
    if (repeated > 0) {
        n = snprintf(line + used, sizeof(line) - used, " (repeated %ld time%s in %g s%s)", repeated,
                     repeated == 1 ? "" : "s", (double)repeat_interval_ms / 1000.0, folded ? " before this one" : "");
        used += filled(n, sizeof(line) - used);
    }
    if (used > sizeof(line) - 2)
        used = sizeof(line) - 2;
    line[used++] = '\n';
    ssize_t w = write(log_fd, line, used);
    (void)w;
}

/* Writes the count of every slot whose interval is over, but skip's (folded into its next copy). */
static void flush_due(int64_t now, const repeat_slot_t *skip, int all)
{
    for (size_t i = 0; i < REPEAT_SLOTS; i++) {
        repeat_slot_t *s = &slots[i];
        if (s == skip || s->held == 0 || (!all && now - s->shown_ms < repeat_interval_ms))
            continue;
        emit(s->level, s->text, s->len, s->held, 0);
        s->held = 0;
    }
}

static repeat_slot_t *find_slot(uint64_t hash, int level, const char *text, size_t len)
{
    for (size_t i = 0; i < REPEAT_SLOTS; i++) {
        repeat_slot_t *s = &slots[i];
        if (s->hash == hash && s->level == level && s->len == len && memcmp(s->text, text, len) == 0)
            return s;
    }
    return NULL;
}

/* A free slot, else the one seen longest ago, its count written out first. */
static repeat_slot_t *take_slot(void)
{
    repeat_slot_t *stalest = &slots[0];
    for (size_t i = 0; i < REPEAT_SLOTS; i++) {
        if (slots[i].hash == 0)
            return &slots[i];
        if (slots[i].seen < stalest->seen)
            stalest = &slots[i];
    }
    if (stalest->held > 0)
        emit(stalest->level, stalest->text, stalest->len, stalest->held, 0);
    stalest->held = 0;
    return stalest;
}

static void reset_slots(void)
{
    memset(slots, 0, sizeof(slots));
}

static void flush_at_exit(void)
{
    if (pthread_mutex_trylock(&log_lock) != 0)
        return; /* a thread is stuck in a write: better a lost count than a hang at exit */
    flush_due(0, NULL, 1);
    pthread_mutex_unlock(&log_lock);
}

static void register_exit_flush(void)
{
    atexit(flush_at_exit);
}

/* ---- the line --------------------------------------------------------------------------- */

/* FNV-1a over the level and the text; never 0 (0 marks a free slot). */
static uint64_t hash_line(int level, const char *text, size_t len)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)level;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
    return h != 0 ? h : 1;
}

/* Writes text, or counts it when the same line was written less than an interval ago. */
static void log_text(int level, const char *text, size_t len)
{
    uint64_t hash = hash_line(level, text, len);
    pthread_mutex_lock(&log_lock);
    if (repeat_interval_ms <= 0) {
        emit(level, text, len, 0, 0);
        pthread_mutex_unlock(&log_lock);
        return;
    }
    int64_t now = repeat_clock();
    log_calls++;
    repeat_slot_t *s = find_slot(hash, level, text, len);
    flush_due(now, s, 0);
    if (s != NULL && now - s->shown_ms < repeat_interval_ms) {
        s->held++;
        s->seen = log_calls;
        pthread_mutex_unlock(&log_lock);
        pthread_once(&exit_flush_once, register_exit_flush);
        return;
    }
    long folded = s != NULL ? s->held : 0;
    if (s == NULL) {
        s = take_slot();
        s->hash = hash;
        s->level = level;
        s->len = len;
        memcpy(s->text, text, len);
    }
    s->shown_ms = now;
    s->seen = log_calls;
    s->held = 0;
    emit(level, text, len, folded, 1);
    pthread_mutex_unlock(&log_lock);
}

void faas_log(faas_log_level_t level, const char *fmt, ...)
{
    if ((int)level < atomic_load(&log_level) || (unsigned)level > FAAS_LOG_ERROR)
        return;
    char text[TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    size_t len = filled(m, sizeof(text));
    /* Control characters from user input must not forge log lines. */
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n' || text[i] == '\r')
            text[i] = ' ';
    }
    log_text((int)level, text, len);
}

/* ---- settings ---------------------------------------------------------------------------- */

faas_err_t faas_log_open_file(const char *path, faas_error_t *err)
{
    int fd = STDERR_FILENO;
    if (path != NULL) {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0)
            return faas_error_set(err, FAAS_EIO, "cannot open log file %s: %s", path, strerror(errno));
    }
    pthread_mutex_lock(&log_lock);
    flush_due(0, NULL, 1); /* the counts go where their lines went */
    reset_slots();
    int old = log_fd;
    log_fd = fd;
    pthread_mutex_unlock(&log_lock);
    if (old != STDERR_FILENO)
        close(old);
    return FAAS_OK;
}

void faas_log_flush(void)
{
    pthread_mutex_lock(&log_lock);
    flush_due(0, NULL, 1);
    pthread_mutex_unlock(&log_lock);
}

void faas_log_set_repeat_interval(int64_t ms)
{
    pthread_mutex_lock(&log_lock);
    flush_due(0, NULL, 1);
    reset_slots();
    repeat_interval_ms = ms > 0 ? ms : 0;
    pthread_mutex_unlock(&log_lock);
}

void faas_log_set_clock(faas_log_clock_fn now_ms)
{
    pthread_mutex_lock(&log_lock);
    flush_due(0, NULL, 1);
    reset_slots();
    repeat_clock = now_ms != NULL ? now_ms : faas_clock_mono_ms;
    pthread_mutex_unlock(&log_lock);
}

/* ---- tails ------------------------------------------------------------------------------- */

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
