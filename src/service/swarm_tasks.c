/*
 * swarm_tasks.c: a Swarm-backed function's replica set, read from Swarm. Each running task
 * of its service is a replica whose id is the task id and whose address is its node's address
 * and the port Swarm published for it there ("10.0.0.7:30012"); the proxy balances over those
 * as over local containers. A new task joins as starting and becomes ready once it answers
 * HTTP; a task on a node that is not ready, or one Swarm shut down, leaves the set. A task Swarm
 * is shutting down still runs for the stop grace (its stop signal is one servers ignore, see
 * swarm.c), so while no other task is ready (a rolling update between an old task and its
 * answering successor) it keeps its traffic. Worker threads only; parsing is pure.
 */
#include "internal.h"
#include "faas/core/labels.h"
#include "faas/core/log.h"
#include "faas/docker/swarm.h"

#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <string.h>

#define PROBE_MS 300 /* one readiness probe of a new task's address */

static const char *str(const cJSON *obj, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return v != NULL ? v : "";
}

static const cJSON *at(const cJSON *obj, const char *a, const char *b)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, a), b);
}

/* The address tasks on node id are reached at, "" when the node is not ready (down, unknown,
 * disconnected) or unknown. A manager that advertises no address of its own reports 0.0.0.0 in
 * Status.Addr; its ManagerStatus.Addr ("ip:2377") then says it. */
static void node_address(const cJSON *nodes, const char *id, char *out, size_t size)
{
    const cJSON *n;
    out[0] = '\0';
    cJSON_ArrayForEach(n, nodes) {
        if (strcmp(str(n, "ID"), id) != 0)
            continue;
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(n, "Status");
        if (strcmp(str(status, "State"), "ready") != 0)
            return;
        const char *addr = str(status, "Addr");
        if (addr[0] == '\0' || strcmp(addr, "0.0.0.0") == 0) {
            const char *mgr = cJSON_GetStringValue(at(n, "ManagerStatus", "Addr"));
            const char *colon = mgr != NULL ? strrchr(mgr, ':') : NULL;
            if (colon != NULL)
                snprintf(out, size, "%.*s", (int)(colon - mgr), mgr);
        } else {
            snprintf(out, size, "%s", addr);
        }
        /* The proxy dials IPv4 addresses (routes.c): anything else is a node it cannot reach. */
        struct in_addr ip;
        if (inet_pton(AF_INET, out, &ip) != 1)
            out[0] = '\0';
        return;
    }
}

/* One task into t; 0 when it is worth keeping (running, or shutting down but still running). */
static int parse_task(const cJSON *task, const cJSON *nodes, int target_port, faas_service__task_t *t)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(task, "Status");
    const char *desired = str(task, "DesiredState"), *state = str(status, "State");
    memset(t, 0, sizeof(*t));
    snprintf(t->id, sizeof(t->id), "%s", str(task, "ID"));
    snprintf(t->node, sizeof(t->node), "%s", str(task, "NodeID"));
    snprintf(t->state, sizeof(t->state), "%s", state);
    snprintf(t->err, sizeof(t->err), "%s", str(status, "Err"));
    snprintf(t->container, sizeof(t->container), "%s", str(cJSON_GetObjectItemCaseSensitive(status, "ContainerStatus"),
                                                         "ContainerID"));
    const cJSON *labels = at(cJSON_GetObjectItemCaseSensitive(task, "Spec"), "ContainerSpec", "Labels");
    snprintf(t->build, sizeof(t->build), "%s", str(labels, FAAS_LABEL_BUILD));
    if (t->id[0] == '\0' || strcmp(state, "running") != 0)
        return -1;
    char host[INET6_ADDRSTRLEN]; /* room to see a longer address is not IPv4 */
    node_address(nodes, t->node, host, sizeof(host));
    if (host[0] == '\0')
        return -1; /* its node is down or unknown: not reachable, whatever the task says */
    t->up = strcmp(desired, "running") == 0;
    t->draining = !t->up;
    /* Published ports are gone from a task Swarm is shutting down: its address is the set's.
       The engine publishes the port once per address family (0.0.0.0 first, then ::) from
       separate allocators, so a task's IPv6 port number can be another task's IPv4 one, still
       answering: only the first entry is this task's own on IPv4. */
    const cJSON *p;
    cJSON_ArrayForEach(p, at(status, "PortStatus", "Ports")) {
        const cJSON *target = cJSON_GetObjectItemCaseSensitive(p, "TargetPort"),
                    *published = cJSON_GetObjectItemCaseSensitive(p, "PublishedPort");
        if (cJSON_IsNumber(target) && target->valueint == target_port && cJSON_IsNumber(published) &&
            published->valueint > 0) {
            snprintf(t->addresses[t->n_addresses++], FAAS_SERVICE_ADDRESS_MAX, "%.15s:%d", host, published->valueint);
            break;
        }
    }
    return 0;
}

