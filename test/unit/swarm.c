/*
 * swarm.c (unit): the swarm backend's pure parts: tasks and nodes (GET /tasks, GET /nodes) to
 * the replica set (addresses from node address and published port, a down node's tasks dropped,
 * a retired task kept only while nothing else answers), and the digest of a push's answer.
 */
#include "faas/docker/swarm.h"
#include "service/internal.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *nodes_json =
    "[{\"ID\":\"n1\",\"Status\":{\"State\":\"ready\",\"Addr\":\"10.0.0.1\"}},"
    " {\"ID\":\"n2\",\"Status\":{\"State\":\"down\",\"Addr\":\"10.0.0.2\"}},"
    " {\"ID\":\"n3\",\"Status\":{\"State\":\"ready\",\"Addr\":\"0.0.0.0\"},\"ManagerStatus\":{\"Addr\":\"10.0.0.3:2377\"}},"
    " {\"ID\":\"n4\",\"Status\":{\"State\":\"ready\",\"Addr\":\"fd00:1234:5678:9abc:def0:1234:5678:9abc\"}},"
    " {\"ID\":\"n5\",\"Status\":{\"State\":\"ready\",\"Addr\":\"a-node-name-rather-than-an-address.example.org\"}}]";

/* A task JSON object of node, desired state, state, build, with port 8080 published at published
   (0: none), and a second (IPv6) port published + 1. */
static void task(char *out, size_t size, const char *id, const char *node, const char *desired, const char *state,
                 const char *build, int published)
{
    char ports[200] = "";
    if (published > 0)
        snprintf(ports, sizeof(ports),
                 ",\"PortStatus\":{\"Ports\":[{\"TargetPort\":8080,\"PublishedPort\":%d},"
                 "{\"TargetPort\":8080,\"PublishedPort\":%d},{\"TargetPort\":9090,\"PublishedPort\":1}]}",
                 published, published + 1);
    snprintf(out, size,
             "{\"ID\":\"%s\",\"NodeID\":\"%s\",\"DesiredState\":\"%s\",\"Spec\":{\"ContainerSpec\":{\"Labels\":"
             "{\"faas.build\":\"%s\"}}},\"Status\":{\"State\":\"%s\",\"Err\":\"\",\"ContainerStatus\":{\"ContainerID\":"
             "\"c-%s\"}%s}}",
             id, node, desired, build, state, id, ports);
}

static size_t parse(const char *tasks_json, faas_service__task_t *out, size_t max)
{
    cJSON *tasks = cJSON_Parse(tasks_json), *nodes = cJSON_Parse(nodes_json);
    size_t n = faas_service__swarm_parse(tasks, nodes, 8080, out, max);
    cJSON_Delete(tasks);
    cJSON_Delete(nodes);
    return n;
}

TEST(tasks_to_addresses)
{
    char a[600], b[600], c[600], d[600], e[600], json[3100];
    task(a, sizeof(a), "t1", "n1", "running", "running", "b1", 30001);
    task(b, sizeof(b), "t2", "n2", "running", "running", "b1", 30002);   /* node down */
    task(c, sizeof(c), "t3", "n3", "running", "running", "b2", 30003);   /* manager with Addr 0.0.0.0 */
    task(d, sizeof(d), "t4", "n1", "running", "starting", "b2", 0);      /* not running yet */
    task(e, sizeof(e), "t5", "n1", "shutdown", "running", "b1", 0);      /* retired, still running */
    snprintf(json, sizeof(json), "[%s,%s,%s,%s,%s]", a, b, c, d, e);
    faas_service__task_t t[8];
    size_t n = parse(json, t, 8);
    CHECK_INT(n, 3);
    CHECK_STR(t[0].id, "t1");
    CHECK(t[0].up && !t[0].draining);
    /* only the first port (the IPv4 binding): the IPv6 one's number may be another task's IPv4
       port; 9090 is not the function's */
    CHECK_INT(t[0].n_addresses, 1);
    CHECK_STR(t[0].addresses[0], "10.0.0.1:30001");
    CHECK_STR(t[0].container, "c-t1");
    CHECK_STR(t[0].build, "b1");
    CHECK_STR(t[1].id, "t3");
    CHECK_STR(t[1].addresses[0], "10.0.0.3:30003");
    CHECK_STR(t[2].id, "t5");
    CHECK(!t[2].up && t[2].draining);
    CHECK_INT(t[2].n_addresses, 0);
    CHECK_INT(parse("[]", t, 8), 0);
    CHECK_INT(parse("{\"not\":\"an array\"}", t, 8), 0);
    CHECK_INT(parse(json, t, 1), 1); /* never past max */
    /* The proxy dials IPv4: a node known by an IPv6 address or a name serves nothing through faas. */
    task(a, sizeof(a), "t6", "n4", "running", "running", "b1", 30006);
    task(b, sizeof(b), "t7", "n5", "running", "running", "b1", 30007);
    snprintf(json, sizeof(json), "[%s,%s]", a, b);
    CHECK_INT(parse(json, t, 8), 0);
}

/* A record set with replicas (id, address, state) given as triples. */
static void set_of(faas_function_t *fn, size_t n, const char *const *ids, const char *const *addrs,
                   const faas_replica_state_t *states)
{
    for (size_t i = 0; i < n; i++)
        faas_service__set_add(fn, ids[i], addrs[i], states[i], NULL);
}

