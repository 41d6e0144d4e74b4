/*
 * build_zip.c: unit tests of zip -> build context (src/service/buildctx_zip.c): unwrapping, skipped Mac
 * entries, Windows names, UTF-8 names under the C locale; refusals (zip slip, absolute paths,
 * links, devices, encryption, duplicates, damaged or truncated or corrupted input, not a zip);
 * the entry and byte caps, a real zip bomb (1 GiB of zeros in about 1 MB, with honest and lying
 * headers), and zips made by the `zip` command when it is installed. Zips are copied into
 * exact-size buffers so ASan sees any read past the end. Single-threaded.
 */
#include "faas/service/buildctx.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "testlib.h"
#include "zipmaker.h"

TEST(zip_single_top_folder_unwraps)
{
    static const zent_t ents[] = {
        {.name = "fn/"},
        {.name = "fn/main.py", .data = "print(1)"},
        {.name = "fn/lib/"},
        {.name = "fn/lib/util.py", .data = "u"},
        {.name = "__MACOSX/"},
        {.name = "__MACOSX/fn/._main.py", .data = "apple"},
        {.name = "fn/.DS_Store", .data = "finder"},
        {.name = ".DS_Store", .data = "finder"},
    };
    size_t len = 0;
    unsigned char *zip = make_zip(ents, 8, &len);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_OK);
    CHECK_INT(faas_buildctx_count(ctx), 2);
    CHECK_STR(faas_buildctx_path(ctx, 0), "main.py");
    CHECK_STR(faas_buildctx_path(ctx, 1), "lib/util.py");
    CHECK(faas_buildctx_file(ctx, "main.py", NULL) != NULL);
    faas_buildctx_dispose(ctx);
    free(zip);

    /* only once: fn/fn/x becomes fn/x */
    static const zent_t twice[] = {{.name = "fn/fn/x", .data = "x"}};
    zip = make_zip(twice, 1, &len);
    ctx = faas_buildctx_create();
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_OK);
    CHECK_STR(faas_buildctx_path(ctx, 0), "fn/x");
    faas_buildctx_dispose(ctx);
    free(zip);
}

TEST(zip_no_unwrap_with_two_top_entries)
{
    static const zent_t two_folders[] = {{.name = "a/x", .data = "1"}, {.name = "b/y", .data = "2"}};
    static const zent_t top_file[] = {{.name = "fn/x", .data = "1"}, {.name = "README", .data = "2"}};
    static const zent_t top_empty_folder[] = {{.name = "fn/x", .data = "1"}, {.name = "data/"}};
    const zent_t *cases[] = {two_folders, top_file, top_empty_folder};
    const char *want[] = {"a/x", "fn/x", "fn/x"};
    for (int i = 0; i < 3; i++) {
        size_t len = 0;
        unsigned char *zip = make_zip(cases[i], 2, &len);
        faas_buildctx_t *ctx = faas_buildctx_create();
        faas_error_t err = {0};
        CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_OK);
        CHECK_STR(faas_buildctx_path(ctx, 0), want[i]);
        faas_buildctx_dispose(ctx);
        free(zip);
    }
}

/* Windows tools: backslashes are separators, and an MS-DOS entry has no Unix mode. */
TEST(zip_backslashes_and_dos_entries)
{
    static const zent_t ents[] = {{.name = "fn\\", .dos = 1},
                                  {.name = "fn\\src\\app.js", .data = "js", .dos = 1},
                                  {.name = "fn\\package.json", .data = "{}", .dos = 1}};
    size_t len = 0;
    unsigned char *zip = make_zip(ents, 3, &len);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_OK);
    CHECK_INT(faas_buildctx_count(ctx), 2);
    CHECK(faas_buildctx_file(ctx, "src/app.js", NULL) != NULL);
    CHECK(faas_buildctx_file(ctx, "package.json", NULL) != NULL);
    void *tar = NULL;
    size_t tlen = 0;
    finish(ctx, &tar, &tlen);
    tar_item_t it[4];
    CHECK_INT(read_tar(tar, tlen, it, 4), 2);
    CHECK_INT(it[0].perm, 0644);
    free(tar);
    free(zip);
}

