/*
 * testlib.h: a minimal test harness for faas unit and C end-to-end tests.
 *
 *   TEST(parses_port) { CHECK_INT(parse("80"), 80); }
 *   int main(void) { RUN(parses_port); return testlib_done(); }
 *
 * A failed CHECK reports file:line and the values, and the test goes on.
 */
#ifndef FAAS_TESTLIB_H
#define FAAS_TESTLIB_H

#include <stddef.h>
#include <string.h>

#define TEST(name) static void name(void)
#define RUN(name) testlib_run(#name, name)

#define CHECK(cond) testlib_check((cond) != 0, __FILE__, __LINE__, "%s", #cond)
#define CHECK_INT(got, want)                                                                            \
    do {                                                                                                \
        long long g_ = (long long)(got), w_ = (long long)(want);                                        \
        testlib_check(g_ == w_, __FILE__, __LINE__, "%s == %lld, want %lld", #got, g_, w_);             \
    } while (0)
#define CHECK_STR(got, want)                                                                            \
    do {                                                                                                \
        const char *g_ = (got), *w_ = (want);                                                           \
        testlib_check(g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0, __FILE__, __LINE__,              \
                      "%s == \"%s\", want \"%s\"", #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");       \
    } while (0)
#define CHECK_CONTAINS(hay, needle)                                                                     \
    do {                                                                                                \
        const char *h_ = (hay), *n_ = (needle);                                                         \
        testlib_check(h_ != NULL && strstr(h_, n_) != NULL, __FILE__, __LINE__,                         \
                      "%s = \"%s\" should contain \"%s\"", #hay, h_ ? h_ : "(null)", n_);               \
    } while (0)

void testlib_run(const char *name, void (*fn)(void));
void testlib_check(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Prints the summary; returns the process exit code (0 when every check passed). */
int testlib_done(void);
/** Creates a fresh directory under $TMPDIR (or /tmp) into out (size >= 256); removed by testlib_done. */
const char *testlib_tmpdir(char *out, size_t size);
/** Writes data to path (creating it); returns 0 on success. */
int testlib_write_file(const char *path, const char *data);

#endif
