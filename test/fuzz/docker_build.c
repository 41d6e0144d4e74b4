/*
 * docker_build.c (fuzz): the parser of the engine's POST /build answer
 * (faas_docker_build_parser_feed and _finish): JSON lines with the build's progress, its errors
 * and the image id, where a Dockerfile's RUN steps print whatever the uploaded code makes them
 * print. Input: one byte seeding where the stream is cut, then the stream.
 * Properties: fed whole or cut anywhere, the progress text, the answer, the image id and the
 * error are the same; an image id is "sha256:" and 64 hex digits; the error fits its buffer.
 */
#include "fuzz.h"
#include "faas/docker/docker.h"

FUZZ_QUIET_INIT

typedef struct result {
    faas_buf_t text; /* every progress line, each after a NUL */
    faas_err_t rc;
    char id[FAAS_DOCKER_ID_MAX];
    char msg[FAAS_ERROR_MSG_MAX];
} result_t;

static void on_line(void *cbdata, const char *text, size_t len)
{
    result_t *r = cbdata;
    faas_buf_add(&r->text, "", 1);
    faas_buf_add(&r->text, text, len);
}

static void parse(const uint8_t *data, size_t size, unsigned seed, result_t *r)
{
    faas_docker_build_parser_t p;
    *r = (result_t){.rc = FAAS_OK};
    faas_docker_build_parser_init(&p, on_line, r);
    faas_error_t err = {0};
    for (size_t at = 0; at < size;) {
        size_t k = seed == 0 ? size - at : 1 + (seed = seed * 1103515245u + 12345u) % 97;
        k = k < size - at ? k : size - at;
        char *chunk = fuzz_dup(data + at, k);
        FUZZ_CHECK(faas_docker_build_parser_feed(&p, chunk, k, &err) == FAAS_OK);
        free(chunk);
        at += k;
    }
    r->rc = faas_docker_build_parser_finish(&p, r->id, &err);
    snprintf(r->msg, sizeof(r->msg), "%s", err.msg);
    faas_docker_build_parser_dispose(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    result_t whole, cut;
    parse(data + 1, size - 1, 0, &whole);
    parse(data + 1, size - 1, data[0] | 1, &cut);
    FUZZ_CHECK(whole.rc == cut.rc && strcmp(whole.id, cut.id) == 0 && strcmp(whole.msg, cut.msg) == 0);
    FUZZ_CHECK(whole.text.len == cut.text.len &&
               (whole.text.len == 0 || memcmp(whole.text.p, cut.text.p, whole.text.len) == 0));
    if (whole.rc == FAAS_OK) {
        FUZZ_CHECK(strncmp(whole.id, "sha256:", 7) == 0 && strlen(whole.id) == 71);
        FUZZ_CHECK(strspn(whole.id + 7, "0123456789abcdef") == 64);
    } else {
        FUZZ_CHECK(whole.rc == FAAS_EDOCKER && whole.id[0] == '\0');
    }
    faas_buf_free(&whole.text);
    faas_buf_free(&cut.text);
    return 0;
}
