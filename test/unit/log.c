/*
 * log.c (unit): logging to a file, and repeats held back: the same line a thousand times is one
 * line and a count; a different line (or the same text at another level) is never held back;
 * two alternating repeaters are both tamed; after the interval a repeat is written again with
 * its count; counts come out on the next log call, on faas_log_flush and before a switch of
 * file; a line cut to fit keeps its count; an interval of 0 writes everything; many threads
 * at once lose no count and tear no line. The interval's clock is a fake one the tests move,
 * so nothing sleeps.
 */
#include "faas/core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static int64_t fake_ms = 1000000;

static int64_t fake_clock(void)
{
    return __atomic_load_n(&fake_ms, __ATOMIC_RELAXED);
}

static void advance(int64_t ms)
{
    __atomic_add_fetch(&fake_ms, ms, __ATOMIC_RELAXED);
}

static char dir[256];
static char path[320];

/* A fresh log file with the fake clock and the default interval. */
static void start(const char *name)
{
    faas_error_t err = {0};
    snprintf(path, sizeof(path), "%s/%s.log", dir, name);
    faas_log_set_clock(fake_clock);
    faas_log_set_repeat_interval(FAAS_LOG_REPEAT_INTERVAL_MS);
    CHECK_INT(faas_log_open_file(path, &err), FAAS_OK);
}

/* Back to stderr, the real clock and the default interval. */
static void stop(void)
{
    faas_error_t err = {0};
    CHECK_INT(faas_log_open_file(NULL, &err), FAAS_OK);
    faas_log_set_clock(NULL);
    faas_log_set_repeat_interval(FAAS_LOG_REPEAT_INTERVAL_MS);
}

/* The log file's text (caller frees). */
static char *contents(void)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return strdup("");
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(m);
    fclose(f);
    return buf;
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static int lines(void)
{
    char *text = contents();
    int n = count(text, "\n");
    free(text);
    return n;
}

TEST(repeats_are_held_back_and_counted)
{
    start("repeats");
    for (int i = 0; i < 1000; i++)
        faas_log_warn("docker events: connection refused, retrying");
    CHECK_INT(lines(), 1);
    advance(FAAS_LOG_REPEAT_INTERVAL_MS - 1);
    faas_log_warn("docker events: connection refused, retrying");
    CHECK_INT(lines(), 1); /* still inside the interval */

    advance(1);
    faas_log_warn("docker events: connection refused, retrying"); /* the next copy carries the count */
    char *text = contents();
    CHECK_INT(count(text, "\n"), 2);
    CHECK_INT(count(text, " warn  docker events: connection refused, retrying\n"), 1);
    CHECK_INT(count(text, " warn  docker events: connection refused, retrying "
                          "(repeated 1000 times in 10 s before this one)\n"), 1);
    free(text);

    /* A new interval started with that copy: held back again, counted from zero. */
    for (int i = 0; i < 5; i++)
        faas_log_warn("docker events: connection refused, retrying");
    CHECK_INT(lines(), 2);
    faas_log_flush();
    text = contents();
    CHECK_INT(count(text, "\n"), 3);
    CHECK_INT(count(text, "retrying (repeated 5 times in 10 s)\n"), 1);
    free(text);
    faas_log_flush(); /* nothing held: nothing written */
    CHECK_INT(lines(), 3);
    advance(FAAS_LOG_REPEAT_INTERVAL_MS);
    faas_log_warn("docker events: connection refused, retrying");
    faas_log_warn("docker events: connection refused, retrying");
    faas_log_flush();
    text = contents();
    CHECK_INT(count(text, "\n"), 5);
    CHECK_INT(count(text, "retrying (repeated 1 time in 10 s)\n"), 1);
    free(text);
    stop();
}

TEST(different_lines_are_never_held_back)
{
    start("different");
    for (int i = 0; i < 100; i++)
        faas_log_info("request %d served", i);
    CHECK_INT(lines(), 100);
    faas_log_info("same text");
    faas_log_warn("same text"); /* another level: another line */
    faas_log_error("same text");
    faas_log_debug("same text"); /* below the level: dropped, not counted */
    char *text = contents();
    CHECK_INT(count(text, "\n"), 103);
    CHECK_INT(count(text, " info  same text\n"), 1);
    CHECK_INT(count(text, " warn  same text\n"), 1);
    CHECK_INT(count(text, " error same text\n"), 1);
    free(text);
    faas_log_info("a forged\nline\r\nattempt"); /* control characters stay inside one line */
    text = contents();
    CHECK_INT(count(text, "\n"), 104);
    CHECK_INT(count(text, " info  a forged line  attempt\n"), 1);
    free(text);
    stop();
}

