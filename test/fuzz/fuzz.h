/*
 * fuzz.h: what the libFuzzer targets of test/fuzz share: exact-size copies of the input (so
 * AddressSanitizer sees a read one byte past it), a NUL-terminated copy for parsers that take C
 * strings, a cursor that splits the input into a few choices and the rest, and FUZZ_CHECK, which
 * aborts (a crash libFuzzer keeps) when a property of a parser's answer does not hold.
 */
#ifndef FAAS_FUZZ_H
#define FAAS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: property does not hold: %s\n", __FILE__, __LINE__, #cond);                        \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

/* Silences faas's log: the parsers log what they refuse, millions of times here. */
#define FUZZ_QUIET_INIT                                                                                                \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                                                                  \
    {                                                                                                                  \
        (void)argc, (void)argv;                                                                                        \
        faas_log_set_level(FAAS_LOG_ERROR + 1);                                                                        \
        return 0;                                                                                                      \
    }

/* A heap copy of exactly len bytes (one byte for an empty input, never read). */
static inline char *fuzz_dup(const void *p, size_t len)
{
    char *c = malloc(len > 0 ? len : 1);
    if (c == NULL)
        abort();
    if (len > 0)
        memcpy(c, p, len);
    return c;
}

/* A NUL-terminated heap copy (len + 1 bytes). */
static inline char *fuzz_strdup(const void *p, size_t len)
{
    char *c = malloc(len + 1);
    if (c == NULL)
        abort();
    if (len > 0)
        memcpy(c, p, len);
    c[len] = '\0';
    return c;
}

/* The input as a few leading choice bytes and the rest. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t len;
} fuzz_in_t;

/* The next byte (0 once the input is used up). */
static inline uint8_t fuzz_byte(fuzz_in_t *in)
{
    if (in->len == 0)
        return 0;
    in->len--;
    return *in->p++;
}

/* Up to the first '\n' (not included; all of it when there is none), and the rest after it. */
static inline size_t fuzz_line(fuzz_in_t *in, const uint8_t **line)
{
    const uint8_t *nl = memchr(in->p, '\n', in->len);
    size_t n = nl != NULL ? (size_t)(nl - in->p) : in->len;
    *line = in->p;
    in->p += n + (nl != NULL);
    in->len -= n + (nl != NULL);
    return n;
}

#endif
