/*
 * secrets.c (unit): secret values end to end without Docker: the key file (made 0600 with 32
 * bytes, read back the same, refused when open to others, of the wrong size or a link), sealing
 * (round trip; another key, another name, an altered byte of ciphertext, tag or nonce do not
 * open; a fresh nonce per seal), the store's secrets table (set keeps createdAt, reveal, list with
 * usedBy, delete refused while a function uses it, no plaintext in the LMDB file, a record moved
 * to another name does not open), the function record's "secrets" key, and the upload's secrets
 * field.
 */
#include "faas/api/upload.h"
#include "faas/core/secretbox.h"
#include "faas/store/secret.h"
#include "faas/store/store.h"
#include "testlib.h"

#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void key_of(faas_secretbox_t *box, unsigned char fill)
{
    unsigned char key[FAAS_SECRETBOX_KEY_LEN];
    memset(key, fill, sizeof(key));
    faas_secretbox_set_key(box, key);
}

/* ---- the key file ---- */

TEST(key_file_made_private_and_reused)
{
    char pass[300], path[320];
    snprintf(pass, sizeof(pass), "%s/home/.passfile", dir);
    snprintf(path, sizeof(path), "%s/home", dir);
    mkdir(path, 0700);
    faas_error_t err = {0};
    CHECK_INT(faas_secretbox_path(pass, path, sizeof(path), &err), FAAS_OK);
    CHECK_CONTAINS(path, "/home/secrets.key");
    faas_secretbox_t a, b;
    int created = 0;
    CHECK_INT(faas_secretbox_load(path, &a, &created, &err), FAAS_OK);
    CHECK_INT(created, 1);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(st.st_size, FAAS_SECRETBOX_KEY_LEN);
    CHECK_INT(faas_secretbox_load(path, &b, &created, &err), FAAS_OK);
    CHECK_INT(created, 0);
    CHECK(memcmp(a.key, b.key, sizeof(a.key)) == 0);
    char small[8];
    CHECK_INT(faas_secretbox_path("/a/very/long/passfile", small, sizeof(small), &err), FAAS_EINVAL);
    CHECK_INT(faas_secretbox_path(".passfile", small, sizeof(small), &err), FAAS_EINVAL);
}