TEST(long_lines_keep_their_count)
{
    start("long");
    char big[6000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (int i = 0; i < 3; i++)
        faas_log_error("%s", big); /* cut to fit a line; the cut text is what repeats */
    faas_log_flush();
    char *text = contents();
    CHECK_INT(count(text, "\n"), 2);
    char *second = strchr(text, '\n') + 1;
    CHECK(strchr(text, '\n') - text < 4096 && strlen(second) <= 4096);
    CHECK_CONTAINS(second, "xxx (repeated 2 times in 10 s)\n");
    free(text);
    stop();
}

TEST(alternating_repeaters_are_both_tamed)
{
    start("alternating");
    for (int i = 0; i < 500; i++) {
        faas_log_warn("upstream %s refused", "a");
        faas_log_warn("upstream %s refused", "b");
    }
    CHECK_INT(lines(), 2);
    advance(FAAS_LOG_REPEAT_INTERVAL_MS);
    faas_log_info("something else"); /* the next log call writes the counts that are due */
    char *text = contents();
    CHECK_INT(count(text, "\n"), 5);
    CHECK_INT(count(text, " warn  upstream a refused (repeated 499 times in 10 s)\n"), 1);
    CHECK_INT(count(text, " warn  upstream b refused (repeated 499 times in 10 s)\n"), 1);
    CHECK(strstr(text, "(repeated 499 times in 10 s)\n") < strstr(text, " info  something else\n"));
    free(text);
    faas_log_warn("upstream a refused"); /* after its interval: written again, no count left */
    text = contents();
    CHECK_INT(count(text, "\n"), 6);
    CHECK_INT(count(text, "repeated"), 2);
    free(text);
    stop();
}

TEST(counts_survive_a_full_table_and_a_file_switch)
{
    start("table");
    for (int round = 0; round < 3; round++) /* 8 repeaters fill the table; all held back */
        for (int i = 0; i < 8; i++)
            faas_log_warn("repeater %d", i);
    CHECK_INT(lines(), 8);
    faas_log_warn("a ninth line"); /* takes the stalest slot: repeater 0's count comes out first */
    char *text = contents();
    CHECK_INT(count(text, "\n"), 10);
    CHECK_INT(count(text, " warn  repeater 0 (repeated 2 times in 10 s)\n"), 1);
    free(text);

    char first[320];
    snprintf(first, sizeof(first), "%s", path);
    start("table-next"); /* the held counts go to the file their lines went to */
    snprintf(path, sizeof(path), "%s", first);
    text = contents();
    CHECK_INT(count(text, "(repeated 2 times in 10 s)\n"), 8);
    free(text);
    snprintf(path, sizeof(path), "%s/table-next.log", dir);
    faas_log_warn("repeater 1"); /* a fresh table: written in the new file */
    CHECK_INT(lines(), 1);
    stop();
}

TEST(interval_zero_writes_everything)
{
    start("zero");
    faas_log_set_repeat_interval(0);
    for (int i = 0; i < 20; i++)
        faas_log_info("again");
    CHECK_INT(lines(), 20);
    faas_log_set_repeat_interval(250); /* a short interval, shown as such */
    for (int i = 0; i < 4; i++)
        faas_log_info("again");
    advance(250);
    faas_log_info("again");
    char *text = contents();
    CHECK_INT(count(text, " info  again (repeated 3 times in 0.25 s before this one)\n"), 1);
    free(text);
    stop();
}

#define THREADS 4
#define PER_THREAD 2000

static void *hammer(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        faas_log_warn("the same line from every thread");
        if (i % 500 == 0)
            faas_log_info("thread %ld at %d", id, i); /* distinct: always written */
        if (i == PER_THREAD / 2 && id == 0)
            advance(FAAS_LOG_REPEAT_INTERVAL_MS); /* an interval ends midway */
    }
    return NULL;
}

/* How many times the shared line was logged, by what was written: a copy counts 1, a count
 * N more (a count folded into a copy: N + 1). */
static long shared_total(const char *text)
{
    const char *needle = " warn  the same line from every thread";
    long total = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle)) {
        const char *rest = p + strlen(needle);
        long n = 0;
        char tail[32] = "";
        if (sscanf(rest, " (repeated %ld times in 10 s%31[^)]", &n, tail) >= 1)
            total += n + (strcmp(tail, " before this one") == 0);
        else
            total += 1;
    }
    return total;
}

TEST(threads_lose_no_count)
{
    start("threads");
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK_INT(pthread_create(&t[i], NULL, hammer, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    faas_log_flush();
    char *text = contents();
    int n = count(text, "\n");
    /* The shared line: its first copy, the copy after the interval (with the count), and the
     * last count unless that copy was the very last call. */
    testlib_check(n >= THREADS * 4 + 2 && n <= THREADS * 4 + 3, __FILE__, __LINE__, "%d lines:\n%s", n, text);
    CHECK_INT(count(text, " info  thread "), THREADS * 4);
    CHECK_INT(shared_total(text), THREADS * PER_THREAD);
    /* Every line whole: a time, a level, a text, one newline. */
    int whole = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
        whole += strlen(line) > 30 && line[4] == '-' && line[10] == 'T' && line[23] == 'Z' &&
                 (strncmp(line + 25, "warn  the same", 14) == 0 || strncmp(line + 25, "info  thread ", 13) == 0);
    CHECK_INT(whole, n);
    free(text);
    stop();
}

int main(void)
{
    testlib_tmpdir(dir, sizeof(dir));
    RUN(repeats_are_held_back_and_counted);
    RUN(different_lines_are_never_held_back);
    RUN(long_lines_keep_their_count);
    RUN(alternating_repeaters_are_both_tamed);
    RUN(counts_survive_a_full_table_and_a_file_switch);
    RUN(interval_zero_writes_everything);
    RUN(threads_lose_no_count);
    return testlib_done();
}
