/*
 * job.c (unit): the pure parts of job functions: language detection
 * from a build context, an execute input turned into environment variables,
 * and stdout/stderr lines merged back in time order.
 */
#include "faas/job/detect.h"
#include "faas/job/input.h"
#include "faas/job/output.h"
#include "testlib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* A context holding the given files ("path", "content", ..., NULL). */
static faas_buildctx_t *context(const char *first, ...)
{
    faas_buildctx_t *ctx = faas_buildctx_create();
    va_list ap;
    va_start(ap, first);
    for (const char *path = first; path != NULL; path = va_arg(ap, const char *)) {
        const char *content = va_arg(ap, const char *);
        CHECK(faas_buildctx_add(ctx, path, content, strlen(content), 0644, NULL) == FAAS_OK);
    }
    va_end(ap);
    return ctx;
}

/* Detects ctx (disposed here); returns the reason, or the error's message prefixed "error: ". */
static const char *detect(faas_buildctx_t *ctx, faas_detect_result_t *d)
{
    static char out[600];
    faas_error_t err = {0};
    if (faas_detect_language(ctx, d, &err) == FAAS_OK)
        snprintf(out, sizeof(out), "%s", d->reason);
    else
        snprintf(out, sizeof(out), "error: %s", err.msg);
    faas_buildctx_dispose(ctx);
    return out;
}

TEST(detects_by_well_known_files)
{
    faas_detect_result_t d;
    CHECK_STR(detect(context("main.py", "print(1)", "helpers.py", "", NULL), &d), "python: found main.py");
    CHECK_STR(d.language, "python");
    CHECK_STR(d.handler, "main.py"); /* the seed picked helpers.py, the first in byte order */
    CHECK_STR(detect(context("handler.py", "", "a.py", "", NULL), &d), "python: found handler.py");
    CHECK_STR(d.handler, "handler.py");
    CHECK_STR(detect(context("go.mod", "module x", "cmd.go", "", NULL), &d), "go: found go.mod");
    CHECK_STR(d.language, "go");
    CHECK_STR(d.handler, "");
    CHECK_STR(detect(context("main.go", "package main", NULL), &d), "go: found main.go");
    CHECK_STR(detect(context("main.py", "", "main.go", "", NULL), &d), "python: found main.py");
}

TEST(falls_back_to_a_lone_source_file)
{
    faas_detect_result_t d;
    CHECK_STR(detect(context("test.py", "", "requirements.txt", "requests", NULL), &d),
              "python: found test.py and requirements.txt");
    CHECK_STR(d.handler, "test.py");
    CHECK_STR(detect(context("b.py", "", "a.py", "", NULL), &d), "python: found a.py");
    CHECK_STR(detect(context("tool.go", "package main", NULL), &d), "go: found tool.go");
    /* Files in sub-folders are not entry points; neither is a non-source file. */
    CHECK_CONTAINS(detect(context("lib/main.py", "", "README", "", NULL), &d), "error: no handler found");
    CHECK_CONTAINS(detect(context("requirements.txt", "x", NULL), &d), "error: no handler found");
    CHECK_CONTAINS(detect(context("MAIN.PY", "", NULL), &d), "error: no handler found");
}

TEST(honours_a_valid_manifest)
{
    faas_detect_result_t d;
    const char *m = "{\"handler\":\"src/app.py\",\"language\":\"python\"}";
    CHECK_STR(detect(context("serverless.json", m, "src/app.py", "", "main.py", "", NULL), &d),
              "python: serverless.json names src/app.py");
    CHECK_STR(d.handler, "src/app.py");
    m = "{\"handler\":\"main.go\",\"language\":\"golang\"}";
    CHECK_STR(detect(context("serverless.json", m, "main.go", "", NULL), &d), "go: serverless.json names main.go");
    CHECK_STR(d.language, "go");
}

TEST(ignores_an_unusable_manifest_and_says_why)
{
    faas_detect_result_t d;
    CHECK_STR(detect(context("serverless.json", "{", "main.py", "", NULL), &d),
              "python: found main.py (serverless.json ignored: not JSON)");
    CHECK_CONTAINS(detect(context("serverless.json", "{\"handler\":\"x.rb\",\"language\":\"ruby\"}", "x.rb", "", NULL), &d),
                   "error: no handler found");
    CHECK_CONTAINS(detect(context("serverless.json", "{\"handler\":\"x.rb\",\"language\":\"ruby\"}", "x.rb", "", NULL), &d),
                   "language must be python or go");
    /* The seed read templates/<language>.yaml and any handler path: neither escapes here. */
    CHECK_CONTAINS(detect(context("serverless.json", "{\"handler\":\"../etc/passwd\",\"language\":\"python\"}",
                                  "main.py", "", NULL), &d),
                   "its handler is not a file of the zip");
    CHECK_STR(d.handler, "main.py");
    CHECK_CONTAINS(detect(context("serverless.json", "{\"handler\":\"gone.py\",\"language\":\"python\"}", NULL), &d),
                   "error: no handler found");
    CHECK_CONTAINS(detect(context("serverless.json", "{\"language\":\"python\"}", "a.py", "", NULL), &d),
                   "needs \"handler\" and \"language\"");
}

