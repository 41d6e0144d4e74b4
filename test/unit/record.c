/*
 * record.c (test): JSON round trips of every record type, the field names the API shows,
 * rejection of corrupt JSON and wrong types, enum helpers and the DNS-label name rule; a
 * function's scale settings, memory, cpus and replicas, and records of an older faas without them.
 * Single-threaded.
 */
#include "faas/store/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static faas_function_t full_function(void)
{
    faas_function_t f = {0};
    f.id = strdup("6f1c1e5e-2f4b-4c1e-9d8a-0123456789ab");
    f.name = strdup("hello-1");
    f.kind = FAAS_KIND_JOB;
    f.language = strdup("python");
    f.runtime = strdup("default");
    f.tag = strdup("faas/hello:1");
    f.port = 9100;
    f.container_port = 8080;
    f.volume = strdup("./data:/data,./x:/x:ro");
    f.env_len = 2;
    f.env = calloc(2, sizeof(*f.env));
    f.env[0].name = strdup("GREETING");
    f.env[0].value = strdup("hi \"there\"\n");
    f.env[1].name = strdup("EMPTY");
    f.env[1].value = strdup("");
    f.status = FAAS_FUNCTION_RUNNING;
    f.image_id = strdup("sha256:abc");
    f.prev_image = strdup("sha256:old");
    f.created_at = 1700000000123LL;
    f.updated_at = 1700000000456LL;
    f.last_executed = 1700000000789LL;
    f.build.id = strdup("b-1");
    f.build.status = FAAS_BUILD_FAILED;
    f.build.started_at = 1700000000001LL;
    f.build.finished_at = 1700000000002LL;
    f.build.error = strdup("step 3 failed");
    f.restarts = 3;
    f.last_output = strdup("Traceback ...\nKeyError: 'PORT'\n");
    f.scale = (faas_scale_t){.set = FAAS_SCALE_MIN | FAAS_SCALE_MAX | FAAS_SCALE_TARGET, .min = 0, .max = 4, .target = 7};
    f.memory = 128LL << 20;
    f.nano_cpus = 500000000;
    f.n_replicas = 2;
    f.replicas = calloc(2, sizeof(*f.replicas));
    f.replicas[0] = (faas_replica_t){strdup("c0ffee"), strdup("172.20.0.2:8080"), FAAS_REPLICA_READY};
    f.replicas[1] = (faas_replica_t){strdup("beef"), NULL, FAAS_REPLICA_PAUSED};
    return f;
}

/* Serialises rec with to_json, prints and re-parses the text (as the store does). */
#define ROUND_TRIP(to_json, from_json, in, out, text)                                                   \
    do {                                                                                                \
        cJSON *j_ = to_json(in, FAAS_RECORD_STORED);                                                    \
        CHECK(j_ != NULL);                                                                              \
        text = cJSON_PrintUnformatted(j_);                                                              \
        cJSON_Delete(j_);                                                                               \
        cJSON *p_ = cJSON_Parse(text);                                                                  \
        faas_error_t e_ = {0};                                                                          \
        CHECK_INT(from_json(p_, out, &e_), FAAS_OK);                                                    \
        cJSON_Delete(p_);                                                                               \
    } while (0)