size_t faas_service__swarm_parse(const cJSON *tasks, const cJSON *nodes, int target_port, faas_service__task_t *out,
                                 size_t max)
{
    size_t n = 0;
    const cJSON *task;
    cJSON_ArrayForEach(task, tasks) {
        if (n < max && parse_task(task, nodes, target_port, &out[n]) == 0)
            n++;
    }
    return n;
}

/* The replica of fn with id, or NULL. */
static const faas_replica_t *replica_of(const faas_function_t *fn, const char *id)
{
    for (size_t i = 0; i < fn->n_replicas; i++)
        if (strcmp(fn->replicas[i].id, id) == 0)
            return &fn->replicas[i];
    return NULL;
}

static int listed(const faas_service__task_t *t, const char *address)
{
    for (size_t i = 0; address != NULL && i < t->n_addresses; i++)
        if (strcmp(t->addresses[i], address) == 0)
            return 1;
    return 0;
}

/* Where a task that runs answers: what it answered at before, else its address if it answers
 * HTTP now (parse_task keeps the IPv4 binding only), else "". */
static const char *answering(const faas_replica_t *was, const faas_service__task_t *t, int probe)
{
    if (was != NULL && was->state == FAAS_REPLICA_READY && listed(t, was->address))
        return was->address;
    for (size_t i = 0; probe && i < t->n_addresses; i++)
        if (faas_service__probe(t->addresses[i], PROBE_MS) == 0)
            return t->addresses[i];
    return "";
}

faas_err_t faas_service__swarm_set(const faas_function_t *was, const faas_service__task_t *tasks, size_t n,
                                   int64_t replicas, int probe, faas_function_t *out, faas_error_t *err)
{
    faas_replicas_free(out->replicas, out->n_replicas);
    out->replicas = NULL;
    out->n_replicas = 0;
    faas_err_t rc = FAAS_OK;
    for (size_t i = 0; rc == FAAS_OK && i < n; i++) {
        if (!tasks[i].up)
            continue;
        const char *addr = answering(replica_of(was, tasks[i].id), &tasks[i], probe);
        rc = faas_service__set_add(out, tasks[i].id, addr[0] ? addr : tasks[i].n_addresses ? tasks[i].addresses[0] : "",
                                   addr[0] ? FAAS_REPLICA_READY : FAAS_REPLICA_STARTING, err);
    }
    if (rc != FAAS_OK || replicas <= 0 || faas_service__count(out, FAAS_REPLICA_READY) > 0)
        return rc;
    /* Nothing answers yet: the tasks on their way out still serve until one does. */
    for (size_t i = 0; rc == FAAS_OK && i < n; i++) {
        const faas_replica_t *r = replica_of(was, tasks[i].id);
        if (tasks[i].draining && r != NULL && r->state == FAAS_REPLICA_READY && r->address != NULL)
            rc = faas_service__set_add(out, r->id, r->address, FAAS_REPLICA_READY, err);
    }
    return rc;
}

faas_err_t faas_service__swarm_read(faas_services_t *s, const char *service, int target_port,
                                    faas_service__task_t **tasks, size_t *n, int64_t *replicas, faas_error_t *err)
{
    cJSON *list = NULL, *nodes = NULL, *svc = NULL;
    *tasks = NULL;
    *n = 0;
    *replicas = 0;
    faas_err_t rc = faas_docker_service_inspect(s->app->docker, service, &svc, err);
    if (rc == FAAS_OK)
        rc = faas_docker_task_list(s->app->docker, service, &list, err);
    if (rc == FAAS_OK)
        rc = faas_docker_node_list(s->app->docker, &nodes, err);
    if (rc == FAAS_OK) {
        const cJSON *repl = cJSON_GetObjectItemCaseSensitive(
            at(cJSON_GetObjectItemCaseSensitive(svc, "Spec"), "Mode", "Replicated"), "Replicas");
        *replicas = cJSON_IsNumber(repl) ? (int64_t)repl->valuedouble : 0;
        int count = cJSON_GetArraySize(list);
        *tasks = calloc(count > 0 ? (size_t)count : 1, sizeof(**tasks));
        if (*tasks == NULL)
            rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
        else
            *n = faas_service__swarm_parse(list, nodes, target_port, *tasks, (size_t)count);
    }
    cJSON_Delete(svc);
    cJSON_Delete(list);
    cJSON_Delete(nodes);
    return rc;
}