/* The env of input JSON text, as "K=V;K=V", or "error: ..." */
static const char *input(const char *json)
{
    static char out[1024];
    cJSON *in = cJSON_Parse(json);
    faas_env_var_t *env = NULL;
    size_t n = 0;
    faas_error_t err = {0};
    if (faas_input_to_env(in, &env, &n, &err) != FAAS_OK) {
        snprintf(out, sizeof(out), "error: %s", err.msg);
        CHECK(env == NULL && n == 0);
    } else {
        out[0] = '\0';
        for (size_t i = 0; i < n; i++)
            snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s=%s", i ? ";" : "", env[i].name, env[i].value);
    }
    faas_env_free(env, n);
    cJSON_Delete(in);
    return out;
}

TEST(input_becomes_environment_names)
{
    CHECK_STR(input("{\"name\":\"John\",\"n\":3,\"pi\":2.5,\"ok\":true,\"no\":false}"),
              "NAME=John;N=3;PI=2.5;OK=true;NO=false");
    CHECK_STR(input("{\"first-name\":\"a b\",\"x.y/z@w\":\"\",\"caf\\u00e9\":\"v\"}"), "FIRST_NAME=a b;X_Y_Z_W=;CAF__=v");
    CHECK_STR(input("null"), "");
    CHECK_STR(input("{}"), "");
    CHECK_STR(input("{\"big\":12345678901234}"), "BIG=12345678901234");
    CHECK_STR(input("{\"neg\":-7,\"tiny\":1e-9}"), "NEG=-7;TINY=1.0000000000000001e-09");
}

TEST(input_refuses_what_would_break_or_escape_the_runtime)
{
    CHECK_CONTAINS(input("[1]"), "error: input must be a JSON object");
    CHECK_CONTAINS(input("\"x\""), "error: input must be a JSON object");
    CHECK_CONTAINS(input("{\"a\":{\"b\":1}}"), "must be a string, a number or a boolean");
    CHECK_CONTAINS(input("{\"a\":[1]}"), "must be a string, a number or a boolean");
    CHECK_CONTAINS(input("{\"a\":null}"), "must be a string, a number or a boolean");
    CHECK_CONTAINS(input("{\"\":\"v\"}"), "must have 1 to");
    CHECK_CONTAINS(input("{\"1abc\":\"v\"}"), "cannot start with a digit");
    CHECK_CONTAINS(input("{\"path\":\"/evil\"}"), "would set PATH");
    CHECK_CONTAINS(input("{\"ld_preload\":\"x.so\"}"), "would set LD_PRELOAD");
    CHECK_CONTAINS(input("{\"PythonPath\":\"/x\"}"), "would set PYTHONPATH");
    CHECK_CONTAINS(input("{\"faas_handler\":\"x\"}"), "would set FAAS_HANDLER");
    CHECK_CONTAINS(input("{\"home\":\"/\"}"), "would set HOME");
    CHECK_CONTAINS(input("{\"a-b\":\"1\",\"A_B\":\"2\"}"), "both become A_B");
    char *many = malloc(201 * 16 + 8), *p = many;
    p += sprintf(p, "{");
    for (int i = 0; i < 201; i++)
        p += sprintf(p, "%s\"K%d\":1", i ? "," : "", i);
    sprintf(p, "}");
    CHECK_CONTAINS(input(many), "more than 200 keys");
    free(many);
    char *longv = malloc(40000);
    memset(longv, 'x', 40000);
    memcpy(longv, "{\"k\":\"", 6);
    memcpy(longv + 40000 - 3, "\"}", 3);
    CHECK_CONTAINS(input(longv), "value longer than");
    free(longv);
}

TEST(output_is_merged_in_time_order_stably)
{
    faas_output_line_t lines[] = {
        {10, 500, 1, "out1\n", 5}, {10, 100, 2, "err1\n", 5}, {11, 0, 1, "out2\n", 5},
        {10, 500, 2, "err2\n", 5}, {9, 999999999, 1, "first\n", 6},
    };
    size_t len;
    int truncated;
    char *out = faas_output_merge(lines, 5, 1024, &len, &truncated);
    CHECK_STR(out, "first\nerr1\nout1\nerr2\nout2\n");
    CHECK_INT(len, strlen(out));
    CHECK_INT(truncated, 0);
    free(out);
    out = faas_output_merge(lines, 5, 12, &len, &truncated);
    CHECK_STR(out, "first\nerr1\no");
    CHECK_INT(truncated, 1);
    free(out);
    out = faas_output_merge(NULL, 0, 10, &len, &truncated);
    CHECK_STR(out, "");
    CHECK_INT(len, 0);
    free(out);
}

int main(void)
{
    RUN(detects_by_well_known_files);
    RUN(falls_back_to_a_lone_source_file);
    RUN(honours_a_valid_manifest);
    RUN(ignores_an_unusable_manifest_and_says_why);
    RUN(input_becomes_environment_names);
    RUN(input_refuses_what_would_break_or_escape_the_runtime);
    RUN(output_is_merged_in_time_order_stably);
    return testlib_done();
}
