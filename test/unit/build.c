/*
 * build.c: unit tests of the build context (src/service/buildctx.c): the deterministic tar writer (sorted,
 * same bytes whatever the order files came in), path normalisation and clashes, lookups, and
 * zips read back through the tar with their names and modes. The zip reader's checks and
 * limits are tested in build_zip.c. Single-threaded.
 */
#include "faas/service/buildctx.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "zipmaker.h"

/* ---- the tar writer ---- */

TEST(tar_refuses_unsafe_paths)
{
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    const char *bad[] = {"/abs", "a/../b", "..", "../x", "x/..", "", "a/", ".", "./", NULL};
    for (size_t i = 0; bad[i] != NULL; i++)
        CHECK_INT(faas_buildctx_add(ctx, bad[i], "x", 1, 0644, &err), FAAS_EINVAL);
    CHECK_INT(faas_buildctx_add(ctx, NULL, "x", 1, 0644, &err), FAAS_EINVAL);
    CHECK_INT(faas_buildctx_add(ctx, "nodata", NULL, 1, 0644, &err), FAAS_EINVAL);
    const char *good[] = {"a..b", "...", "./x", "a/b/c", "d//e/./f", "back\\slash", NULL};
    for (size_t i = 0; good[i] != NULL; i++)
        CHECK_INT(faas_buildctx_add(ctx, good[i], "x", 1, 0644, &err), FAAS_OK);
    CHECK_STR(faas_buildctx_path(ctx, 2), "x");
    CHECK_STR(faas_buildctx_path(ctx, 4), "d/e/f");
    CHECK_STR(faas_buildctx_path(ctx, 5), "back\\slash"); /* only zips treat it as a separator */
    CHECK_INT(faas_buildctx_count(ctx), 6);
    faas_buildctx_dispose(ctx);
}

TEST(tar_same_path_twice_conflicts)
{
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(faas_buildctx_add(ctx, "x", "1", 1, 0, &err), FAAS_OK);
    CHECK_INT(faas_buildctx_add(ctx, "./x", "2", 1, 0, &err), FAAS_ECONFLICT);
    CHECK_CONTAINS(err.msg, "x is already there");
    CHECK_INT(faas_buildctx_add(ctx, "x/y", "2", 1, 0, &err), FAAS_ECONFLICT);
    CHECK_CONTAINS(err.msg, "both a file and a folder");
    CHECK_INT(faas_buildctx_add(ctx, "a/b/c", "3", 1, 0, &err), FAAS_OK);
    CHECK_INT(faas_buildctx_add(ctx, "a/b", "4", 1, 0, &err), FAAS_ECONFLICT);
    CHECK_INT(faas_buildctx_add(ctx, "a", "4", 1, 0, &err), FAAS_ECONFLICT);
    CHECK_INT(faas_buildctx_add(ctx, "a/b/d", "5", 1, 0, &err), FAAS_OK);
    CHECK_INT(faas_buildctx_count(ctx), 3);
    size_t len = 9;
    CHECK(memcmp(faas_buildctx_file(ctx, "x", &len), "1", 1) == 0 && len == 1);
    faas_buildctx_dispose(ctx);
}

static const char long_name[] = "deep/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
                                "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/h\xc3\xa9llo.py";

/* The same four files, in the order given by perm (a permutation of 0..3). */
static void make_tar(const int order[4], void **tar, size_t *len)
{
    static const struct {
        const char *path, *data;
        int mode;
    } files[] = {{"Dockerfile", "FROM busybox:latest\n", 0},
                 {"app/run.sh", "#!/bin/sh\necho hi\n", 0755},
                 {"empty", NULL, 0600},
                 {long_name, "print(1)\n", 0644}};
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    for (int i = 0; i < 4; i++) {
        const char *data = files[order[i]].data;
        CHECK_INT(faas_buildctx_add(ctx, files[order[i]].path, data, data != NULL ? strlen(data) : 0,
                                         files[order[i]].mode, &err),
                  FAAS_OK);
    }
    CHECK_INT(faas_buildctx_finish(ctx, tar, len, &err), FAAS_OK);
    void *again = NULL;
    size_t again_len = 1;
    CHECK_INT(faas_buildctx_finish(ctx, &again, &again_len, &err), FAAS_EINVAL);
    CHECK(again == NULL && again_len == 0);
    CHECK_INT(faas_buildctx_add(ctx, "late", "x", 1, 0, &err), FAAS_EINVAL);
    CHECK(faas_buildctx_file(ctx, "Dockerfile", NULL) == NULL);  /* contents went into the tar */
    CHECK_STR(faas_buildctx_path(ctx, 0), files[order[0]].path); /* paths stay */
    faas_buildctx_dispose(ctx);
}

