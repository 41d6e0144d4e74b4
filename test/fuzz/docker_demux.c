/*
 * docker_demux.c (fuzz): faas_docker_demux_feed, the reader of a container's multiplexed log
 * stream (what a function prints, framed by the engine), fed as the engine's chunks arrive.
 * Input: one byte seeding where the stream is cut, then the stream.
 * Properties: fed whole or cut anywhere, the same payload bytes reach the callback with the same
 * stream numbers (0 to 2), and the same answer and completeness; each piece lies inside its chunk.
 */
#include "fuzz.h"
#include "faas/docker/docker.h"

FUZZ_QUIET_INIT

typedef struct seen {
    char *bytes;   /* payload, each byte preceded by its stream number */
    size_t len;
    const char *chunk; /* the chunk being fed */
    size_t chunk_len;
} seen_t;

static void on_piece(void *cbdata, int stream, const char *data, size_t len)
{
    seen_t *s = cbdata;
    FUZZ_CHECK(stream >= 0 && stream <= 2 && len > 0);
    FUZZ_CHECK(data >= s->chunk && data + len <= s->chunk + s->chunk_len);
    for (size_t i = 0; i < len; i++) {
        s->bytes[s->len++] = (char)stream;
        s->bytes[s->len++] = data[i];
    }
}

/* Feeds in chunks whose sizes come from seed (0: one chunk); returns the last answer. */
static int feed(const uint8_t *data, size_t size, unsigned seed, seen_t *s, int *complete)
{
    faas_docker_demux_t dmx;
    faas_docker_demux_init(&dmx);
    *s = (seen_t){.bytes = malloc(2 * size + 1)};
    int rc = 0;
    for (size_t at = 0; at < size;) {
        size_t k = seed == 0 ? size - at : 1 + (seed = seed * 1103515245u + 12345u) % 13;
        k = k < size - at ? k : size - at;
        char *chunk = fuzz_dup(data + at, k); /* exact size: ASan sees a read past the chunk */
        s->chunk = chunk, s->chunk_len = k;
        rc = faas_docker_demux_feed(&dmx, chunk, k, on_piece, s);
        free(chunk);
        at += k;
        if (rc != 0)
            break;
    }
    *complete = faas_docker_demux_complete(&dmx);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned seed = data[0] | 1;
    seen_t whole, cut;
    int cw, cc;
    int rw = feed(data + 1, size - 1, 0, &whole, &cw);
    int rc = feed(data + 1, size - 1, seed, &cut, &cc);
    FUZZ_CHECK(rw == rc && cw == cc && whole.len == cut.len && memcmp(whole.bytes, cut.bytes, whole.len) == 0);
    FUZZ_CHECK(rw == 0 || !cw);
    free(whole.bytes);
    free(cut.bytes);
    return 0;
}