/* UTF-8 names come through as the same bytes although this process runs in the C locale. */
TEST(zip_utf8_names_under_c_locale)
{
    static const zent_t ents[] = {{.name = "h\xc3\xa9llo/\xe6\x97\xa5\xe6\x9c\xac.py", .data = "x", .flags = 0x800},
                                  {.name = "caf\xc3\xa9.txt", .data = "y"}}; /* UTF-8 without the flag (macOS) */
    size_t len = 0;
    unsigned char *zip = make_zip(ents, 2, &len);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_OK);
    CHECK_STR(faas_buildctx_path(ctx, 0), "h\xc3\xa9llo/\xe6\x97\xa5\xe6\x9c\xac.py");
    CHECK_STR(faas_buildctx_path(ctx, 1), "caf\xc3\xa9.txt");
    void *tar = NULL;
    size_t tlen = 0;
    finish(ctx, &tar, &tlen);
    tar_item_t it[4];
    CHECK_INT(read_tar(tar, tlen, it, 4), 2);
    CHECK_STR(it[0].name, "caf\xc3\xa9.txt");
    free(tar);
    free(zip);
    static const zent_t latin1[] = {{.name = "caf\xe9.txt", .data = "y"}};
    CHECK_ZENTS_FAIL(latin1, FAAS_EINVAL, "not UTF-8");
}

TEST(zip_fifo_mode_reads_as_a_file)
{
    /* libarchive turns a FIFO mode into a regular file (Info-ZIP stores stdin that way): its
       bytes are the file, nothing can block */
    static const zent_t ents[] = {{.name = "pipe", .data = "data", .mode = S_IFIFO | 0644}};
    size_t len = 0;
    unsigned char *zip = make_zip(ents, 1, &len);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_OK);
    CHECK(faas_buildctx_file(ctx, "pipe", NULL) != NULL);
    faas_buildctx_dispose(ctx);
    free(zip);
}

/* ---- zips: what is refused ---- */