TEST(function_round_trip)
{
    faas_function_t in = full_function(), out;
    char *text;
    ROUND_TRIP(faas_function_to_json, faas_function_from_json, &in, &out, text);
    CHECK_STR(out.id, in.id);
    CHECK_STR(out.name, "hello-1");
    CHECK_INT(out.kind, FAAS_KIND_JOB);
    CHECK_STR(out.language, "python");
    CHECK_STR(out.runtime, "default");
    CHECK_STR(out.tag, "faas/hello:1");
    CHECK_INT(out.port, 9100);
    CHECK_INT(out.container_port, 8080);
    CHECK_STR(out.volume, in.volume);
    CHECK_INT(out.env_len, 2);
    CHECK_STR(out.env[0].name, "GREETING");
    CHECK_STR(out.env[0].value, "hi \"there\"\n");
    CHECK_STR(out.env[1].name, "EMPTY");
    CHECK_STR(out.env[1].value, "");
    CHECK_INT(out.status, FAAS_FUNCTION_RUNNING);
    CHECK_STR(out.image_id, "sha256:abc");
    CHECK_CONTAINS(text, "\"id\":\"c0ffee\",\"address\":\"172.20.0.2:8080\""); /* seed 000's: the first replica */
    CHECK_STR(out.prev_image, "sha256:old");
    CHECK_INT(out.created_at, 1700000000123LL);
    CHECK_INT(out.updated_at, 1700000000456LL);
    CHECK_INT(out.last_executed, 1700000000789LL);
    CHECK_STR(out.build.id, "b-1");
    CHECK_INT(out.build.status, FAAS_BUILD_FAILED);
    CHECK_INT(out.build.started_at, 1700000000001LL);
    CHECK_INT(out.build.finished_at, 1700000000002LL);
    CHECK_STR(out.build.error, "step 3 failed");
    CHECK_INT(out.restarts, 3);
    CHECK_STR(out.last_output, in.last_output);
    CHECK_INT(out.scale.set, FAAS_SCALE_MIN | FAAS_SCALE_MAX | FAAS_SCALE_TARGET);
    CHECK_INT(out.scale.min, 0);
    CHECK_INT(out.scale.max, 4);
    CHECK_INT(out.scale.target, 7);
    CHECK_INT(out.memory, 128LL << 20);
    CHECK_INT(out.nano_cpus, 500000000);
    CHECK_INT(out.n_replicas, 2);
    CHECK_STR(out.replicas[0].id, "c0ffee");
    CHECK_STR(out.replicas[0].address, "172.20.0.2:8080");
    CHECK_INT(out.replicas[0].state, FAAS_REPLICA_READY);
    CHECK_STR(out.replicas[1].id, "beef");
    CHECK(out.replicas[1].address == NULL);
    CHECK_INT(out.replicas[1].state, FAAS_REPLICA_PAUSED);
    CHECK_CONTAINS(text, "\"scale\":{\"min\":0,\"max\":4,\"target\":7,\"concurrency\":null}");
    CHECK_CONTAINS(text, "\"memory\":134217728,\"cpus\":0.5");
    CHECK_CONTAINS(text, "\"replicas\":[{\"id\":\"c0ffee\",\"address\":\"172.20.0.2:8080\",\"state\":\"ready\"},"
                         "{\"id\":\"beef\",\"address\":null,\"state\":\"paused\"}]");
    /* The key names the API shows. */
    const char *keys[] = {"\"functionId\":", "\"name\":", "\"kind\":\"job\"", "\"container_port\":8080",
                          "\"imageId\":", "\"id\":\"c0ffee\"", "\"previousImage\":", "\"createdAt\":1700000000123",
                          "\"updatedAt\":", "\"lastExecuted\":", "\"status\":\"running\"", "\"env\":{",
                          "\"build\":{\"id\":\"b-1\",\"status\":\"failed\",\"startedAt\":"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        CHECK_CONTAINS(text, keys[i]);
    free(text);
    faas_function_free(&in);
    faas_function_free(&out);
    CHECK(out.name == NULL && out.env == NULL && out.env_len == 0 && out.replicas == NULL && out.n_replicas == 0);
}

/* The API view: the same keys, every time in Unix seconds; durations stay milliseconds. */
TEST(api_view_has_seconds)
{
    faas_function_t f = full_function();
    f.status = FAAS_FUNCTION_CRASHING;
    cJSON *j = faas_function_to_json(&f, FAAS_RECORD_API);
    char *text = cJSON_PrintUnformatted(j);
    const char *want[] = {"\"createdAt\":1700000000,", "\"updatedAt\":1700000000,", "\"lastExecuted\":1700000000,",
                          "\"startedAt\":1700000000,", "\"finishedAt\":1700000000,", "\"status\":\"crashing\"",
                          "\"restarts\":3", "\"lastOutput\":\"Traceback"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        CHECK_CONTAINS(text, want[i]);
    free(text);
    cJSON_Delete(j);
    faas_invocation_t inv = {.id = "i1", .function_id = "f1", .started_at = 1700000000999LL, .duration_ms = 1234};
    j = faas_invocation_to_json(&inv, FAAS_RECORD_API);
    text = cJSON_PrintUnformatted(j);
    CHECK_CONTAINS(text, "\"startedAt\":1700000000,\"durationMs\":1234,");
    free(text);
    cJSON_Delete(j);
    j = faas_invocation_to_json(&inv, FAAS_RECORD_STORED); /* the store keeps milliseconds */
    text = cJSON_PrintUnformatted(j);
    CHECK_CONTAINS(text, "\"startedAt\":1700000000999,");
    free(text);
    cJSON_Delete(j);
    faas_function_free(&f);
}

TEST(function_minimal_round_trip)
{
    faas_function_t in = {0}, out;
    in.id = strdup("id-1");
    in.name = strdup("a");
    char *text;
    ROUND_TRIP(faas_function_to_json, faas_function_from_json, &in, &out, text);
    CHECK_CONTAINS(text, "\"tag\":null");
    CHECK_CONTAINS(text, "\"build\":null");
    CHECK_CONTAINS(text, "\"env\":{}");
    CHECK_CONTAINS(text, "\"kind\":\"service\"");
    CHECK_CONTAINS(text, "\"status\":\"building\"");
    CHECK_CONTAINS(text, "\"scale\":{\"min\":null,\"max\":null,\"target\":null,\"concurrency\":null}");
    CHECK_CONTAINS(text, "\"memory\":0,\"cpus\":0");
    CHECK_CONTAINS(text, "\"replicas\":[]");
    CHECK(out.tag == NULL && out.build.id == NULL && out.env == NULL);
    CHECK(out.scale.set == 0 && out.memory == 0 && out.nano_cpus == 0 && out.replicas == NULL && out.n_replicas == 0);
    CHECK_INT(out.port, 0);
    CHECK_STR(out.name, "a");
    free(text);
    faas_function_free(&in);
    faas_function_free(&out);
}

TEST(runtime_build_invocation_round_trip)
{
    faas_runtime_t rin = {strdup("python3"), strdup("0f0e.dockerfile"), 42}, rout;
    faas_build_t bin = {strdup("b-9"), strdup("fn"), FAAS_BUILD_SUCCEEDED, 5, 6, NULL}, bout;
    faas_invocation_t iin = {strdup("i-1"), strdup("f-1"), 1700000000000LL, 1234, -9, FAAS_INVOCATION_TIMEOUT,
                             strdup("line\n\"quoted\"\t\x01")},
                      iout;
    char *text;
    ROUND_TRIP(faas_runtime_to_json, faas_runtime_from_json, &rin, &rout, text);
    CHECK_STR(text, "{\"name\":\"python3\",\"fileName\":\"0f0e.dockerfile\",\"createdAt\":42}");
    CHECK_STR(rout.name, "python3");
    CHECK_STR(rout.file, "0f0e.dockerfile");
    CHECK_INT(rout.created_at, 42);
    free(text);
    ROUND_TRIP(faas_build_to_json, faas_build_from_json, &bin, &bout, text);
    CHECK_STR(text, "{\"id\":\"b-9\",\"functionName\":\"fn\",\"status\":\"succeeded\",\"startedAt\":5,"
                    "\"finishedAt\":6,\"error\":null}");
    CHECK_STR(bout.id, "b-9");
    CHECK_STR(bout.function, "fn");
    CHECK_INT(bout.status, FAAS_BUILD_SUCCEEDED);
    CHECK_INT(bout.finished_at, 6);
    CHECK(bout.error == NULL);
    free(text);
    ROUND_TRIP(faas_invocation_to_json, faas_invocation_from_json, &iin, &iout, text);
    CHECK_CONTAINS(text, "\"invocationId\":\"i-1\",\"functionId\":\"f-1\",\"startedAt\":1700000000000,"
                         "\"durationMs\":1234,\"exitCode\":-9,\"status\":\"timeout\"");
    CHECK_STR(iout.output, iin.output);
    CHECK_INT(iout.exit_code, -9);
    CHECK_INT(iout.status, FAAS_INVOCATION_TIMEOUT);
    free(text);
    faas_runtime_free(&rin);
    faas_runtime_free(&rout);
    faas_build_free(&bin);
    faas_build_free(&bout);
    faas_invocation_free(&iin);
    faas_invocation_free(&iout);
}

/* Parses text as a function and expects FAAS_EINVAL with an empty record and a message. */
static void expect_bad_function(const char *text, const char *why)
{
    cJSON *j = cJSON_Parse(text);
    faas_function_t out;
    faas_error_t err = {0};
    faas_err_t rc = faas_function_from_json(j, &out, &err);
    testlib_check(rc == FAAS_EINVAL, __FILE__, __LINE__, "%s: rc %d for %s", why, rc, text);
    CHECK(out.id == NULL && out.name == NULL && out.env == NULL && out.build.id == NULL);
    CHECK(err.msg[0] != '\0');
    cJSON_Delete(j);
}

#define GOOD "\"functionId\":\"x\",\"name\":\"ok\",\"kind\":\"service\",\"status\":\"running\""

TEST(function_rejects_wrong_types)
{
    expect_bad_function("[1,2]", "array");
    expect_bad_function("null", "null");
    expect_bad_function("{not json", "unparseable");
    expect_bad_function("{\"name\":\"ok\",\"kind\":\"service\",\"status\":\"running\"}", "no functionId");
    expect_bad_function("{" GOOD ",\"port\":\"80\"}", "port string");
    expect_bad_function("{" GOOD ",\"port\":70000}", "port range");
    expect_bad_function("{" GOOD ",\"port\":-1}", "port negative");
    expect_bad_function("{" GOOD ",\"port\":1.5}", "port fraction");
    expect_bad_function("{" GOOD ",\"tag\":5}", "tag number");
    expect_bad_function("{" GOOD ",\"createdAt\":\"now\"}", "time string");
    expect_bad_function("{" GOOD ",\"createdAt\":1e300}", "time huge");
    expect_bad_function("{" GOOD ",\"lastExecuted\":9007199254740993e3}", "time past 2^53");
    expect_bad_function("{" GOOD ",\"env\":[\"A=B\"]}", "env array");
    expect_bad_function("{" GOOD ",\"env\":{\"A\":1}}", "env number");
    expect_bad_function("{" GOOD ",\"env\":{\"A\":\"1\",\"\":\"x\"}}", "env empty name");
    expect_bad_function("{" GOOD ",\"build\":\"b\"}", "build string");
    expect_bad_function("{" GOOD ",\"build\":{\"status\":\"building\"}}", "build without id");
    expect_bad_function("{" GOOD ",\"build\":{\"id\":\"b\",\"status\":\"done\"}}", "build status");
    expect_bad_function("{\"functionId\":\"x\",\"name\":\"ok\",\"kind\":\"lambda\",\"status\":\"running\"}", "kind");
    expect_bad_function("{\"functionId\":\"x\",\"name\":\"ok\",\"kind\":\"job\",\"status\":\"sleeping\"}", "status");
    expect_bad_function("{\"functionId\":\"x\",\"name\":\"ok\",\"kind\":\"job\"}", "status missing");
    expect_bad_function("{\"functionId\":\"x\",\"name\":\"Bad.Name\",\"kind\":\"job\",\"status\":\"running\"}", "name");
    expect_bad_function("{\"functionId\":[],\"name\":\"ok\",\"kind\":\"job\",\"status\":\"running\"}", "id array");
}

/* Parses text as a function and expects FAAS_EINVAL naming key. */
static void expect_bad_key(const char *text, const char *key)
{
    cJSON *j = cJSON_Parse(text);
    faas_function_t out;
    faas_error_t err = {0};
    CHECK_INT(faas_function_from_json(j, &out, &err), FAAS_EINVAL);
    testlib_check(strstr(err.msg, key) != NULL, __FILE__, __LINE__, "\"%s\" names %s", err.msg, key);
    CHECK(out.name == NULL && out.replicas == NULL && out.n_replicas == 0 && out.scale.set == 0);
    cJSON_Delete(j);
}

TEST(scale_memory_cpus_replicas_reject_wrong_types)
{
    expect_bad_key("{" GOOD ",\"scale\":[1]}", "'scale'");
    expect_bad_key("{" GOOD ",\"scale\":{\"min\":\"1\"}}", "'scale.min'");
    expect_bad_key("{" GOOD ",\"scale\":{\"max\":0}}", "'scale.max'");
    expect_bad_key("{" GOOD ",\"scale\":{\"target\":1.5}}", "'scale.target'");
    expect_bad_key("{" GOOD ",\"scale\":{\"concurrency\":-1}}", "'scale.concurrency'");
    expect_bad_key("{" GOOD ",\"scale\":{\"min\":1001}}", "'scale.min'");
    expect_bad_key("{" GOOD ",\"memory\":\"256m\"}", "'memory'");
    expect_bad_key("{" GOOD ",\"memory\":-1}", "'memory'");
    expect_bad_key("{" GOOD ",\"cpus\":\"0.5\"}", "'cpus'");
    expect_bad_key("{" GOOD ",\"cpus\":-0.5}", "'cpus'");
    expect_bad_key("{" GOOD ",\"replicas\":{}}", "'replicas'");
    expect_bad_key("{" GOOD ",\"replicas\":[\"c1\"]}", "'replicas'[0]");
    expect_bad_key("{" GOOD ",\"replicas\":[{\"id\":\"a\",\"state\":\"ready\"},{\"state\":\"ready\"}]}", "'replicas'[1]: 'id'");
    expect_bad_key("{" GOOD ",\"replicas\":[{\"id\":\"a\",\"state\":\"asleep\"}]}", "'state'");
    expect_bad_key("{" GOOD ",\"replicas\":[{\"id\":\"a\",\"address\":5,\"state\":\"ready\"}]}", "'address'");
}

/* A record written before replicas and scale settings existed reads with nothing set. */
TEST(older_records_read_without_scale_or_replicas)
{
    cJSON *j = cJSON_Parse("{" GOOD ",\"id\":\"c1\",\"address\":\"172.20.0.2:8080\",\"env\":{}}");
    faas_function_t out;
    CHECK_INT(faas_function_from_json(j, &out, NULL), FAAS_OK);
    /* Its one container becomes its one replica. */
    CHECK(out.n_replicas == 1 && strcmp(out.replicas[0].id, "c1") == 0);
    CHECK_STR(out.replicas[0].address, "172.20.0.2:8080");
    CHECK(out.scale.set == 0 && out.memory == 0 && out.nano_cpus == 0);
    faas_function_free(&out);
    cJSON_Delete(j);
    j = cJSON_Parse("{" GOOD ",\"scale\":null,\"replicas\":null,\"memory\":null,\"cpus\":null}");
    CHECK_INT(faas_function_from_json(j, &out, NULL), FAAS_OK);
    CHECK(out.scale.set == 0 && out.n_replicas == 0);
    faas_function_free(&out);
    cJSON_Delete(j);
    j = cJSON_Parse("{" GOOD ",\"scale\":{\"max\":3,\"min\":null,\"later\":1},\"cpus\":1.25}");
    CHECK_INT(faas_function_from_json(j, &out, NULL), FAAS_OK);
    CHECK_INT(out.scale.set, FAAS_SCALE_MAX); /* a newer faas's keys are ignored */
    CHECK_INT(out.scale.max, 3);
    CHECK_INT(out.nano_cpus, 1250000000);
    faas_function_free(&out);
    cJSON_Delete(j);
}

TEST(replica_copies)
{
    faas_function_t f = full_function();
    faas_replica_t *copy = NULL;
    faas_error_t err = {0};
    CHECK_INT(faas_replicas_copy(f.replicas, f.n_replicas, &copy, &err), FAAS_OK);
    CHECK(copy != NULL && copy[0].id != f.replicas[0].id);
    CHECK_STR(copy[0].id, "c0ffee");
    CHECK_STR(copy[0].address, "172.20.0.2:8080");
    CHECK(copy[1].address == NULL);
    CHECK_INT(copy[1].state, FAAS_REPLICA_PAUSED);
    faas_replicas_free(copy, f.n_replicas);
    CHECK_INT(faas_replicas_copy(NULL, 0, &copy, &err), FAAS_OK);
    CHECK(copy == NULL);
    faas_replicas_free(NULL, 3);
    faas_function_free(&f);
}

TEST(function_accepts_nulls_and_unknown_keys)
{
    cJSON *j = cJSON_Parse("{" GOOD ",\"tag\":null,\"env\":null,\"build\":null,\"future\":{\"x\":1}}");
    faas_function_t out;
    CHECK_INT(faas_function_from_json(j, &out, NULL), FAAS_OK);
    CHECK(out.tag == NULL);
    faas_function_free(&out);
    cJSON_Delete(j);
}

TEST(other_records_reject_wrong_types)
{
    const char *bad_rt[] = {"{}", "{\"name\":1}", "{\"name\":\"a\",\"createdAt\":true}", "\"str\""};
    const char *bad_b[] = {"{\"id\":\"b\"}", "{\"id\":\"b\",\"status\":\"ok\"}", "{\"id\":\"b\",\"status\":\"failed\",\"error\":{}}"};
    const char *bad_i[] = {"{\"invocationId\":\"i\",\"status\":\"failed\"}",
                           "{\"invocationId\":\"i\",\"functionId\":\"f\",\"status\":\"crashed\"}",
                           "{\"invocationId\":\"i\",\"functionId\":\"f\",\"status\":\"failed\",\"exitCode\":3000000000}",
                           "{\"invocationId\":\"i\",\"functionId\":\"f\",\"status\":\"failed\",\"output\":[]}"};
    for (size_t i = 0; i < sizeof(bad_rt) / sizeof(bad_rt[0]); i++) {
        cJSON *j = cJSON_Parse(bad_rt[i]);
        faas_runtime_t r;
        CHECK_INT(faas_runtime_from_json(j, &r, NULL), FAAS_EINVAL);
        CHECK(r.name == NULL);
        cJSON_Delete(j);
    }
    for (size_t i = 0; i < sizeof(bad_b) / sizeof(bad_b[0]); i++) {
        cJSON *j = cJSON_Parse(bad_b[i]);
        faas_build_t b;
        CHECK_INT(faas_build_from_json(j, &b, NULL), FAAS_EINVAL);
        CHECK(b.id == NULL);
        cJSON_Delete(j);
    }
    for (size_t i = 0; i < sizeof(bad_i) / sizeof(bad_i[0]); i++) {
        cJSON *j = cJSON_Parse(bad_i[i]);
        faas_invocation_t inv;
        faas_error_t err = {0};
        CHECK_INT(faas_invocation_from_json(j, &inv, &err), FAAS_EINVAL);
        CHECK_CONTAINS(err.msg, "invocation record");
        CHECK(inv.id == NULL && inv.function_id == NULL);
        cJSON_Delete(j);
    }
}

/* Every prefix and every one-byte mutation of a valid record parses or fails cleanly. */
TEST(mangled_records_never_crash)
{
    faas_function_t in = full_function();
    cJSON *j = faas_function_to_json(&in, FAAS_RECORD_STORED);
    char *text = cJSON_PrintUnformatted(j);
    size_t len = strlen(text);
    int ok = 0, bad = 0;
    const char subst[] = {'"', '{', '}', '[', ':', ',', '1', 'x', '\\', ' '};
    for (size_t i = 0; i <= len; i++) {
        for (size_t s = 0; s <= sizeof(subst); s++) {
            char *copy = strdup(text);
            if (s < sizeof(subst))
                copy[i < len ? i : len - 1] = subst[s];
            else
                copy[i] = '\0';
            cJSON *p = cJSON_Parse(copy);
            faas_function_t out;
            if (faas_function_from_json(p, &out, NULL) == FAAS_OK)
                ok++;
            else
                bad++;
            faas_function_free(&out);
            cJSON_Delete(p);
            free(copy);
        }
    }
    CHECK(ok > 0);
    CHECK(bad > 0);
    free(text);
    cJSON_Delete(j);
    faas_function_free(&in);
}

TEST(enum_helpers)
{
    faas_kind_t k;
    faas_function_status_t fs;
    faas_build_status_t bs;
    faas_invocation_status_t is;
    CHECK_STR(faas_kind_name(FAAS_KIND_SERVICE), "service");
    CHECK_INT(faas_kind_parse("job", &k), 0);
    CHECK_INT(k, FAAS_KIND_JOB);
    CHECK_INT(faas_kind_parse("Job", &k), -1);
    CHECK_INT(faas_kind_parse(NULL, &k), -1);
    CHECK_STR(faas_kind_name((faas_kind_t)7), "?");
    const char *fnames[] = {"building", "starting", "running", "stopped", "failed"};
    for (int i = 0; i < 5; i++) {
        CHECK_STR(faas_function_status_name((faas_function_status_t)i), fnames[i]);
        CHECK_INT(faas_function_status_parse(fnames[i], &fs), 0);
        CHECK_INT(fs, i);
    }
    CHECK_INT(faas_function_status_parse("", &fs), -1);
    CHECK_INT(faas_build_status_parse("succeeded", &bs), 0);
    CHECK_INT(bs, FAAS_BUILD_SUCCEEDED);
    CHECK_STR(faas_build_status_name(FAAS_BUILD_BUILDING), "building");
    CHECK_INT(faas_build_status_parse("running", &bs), -1);
    CHECK_INT(faas_invocation_status_parse("error", &is), 0);
    CHECK_INT(is, FAAS_INVOCATION_ERROR);
    CHECK_STR(faas_invocation_status_name(FAAS_INVOCATION_TIMEOUT), "timeout");
    CHECK_INT(faas_invocation_status_parse("ok", &is), -1);
    faas_replica_state_t rs;
    const char *rnames[] = {"starting", "ready", "paused", "stopped"};
    for (int i = 0; i < 4; i++) {
        CHECK_STR(faas_replica_state_name((faas_replica_state_t)i), rnames[i]);
        CHECK_INT(faas_replica_state_parse(rnames[i], &rs), 0);
        CHECK_INT(rs, i);
    }
    CHECK_INT(faas_replica_state_parse("running", &rs), -1);
    CHECK_STR(faas_replica_state_name((faas_replica_state_t)9), "?");
}

TEST(name_rule)
{
    char name[70];
    memset(name, 'a', 63);
    name[63] = '\0';
    CHECK_INT(faas_record_valid_name(name), 1);
    name[63] = 'a';
    name[64] = '\0';
    CHECK_INT(faas_record_valid_name(name), 0);
    CHECK_INT(faas_record_valid_name("a"), 1);
    CHECK_INT(faas_record_valid_name("0"), 1);
    CHECK_INT(faas_record_valid_name("a-b"), 1);
    CHECK_INT(faas_record_valid_name("a--b"), 1);
    CHECK_INT(faas_record_valid_name("9lives"), 1);
    CHECK_INT(faas_record_valid_name(""), 0);
    CHECK_INT(faas_record_valid_name(NULL), 0);
    CHECK_INT(faas_record_valid_name("-a"), 0);
    CHECK_INT(faas_record_valid_name("a-"), 0);
    CHECK_INT(faas_record_valid_name("-"), 0);
    CHECK_INT(faas_record_valid_name("Hello"), 0);
    CHECK_INT(faas_record_valid_name("a.b"), 0);
    CHECK_INT(faas_record_valid_name("a_b"), 0);
    CHECK_INT(faas_record_valid_name("a b"), 0);
    CHECK_INT(faas_record_valid_name("caf\xc3\xa9"), 0);
}

TEST(placement_round_trip_and_rule)
{
    const char *ok[] = {"node.role==worker", "node.hostname != vm", "node.labels.zone==eu-1", "node.id==abc,def"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        testlib_check(faas_record_valid_constraint(ok[i]), __FILE__, __LINE__, "\"%s\" is a constraint", ok[i]);
    char longest[FAAS_RECORD_CONSTRAINT_MAX + 2];
    memset(longest, 'a', sizeof(longest) - 1);
    memcpy(longest, "node.id==", 9);
    longest[FAAS_RECORD_CONSTRAINT_MAX] = '\0';
    CHECK(faas_record_valid_constraint(longest));
    longest[FAAS_RECORD_CONSTRAINT_MAX] = 'a';
    longest[FAAS_RECORD_CONSTRAINT_MAX + 1] = '\0';
    CHECK(!faas_record_valid_constraint(longest));
    const char *bad[] = {"", "node.role", "node.role=worker", "==worker", "node.role==", " == x", "node role==x",
                         "node.role==wor\tker", "node.role==w\xc3\xa9", "node/role==x", "node.role<=x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        testlib_check(!faas_record_valid_constraint(bad[i]), __FILE__, __LINE__, "\"%s\" refused", bad[i]);
    CHECK(!faas_record_valid_constraint(NULL));

    cJSON *j = cJSON_Parse("{" GOOD ",\"placement\":[\"node.role==worker\",\"node.labels.a!=b\"]}");
    faas_function_t f = {0};
    faas_error_t err = {0};
    CHECK_INT(faas_function_from_json(j, &f, &err), FAAS_OK);
    cJSON_Delete(j);
    CHECK_INT(f.n_placement, 2);
    if (f.n_placement == 2) {
        CHECK_STR(f.placement[0], "node.role==worker");
        CHECK_STR(f.placement[1], "node.labels.a!=b");
    }
    j = faas_function_to_json(&f, FAAS_RECORD_STORED);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "placement"));
    CHECK_STR(text, "[\"node.role==worker\",\"node.labels.a!=b\"]");
    free(text);
    cJSON_Delete(j);
    faas_function_free(&f);
    j = cJSON_Parse("{" GOOD "}"); /* an older record: no constraint, written as [] */
    CHECK_INT(faas_function_from_json(j, &f, &err), FAAS_OK);
    cJSON_Delete(j);
    CHECK_INT(f.n_placement, 0);
    CHECK(f.placement == NULL);
    j = faas_function_to_json(&f, FAAS_RECORD_API);
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(j, "placement")) && cJSON_GetArraySize(cJSON_GetObjectItem(j, "placement")) == 0);
    cJSON_Delete(j);
    faas_function_free(&f);
    expect_bad_function("{" GOOD ",\"placement\":\"node.role==worker\"}", "placement string");
    expect_bad_function("{" GOOD ",\"placement\":[1]}", "placement number");
    expect_bad_function("{" GOOD ",\"placement\":[\"node.role\"]}", "placement without operator");
    char many[40 * (FAAS_RECORD_PLACEMENT_MAX + 2)] = "{" GOOD ",\"placement\":[";
    for (int i = 0; i <= FAAS_RECORD_PLACEMENT_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s\"node.id!=n%d\"", i ? "," : "", i);
    strcat(many, "]}");
    expect_bad_function(many, "too many constraints");
}

int main(void)
{
    RUN(function_round_trip);
    RUN(function_minimal_round_trip);
    RUN(api_view_has_seconds);
    RUN(runtime_build_invocation_round_trip);
    RUN(function_rejects_wrong_types);
    RUN(function_accepts_nulls_and_unknown_keys);
    RUN(scale_memory_cpus_replicas_reject_wrong_types);
    RUN(older_records_read_without_scale_or_replicas);
    RUN(replica_copies);
    RUN(other_records_reject_wrong_types);
    RUN(mangled_records_never_crash);
    RUN(enum_helpers);
    RUN(name_rule);
    RUN(placement_round_trip_and_rule);
    return testlib_done();
}