TEST(set_from_tasks)
{
    char a[600], b[600], e[600], json[1900];
    task(a, sizeof(a), "t1", "n1", "running", "running", "b1", 30001);
    task(b, sizeof(b), "t2", "n1", "running", "running", "b1", 30005);
    task(e, sizeof(e), "t5", "n1", "shutdown", "running", "b0", 0);
    snprintf(json, sizeof(json), "[%s,%s,%s]", a, b, e);
    faas_service__task_t t[4];
    size_t n = parse(json, t, 4);
    CHECK_INT(n, 3);

    /* t1 answered before at a listed address: ready; t2 is new and not probed: starting. */
    faas_function_t was = {0}, out = {0};
    const char *ids[] = {"t1", "t5"}, *addrs[] = {"10.0.0.1:30001", "10.0.0.1:29999"};
    const faas_replica_state_t states[] = {FAAS_REPLICA_READY, FAAS_REPLICA_READY};
    set_of(&was, 2, ids, addrs, states);
    CHECK_INT(faas_service__swarm_set(&was, t, n, 2, 0, &out, NULL), FAAS_OK);
    CHECK_INT(out.n_replicas, 2);
    CHECK_STR(out.replicas[0].id, "t1");
    CHECK_INT(out.replicas[0].state, FAAS_REPLICA_READY);
    CHECK_STR(out.replicas[0].address, "10.0.0.1:30001");
    CHECK_STR(out.replicas[1].id, "t2");
    CHECK_INT(out.replicas[1].state, FAAS_REPLICA_STARTING);
    CHECK_STR(out.replicas[1].address, "10.0.0.1:30005");
    faas_replicas_free(out.replicas, out.n_replicas);
    out = (faas_function_t){0};

    /* Only the retired t5 answered so far (a rolling update between old and new): it keeps serving. */
    faas_function_t was2 = {0};
    const char *ids2[] = {"t5"}, *addrs2[] = {"10.0.0.1:29999"};
    set_of(&was2, 1, ids2, addrs2, states);
    CHECK_INT(faas_service__swarm_set(&was2, t, n, 2, 0, &out, NULL), FAAS_OK);
    CHECK_INT(out.n_replicas, 3);
    CHECK_INT(faas_service__count(&out, FAAS_REPLICA_READY), 1);
    CHECK_STR(out.replicas[2].id, "t5");
    CHECK_STR(out.replicas[2].address, "10.0.0.1:29999");
    faas_replicas_free(out.replicas, out.n_replicas);
    out = (faas_function_t){0};

    /* Scaled to zero: a retired task is not kept. */
    CHECK_INT(faas_service__swarm_set(&was2, t, n, 0, 0, &out, NULL), FAAS_OK);
    CHECK_INT(faas_service__count(&out, FAAS_REPLICA_READY), 0);
    faas_replicas_free(out.replicas, out.n_replicas);
    out = (faas_function_t){0};

    /* A ready replica whose address is no longer listed for its task is probed again, not trusted. */
    faas_function_t was3 = {0};
    const char *ids3[] = {"t1"}, *addrs3[] = {"10.0.0.1:11111"};
    set_of(&was3, 1, ids3, addrs3, states);
    CHECK_INT(faas_service__swarm_set(&was3, t, n, 2, 0, &out, NULL), FAAS_OK);
    CHECK_INT(out.replicas[0].state, FAAS_REPLICA_STARTING);
    faas_replicas_free(out.replicas, out.n_replicas);
    faas_replicas_free(was.replicas, was.n_replicas);
    faas_replicas_free(was2.replicas, was2.n_replicas);
    faas_replicas_free(was3.replicas, was3.n_replicas);
}

TEST(push_answers)
{
    char digest[FAAS_DOCKER_ID_MAX], msg[256];
    const char *ok = "{\"status\":\"The push refers to repository [127.0.0.1:5000/x]\"}\r\n"
                     "{\"status\":\"Pushed\",\"progressDetail\":{},\"id\":\"abc\"}\r\n"
                     "{\"status\":\"1: digest: sha256:aa size: 527\"}\r\n"
                     "{\"progressDetail\":{},\"aux\":{\"Tag\":\"1\",\"Digest\":\"sha256:"
                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"Size\":527}}\r\n";
    CHECK_INT(faas_docker_push_result(ok, strlen(ok), digest, msg, sizeof(msg)), 0);
    CHECK_STR(digest, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    const char *bad = "{\"status\":\"The push refers to repository [127.0.0.1:1/x]\"}\n"
                      "{\"errorDetail\":{\"message\":\"connection refused\"},\"error\":\"Get http://127.0.0.1:1/v2/: "
                      "connection refused\"}\n";
    CHECK_INT(faas_docker_push_result(bad, strlen(bad), digest, msg, sizeof(msg)), -1);
    CHECK_CONTAINS(msg, "connection refused");
    const char *none = "{\"status\":\"Pushed\"}\n";
    CHECK_INT(faas_docker_push_result(none, strlen(none), digest, msg, sizeof(msg)), -1);
    CHECK_CONTAINS(msg, "no digest");
    const char *junk = "not json\n{\"aux\":{\"Digest\":\"md5:x\"}}";
    CHECK_INT(faas_docker_push_result(junk, strlen(junk), digest, msg, sizeof(msg)), -1);
    CHECK_INT(faas_docker_push_result(NULL, 0, digest, msg, sizeof(msg)), -1);
}

int main(void)
{
    RUN(tasks_to_addresses);
    RUN(set_from_tasks);
    RUN(push_answers);
    return testlib_done();
}
