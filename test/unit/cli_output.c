/*
 * cli_output.c (unit): the client's control-character filter and cell cleaner. Not a
 * terminal: every escape sequence (CSI, OSC, two-byte) and C0 control but \n and \t is gone,
 * text kept; a terminal keeps colours and \r only; sequences cut between chunks are handled
 * the same; cells lose newlines and are cut on a UTF-8 boundary. Also the login URL check.
 */
#include "faas/cli/config.h"
#include "faas/cli/output.h"
#include "testlib.h"

#include <stdio.h>
#include <string.h>

/* in through a filter, fed in chunks of step bytes; the result as a string. */
static const char *filtered(const char *in, int keep_sgr, size_t step)
{
    static char out[4096];
    faas_cli_filter_t f = {.keep_sgr = keep_sgr};
    size_t n = 0, len = strlen(in);
    for (size_t off = 0; off < len; off += step) {
        char buf[64 + FAAS_CLI_FILTER_SLACK];
        size_t got = faas_cli_filter(&f, in + off, len - off < step ? len - off : step, buf);
        memcpy(out + n, buf, got);
        n += got;
    }
    out[n] = '\0';
    return out;
}

static const char *const sample = "a\x1b[31mred\x1b[0m b\x07\x1b]0;title\x07 c\x1b]2;t\x1b\\ d\x1b(Be\r\n"
                                  "\x1b[2J\x1b[?25lf\tg\x01\x7fh\x1b[1;32mok\x1b[m\n";

TEST(pipe_gets_no_controls)
{
    for (size_t step = 1; step <= 64; step *= 2) {
        const char *out = filtered(sample, 0, step);
        CHECK_STR(out, "ared b c de\nf\tghok\n");
    }
}

TEST(terminal_keeps_colours_only)
{
    for (size_t step = 1; step <= 64; step *= 2) {
        const char *out = filtered(sample, 1, step);
        CHECK_STR(out, "a\x1b[31mred\x1b[0m b c de\r\nf\tgh\x1b[1;32mok\x1b[m\n");
    }
    /* a colour-looking sequence that is too long, or has other bytes, is dropped */
    CHECK_STR(filtered("x\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16mY", 1, 64), "xY");
    CHECK_STR(filtered("x\x1b[>4mY", 1, 64), "xY");
}

TEST(utf8_and_cells)
{
    char out[16];
    CHECK_STR(filtered("héllo ✓\n", 0, 3), "héllo ✓\n");
    CHECK_STR(faas_cli_clean("two\nlines\tand\x1b[31mred", out, sizeof(out)), "two lines andre");
    CHECK_STR(faas_cli_clean(NULL, out, sizeof(out)), "");
    char small[5];
    CHECK_STR(faas_cli_clean("abc✓", small, sizeof(small)), "abc"); /* not cut inside the 3-byte ✓ */
}

TEST(ages)
{
    char out[32];
    CHECK_STR(faas_cli_age(0, 100, out, sizeof(out)), "-");
    CHECK_STR(faas_cli_age(90, 100, out, sizeof(out)), "10s ago");
    CHECK_STR(faas_cli_age(100, 100 + 7200, out, sizeof(out)), "2h ago");
    CHECK_STR(faas_cli_age(100, 100 + 3 * 86400, out, sizeof(out)), "3d ago");
}

TEST(login_urls)
{
    char out[64];
    CHECK_INT(faas_cli_config_url("http://127.0.0.1:8080/", out, sizeof(out)), 0);
    CHECK_STR(out, "http://127.0.0.1:8080");
    CHECK_INT(faas_cli_config_url("https://faas.example.com", out, sizeof(out)), 0);
    CHECK_INT(faas_cli_config_url("ftp://x", out, sizeof(out)), -1);
    CHECK_INT(faas_cli_config_url("http://", out, sizeof(out)), -1);
    CHECK_INT(faas_cli_config_url("http://a b", out, sizeof(out)), -1);
    CHECK_INT(faas_cli_config_url("127.0.0.1:8080", out, sizeof(out)), -1);
}

int main(void)
{
    RUN(pipe_gets_no_controls);
    RUN(terminal_keeps_colours_only);
    RUN(utf8_and_cells);
    RUN(ages);
    RUN(login_urls);
    return testlib_done();
}