TEST(tar_reads_back_sorted_and_deterministic)
{
    static const int in_order[4] = {0, 1, 2, 3}, reversed[4] = {3, 2, 1, 0}, mixed[4] = {2, 0, 3, 1};
    void *tar = NULL, *tar2 = NULL, *tar3 = NULL;
    size_t len = 0, len2 = 0, len3 = 0;
    make_tar(in_order, &tar, &len);
    make_tar(reversed, &tar2, &len2);
    make_tar(mixed, &tar3, &len3);
    CHECK(len > 0 && len == len2 && memcmp(tar, tar2, len) == 0);
    CHECK(len == len3 && memcmp(tar, tar3, len) == 0);
    CHECK_INT(len % 512, 0);
    static const struct {
        const char *name, *data;
        int perm;
    } want[] = {{"Dockerfile", "FROM busybox:latest\n", 0644},
                {"app/run.sh", "#!/bin/sh\necho hi\n", 0755},
                {long_name, "print(1)\n", 0644},
                {"empty", "", 0600}};
    tar_item_t items[8];
    CHECK_INT(read_tar(tar, len, items, 8), 4);
    for (size_t i = 0; i < 4; i++) {
        CHECK_STR(items[i].name, want[i].name);
        CHECK_STR(items[i].data, want[i].data);
        CHECK_INT(items[i].perm, want[i].perm);
        CHECK_INT(items[i].type, AE_IFREG);
    }
    free(tar);
    free(tar2);
    free(tar3);
}

TEST(lookups)
{
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(faas_buildctx_count(ctx), 0);
    CHECK(faas_buildctx_path(ctx, 0) == NULL);
    CHECK_INT(faas_buildctx_add(ctx, "main.py", "print(1)\n", 9, 0, &err), FAAS_OK);
    CHECK_INT(faas_buildctx_add(ctx, "pkg/__init__.py", NULL, 0, 0, &err), FAAS_OK);
    size_t len = 99;
    const char *data = faas_buildctx_file(ctx, "main.py", &len);
    CHECK(data != NULL && len == 9 && memcmp(data, "print(1)\n", 9) == 0);
    data = faas_buildctx_file(ctx, "./pkg//__init__.py", &len);
    CHECK(data != NULL && len == 0);                                      /* empty, but there */
    CHECK(faas_buildctx_file(ctx, "pkg", &len) == NULL && len == 0); /* a folder */
    CHECK(faas_buildctx_file(ctx, "go.mod", NULL) == NULL);
    CHECK(faas_buildctx_file(ctx, "../main.py", NULL) == NULL);
    CHECK(faas_buildctx_file(ctx, NULL, NULL) == NULL);
    CHECK_INT(faas_buildctx_count(ctx), 2);
    CHECK_STR(faas_buildctx_path(ctx, 0), "main.py");
    CHECK_STR(faas_buildctx_path(ctx, 1), "pkg/__init__.py");
    CHECK(faas_buildctx_path(ctx, 2) == NULL);
    faas_buildctx_dispose(ctx);
    faas_buildctx_dispose(NULL);
}

/* ---- zips: what is accepted ---- */

TEST(zip_plain_nested_and_modes)
{
    static const lent_t ents[] = {
        {.name = "main.py", .data = "print('hi')\n"},
        {.name = "run.sh", .data = "#!/bin/sh\n", .perm = 0755},
        {.name = "bin/", .type = AE_IFDIR, .perm = 0700},
        {.name = "bin/tool", .data = "x", .perm = 0700},
        {.name = "lib/deep/mod.py", .data = "X = 1\n", .perm = 0600},
        {.name = "data/", .type = AE_IFDIR, .perm = 0700}, /* an empty folder */
    };
    size_t len = 0;
    unsigned char *zip = la_zip(ents, 6, NULL, &len);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(faas_buildctx_add(ctx, "Dockerfile", "FROM x\n", 7, 0, &err), FAAS_OK);
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_OK);
    CHECK_INT(faas_buildctx_count(ctx), 5);
    size_t n = 0;
    const char *py = faas_buildctx_file(ctx, "lib/deep/mod.py", &n);
    CHECK(py != NULL && n == 6 && memcmp(py, "X = 1\n", 6) == 0);
    CHECK(faas_buildctx_file(ctx, "data", NULL) == NULL);
    void *tar = NULL;
    size_t tlen = 0;
    finish(ctx, &tar, &tlen);
    tar_item_t it[10];
    CHECK_INT(read_tar(tar, tlen, it, 10), 7); /* lib/ and lib/deep/ are implied, not listed */
    static const struct {
        const char *name;
        int type, perm;
    } want[] = {{"Dockerfile", AE_IFREG, 0644},      {"bin/", AE_IFDIR, 0755},
                {"bin/tool", AE_IFREG, 0744},        {"data/", AE_IFDIR, 0755},
                {"lib/deep/mod.py", AE_IFREG, 0644}, {"main.py", AE_IFREG, 0644},
                {"run.sh", AE_IFREG, 0755}};
    for (size_t i = 0; i < 7; i++) {
        CHECK_STR(it[i].name, want[i].name);
        CHECK_INT(it[i].type, want[i].type);
        CHECK_INT(it[i].perm, want[i].perm);
    }
    CHECK_STR(it[5].data, "print('hi')\n");
    free(tar);
    free(zip);
}

