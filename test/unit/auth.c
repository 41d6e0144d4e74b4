/*
 * auth.c (unit): the passfile (creation, mode, reading, bad contents) and
 * the Authorization check (raw, Bearer, wrong, prefixes, empty).
 */
#include "faas/core/auth.h"
#include "testlib.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static char dir[256];

static faas_err_t load_text(const char *text, faas_auth_t *auth, faas_error_t *err)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/pass-%zu", dir, strlen(text));
    testlib_write_file(path, text);
    int created = -1;
    faas_err_t rc = faas_auth_load(path, auth, &created, err);
    CHECK_INT(created, 0);
    return rc;
}

static int check_header(const faas_auth_t *auth, const char *header)
{
    return faas_auth_check(auth, header, strlen(header));
}

TEST(creates_passfile_once)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/.passfile", dir);
    faas_auth_t a = {0}, b = {0};
    faas_error_t err = {0};
    int created = 0;
    CHECK_INT(faas_auth_load(path, &a, &created, &err), FAAS_OK);
    CHECK_INT(created, 1);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(a.key_len, 36);
    CHECK(a.key[14] == '4'); /* UUID version 4 */
    CHECK(strchr("89ab", a.key[19]) != NULL);
    CHECK_INT(faas_auth_load(path, &b, &created, &err), FAAS_OK);
    CHECK_INT(created, 0);
    CHECK_STR(b.key, a.key);
}

TEST(reads_and_trims)
{
    faas_auth_t a = {0};
    faas_error_t err = {0};
    CHECK_INT(load_text("  my-secret-key\n\n", &a, &err), FAAS_OK);
    CHECK_STR(a.key, "my-secret-key");
    CHECK_INT(load_text("", &a, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "the passkey is empty");
    CHECK_INT(load_text("two words", &a, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "printable ASCII without spaces");
    char big[400];
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_INT(load_text(big, &a, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "longer than 256 bytes");
    int created;
    CHECK_INT(faas_auth_load("/nonexistent-dir/passfile", &a, &created, &err), FAAS_EIO);
    CHECK_CONTAINS(err.msg, "/nonexistent-dir/passfile");
}

TEST(checks_the_header)
{
    faas_auth_t a = {0};
    CHECK_INT(faas_auth_set_key(&a, "0123456789abcdef", 16, NULL), FAAS_OK);
    CHECK(check_header(&a, "0123456789abcdef"));
    CHECK(check_header(&a, "Bearer 0123456789abcdef"));
    CHECK(check_header(&a, "bearer 0123456789abcdef"));
    CHECK(check_header(&a, "Bearer  0123456789abcdef"));
    CHECK(!check_header(&a, "0123456789abcde"));
    CHECK(!check_header(&a, "0123456789abcdef0"));
    CHECK(!check_header(&a, "0123456789ABCDEF"));
    CHECK(!check_header(&a, "Basic 0123456789abcdef"));
    CHECK(!check_header(&a, ""));
    CHECK(!check_header(&a, "Bearer "));
    CHECK(!faas_auth_check(&a, NULL, 0));
    faas_auth_t empty = {0};
    CHECK(!check_header(&empty, "")); /* no key loaded: nothing passes */
}

int main(void)
{
    testlib_tmpdir(dir, sizeof(dir));
    RUN(creates_passfile_once);
    RUN(reads_and_trims);
    RUN(checks_the_header);
    return testlib_done();
}
