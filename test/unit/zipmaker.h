/*
 * zipmaker.h: helpers for the build unit tests (build.c, build_zip.c): a zip writer that writes
 * what it is told (to forge what real tools never write: lying sizes, devices, bad CRCs,
 * backslash and drive-letter names), a deflate stream of zeros for zip bombs, zips from
 * libarchive's own writer (deflate, PKWARE and AES encryption), and a tar reader to check what
 * a context wrote. Test code, single-threaded; included by one test file each.
 */
#ifndef FAAS_TEST_ZIPMAKER_H
#define FAAS_TEST_ZIPMAKER_H

#include <archive.h>
#include <archive_entry.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "faas/service/buildctx.h"
#include "testlib.h"

/* Not every test file uses every helper. */
#define ZM_HELPER static __attribute__((unused))

/* ---- a growable byte buffer ---- */

typedef struct buf {
    unsigned char *p;
    size_t len, cap;
} buf_t;

ZM_HELPER void put(buf_t *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    if (n > 0)
        memcpy(b->p + b->len, d, n);
    b->len += n;
}

ZM_HELPER void le16(buf_t *b, unsigned v)
{
    unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    put(b, x, 2);
}

ZM_HELPER void le32(buf_t *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, x, 4);
}

ZM_HELPER uint32_t crc32_of(const void *data, size_t len)
{
    static uint32_t table[256];
    if (table[1] == 0)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++)
        c = table[(c ^ ((const unsigned char *)data)[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* ---- a zip writer that writes what it is told ---- */

typedef struct zent {
    const char *name;
    const void *data; /* stored bytes, or a raw deflate stream when deflated */
    size_t len;       /* 0 with data set: strlen(data) */
    unsigned mode;    /* Unix mode (type and permissions); 0: S_IFREG | 0644, or S_IFDIR | 0755 for "x/" */
    int deflated;
    unsigned method; /* when set, the method number written (with data as given) */
    unsigned flags;  /* general purpose bits: 1 encrypted, 0x800 UTF-8 name */
    int64_t usize;   /* the uncompressed size claimed; 0: the real one (stored) */
    int64_t crc;     /* 0: computed (stored data) */
    int dos;         /* made by MS-DOS: no Unix mode at all */
} zent_t;

ZM_HELPER unsigned char *make_zip(const zent_t *e, size_t n, size_t *len)
{
    buf_t z = {0}, cd = {0};
    for (size_t i = 0; i < n; i++) {
        size_t dlen = e[i].len != 0 || e[i].data == NULL ? e[i].len : strlen(e[i].data);
        size_t nlen = strlen(e[i].name);
        int dir = nlen > 0 && e[i].name[nlen - 1] == '/';
        unsigned mode = e[i].mode != 0 ? e[i].mode : dir ? (S_IFDIR | 0755) : (S_IFREG | 0644);
        uint32_t crc = e[i].crc != 0 ? (uint32_t)e[i].crc : e[i].deflated ? 0 : crc32_of(e[i].data, dlen);
        uint32_t usize = e[i].usize != 0 ? (uint32_t)e[i].usize : (uint32_t)dlen;
        uint32_t offset = (uint32_t)z.len;
        for (int pass = 0; pass < 2; pass++) {
            buf_t *b = pass == 0 ? &z : &cd;
            le32(b, pass == 0 ? 0x04034b50u : 0x02014b50u);
            if (pass == 1)
                le16(b, e[i].dos ? 20 : (3 << 8) | 20); /* made by */
            le16(b, 20);
            le16(b, e[i].flags);
            le16(b, e[i].method != 0 ? e[i].method : e[i].deflated ? 8 : 0);
            le16(b, 0);      /* time */
            le16(b, 0x0021); /* 1980-01-01 */
            le32(b, crc);
            le32(b, (uint32_t)dlen);
            le32(b, usize);
            le16(b, (unsigned)nlen);
            le16(b, 0); /* extra */
            if (pass == 1) {
                le16(b, 0); /* comment */
                le16(b, 0); /* disk */
                le16(b, 0); /* internal attributes */
                le32(b, e[i].dos ? (dir ? 0x10u : 0u) : (uint32_t)mode << 16);
                le32(b, offset);
            }
            put(b, e[i].name, nlen);
            if (pass == 0)
                put(b, e[i].data, dlen);
        }
    }
    uint32_t cd_offset = (uint32_t)z.len;
    put(&z, cd.p, cd.len);
    le32(&z, 0x06054b50u);
    le16(&z, 0);
    le16(&z, 0);
    le16(&z, (unsigned)n);
    le16(&z, (unsigned)n);
    le32(&z, (uint32_t)cd.len);
    le32(&z, cd_offset);
    le16(&z, 0);
    free(cd.p);
    *len = z.len;
    return z.p;
}

/* A raw deflate stream of total zero bytes in one dynamic-Huffman block: literal 0, then
   <length 258, distance 1> at 2 bits each (the deflate maximum of about 1032:1). */
typedef struct bits {
    buf_t b;
    uint32_t acc;
    int n;
} bits_t;

ZM_HELPER void put_bits(bits_t *w, uint32_t v, int n)
{
    w->acc |= v << w->n;
    w->n += n;
    for (; w->n >= 8; w->n -= 8, w->acc >>= 8) {
        unsigned char c = (unsigned char)w->acc;
        put(&w->b, &c, 1);
    }
}

ZM_HELPER void put_code(bits_t *w, uint32_t code, int len) /* Huffman codes go most significant bit first */
{
    for (int i = len - 1; i >= 0; i--)
        put_bits(w, (code >> i) & 1, 1);
}

ZM_HELPER unsigned char *zeros_deflate(uint64_t total, size_t *len)
{
    bits_t w = {0};
    put_bits(&w, 1, 1);  /* last block */
    put_bits(&w, 2, 2);  /* dynamic Huffman */
    put_bits(&w, 29, 5); /* 286 literal/length codes */
    put_bits(&w, 0, 5);  /* 1 distance code */
    put_bits(&w, 14, 4); /* 18 code length codes */
    static const int order[18] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1};
    for (int i = 0; i < 18; i++) /* code length code lengths: 1 and 2 get 2 bits, 18 gets 1 */
        put_bits(&w, order[i] == 18 ? 1 : order[i] == 1 || order[i] == 2 ? 2 : 0, 3);
    /* with codes 1 = 10, 2 = 11, 18 = 0: literal 0 has length 2, 1..255 none, 256 length 2,
       257..284 none, 285 (length 258) length 1; the one distance code (1) length 1 */
    put_code(&w, 3, 2);
    put_code(&w, 0, 1), put_bits(&w, 127, 7);
    put_code(&w, 0, 1), put_bits(&w, 106, 7);
    put_code(&w, 3, 2);
    put_code(&w, 0, 1), put_bits(&w, 17, 7);
    put_code(&w, 2, 2);
    put_code(&w, 2, 2);
    /* codes: literal 0 = 10, end of block = 11, length 258 = 0; distance 1 = 0 */
    put_code(&w, 2, 2);
    for (total--; total >= 258; total -= 258)
        put_code(&w, 0, 2);
    for (; total > 0; total--)
        put_code(&w, 2, 2);
    put_code(&w, 3, 2);
    put_bits(&w, 0, 7); /* flush */
    *len = w.b.len;
    return w.b.p;
}

/* ---- zips from libarchive's writer ---- */

typedef struct lent {
    const char *name;
    const char *data;
    int type; /* 0: AE_IFREG */
    int perm; /* 0: 0644 */
    const char *link;
    time_t mtime;
} lent_t;

ZM_HELPER unsigned char *la_zip(const lent_t *e, size_t n, const char *options, size_t *len)
{
    size_t cap = 1 << 20;
    unsigned char *out = malloc(cap);
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    if (options != NULL) {
        CHECK_INT(archive_write_set_options(a, options), ARCHIVE_OK);
        CHECK_INT(archive_write_set_passphrase(a, "secret"), ARCHIVE_OK);
    }
    CHECK_INT(archive_write_open_memory(a, out, cap, len), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        size_t dlen = e[i].data != NULL ? strlen(e[i].data) : 0;
        archive_entry_set_pathname(ae, e[i].name);
        archive_entry_set_filetype(ae, e[i].type != 0 ? (unsigned)e[i].type : AE_IFREG);
        archive_entry_set_perm(ae, e[i].perm != 0 ? e[i].perm : 0644);
        archive_entry_set_size(ae, (la_int64_t)dlen);
        archive_entry_set_mtime(ae, e[i].mtime, 0);
        if (e[i].link != NULL && e[i].type == AE_IFLNK)
            archive_entry_set_symlink(ae, e[i].link);
        else if (e[i].link != NULL)
            archive_entry_set_hardlink(ae, e[i].link);
        CHECK_INT(archive_write_header(a, ae), ARCHIVE_OK);
        if (dlen > 0)
            CHECK_INT(archive_write_data(a, e[i].data, dlen), dlen);
        archive_entry_free(ae);
    }
    CHECK_INT(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return out;
}

/* ---- helpers ---- */

/* Adds zip (copied to an exact-size buffer) to ctx. */
ZM_HELPER faas_err_t add_zip(faas_buildctx_t *ctx, const void *zip, size_t len, size_t max_entries,
                             uint64_t max_bytes, faas_error_t *err)
{
    void *copy = malloc(len > 0 ? len : 1);
    if (len > 0)
        memcpy(copy, zip, len);
    faas_buildctx_zip_limits_t lim = {.max_entries = max_entries, .max_bytes = max_bytes};
    faas_err_t code = faas_buildctx_add_zip(ctx, copy, len, &lim, err);
    free(copy);
    return code;
}

/* Adds zip to a fresh context; expects failure with code and a message containing want, and
   nothing added. */
#define CHECK_ZIP_FAILS(zip, len, code, want)                                                                          \
    do {                                                                                                               \
        faas_buildctx_t *c_ = faas_buildctx_create();                                                        \
        faas_error_t e_ = {0};                                                                                         \
        CHECK_INT(add_zip(c_, (zip), (len), 0, 0, &e_), (code));                                                       \
        CHECK_CONTAINS(e_.msg, (want));                                                                                \
        CHECK_INT(faas_buildctx_count(c_), 0);                                                                    \
        faas_buildctx_dispose(c_);                                                                                \
    } while (0)

/* A zip of entries made by make_zip is expected to fail. */
#define CHECK_ZENTS_FAIL(ents, code, want)                                                                             \
    do {                                                                                                               \
        size_t zl_;                                                                                                    \
        unsigned char *z_ = make_zip((ents), sizeof(ents) / sizeof((ents)[0]), &zl_);                                  \
        CHECK_ZIP_FAILS(z_, zl_, (code), (want));                                                                      \
        free(z_);                                                                                                      \
    } while (0)

typedef struct tar_item {
    char name[300];
    int type, perm;
    char data[64];
    size_t len;
} tar_item_t;

/* Reads a tar back with libarchive; returns the number of members. */
ZM_HELPER size_t read_tar(const void *tar, size_t len, tar_item_t *out, size_t max)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    CHECK_INT(archive_read_open_memory(a, tar, len), ARCHIVE_OK);
    struct archive_entry *e;
    size_t n = 0;
    while (n < max && archive_read_next_header(a, &e) == ARCHIVE_OK) {
        tar_item_t *t = &out[n++];
        memset(t, 0, sizeof(*t));
        snprintf(t->name, sizeof(t->name), "%s", archive_entry_pathname(e));
        t->type = (int)archive_entry_filetype(e);
        t->perm = (int)archive_entry_perm(e);
        la_ssize_t r = archive_read_data(a, t->data, sizeof(t->data) - 1);
        t->len = r > 0 ? (size_t)r : 0;
        CHECK_INT(archive_entry_mtime(e), 0);
        CHECK_INT(archive_entry_uid(e) + archive_entry_gid(e), 0);
    }
    archive_read_free(a);
    return n;
}

ZM_HELPER void finish(faas_buildctx_t *ctx, void **tar, size_t *len)
{
    faas_error_t err = {0};
    CHECK_INT(faas_buildctx_finish(ctx, tar, len, &err), FAAS_OK);
    faas_buildctx_dispose(ctx);
}

ZM_HELPER double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

ZM_HELPER unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    buf_t b = {0};
    char chunk[4096];
    for (size_t n = fread(chunk, 1, sizeof(chunk), f); n > 0; n = fread(chunk, 1, sizeof(chunk), f))
        put(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return b.p != NULL ? b.p : malloc(1);
}

#endif
