/*
 * faas-start: the first program of a pre-started execution container (see
 * warm.c). It waits for one call's input on the FIFO faas mounts
 * read-only at /.faas-input/input, puts it into its environment, then becomes
 * the function's own command (argv[1...]). Nothing of the function runs
 * before the input is there, and the container serves that one call.
 *
 * The input is "NAME=value" strings, each ended by a NUL byte, then EOF.
 * Linked statically: it has to run in any image, FROM scratch included.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INPUT_PATH "/.faas-input/input"
#define INPUT_MAX (8u << 20) /* far above what execve takes anyway */

static void die(int code, const char *what, const char *arg)
{
    fprintf(stderr, "faas-start: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
    exit(code);
}

/* Reads the whole FIFO; blocks until faas opens it for writing, returns at its EOF. */
static char *read_input(size_t *len)
{
    int fd;
    while ((fd = open(INPUT_PATH, O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (fd < 0)
        die(126, "cannot open", INPUT_PATH);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (buf == NULL)
            die(126, "out of memory reading", INPUT_PATH);
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die(126, "cannot read", INPUT_PATH);
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) {
            if (cap >= INPUT_MAX) {
                errno = EFBIG;
                die(126, "input too large on", INPUT_PATH);
            }
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        errno = EINVAL;
        die(127, "usage: faas-start COMMAND [ARG...]", NULL);
    }
    size_t len = 0;
    char *input = read_input(&len);
    for (char *p = input; p < input + len; p += strlen(p) + 1) {
        char *eq = strchr(p, '=');
        if (eq == NULL || eq == p)
            continue; /* faas never sends these; skip rather than guess */
        if (putenv(p) != 0)
            die(126, "cannot set", p);
    }
    execvp(argv[1], argv + 1);
    die(127, "cannot run", argv[1]);
    return 127;
}