faas_err_t faas_service__swarm_refresh(faas_services_t *s, faas_function_t *fn, int64_t *replicas, faas_error_t *err)
{
    char service[FAAS_SERVICE__SWARM_NAME_MAX];
    faas_service__swarm_name(s, fn->name, service, sizeof(service));
    faas_service__task_t *tasks = NULL;
    size_t n = 0;
    int64_t want = 0;
    faas_err_t rc = faas_service__swarm_read(s, service, fn->container_port, &tasks, &n, &want, err);
    if (rc == FAAS_ENOTFOUND) { /* no service: nothing runs */
        faas_replicas_free(fn->replicas, fn->n_replicas);
        fn->replicas = NULL;
        fn->n_replicas = 0;
        want = -1;
        rc = FAAS_OK;
    } else if (rc == FAAS_OK) {
        faas_function_t was = {0};
        if ((rc = faas_service__set_copy(fn, &was, err)) == FAAS_OK)
            rc = faas_service__swarm_set(&was, tasks, n, want, 1, fn, err);
        faas_function_free(&was);
    }
    if (replicas != NULL)
        *replicas = want;
    free(tasks);
    return rc;
}

/* ---- listing (GET /function/listrunning) ---- */

int faas_services_swarm(const faas_services_t *s)
{
    return s->swarm;
}

static const cJSON *node_of(const cJSON *nodes, const char *id)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, nodes) {
        if (strcmp(str(n, "ID"), id) == 0)
            return n;
    }
    return NULL;
}

/* One running task of service svc as a container-like summary; NULL when it does not run. */
static cJSON *task_summary(const cJSON *svc, const cJSON *task, const cJSON *nodes)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(task, "Status");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(svc, "Spec");
    if (strcmp(str(status, "State"), "running") != 0 || strcmp(str(task, "DesiredState"), "running") != 0)
        return NULL;
    const cJSON *node = node_of(nodes, str(task, "NodeID")), *slot = cJSON_GetObjectItemCaseSensitive(task, "Slot");
    char name[FAAS_SERVICE__SWARM_NAME_MAX + 32];
    snprintf(name, sizeof(name), "/%s.%d", str(spec, "Name"), cJSON_IsNumber(slot) ? slot->valueint : 0);
    cJSON *o = cJSON_CreateObject(); /* a summary for a listing: an allocation failure leaves a field out */
    cJSON *names = cJSON_AddArrayToObject(o, "Names"), *ports = cJSON_AddArrayToObject(o, "Ports");
    cJSON_AddItemToArray(names, cJSON_CreateString(name));
    cJSON_AddStringToObject(o, "Id", str(task, "ID"));
    cJSON_AddStringToObject(o, "Image", str(at(task, "Spec", "ContainerSpec"), "Image"));
    cJSON_AddStringToObject(o, "State", "running");
    cJSON_AddItemToObject(o, "Labels", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(spec, "Labels"), 1));
    cJSON_AddStringToObject(o, "Node", str(cJSON_GetObjectItemCaseSensitive(node, "Description"), "Hostname"));
    cJSON_AddStringToObject(o, "NodeAddr", str(cJSON_GetObjectItemCaseSensitive(node, "Status"), "Addr"));
    cJSON_AddStringToObject(o, "ContainerId", str(cJSON_GetObjectItemCaseSensitive(status, "ContainerStatus"), "ContainerID"));
    cJSON_AddBoolToObject(o, "Task", 1);
    const cJSON *p;
    cJSON_ArrayForEach(p, at(status, "PortStatus", "Ports")) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "PrivatePort", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "TargetPort")));
        cJSON_AddNumberToObject(e, "PublicPort", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "PublishedPort")));
        cJSON_AddStringToObject(e, "Type", str(p, "Protocol"));
        cJSON_AddItemToArray(ports, e);
    }
    return o;
}

faas_err_t faas_services_tasks(faas_services_t *s, cJSON **out, faas_error_t *err)
{
    *out = cJSON_CreateArray();
    if (*out == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (!s->swarm)
        return FAAS_OK;
    const char *extra[] = {FAAS_LABEL_KIND "=service", NULL}, *labels[4];
    cJSON *services = NULL, *tasks = NULL, *nodes = NULL;
    faas_err_t rc = faas_docker_service_list(s->app->docker, faas_app_labels(s->app, extra, labels, 4), &services, err);
    if (rc == FAAS_OK)
        rc = faas_docker_task_list(s->app->docker, NULL, &tasks, err);
    if (rc == FAAS_OK)
        rc = faas_docker_node_list(s->app->docker, &nodes, err);
    const cJSON *svc, *task;
    if (rc != FAAS_OK)
        cJSON_Delete(services), services = NULL;
    cJSON_ArrayForEach(svc, services) {
        cJSON_ArrayForEach(task, tasks) {
            cJSON *o = strcmp(str(task, "ServiceID"), str(svc, "ID")) == 0 ? task_summary(svc, task, nodes) : NULL;
            if (o != NULL)
                cJSON_AddItemToArray(*out, o);
        }
    }
    cJSON_Delete(services);
    cJSON_Delete(tasks);
    cJSON_Delete(nodes);
    return rc;
}