TEST(zip_slip_and_absolute_paths)
{
    static const struct {
        const char *name, *want;
    } bad[] = {
        {"../x", "zip entry ../x has a \"..\" component"},
        {"a/../../x", "zip entry a/../../x has a \"..\" component"},
        {"a/..", "has a \"..\" component"},
        {"..\\x", "x has a \"..\" component"}, /* libarchive may show it as ../x already */
        {"a\\..\\..\\x", "has a \"..\" component"},
        {"/etc/x", "zip entry /etc/x is an absolute path"},
        {"\\x", "x is an absolute path"},
        {"C:\\x", "x is an absolute path (a drive letter)"},
        {"c:x", "is an absolute path (a drive letter)"},
        {"//server/share/x", "is an absolute path"},
        {"a\nb", "zip entry a?b has a control character in its name"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        zent_t ents[] = {{.name = "ok.py", .data = "fine"}, {.name = bad[i].name, .data = "evil"}};
        CHECK_ZENTS_FAIL(ents, FAAS_EINVAL, bad[i].want);
    }
    char longer[5000];
    memset(longer, 'n', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    zent_t ents[] = {{.name = longer, .data = "x"}};
    CHECK_ZENTS_FAIL(ents, FAAS_EINVAL, "has a name longer than 4096 bytes");
    /* refused even where it would be skipped */
    zent_t mac[] = {{.name = "main.py", .data = "x"}, {.name = "__MACOSX/../../x", .data = "x"}};
    CHECK_ZENTS_FAIL(mac, FAAS_EINVAL, "\"..\"");
}

TEST(zip_links_devices_and_encryption)
{
    static const zent_t symlink[] = {{.name = "main.py", .data = "x"},
                                     {.name = "lnk", .data = "/etc/passwd", .mode = S_IFLNK | 0777}};
    CHECK_ZENTS_FAIL(symlink, FAAS_EINVAL, "zip entry lnk is a symbolic link");
    static const zent_t chr[] = {{.name = "tty", .data = "", .mode = S_IFCHR | 0644}};
    CHECK_ZENTS_FAIL(chr, FAAS_EINVAL, "zip entry tty is not a regular file or folder");
    static const zent_t blk[] = {{.name = "sda", .mode = S_IFBLK | 0644}};
    CHECK_ZENTS_FAIL(blk, FAAS_EINVAL, "zip entry sda is not a regular file or folder");
    static const zent_t sock[] = {{.name = "s", .mode = S_IFSOCK | 0644}};
    CHECK_ZENTS_FAIL(sock, FAAS_EINVAL, "zip entry s is not a regular file or folder");
    static const zent_t enc[] = {{.name = "secret.py", .data = "garbage-cipher", .flags = 1}};
    CHECK_ZENTS_FAIL(enc, FAAS_EINVAL, "zip entry secret.py is encrypted");

    /* the same through libarchive's writer: a symlink, and real PKWARE and AES encryption */
    static const lent_t lsym[] = {{.name = "a.py", .data = "a"}, {.name = "up", .type = AE_IFLNK, .link = "../.."}};
    size_t len = 0;
    unsigned char *zip = la_zip(lsym, 2, NULL, &len);
    CHECK_ZIP_FAILS(zip, len, FAAS_EINVAL, "zip entry up is a symbolic link");
    free(zip);
    static const lent_t files[] = {{.name = "a.py", .data = "print(1)\n"}};
    zip = la_zip(files, 1, "zip:encryption=zipcrypt", &len);
    CHECK_ZIP_FAILS(zip, len, FAAS_EINVAL, "zip entry a.py is encrypted");
    free(zip);
    zip = la_zip(files, 1, "zip:encryption=aes256", &len);
    CHECK_ZIP_FAILS(zip, len, FAAS_EINVAL, "zip entry a.py is encrypted");
    free(zip);
}

/* A zip cannot hold a hard link: libarchive's writer stores the second name as an empty file,
   which is all the reader can see. Nothing links, so it goes in as an empty file. */
TEST(zip_hard_link_is_only_an_empty_file)
{
    static const lent_t ents[] = {{.name = "a.py", .data = "print(1)\n"}, {.name = "b.py", .link = "a.py"}};
    size_t len = 0;
    unsigned char *zip = la_zip(ents, 2, NULL, &len);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_OK);
    size_t n = 9;
    CHECK(faas_buildctx_file(ctx, "b.py", &n) != NULL && n == 0);
    faas_buildctx_dispose(ctx);
    free(zip);
}

TEST(zip_duplicates_and_clashes)
{
    static const zent_t dup[] = {{.name = "f.txt", .data = "1"}, {.name = "f.txt", .data = "2"}};
    CHECK_ZENTS_FAIL(dup, FAAS_EINVAL, "zip has f.txt twice");
    static const zent_t dup_slash[] = {{.name = "a/b", .data = "1"}, {.name = "a\\b", .data = "2"}};
    CHECK_ZENTS_FAIL(dup_slash, FAAS_EINVAL, "zip has a/b twice");
    static const zent_t dup_dot[] = {{.name = "x/y", .data = "1"}, {.name = "./x//y", .data = "2"}};
    CHECK_ZENTS_FAIL(dup_dot, FAAS_EINVAL, "twice");
    static const zent_t file_and_folder[] = {{.name = "a", .data = "1"}, {.name = "a/b", .data = "2"}};
    CHECK_ZENTS_FAIL(file_and_folder, FAAS_EINVAL, "zip entry a/b is both a file and a folder");
    static const zent_t folder_then_file[] = {{.name = "a/"}, {.name = "a", .data = "2"}};
    CHECK_ZENTS_FAIL(folder_then_file, FAAS_EINVAL, "both a file and a folder");
    /* a folder listed twice is one folder */
    static const zent_t dir_twice[] = {
        {.name = "d/"}, {.name = "d/"}, {.name = "d/x", .data = "1"}, {.name = "e", .data = "2"}};
    size_t len = 0;
    unsigned char *zip = make_zip(dir_twice, 4, &len);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_OK);
    free(zip);

    /* a path the context already holds: ECONFLICT, and nothing of the zip is added */
    static const zent_t again[] = {{.name = "new.py", .data = "n"}, {.name = "e", .data = "3"}};
    zip = make_zip(again, 2, &len);
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_ECONFLICT);
    CHECK_CONTAINS(err.msg, "zip entry e clashes with e");
    CHECK_INT(faas_buildctx_count(ctx), 2);
    CHECK(faas_buildctx_file(ctx, "new.py", NULL) == NULL);
    free(zip);
    static const zent_t under_file[] = {{.name = "e/x", .data = "3"}, {.name = "y", .data = "4"}};
    zip = make_zip(under_file, 2, &len);
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_ECONFLICT);
    free(zip);
    CHECK_INT(faas_buildctx_add(ctx, "d/x", "z", 1, 0, &err), FAAS_ECONFLICT);
    CHECK_INT(faas_buildctx_add(ctx, "d", "z", 1, 0, &err), FAAS_ECONFLICT);
    CHECK_INT(faas_buildctx_add(ctx, "Dockerfile", "z", 1, 0, &err), FAAS_OK);
    void *tar = NULL;
    size_t tlen = 0;
    finish(ctx, &tar, &tlen);
    tar_item_t it[8];
    CHECK_INT(read_tar(tar, tlen, it, 8), 4); /* Dockerfile, d/, d/x, e */
    free(tar);
}

