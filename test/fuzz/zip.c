/*
 * zip.c (fuzz): an uploaded zip to a build context and its tar, as services and jobs take it:
 * faas_buildctx_add_zip (libarchive's seekable reader and faas's checks on every entry), the
 * job language detection that reads serverless.json from it, the labelled Dockerfile, then
 * faas_buildctx_finish. Input: the zip. Limits are lower than the server's (1000 entries,
 * 8 MiB unpacked) so an input never needs more than the fuzzer's memory cap.
 * Properties: the tar is whole 512-byte blocks, libarchive reads it back, and it holds exactly
 * the files of the context (the Dockerfile included), each of the size the context held.
 */
#include "fuzz.h"
#include "faas/job/detect.h"
#include "faas/service/buildctx.h"

#include <archive.h>
#include <archive_entry.h>

FUZZ_QUIET_INIT

static const char DOCKERFILE[] = "FROM busybox:latest\nCOPY . /app\nCMD [\"sh\", \"/app/main.sh\"]\n";

/* 1 when path is relative and normalised: no empty, "." or ".." component. */
static int normal_path(const char *path)
{
    for (const char *c = path;;) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        if (c[n] == '\0')
            return 1;
        c += n + 1;
    }
}

/* Reads the tar back; -1 when libarchive refuses it or a file's size differs from the context's. */
static long tar_files(const faas_buildctx_t *ctx, const void *tar, size_t len, const size_t *sizes)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    long files = 0;
    if (archive_read_open_memory(a, tar, len) != ARCHIVE_OK) {
        archive_read_free(a);
        return -1;
    }
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        if (archive_entry_filetype(e) != AE_IFREG)
            continue;
        const char *path = archive_entry_pathname(e);
        size_t i = 0, n = faas_buildctx_count(ctx);
        while (i < n && strcmp(faas_buildctx_path(ctx, i), path) != 0)
            i++;
        if (i == n || (size_t)archive_entry_size(e) != sizes[i]) {
            files = -1;
            break;
        }
        files++;
    }
    if (r != ARCHIVE_EOF && files >= 0)
        files = -1;
    archive_read_free(a);
    return files;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *zip = fuzz_dup(data, size);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_buildctx_zip_limits_t limits = {.max_entries = 1000, .max_bytes = 8u << 20};
    faas_error_t err = {0};
    faas_err_t rc = faas_buildctx_add_zip(ctx, zip, size, &limits, &err);
    if (rc != FAAS_OK) {
        FUZZ_CHECK(err.msg[0] != '\0');
        FUZZ_CHECK(faas_buildctx_count(ctx) == 0); /* nothing added on failure */
    } else {
        size_t n = faas_buildctx_count(ctx), total = 0;
        FUZZ_CHECK(n > 0 && n <= limits.max_entries);
        faas_detect_result_t det;
        faas_error_t derr = {0};
        if (faas_detect_language(ctx, &det, &derr) == FAAS_OK)
            FUZZ_CHECK(det.language[0] != '\0' && strlen(det.reason) < sizeof(det.reason));
        faas_buildctx_labels_t labels = {.instance = "0123456789ab", .kind = "job", .function = "fz", .build_id = "b1"};
        rc = faas_buildctx_add_dockerfile(ctx, DOCKERFILE, sizeof(DOCKERFILE) - 1, &labels, &err);
        n = faas_buildctx_count(ctx);
        size_t *sizes = calloc(n, sizeof(*sizes));
        for (size_t i = 0; i < n; i++) {
            const char *path = faas_buildctx_path(ctx, i);
            FUZZ_CHECK(path != NULL && path[0] != '\0' && path[0] != '/');
            FUZZ_CHECK(normal_path(path));
            FUZZ_CHECK(faas_buildctx_file(ctx, path, &sizes[i]) != NULL);
            total += sizes[i];
        }
        FUZZ_CHECK(rc != FAAS_OK || total <= limits.max_bytes + sizeof(DOCKERFILE) + 4096);
        void *tar = NULL;
        size_t tar_len = 0;
        if (faas_buildctx_finish(ctx, &tar, &tar_len, &err) == FAAS_OK) {
            FUZZ_CHECK(tar_len % 512 == 0 && tar_len >= 1024);
            FUZZ_CHECK(tar_files(ctx, tar, tar_len, sizes) == (long)n);
            free(tar);
        }
        free(sizes);
    }
    faas_buildctx_dispose(ctx);
    free(zip);
    return 0;
}
