/*
 * upload.c (unit): environment lines, volume entries (resolution under the
 * function's folder, escapes marked for the policy) and image tags.
 */
#include "faas/api/upload.h"
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static const char *env_error(const char *text)
{
    static faas_error_t err;
    faas_env_var_t *env = NULL;
    size_t n = 0;
    memset(&err, 0, sizeof(err));
    if (faas_upload_parse_env(text, strlen(text), &env, &n, &err) == FAAS_OK) {
        faas_env_free(env, n);
        return "";
    }
    return err.msg;
}

TEST(env_lines)
{
    faas_env_var_t *env = NULL;
    size_t n = 0;
    const char *text = "A=1\r\n\n# comment\n  B_2=x=y \nEMPTY=\n";
    CHECK_INT(faas_upload_parse_env(text, strlen(text), &env, &n, NULL), FAAS_OK);
    CHECK_INT(n, 3);
    CHECK_STR(env[0].name, "A");
    CHECK_STR(env[0].value, "1");
    CHECK_STR(env[1].name, "B_2");
    CHECK_STR(env[1].value, "x=y");
    CHECK_STR(env[2].name, "EMPTY");
    CHECK_STR(env[2].value, "");
    faas_env_free(env, n);
    CHECK_CONTAINS(env_error("1A=x"), "env line 1");
    CHECK_CONTAINS(env_error("A=1\nnovalue"), "env line 2");
    CHECK_CONTAINS(env_error("PORT=80"), "PORT is set by faas");
    CHECK_CONTAINS(env_error("A=1\nA=2"), "A is set twice");
    CHECK_CONTAINS(env_error("A-B=1"), "env line 1");
    CHECK_CONTAINS(env_error("A = 1"), "env line 1"); /* no spaces around =, as in Docker env files */
    CHECK_STR(env_error(""), "");
    CHECK_STR(env_error("\n\n"), "");
}

static faas_err_t volumes(const char *text, faas_upload_volume_t *v, size_t *n, faas_error_t *err)
{
    return faas_upload_parse_volumes(text, "/var/lib/faas/volumes/web", v, FAAS_UPLOAD_MAX_VOLUMES, n, err);
}

TEST(volume_entries)
{
    faas_upload_volume_t v[FAAS_UPLOAD_MAX_VOLUMES];
    size_t n = 0;
    faas_error_t err = {0};
    CHECK_INT(volumes("./data:/data, ./x/../y:/srv/y:ro", v, &n, &err), FAAS_OK);
    CHECK_INT(n, 2);
    CHECK_STR(v[0].host, "/var/lib/faas/volumes/web/data");
    CHECK_STR(v[0].container, "/data");
    CHECK_INT(v[0].read_only + v[0].needs_policy, 0);
    CHECK_STR(v[1].host, "/var/lib/faas/volumes/web/y");
    CHECK_INT(v[1].read_only, 1);
    char *binds = faas_upload_binds(v, n);
    CHECK_STR(binds, "/var/lib/faas/volumes/web/data:/data,/var/lib/faas/volumes/web/y:/srv/y:ro");
    free(binds);
    CHECK_INT(volumes("../other:/data", v, &n, &err), FAAS_OK);
    CHECK_INT(v[0].needs_policy, 1); /* escapes the function's folder */
    CHECK_STR(v[0].host, "/var/lib/faas/volumes/other");
    CHECK_INT(volumes("/etc:/etc2", v, &n, &err), FAAS_OK);
    CHECK_INT(v[0].needs_policy, 1); /* absolute */
    CHECK_INT(volumes("./a/../../web2:/d", v, &n, &err), FAAS_OK);
    CHECK_INT(v[0].needs_policy, 1); /* "web2" is beside "web", not under it */
    CHECK_INT(volumes("data", v, &n, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "expected host:container");
    CHECK_INT(volumes("./d:relative", v, &n, &err), FAAS_EINVAL);
    CHECK_INT(volumes("./d:/../etc", v, &n, &err), FAAS_EINVAL);
    CHECK_INT(volumes("./d:/", v, &n, &err), FAAS_EINVAL);
    CHECK_INT(volumes("./d:/d:rx", v, &n, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "mode must be ro or rw");
    CHECK_INT(volumes("", v, &n, &err), FAAS_OK);
    CHECK_INT(n, 0);
    CHECK_INT(volumes("/../../x:/d", v, &n, &err), FAAS_EINVAL); /* climbs above / */
    char many[2000] = "";
    for (int i = 0; i < 17; i++)
        strcat(many, "./d:/d,");
    CHECK_INT(volumes(many, v, &n, &err), FAAS_EINVAL);
}

TEST(image_tags)
{
    static const char *const good[] = {"hello", "hello:v2", "my-fn_1.x", "library/hello:1.0", "registry.local:5000/a/b:tag",
                                       "localhost/x", "a__b", "e2e-testfn:latest", "x:_tag-1.2"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        testlib_check(faas_upload_valid_tag(good[i]), __FILE__, __LINE__, "tag \"%s\" accepted", good[i]);
    static const char *const bad[] = {"", "Hello", "hello:", ":v1", "a..b", "a___b", "-a", "a-", "x@sha256:abc",
                                      "a/-b", "a//b", "hello:-v", "with space", "a:b:c"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        testlib_check(!faas_upload_valid_tag(bad[i]), __FILE__, __LINE__, "tag \"%s\" refused", bad[i]);
    CHECK(!faas_upload_valid_tag(NULL));
}

int main(void)
{
    RUN(env_lines);
    RUN(volume_entries);
    RUN(image_tags);
    return testlib_done();
}