TEST(zip_nothing_added_on_failure)
{
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(faas_buildctx_add(ctx, "Dockerfile", "FROM x\n", 7, 0, &err), FAAS_OK);
    static const zent_t ents[] = {{.name = "fn/"},
                                  {.name = "fn/a.py", .data = "a"},
                                  {.name = "fn/b/"},
                                  {.name = "fn/b/c.py", .data = "c"},
                                  {.name = "fn/../evil", .data = "e"}};
    size_t len = 0;
    unsigned char *zip = make_zip(ents, 5, &len);
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "fn/../evil");
    CHECK_INT(faas_buildctx_count(ctx), 1);
    CHECK(faas_buildctx_file(ctx, "a.py", NULL) == NULL);
    CHECK_INT(faas_buildctx_add(ctx, "a.py", "z", 1, 0, &err), FAAS_OK); /* not taken by the failed zip */
    CHECK_INT(faas_buildctx_add(ctx, "b", "z", 1, 0, &err), FAAS_OK);
    void *tar = NULL;
    size_t tlen = 0;
    finish(ctx, &tar, &tlen);
    tar_item_t it[8];
    CHECK_INT(read_tar(tar, tlen, it, 8), 3);
    free(tar);
    free(zip);
}

TEST(zip_not_a_zip_and_empty)
{
    CHECK_ZIP_FAILS("", 0, FAAS_EINVAL, "not a zip file");
    CHECK_ZIP_FAILS("hello world", 11, FAAS_EINVAL, "not a zip file");
    CHECK_ZIP_FAILS("PK\x03\x04", 4, FAAS_EINVAL, "not a zip file");
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(faas_buildctx_add_zip(ctx, NULL, 0, NULL, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "not a zip file");
    CHECK_INT(faas_buildctx_add(ctx, "f", "x", 1, 0, &err), FAAS_OK);
    void *tar = NULL;
    size_t tlen = 0;
    CHECK_INT(faas_buildctx_finish(ctx, &tar, &tlen, &err), FAAS_OK);
    /* a tar is not a zip (and only zips are read), nor is a zip after finish accepted */
    CHECK_ZIP_FAILS(tar, tlen, FAAS_EINVAL, "not a zip file");
    size_t len = 0;
    static const zent_t one[] = {{.name = "a", .data = "a"}};
    unsigned char *zip = make_zip(one, 1, &len);
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "after finish");
    faas_buildctx_dispose(ctx);
    free(tar);
    free(zip);

    zip = make_zip(NULL, 0, &len); /* just the end record */
    CHECK_INT(len, 22);
    CHECK_ZIP_FAILS(zip, len, FAAS_EINVAL, "zip has no files");
    free(zip);
    static const zent_t only_mac[] = {{.name = "__MACOSX/._x", .data = "m"}, {.name = "fn/"}, {.name = "fn/empty/"}};
    CHECK_ZENTS_FAIL(only_mac, FAAS_EINVAL, "zip has no files");
}

/* Every proper prefix of a valid zip, and seeded corruptions of it, fail cleanly. */
TEST(zip_truncated_and_corrupted)
{
    static const zent_t ents[] = {{.name = "fn/"},
                                  {.name = "fn/main.py", .data = "print('hello')\n"},
                                  {.name = "fn/x.bin", .data = "\x00\x01\x02", .len = 3}};
    size_t len = 0;
    unsigned char *zip = make_zip(ents, 3, &len);
    for (size_t n = 0; n < len; n++) {
        faas_buildctx_t *ctx = faas_buildctx_create();
        faas_error_t err = {0};
        CHECK_INT(add_zip(ctx, zip, n, 0, 0, &err), FAAS_EINVAL);
        CHECK(err.msg[0] != '\0');
        CHECK_INT(faas_buildctx_count(ctx), 0);
        faas_buildctx_dispose(ctx);
    }
    unsigned char *bad = malloc(len);
    unsigned x = 1;
    int accepted = 0;
    for (int round = 0; round < 3000; round++) {
        memcpy(bad, zip, len);
        for (int k = 0; k < 1 + round % 3; k++) {
            x = x * 1103515245u + 12345u;
            bad[(x >> 8) % len] = (unsigned char)(x >> 20);
        }
        faas_buildctx_t *ctx = faas_buildctx_create();
        faas_error_t err = {0};
        faas_err_t code = add_zip(ctx, bad, len, 0, 0, &err);
        CHECK(code == FAAS_OK || code == FAAS_EINVAL || code == FAAS_ETOOLARGE);
        if (code != FAAS_OK)
            CHECK_INT(faas_buildctx_count(ctx), 0);
        accepted += code == FAAS_OK;
        faas_buildctx_dispose(ctx);
    }
    fprintf(stderr, "  %d of 3000 corrupted zips still read\n", accepted);
    free(bad);
    free(zip);
}

