/*
 * dockerfile.c (fuzz): an uploaded runtime, the Dockerfile text any API client with the key
 * sends: faas_runtimes_check (name, size, UTF-8, the first instruction is FROM) and
 * faas_buildctx_label_dockerfile (a LABEL after every FROM, continuation lines and the escape
 * directive respected, the build id at the end). Input: the runtime name, '\n', the Dockerfile.
 * Properties: the labelled text is the upload with only faas's LABEL lines added, each right
 * after a line, and ends with the build's LABEL; no more labels than lines.
 */
#include "fuzz.h"
#include "faas/service/buildctx.h"
#include "faas/service/runtimes.h"

FUZZ_QUIET_INIT

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    const uint8_t *line;
    size_t name_len = fuzz_line(&in, &line);
    char *name = fuzz_strdup(line, name_len);
    char *text = fuzz_dup(in.p, in.len);
    faas_error_t err = {0};
    faas_err_t rc = faas_runtimes_check(name, text, in.len, 1 << 20, &err);
    FUZZ_CHECK(rc == FAAS_OK || err.msg[0] != '\0');

    faas_buildctx_labels_t labels = {.instance = "f0e1d2c3b4a5", .kind = "service",
                                     .function = name_len < 64 ? name : "x", .build_id = "9f8e7d6c-fuzz"};
    size_t out_len = 0;
    char *out = faas_buildctx_label_dockerfile(text, in.len, &labels, &out_len);
    if (out != NULL) {
        static const char last[] = "LABEL faas.build=\"9f8e7d6c-fuzz\"\n";
        FUZZ_CHECK(out_len >= in.len + sizeof(last) - 1 && out[out_len] == '\0');
        FUZZ_CHECK(memcmp(out + out_len - (sizeof(last) - 1), last, sizeof(last) - 1) == 0);
        /* Without the stage labels (whole lines, each after a '\n'), the upload is left as it was. */
        char stage[512];
        size_t sn = (size_t)snprintf(stage, sizeof(stage), "\nLABEL faas.managed=\"1\" faas.instance=\"%s\"",
                                     labels.instance);
        size_t o = 0, k = 0, lines = 1, stages = 0;
        int own = memmem(text, in.len, stage + 1, sn - 1) != NULL; /* the upload holds such a label itself */
        char *plain = malloc(out_len + 1);
        while (o < out_len - (sizeof(last) - 1)) {
            if (o > 0 && out[o - 1] == '\n' && o + sn - 1 <= out_len && memcmp(out + o - 1, stage, sn) == 0) {
                const char *eol = memchr(out + o, '\n', out_len - o);
                FUZZ_CHECK(eol != NULL);
                o = (size_t)(eol - out) + 1;
                stages++;
                continue;
            }
            lines += out[o] == '\n';
            plain[k++] = out[o++];
        }
        if (!own) {
            FUZZ_CHECK(stages <= lines);
            FUZZ_CHECK(k == in.len || (k == in.len + 1 && plain[in.len] == '\n'));
            FUZZ_CHECK(memcmp(plain, text, in.len) == 0);
        }
        free(plain);
        free(out);
    }
    free(text);
    free(name);
    return 0;
}
