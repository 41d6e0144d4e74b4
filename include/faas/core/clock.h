/*
 * clock.h: wall and monotonic time in milliseconds, RFC 3339 formatting.
 * Thread-safe.
 */
#ifndef FAAS_CORE_CLOCK_H
#define FAAS_CORE_CLOCK_H

#include <stdint.h>

/* Room for "2026-11-22T16:14:05.123Z" and a NUL. */
#define FAAS_CLOCK_RFC3339_MAX 32

/** Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t faas_clock_now_ms(void);

/** Milliseconds from an arbitrary start (CLOCK_MONOTONIC), for deadlines and durations. */
int64_t faas_clock_mono_ms(void);

/** Writes ms as RFC 3339 UTC into buf ("...T16:14:05Z", or "...05.123Z" with millis); returns buf. */
char *faas_clock_format_rfc3339(char buf[FAAS_CLOCK_RFC3339_MAX], int64_t ms, int millis);

/** Unix ms of an RFC 3339 UTC time as Docker writes it ("2026-12-07T00:48:58.123456789Z");
    -1 when text is not one (NULL included). */
int64_t faas_clock_parse_rfc3339(const char *text);

#endif