TEST(zip_damaged_data)
{
    static const zent_t bad_crc[] = {{.name = "a.py", .data = "print(1)\n", .crc = 0x12345678}};
    CHECK_ZENTS_FAIL(bad_crc, FAAS_EINVAL, "zip entry a.py cannot be unpacked: ZIP bad CRC");
    /* a stored entry that claims fewer bytes than it holds */
    static const zent_t short_claim[] = {{.name = "a.py", .data = "0123456789abcdef", .usize = 5}};
    static const zent_t shrunk[] = {{.name = "old.txt", .data = "\x01\x02\x03", .method = 1, .crc = 1}};
    CHECK_ZENTS_FAIL(shrunk, FAAS_EINVAL, "zip entry old.txt cannot be unpacked: Unsupported ZIP compression method");
    CHECK_ZENTS_FAIL(short_claim, FAAS_EINVAL,
                     "zip entry a.py cannot be unpacked: ZIP uncompressed data is wrong size");
}

/* ---- limits ---- */

TEST(zip_entry_limit)
{
    static const zent_t ents[] = {
        {.name = "d/"}, {.name = "d/a", .data = "1"}, {.name = "b", .data = "2"}, {.name = "__MACOSX/x", .data = "3"}};
    size_t len = 0;
    unsigned char *zip = make_zip(ents, 4, &len);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(add_zip(ctx, zip, len, 3, 0, &err), FAAS_ETOOLARGE);
    CHECK_STR(err.msg, "zip has more than 3 entries");
    CHECK_INT(faas_buildctx_count(ctx), 0);
    CHECK_INT(add_zip(ctx, zip, len, 4, 0, &err), FAAS_OK);
    CHECK_INT(faas_buildctx_count(ctx), 2);
    faas_buildctx_dispose(ctx);
    free(zip);
}

