/*
 * clock.c: time sources and RFC 3339 formatting (gmtime_r, never localtime).
 */
#include "faas/core/clock.h"

#include <stdio.h>
#include <time.h>

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t faas_clock_now_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

int64_t faas_clock_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

char *faas_clock_format_rfc3339(char buf[FAAS_CLOCK_RFC3339_MAX], int64_t ms, int millis)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, FAAS_CLOCK_RFC3339_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
    if (millis)
        snprintf(buf + n, FAAS_CLOCK_RFC3339_MAX - n, ".%03dZ", (int)(ms % 1000));
    else
        snprintf(buf + n, FAAS_CLOCK_RFC3339_MAX - n, "Z");
    return buf;
}

int64_t faas_clock_parse_rfc3339(const char *text)
{
    struct tm tm = {0};
    const char *p = text != NULL ? strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (p == NULL)
        return -1;
    int64_t ms = 0, scale = 100;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            ms += (*p - '0') * scale; /* digits past the third add nothing: scale reaches 0 */
    if (*p != 'Z' || p[1] != '\0')
        return -1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}