TEST(key_file_refused_when_open_or_wrong)
{
    char path[300], link[320];
    faas_secretbox_t box;
    faas_error_t err = {0};
    int created = 0;
    snprintf(path, sizeof(path), "%s/open.key", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0 && write(fd, "0123456789abcdef0123456789abcdef", 32) == 32);
    close(fd);
    chmod(path, 0644);
    CHECK_INT(faas_secretbox_load(path, &box, &created, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "chmod 600");
    chmod(path, 0640);
    CHECK_INT(faas_secretbox_load(path, &box, &created, &err), FAAS_EINVAL);
    chmod(path, 0600);
    CHECK_INT(faas_secretbox_load(path, &box, &created, &err), FAAS_OK);
    CHECK_INT(created, 0);
    snprintf(link, sizeof(link), "%s/link.key", dir);
    CHECK_INT(symlink(path, link), 0);
    CHECK_INT(faas_secretbox_load(link, &box, &created, &err), FAAS_EINVAL);
    snprintf(path, sizeof(path), "%s/short.key", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10);
    close(fd);
    CHECK_INT(faas_secretbox_load(path, &box, &created, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "exactly 32 bytes");
    snprintf(path, sizeof(path), "%s/long.key", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && write(fd, "0123456789abcdef0123456789abcdef!", 33) == 33);
    close(fd);
    CHECK_INT(faas_secretbox_load(path, &box, &created, &err), FAAS_EINVAL);
}

/* ---- sealing ---- */

TEST(seal_round_trip_and_fresh_nonce)
{
    faas_secretbox_t box;
    key_of(&box, 7);
    unsigned char n1[12], n2[12], *s1 = NULL, *s2 = NULL;
    size_t l1 = 0, l2 = 0, len = 0;
    char *plain = NULL;
    faas_error_t err = {0};
    const char value[] = "hunter2\0with a NUL";
    CHECK_INT(faas_secretbox_seal(&box, "db", value, sizeof(value), n1, &s1, &l1, &err), FAAS_OK);
    CHECK_INT(l1, sizeof(value) + FAAS_SECRETBOX_TAG_LEN);
    CHECK(memmem(s1, l1, "hunter2", 7) == NULL);
    CHECK_INT(faas_secretbox_open(&box, "db", n1, s1, l1, &plain, &len, &err), FAAS_OK);
    CHECK_INT(len, sizeof(value));
    CHECK(plain != NULL && memcmp(plain, value, sizeof(value)) == 0);
    faas_secretbox_free(plain, len);
    CHECK_INT(faas_secretbox_seal(&box, "db", value, sizeof(value), n2, &s2, &l2, &err), FAAS_OK);
    CHECK(memcmp(n1, n2, sizeof(n1)) != 0);
    CHECK(memcmp(s1, s2, l1) != 0);
    free(s1);
    free(s2);
}

TEST(seal_refuses_wrong_key_name_or_bytes)
{
    faas_secretbox_t box, other;
    key_of(&box, 1);
    key_of(&other, 2);
    unsigned char nonce[12], *sealed = NULL;
    size_t slen = 0, len = 0;
    char *plain = NULL;
    faas_error_t err = {0};
    CHECK_INT(faas_secretbox_seal(&box, "api_key", "s3cret", 6, nonce, &sealed, &slen, &err), FAAS_OK);
    CHECK_INT(faas_secretbox_open(&other, "api_key", nonce, sealed, slen, &plain, &len, &err), FAAS_EINVAL);
    CHECK(plain == NULL);
    CHECK_INT(faas_secretbox_open(&box, "api_key2", nonce, sealed, slen, &plain, &len, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "does not open");
    for (size_t i = 0; i < slen; i++) { /* every byte: the ciphertext and the tag */
        sealed[i] ^= 0x01;
        CHECK_INT(faas_secretbox_open(&box, "api_key", nonce, sealed, slen, &plain, &len, &err), FAAS_EINVAL);
        sealed[i] ^= 0x01;
    }
    nonce[3] ^= 0x80;
    CHECK_INT(faas_secretbox_open(&box, "api_key", nonce, sealed, slen, &plain, &len, &err), FAAS_EINVAL);
    nonce[3] ^= 0x80;
    CHECK_INT(faas_secretbox_open(&box, "api_key", nonce, sealed, slen - 1, &plain, &len, &err), FAAS_EINVAL);
    CHECK_INT(faas_secretbox_open(&box, "api_key", nonce, sealed, 3, &plain, &len, &err), FAAS_EINVAL);
    CHECK_INT(faas_secretbox_open(&box, "api_key", nonce, sealed, slen, &plain, &len, &err), FAAS_OK);
    CHECK_STR(plain, "s3cret");
    faas_secretbox_free(plain, len);
    free(sealed);
}

/* ---- the store ---- */

static int file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    static char buf[4 << 20];
    size_t n = f != NULL ? fread(buf, 1, sizeof(buf), f) : 0;
    if (f != NULL)
        fclose(f);
    return memmem(buf, n, needle, strlen(needle)) != NULL;
}

static faas_err_t put_function(faas_store_t *st, const char *name, const char *secret)
{
    char *names[] = {(char *)secret};
    faas_function_t fn = {.id = (char *)name, .name = (char *)name, .secrets = names, .n_secrets = 1};
    return faas_store_function_put(st, &fn, NULL);
}

TEST(store_keeps_values_sealed)
{
    char sdir[300], data[340];
    snprintf(sdir, sizeof(sdir), "%s/store", dir);
    faas_store_t *st = NULL;
    faas_error_t err = {0};
    CHECK_INT(faas_store_open(sdir, 0, &st, &err), FAAS_OK);
    faas_secretbox_t box;
    key_of(&box, 9);
    faas_secret_info_t info;
    int replaced = -1;
    CHECK_INT(faas_store_secret_set(st, &box, "db.pass", "PlainTextValue-1", 16, &info, &replaced, &err), FAAS_OK);
    CHECK_INT(replaced, 0);
    CHECK_STR(info.name, "db.pass");
    int64_t created = info.created_at;
    CHECK_INT(faas_store_secret_set(st, &box, "db.pass", "PlainTextValue-2", 16, &info, &replaced, &err), FAAS_OK);
    CHECK_INT(replaced, 1);
    CHECK_INT(info.created_at, created);
    CHECK(info.updated_at >= created);
    CHECK_INT(faas_store_secret_set(st, &box, "other", "x", 1, NULL, NULL, &err), FAAS_OK);
    CHECK_INT(faas_store_secret_set(st, &box, "../x", "x", 1, NULL, NULL, &err), FAAS_EINVAL);
    CHECK_INT(faas_store_secret_set(st, &box, "empty", "", 0, NULL, NULL, &err), FAAS_EINVAL);
    static char big[FAAS_STORE_SECRET_MAX + 1];
    CHECK_INT(faas_store_secret_set(st, &box, "big", big, sizeof(big), NULL, NULL, &err), FAAS_ETOOLARGE);
    CHECK_INT(faas_store_secret_set(st, &box, "max", big, FAAS_STORE_SECRET_MAX, NULL, NULL, &err), FAAS_OK);
    char *value = NULL;
    size_t len = 0;
    CHECK_INT(faas_store_secret_reveal(st, &box, "db.pass", &value, &len, &err), FAAS_OK);
    CHECK_STR(value, "PlainTextValue-2");
    faas_secretbox_free(value, len);
    faas_secretbox_t wrong;
    key_of(&wrong, 10);
    CHECK_INT(faas_store_secret_reveal(st, &wrong, "db.pass", &value, &len, &err), FAAS_EINVAL);
    CHECK_INT(faas_store_secret_reveal(st, &box, "nope", &value, &len, &err), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_secret_exists(st, "other", &err), FAAS_OK);
    CHECK_INT(faas_store_secret_exists(st, "nope", &err), FAAS_ENOTFOUND);

    CHECK_INT(put_function(st, "web", "db.pass"), FAAS_OK);
    CHECK_INT(put_function(st, "api", "db.pass"), FAAS_OK);
    faas_secret_info_t *infos = NULL;
    size_t n = 0;
    CHECK_INT(faas_store_secret_list(st, &infos, &n, &err), FAAS_OK);
    CHECK_INT(n, 3);
    CHECK_STR(infos[0].name, "db.pass");
    CHECK_INT(infos[0].n_used_by, 2);
    CHECK_STR(infos[0].used_by[0], "api");
    CHECK_STR(infos[0].used_by[1], "web");
    CHECK_INT(infos[1].n_used_by, 0);
    faas_secret_info_array_free(infos, n);
    char **users = NULL;
    CHECK_INT(faas_store_secret_delete(st, "db.pass", &users, &n, &err), FAAS_ECONFLICT);
    CHECK_CONTAINS(err.msg, "api, web");
    CHECK_INT(n, 2);
    faas_secret_names_free(users, n);
    CHECK_INT(faas_store_secret_delete(st, "other", NULL, NULL, &err), FAAS_OK);
    CHECK_INT(faas_store_secret_delete(st, "other", NULL, NULL, &err), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_secret_exists(st, "db.pass", &err), FAAS_OK);
    faas_store_close(st);
    snprintf(data, sizeof(data), "%s/data.mdb", sdir);
    CHECK(!file_has(data, "PlainTextValue"));
    CHECK(file_has(data, "db.pass")); /* proof the search reads the right file */
}

TEST(store_record_moved_to_another_name_does_not_open)
{
    char sdir[300];
    snprintf(sdir, sizeof(sdir), "%s/store2", dir);
    faas_store_t *st = NULL;
    faas_error_t err = {0};
    CHECK_INT(faas_store_open(sdir, 0, &st, &err), FAAS_OK);
    faas_secretbox_t box;
    key_of(&box, 3);
    CHECK_INT(faas_store_secret_set(st, &box, "a", "value-of-a", 10, NULL, NULL, &err), FAAS_OK);
    faas_store_close(st);
    /* Copy a's record under the name b with LMDB itself, as someone with the files could. */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {1, "a"}, v, kb = {1, "b"};
    CHECK_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    CHECK_INT(mdb_env_open(env, sdir, 0, 0600), 0);
    CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_INT(mdb_dbi_open(txn, "secrets", 0, &dbi), 0);
    CHECK_INT(mdb_get(txn, dbi, &k, &v), 0);
    CHECK_INT(mdb_put(txn, dbi, &kb, &v, 0), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    CHECK_INT(faas_store_open(sdir, 0, &st, &err), FAAS_OK);
    char *value = NULL;
    size_t len = 0;
    CHECK_INT(faas_store_secret_reveal(st, &box, "b", &value, &len, &err), FAAS_EINVAL);
    CHECK(value == NULL);
    CHECK_INT(faas_store_secret_reveal(st, &box, "a", &value, &len, &err), FAAS_OK);
    faas_secretbox_free(value, len);
    faas_store_close(st);
}

/* ---- records and the upload field ---- */

TEST(record_secrets_round_trip_and_old_records)
{
    char *names[] = {"a", "b.c"};
    faas_function_t fn = {.id = "x", .name = "fn", .secrets = names, .n_secrets = 2}, back;
    faas_error_t err = {0};
    cJSON *json = faas_function_to_json(&fn, FAAS_RECORD_API);
    char *text = cJSON_PrintUnformatted(json);
    CHECK_CONTAINS(text, "\"secrets\":[\"a\",\"b.c\"]");
    CHECK_INT(faas_function_from_json(json, &back, &err), FAAS_OK);
    CHECK_INT(back.n_secrets, 2);
    CHECK_STR(back.secrets[1], "b.c");
    faas_function_free(&back);
    cJSON_DeleteItemFromObject(json, "secrets"); /* a record of an older faas */
    CHECK_INT(faas_function_from_json(json, &back, &err), FAAS_OK);
    CHECK_INT(back.n_secrets, 0);
    faas_function_free(&back);
    cJSON_AddItemToObject(json, "secrets", cJSON_CreateString("a"));
    CHECK_INT(faas_function_from_json(json, &back, &err), FAAS_EINVAL);
    cJSON_ReplaceItemInObject(json, "secrets", cJSON_Parse("[\"../etc\"]"));
    CHECK_INT(faas_function_from_json(json, &back, &err), FAAS_EINVAL);
    free(text);
    cJSON_Delete(json);
}

static faas_err_t parse(const char *text, char ***names, size_t *n, faas_error_t *err)
{
    return faas_upload_parse_secrets(text, strlen(text), names, n, err);
}

TEST(upload_secrets_field)
{
    char **names = NULL;
    size_t n = 99;
    faas_error_t err = {0};
    CHECK_INT(parse("a,b", &names, &n, &err), FAAS_OK);
    CHECK_INT(n, 2);
    CHECK_STR(names[0], "a");
    CHECK_STR(names[1], "b");
    faas_secret_names_free(names, n);
    CHECK_INT(parse(" db.pass , API_KEY-2,", &names, &n, &err), FAAS_OK);
    CHECK_INT(n, 2);
    CHECK_STR(names[0], "db.pass");
    CHECK_STR(names[1], "API_KEY-2");
    faas_secret_names_free(names, n);
    CHECK_INT(parse("", &names, &n, &err), FAAS_OK); /* clears the list */
    CHECK_INT(n, 0);
    CHECK(names == NULL);
    CHECK_INT(parse("a,a", &names, &n, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "twice");
    const char *bad[] = {"../x", ".hidden", "-x", "a/b", "a b", "a;b", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_INT(parse(bad[i], &names, &n, &err), FAAS_EINVAL);
        CHECK(names == NULL && n == 0);
    }
    char longname[70];
    memset(longname, 'x', 65);
    longname[65] = '\0';
    CHECK_INT(parse(longname, &names, &n, &err), FAAS_EINVAL);
    longname[64] = '\0';
    CHECK_INT(parse(longname, &names, &n, &err), FAAS_OK);
    faas_secret_names_free(names, n);
    CHECK_INT(faas_upload_parse_secrets("a\0b", 3, &names, &n, &err), FAAS_EINVAL);
    char many[FAAS_UPLOAD_MAX_SECRETS * 5 + 8] = "";
    for (int i = 0; i <= FAAS_UPLOAD_MAX_SECRETS; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "s%d,", i);
    CHECK_INT(parse(many, &names, &n, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "more than");
}

int main(void)
{
    testlib_tmpdir(dir, sizeof(dir));
    RUN(key_file_made_private_and_reused);
    RUN(key_file_refused_when_open_or_wrong);
    RUN(seal_round_trip_and_fresh_nonce);
    RUN(seal_refuses_wrong_key_name_or_bytes);
    RUN(store_keeps_values_sealed);
    RUN(store_record_moved_to_another_name_does_not_open);
    RUN(record_secrets_round_trip_and_old_records);
    RUN(upload_secrets_field);
    return testlib_done();
}