TEST(zip_byte_limit_over_many_files)
{
    static const zent_t ents[] = {
        {.name = "a", .data = "0123456789"}, {.name = "b", .data = "0123456789"}, {.name = "c", .data = "0123456789"}};
    size_t len = 0;
    unsigned char *zip = make_zip(ents, 3, &len);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(add_zip(ctx, zip, len, 0, 29, &err), FAAS_ETOOLARGE);
    CHECK_STR(err.msg, "zip unpacks to more than 29 bytes");
    CHECK_INT(add_zip(ctx, zip, len, 0, 30, &err), FAAS_OK);
    faas_buildctx_dispose(ctx);
    free(zip);
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 1 GiB of zeros in about 1 MB: refused at the cap, quickly, without holding the gigabyte. */
TEST(zip_bomb)
{
    size_t dlen = 0;
    unsigned char *deflated = zeros_deflate((uint64_t)1 << 30, &dlen);
    CHECK(dlen < 1100000);
    long rss0 = maxrss_kb();
    const int64_t claims[] = {(int64_t)1 << 30, 100, 1}; /* honest, lying, "1 byte" */
    for (int i = 0; i < 3; i++) {
        zent_t ents[] = {{.name = "main.py", .data = "print(1)\n"},
                         {.name = "zeros", .data = deflated, .len = dlen, .deflated = 1, .usize = claims[i], .crc = 1}};
        size_t len = 0;
        unsigned char *zip = make_zip(ents, 2, &len);
        faas_buildctx_t *ctx = faas_buildctx_create();
        faas_error_t err = {0};
        double t0 = now_ms();
        CHECK_INT(add_zip(ctx, zip, len, 0, 8 << 20, &err), FAAS_ETOOLARGE);
        double ms = now_ms() - t0;
        CHECK_STR(err.msg, "zip unpacks to more than 8388608 bytes");
        CHECK_INT(faas_buildctx_count(ctx), 0);
        fprintf(stderr, "  bomb claiming %lld bytes refused in %.1f ms\n", (long long)claims[i], ms);
        CHECK(ms < 5000);
        faas_buildctx_dispose(ctx);
        free(zip);
    }
    long grown_mb = (maxrss_kb() - rss0) / 1024;
    fprintf(stderr, "  peak memory grew by %ld MB\n", grown_mb);
    CHECK(grown_mb < 200); /* the cap is 8 MB; inflating it all would be 1024 */
    free(deflated);

    /* the same stream inflated in full is exactly what it claims (the generator is right) */
    size_t small = 0;
    unsigned char *d = zeros_deflate(100000, &small);
    zent_t ok[] = {{.name = "z", .data = d, .len = small, .deflated = 1, .usize = 100000, .crc = 0}};
    uint32_t crc = 0;
    {
        char *zeros = calloc(1, 100000);
        crc = crc32_of(zeros, 100000);
        free(zeros);
    }
    ok[0].crc = crc;
    size_t len = 0;
    unsigned char *zip = make_zip(ok, 1, &len);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(add_zip(ctx, zip, len, 0, 100000, &err), FAAS_OK);
    size_t n = 0;
    const unsigned char *z = faas_buildctx_file(ctx, "z", &n);
    CHECK(z != NULL && n == 100000 && z[0] == 0 && z[99999] == 0);
    faas_buildctx_dispose(ctx);
    free(zip);
    free(d);
}

/* ---- the zip command, when installed ---- */

TEST(zip_command_zips)
{
    if (system("command -v zip >/dev/null 2>&1") != 0) {
        fprintf(stderr, "  (zip is not installed: skipped)\n");
        return;
    }
    char dir[256], cmd[1024], path[512];
    testlib_tmpdir(dir, sizeof(dir));
    snprintf(
        cmd, sizeof(cmd),
        "cd %s && mkdir -p fn/sub fn/empty && printf 'print(1)\\n' > fn/main.py && printf '#!/bin/sh\\n' > fn/run.sh"
        " && chmod 755 fn/run.sh && printf x > fn/sub/m.py && ln -s main.py fn/link.py"
        " && zip -qr plain.zip fn -x fn/link.py && zip -qry links.zip fn && zip -qr -P pw secret.zip fn -x fn/link.py",
        dir);
    CHECK_INT(system(cmd), 0);
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/plain.zip", dir);
    unsigned char *zip = read_all(path, &len);
    CHECK(zip != NULL);
    faas_buildctx_t *ctx = faas_buildctx_create();
    faas_error_t err = {0};
    CHECK_INT(add_zip(ctx, zip, len, 0, 0, &err), FAAS_OK);
    CHECK_INT(faas_buildctx_count(ctx), 3);
    CHECK(faas_buildctx_file(ctx, "main.py", NULL) != NULL);
    CHECK(faas_buildctx_file(ctx, "sub/m.py", NULL) != NULL);
    void *tar = NULL;
    size_t tlen = 0;
    finish(ctx, &tar, &tlen);
    tar_item_t it[8];
    size_t n = read_tar(tar, tlen, it, 8);
    int saw_run = 0, saw_empty = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(it[i].name, "run.sh") == 0)
            saw_run = it[i].perm == 0755;
        if (strncmp(it[i].name, "empty", 5) == 0)
            saw_empty = it[i].type == AE_IFDIR;
    }
    CHECK(saw_run);
    CHECK(saw_empty);
    free(tar);
    free(zip);
    snprintf(path, sizeof(path), "%s/links.zip", dir);
    zip = read_all(path, &len);
    CHECK_ZIP_FAILS(zip, len, FAAS_EINVAL, "zip entry fn/link.py is a symbolic link");
    free(zip);
    snprintf(path, sizeof(path), "%s/secret.zip", dir);
    zip = read_all(path, &len);
    CHECK_ZIP_FAILS(zip, len, FAAS_EINVAL, "is encrypted");
    free(zip);
}

int main(void)
{
    RUN(zip_single_top_folder_unwraps);
    RUN(zip_no_unwrap_with_two_top_entries);
    RUN(zip_backslashes_and_dos_entries);
    RUN(zip_utf8_names_under_c_locale);
    RUN(zip_fifo_mode_reads_as_a_file);
    RUN(zip_slip_and_absolute_paths);
    RUN(zip_links_devices_and_encryption);
    RUN(zip_hard_link_is_only_an_empty_file);
    RUN(zip_duplicates_and_clashes);
    RUN(zip_nothing_added_on_failure);
    RUN(zip_not_a_zip_and_empty);
    RUN(zip_truncated_and_corrupted);
    RUN(zip_damaged_data);
    RUN(zip_entry_limit);
    RUN(zip_byte_limit_over_many_files);
    RUN(zip_bomb);
    RUN(zip_command_zips);
    return testlib_done();
}