/* The same files in another entry order, with other times: the same tar. */
TEST(zip_order_does_not_change_the_tar)
{
    lent_t a[] = {{.name = "fn/", .type = AE_IFDIR},
                  {.name = "fn/b.py", .data = "b"},
                  {.name = "fn/a.py", .data = "a", .mtime = 1700000000},
                  {.name = "fn/sub/c.py", .data = "c", .perm = 0755}};
    lent_t b[] = {{.name = "fn/sub/c.py", .data = "c", .perm = 0755, .mtime = 99},
                  {.name = "fn/a.py", .data = "a"},
                  {.name = "fn/b.py", .data = "b", .mtime = 5}};
    void *tars[2];
    size_t lens[2];
    for (int i = 0; i < 2; i++) {
        size_t zl = 0;
        unsigned char *zip = i == 0 ? la_zip(a, 4, NULL, &zl) : la_zip(b, 3, NULL, &zl);
        faas_buildctx_t *ctx = faas_buildctx_create();
        faas_error_t err = {0};
        CHECK_INT(add_zip(ctx, zip, zl, 0, 0, &err), FAAS_OK);
        finish(ctx, &tars[i], &lens[i]);
        free(zip);
    }
    CHECK(lens[0] == lens[1] && memcmp(tars[0], tars[1], lens[0]) == 0);
    tar_item_t it[8];
    CHECK_INT(read_tar(tars[0], lens[0], it, 8), 3);
    CHECK_STR(it[0].name, "a.py");
    CHECK_STR(it[2].name, "sub/c.py");
    free(tars[0]);
    free(tars[1]);
}

static const faas_buildctx_labels_t LABELS = {.instance = "0123456789ab", .kind = "job", .function = "fn",
                                              .build_id = "b1"};
#define STAGE "LABEL faas.managed=\"1\" faas.instance=\"0123456789ab\" faas.kind=\"job\" faas.function=\"fn\"\n"
#define LAST "LABEL faas.build=\"b1\"\n"

static char *labelled(const char *text)
{
    size_t n = 0;
    char *out = faas_buildctx_label_dockerfile(text, strlen(text), &LABELS, &n);
    CHECK(out != NULL && strlen(out) == n);
    return out;
}

TEST(dockerfile_labels_every_stage)
{
    char *out = labelled("FROM python:3.11-slim\nCOPY . /app\nCMD [\"x\"]\n");
    CHECK_STR(out, "FROM python:3.11-slim\n" STAGE "COPY . /app\nCMD [\"x\"]\n" LAST);
    free(out);
    out = labelled("# two stages\nfrom golang:1.19 AS build\nRUN go build\n  FROM scratch\nCOPY --from=build /a /a");
    CHECK_STR(out, "# two stages\nfrom golang:1.19 AS build\n" STAGE "RUN go build\n  FROM scratch\n" STAGE
                   "COPY --from=build /a /a\n" LAST);
    free(out);
    /* A FROM continued on the next line gets its label after the whole instruction. */
    out = labelled("FROM golang:1.19 \\\n  AS build\nRUN echo FROM x \\\n FROM y\nFROMAGE\n");
    CHECK_STR(out, "FROM golang:1.19 \\\n  AS build\n" STAGE "RUN echo FROM x \\\n FROM y\nFROMAGE\n" LAST);
    free(out);
    out = labelled("# escape=`\nFROM a `\n AS b\nRUN x \\\nFROM c\n");
    CHECK_STR(out, "# escape=`\nFROM a `\n AS b\n" STAGE "RUN x \\\nFROM c\n" STAGE LAST);
    free(out);
    out = labelled("");
    CHECK_STR(out, LAST);
    free(out);
}

int main(void)
{
    RUN(tar_refuses_unsafe_paths);
    RUN(tar_same_path_twice_conflicts);
    RUN(tar_reads_back_sorted_and_deterministic);
    RUN(lookups);
    RUN(zip_plain_nested_and_modes);
    RUN(zip_order_does_not_change_the_tar);
    RUN(dockerfile_labels_every_stage);
    return testlib_done();
}
