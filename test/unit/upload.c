/*
 * upload.c (unit): environment lines, volume entries (resolution under the
 * function's folder, escapes marked for the policy, symlinks followed to
 * where they lead, writable folders around others refused), image tags, and the
 * scale settings, memory and cpus fields.
 */
#include "faas/api/upload.h"
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
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
    /* An entry too long for the parser is refused, never cut: cut, it would lose its ":ro" and be
       mounted writable (found by test/fuzz/upload.c). */
    char big[3000] = "";
    for (int i = 0; i < 700; i++)
        strcat(big, "./");
    strcat(big, "d:/c:ro");
    CHECK_INT(volumes(big, v, &n, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "longer than");
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

/* A file system of symlinks for faas_upload_resolve: what a function could plant in its volumes. */
static const char *const fake_links[][2] = {
    {"/var/lib/faas/volumes/web/esc", "/srv/host"},            /* out, absolute */
    {"/var/lib/faas/volumes/web/data/link", "../../../../../../srv"}, /* out, relative */
    {"/var/lib/faas/volumes/web/inside", "data"},             /* stays in the folder */
    {"/var/lib/faas/volumes/web/loop", "loop"},
    {"/var/lib/faas/volumes/web/back", "/srv/host/../../var/lib/faas/volumes/web/data"},
    {"/srv/host", "/srv/real"},                                /* a link behind a link */
    {"/var/lib/faas/volumes/web/bad", "unreadable"},
};

static int fake_readlink(void *ctx, const char *path, char *target, size_t size)
{
    int *calls = ctx;
    (*calls)++;
    for (size_t i = 0; i < sizeof(fake_links) / sizeof(fake_links[0]); i++) {
        if (strcmp(path, fake_links[i][0]) != 0)
            continue;
        if (strcmp(fake_links[i][1], "unreadable") == 0) {
            errno = EACCES;
            return -1;
        }
        snprintf(target, size, "%s", fake_links[i][1]);
        return 1;
    }
    return 0;
}

static const char *resolved(const char *path, int *links)
{
    static char out[1024];
    int calls = 0;
    faas_error_t err = {0};
    if (faas_upload_resolve(path, fake_readlink, &calls, out, sizeof(out), links, &err) != FAAS_OK)
        snprintf(out, sizeof(out), "error: %s", err.msg);
    return out;
}

TEST(resolving_links)
{
    int links = -1;
    CHECK_STR(resolved("/var/lib/faas/volumes/web/data/x", &links), "/var/lib/faas/volumes/web/data/x");
    CHECK_INT(links, 0);
    CHECK_STR(resolved("/var/lib/faas/volumes/web/esc", &links), "/srv/real");
    CHECK_INT(links, 2);
    CHECK_STR(resolved("/var/lib/faas/volumes/web/esc/sub/deeper", &links), "/srv/real/sub/deeper");
    CHECK_STR(resolved("/var/lib/faas/volumes/web/data/link/sub", &links), "/srv/sub");
    CHECK_INT(links, 1);
    CHECK_STR(resolved("/var/lib/faas/volumes/web/inside/a", &links), "/var/lib/faas/volumes/web/data/a");
    CHECK_STR(resolved("/var/lib/faas/volumes/web/back", &links), "/var/lib/faas/volumes/web/data");
    CHECK_STR(resolved("/var/lib/faas/volumes/web/esc/..", &links), "/srv"); /* ".." after the link, as the kernel */
    CHECK_STR(resolved("/../..", &links), "/");
    CHECK_CONTAINS(resolved("/var/lib/faas/volumes/web/loop", &links), "more than 40 symlinks");
    CHECK_CONTAINS(resolved("/var/lib/faas/volumes/web/bad/x", &links), "cannot read /var/lib/faas/volumes/web/bad");
    CHECK_CONTAINS(resolved("relative", &links), "not an absolute path");
}

static faas_err_t resolved_volumes(const char *text, faas_upload_volume_t *v, size_t *n, faas_error_t *err)
{
    int calls = 0;
    const char *base = "/var/lib/faas/volumes/web";
    faas_err_t rc = faas_upload_parse_volumes(text, base, v, FAAS_UPLOAD_MAX_VOLUMES, n, err);
    if (rc == FAAS_OK)
        rc = faas_upload_resolve_volumes(v, *n, base, fake_readlink, &calls, err);
    if (rc == FAAS_OK)
        rc = faas_upload_check_nesting(v, *n, err);
    return rc;
}

TEST(volumes_through_links)
{
    faas_upload_volume_t v[FAAS_UPLOAD_MAX_VOLUMES];
    size_t n = 0;
    faas_error_t err = {0};
    CHECK_INT(resolved_volumes("esc:/x", v, &n, &err), FAAS_OK);
    CHECK_STR(v[0].host, "/srv/real"); /* the policy is asked about where it leads, and that is what is bound */
    CHECK_INT(v[0].needs_policy, 1);
    CHECK_INT(v[0].through_link, 1);
    CHECK_INT(resolved_volumes("data/link/sub:/x", v, &n, &err), FAAS_OK);
    CHECK_STR(v[0].host, "/srv/sub");
    CHECK_INT(v[0].needs_policy, 1);
    CHECK_INT(resolved_volumes("inside:/x, back:/y:ro, data2/new:/z", v, &n, &err), FAAS_OK);
    CHECK_STR(v[0].host, "/var/lib/faas/volumes/web/data");
    CHECK_INT(v[0].needs_policy + v[1].needs_policy + v[2].needs_policy, 0); /* links that stay inside are fine */
    CHECK_INT(v[0].through_link, 1);
    CHECK_INT(v[2].through_link, 0);
    CHECK_STR(v[2].host, "/var/lib/faas/volumes/web/data2/new");
    CHECK_INT(resolved_volumes("/var/lib/faas/volumes/web/data:/x", v, &n, &err), FAAS_OK);
    CHECK_INT(v[0].needs_policy, 1); /* absolute: always the policy's */
    CHECK_INT(resolved_volumes("loop:/x", v, &n, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "volume /x: ");
}

TEST(volumes_nesting)
{
    faas_upload_volume_t v[FAAS_UPLOAD_MAX_VOLUMES];
    size_t n = 0;
    faas_error_t err = {0};
    CHECK_INT(resolved_volumes(".:/all, data:/data", v, &n, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "volume /data (/var/lib/faas/volumes/web/data) lies inside the folder of volume /all");
    CHECK_INT(resolved_volumes("data/sub:/sub:ro, data:/data", v, &n, &err), FAAS_EINVAL); /* either order */
    CHECK_INT(resolved_volumes("inside/sub:/sub, data:/data", v, &n, &err), FAAS_EINVAL);  /* judged resolved */
    CHECK_INT(resolved_volumes(".:/all:ro, data:/data", v, &n, &err), FAAS_OK);            /* a read-only outer one */
    CHECK_INT(resolved_volumes("data:/a, data:/b, data2:/c", v, &n, &err), FAAS_OK);      /* the same; a sibling */
    CHECK_INT(resolved_volumes("/:/root, /etc:/etc2:ro", v, &n, &err), FAAS_EINVAL);
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

TEST(scale_fields)
{
    faas_scale_t s = {0};
    faas_error_t err = {0};
    CHECK_STR(faas_upload_scale_field(FAAS_SCALE_MIN), "scale_min");
    CHECK_STR(faas_upload_scale_field(FAAS_SCALE_MAX), "scale_max");
    CHECK_STR(faas_upload_scale_field(FAAS_SCALE_TARGET), "scale_target");
    CHECK_STR(faas_upload_scale_field(FAAS_SCALE_CONCURRENCY), "concurrency");
    CHECK(faas_upload_scale_field(0) == NULL);
    CHECK_INT(faas_upload_parse_scale(FAAS_SCALE_MIN, "0", &s, &err), FAAS_OK);
    CHECK_INT(faas_upload_parse_scale(FAAS_SCALE_MAX, " 4 ", &s, &err), FAAS_OK);
    CHECK_INT(faas_upload_parse_scale(FAAS_SCALE_TARGET, "100000", &s, &err), FAAS_OK);
    CHECK_INT(s.set, FAAS_SCALE_MIN | FAAS_SCALE_MAX | FAAS_SCALE_TARGET);
    CHECK_INT(s.max, 4);
    CHECK_INT(faas_upload_parse_scale(FAAS_SCALE_TARGET, "", &s, &err), FAAS_OK); /* "" unsets */
    CHECK_INT(s.set, FAAS_SCALE_MIN | FAAS_SCALE_MAX);
    CHECK_INT(faas_upload_parse_scale(FAAS_SCALE_MAX, "0", &s, &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "scale_max: 0 is out of range 1..1000");
    CHECK_INT(faas_upload_parse_scale(FAAS_SCALE_MIN, "-1", &s, &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "scale_min: -1 is out of range 0..1000");
    CHECK_INT(faas_upload_parse_scale(FAAS_SCALE_TARGET, "x", &s, &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "scale_target: must be a whole number (got \"x\")");
    CHECK_INT(faas_upload_parse_scale(FAAS_SCALE_CONCURRENCY, "1.5", &s, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "concurrency: must be a whole number");
    CHECK_INT(faas_upload_parse_scale(FAAS_SCALE_CONCURRENCY, "99999999999999999999", &s, &err), FAAS_EINVAL);
    CHECK_INT(faas_upload_parse_scale(FAAS_SCALE_CONCURRENCY, "-", &s, &err), FAAS_EINVAL);
    CHECK_INT(s.max, 4); /* refused values changed nothing */
    CHECK_INT(s.set, FAAS_SCALE_MIN | FAAS_SCALE_MAX);
}

TEST(memory_and_cpus_fields)
{
    int64_t v = -1, max = 256 << 20;
    faas_error_t err = {0};
    CHECK_INT(faas_upload_parse_memory("128m", max, &v, &err), FAAS_OK);
    CHECK_INT(v, 128 << 20);
    CHECK_INT(faas_upload_parse_memory("268435456", max, &v, &err), FAAS_OK); /* limits.memory itself */
    CHECK_INT(v, max);
    CHECK_INT(faas_upload_parse_memory("", max, &v, &err), FAAS_OK);
    CHECK_INT(v, 0);
    CHECK_INT(faas_upload_parse_memory("0", max, &v, &err), FAAS_OK);
    CHECK_INT(v, 0);
    v = 7;
    CHECK_INT(faas_upload_parse_memory("257m", max, &v, &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "memory: 269484032 bytes is above limits.memory (268435456 bytes)");
    CHECK_INT(faas_upload_parse_memory("1m", max, &v, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "memory: 1048576 bytes is below the smallest limit, 6 MiB");
    CHECK_INT(faas_upload_parse_memory("lots", max, &v, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "memory: must be a size");
    CHECK_INT(faas_upload_parse_memory("-5m", max, &v, &err), FAAS_EINVAL);
    CHECK_INT(v, 7);

    int64_t one = 1000000000;
    CHECK_INT(faas_upload_parse_cpus("0.5", one, &v, &err), FAAS_OK);
    CHECK_INT(v, 500000000);
    CHECK_INT(faas_upload_parse_cpus("1", one, &v, &err), FAAS_OK);
    CHECK_INT(v, one);
    CHECK_INT(faas_upload_parse_cpus(".25", one, &v, &err), FAAS_OK);
    CHECK_INT(v, 250000000);
    CHECK_INT(faas_upload_parse_cpus("", one, &v, &err), FAAS_OK);
    CHECK_INT(v, 0);
    v = 7;
    CHECK_INT(faas_upload_parse_cpus("1.5", one, &v, &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "cpus: 1.5 is above limits.cpus (1)");
    CHECK_INT(faas_upload_parse_cpus("0.001", one, &v, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "cpus: 0.001 is below 0.01");
    static const char *const bad[] = {"half", "-1", "1e3", "0x1", "1.2.3", ".", "1,5", "0.5 ", "inf", "1234567890123"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        testlib_check(faas_upload_parse_cpus(bad[i], one, &v, &err) == FAAS_EINVAL && strncmp(err.msg, "cpus: ", 6) == 0,
                      __FILE__, __LINE__, "cpus \"%s\" refused", bad[i]);
    CHECK_INT(v, 7);
}

TEST(placement_field)
{
    char **c = NULL;
    size_t n = 99;
    faas_error_t err = {0};
    const char *text = " node.role==worker ,, node.labels.zone != eu\n";
    CHECK_INT(faas_upload_parse_placement(text, strlen(text), &c, &n, &err), FAAS_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(c[0], "node.role==worker");
        CHECK_STR(c[1], "node.labels.zone != eu");
    }
    faas_secret_names_free(c, n);
    CHECK_INT(faas_upload_parse_placement(" , ", 3, &c, &n, &err), FAAS_OK);
    CHECK_INT(n, 0);
    CHECK(c == NULL);
    n = 5;
    CHECK_INT(faas_upload_parse_placement("node.role=worker", 16, &c, &n, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "placement: \"node.role=worker\" is not a constraint");
    CHECK_INT(n, 0);
    CHECK(c == NULL);
    CHECK_INT(faas_upload_parse_placement("node.id==a,node.id==a", 21, &c, &n, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "given twice");
    CHECK_INT(faas_upload_parse_placement("node.id==a\0b", 12, &c, &n, &err), FAAS_EINVAL);
    char big[FAAS_RECORD_CONSTRAINT_MAX + 16] = "node.id==";
    memset(big + 9, 'x', sizeof(big) - 10);
    big[sizeof(big) - 1] = '\0';
    CHECK_INT(faas_upload_parse_placement(big, strlen(big), &c, &n, &err), FAAS_EINVAL);
    char many[16 * (FAAS_RECORD_PLACEMENT_MAX + 2)] = "";
    for (int i = 0; i <= FAAS_RECORD_PLACEMENT_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "node.id!=n%d,", i);
    CHECK_INT(faas_upload_parse_placement(many, strlen(many), &c, &n, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "more than");
}

int main(void)
{
    RUN(env_lines);
    RUN(volume_entries);
    RUN(resolving_links);
    RUN(volumes_through_links);
    RUN(volumes_nesting);
    RUN(image_tags);
    RUN(scale_fields);
    RUN(memory_and_cpus_fields);
    RUN(placement_field);
    return testlib_done();
}
