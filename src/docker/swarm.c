/*
 * swarm.c: the Swarm calls of the Engine API client (see swarm.h): swarm state, services,
 * tasks, nodes, image push. Worker thread only: every call blocks.
 */
#include "internal.h"
#include "faas/docker/swarm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1000000.0
#define MONITOR_NS 5e9      /* how long Swarm watches a new task for a failure before the next one */
#define UPDATE_RETRIES 3    /* "update out of sequence": someone updated between our read and write */
/* X-Registry-Auth is required by the push endpoint even without credentials: base64 of "{}". */
#define NO_REGISTRY_AUTH "X-Registry-Auth: e30="

/* ---- swarm state ---- */

static void copy_string(char *out, size_t size, const cJSON *item)
{
    const char *s = cJSON_GetStringValue(item);
    snprintf(out, size, "%s", s != NULL ? s : "");
}

faas_err_t faas_docker_swarm_info(faas_docker_t *d, faas_docker_swarm_info_t *out, faas_error_t *err)
{
    memset(out, 0, sizeof(*out));
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/info");
    cJSON *info = NULL;
    faas_err_t rc = faas_docker__get_json(d, &path, "engine info", cJSON_Object, &info, err);
    if (rc != FAAS_OK)
        return rc;
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(info, "Swarm");
    copy_string(out->state, sizeof(out->state), cJSON_GetObjectItemCaseSensitive(sw, "LocalNodeState"));
    copy_string(out->node_id, sizeof(out->node_id), cJSON_GetObjectItemCaseSensitive(sw, "NodeID"));
    copy_string(out->node_addr, sizeof(out->node_addr), cJSON_GetObjectItemCaseSensitive(sw, "NodeAddr"));
    out->manager = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sw, "ControlAvailable"));
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(sw, "Nodes");
    out->nodes = cJSON_IsNumber(nodes) ? nodes->valueint : 0;
    cJSON_Delete(info);
    return FAAS_OK;
}

/* ---- the service spec as JSON ---- */

/* cJSON builders that remember any allocation failure in *bad. */
static cJSON *chk(cJSON *item, int *bad)
{
    if (item == NULL)
        *bad = 1;
    return item;
}

static void add_strv(cJSON *obj, const char *key, const char *const *v, int *bad)
{
    cJSON *arr = chk(cJSON_AddArrayToObject(obj, key), bad);
    for (size_t i = 0; arr != NULL && v != NULL && v[i] != NULL; i++) {
        cJSON *s = chk(cJSON_CreateString(v[i]), bad);
        if (s != NULL)
            cJSON_AddItemToArray(arr, s);
    }
}

static void add_labels(cJSON *obj, const char *key, const char *const *labels, int *bad, faas_error_t *err)
{
    cJSON *l = NULL;
    if (faas_docker__labels(labels, &l, err) != FAAS_OK || !cJSON_AddItemToObject(obj, key, l)) {
        cJSON_Delete(l);
        *bad = 1;
    }
}

static void add_mounts(cJSON *cs, const faas_docker_service_spec_t *s, int *bad)
{
    cJSON *mounts = s->n_mounts > 0 ? chk(cJSON_AddArrayToObject(cs, "Mounts"), bad) : NULL;
    for (size_t i = 0; mounts != NULL && i < s->n_mounts; i++) {
        cJSON *m = chk(cJSON_CreateObject(), bad);
        if (m == NULL || !cJSON_AddItemToArray(mounts, m)) {
            cJSON_Delete(m);
            *bad = 1;
            return;
        }
        chk(cJSON_AddStringToObject(m, "Type", "bind"), bad);
        chk(cJSON_AddStringToObject(m, "Source", s->mounts[i].source), bad);
        chk(cJSON_AddStringToObject(m, "Target", s->mounts[i].target), bad);
        chk(cJSON_AddBoolToObject(m, "ReadOnly", s->mounts[i].read_only != 0), bad);
    }
}

static void add_container_spec(cJSON *tt, const faas_docker_service_spec_t *s, int *bad, faas_error_t *err)
{
    cJSON *cs = chk(cJSON_AddObjectToObject(tt, "ContainerSpec"), bad);
    if (cs == NULL)
        return;
    chk(cJSON_AddStringToObject(cs, "Image", s->image), bad);
    if (s->env != NULL)
        add_strv(cs, "Env", s->env, bad);
    add_labels(cs, "Labels", s->container_labels, bad, err);
    chk(cJSON_AddBoolToObject(cs, "Init", s->init != 0), bad);
    if (s->stop_signal != NULL)
        chk(cJSON_AddStringToObject(cs, "StopSignal", s->stop_signal), bad);
    if (s->stop_grace_ms > 0)
        chk(cJSON_AddNumberToObject(cs, "StopGracePeriod", (double)s->stop_grace_ms * NS_PER_MS), bad);
    if (s->cap_drop_all) {
        const char *all[] = {"ALL", NULL};
        add_strv(cs, "CapabilityDrop", all, bad);
    }
    if (s->cap_add != NULL)
        add_strv(cs, "CapabilityAdd", s->cap_add, bad);
    add_mounts(cs, s, bad);
}

static void add_task_template(cJSON *root, const faas_docker_service_spec_t *s, int *bad, faas_error_t *err)
{
    cJSON *tt = chk(cJSON_AddObjectToObject(root, "TaskTemplate"), bad);
    add_container_spec(tt, s, bad, err);
    cJSON *limits = chk(cJSON_AddObjectToObject(chk(cJSON_AddObjectToObject(tt, "Resources"), bad), "Limits"), bad);
    if (s->nano_cpus > 0)
        chk(cJSON_AddNumberToObject(limits, "NanoCPUs", (double)s->nano_cpus), bad);
    if (s->memory_bytes > 0)
        chk(cJSON_AddNumberToObject(limits, "MemoryBytes", (double)s->memory_bytes), bad);
    if (s->pids_limit > 0)
        chk(cJSON_AddNumberToObject(limits, "Pids", (double)s->pids_limit), bad);
    cJSON *rp = chk(cJSON_AddObjectToObject(tt, "RestartPolicy"), bad);
    chk(cJSON_AddStringToObject(rp, "Condition", "any"), bad);
    if (s->restart_delay_ms > 0)
        chk(cJSON_AddNumberToObject(rp, "Delay", (double)s->restart_delay_ms * NS_PER_MS), bad);
    if (s->constraints != NULL)
        add_strv(chk(cJSON_AddObjectToObject(tt, "Placement"), bad), "Constraints", s->constraints, bad);
    if (s->log_max_size != NULL) {
        cJSON *ld = chk(cJSON_AddObjectToObject(tt, "LogDriver"), bad);
        chk(cJSON_AddStringToObject(ld, "Name", "json-file"), bad);
        chk(cJSON_AddStringToObject(chk(cJSON_AddObjectToObject(ld, "Options"), bad), "max-size", s->log_max_size), bad);
    }
}

/* UpdateConfig or RollbackConfig: one task at a time, the new one started before the old one stops. */
static void add_rollout(cJSON *root, const char *key, const char *on_failure, int *bad)
{
    cJSON *u = chk(cJSON_AddObjectToObject(root, key), bad);
    chk(cJSON_AddNumberToObject(u, "Parallelism", 1), bad);
    chk(cJSON_AddStringToObject(u, "Order", "start-first"), bad);
    chk(cJSON_AddStringToObject(u, "FailureAction", on_failure), bad);
    chk(cJSON_AddNumberToObject(u, "Monitor", MONITOR_NS), bad);
}

static void add_endpoint(cJSON *root, int target_port, int *bad)
{
    cJSON *ep = chk(cJSON_AddObjectToObject(root, "EndpointSpec"), bad);
    chk(cJSON_AddStringToObject(ep, "Mode", "dnsrr"), bad); /* no virtual IP */
    cJSON *ports = chk(cJSON_AddArrayToObject(ep, "Ports"), bad), *p = chk(cJSON_CreateObject(), bad);
    if (ports == NULL || p == NULL || !cJSON_AddItemToArray(ports, p)) {
        cJSON_Delete(p);
        *bad = 1;
        return;
    }
    chk(cJSON_AddStringToObject(p, "Protocol", "tcp"), bad);
    chk(cJSON_AddNumberToObject(p, "TargetPort", target_port), bad);
    chk(cJSON_AddStringToObject(p, "PublishMode", "host"), bad); /* no PublishedPort: Swarm picks one per task */
}

static faas_err_t check_spec(const faas_docker_service_spec_t *s, const char *what, faas_error_t *err)
{
    if (s->name == NULL || s->name[0] == '\0' || s->image == NULL || s->image[0] == '\0')
        return faas_error_set(err, FAAS_EINVAL, "%s: a service needs a name and an image", what);
    if (s->target_port < 1 || s->target_port > 65535)
        return faas_error_set(err, FAAS_EINVAL, "%s: container port %d is outside 1..65535", what, s->target_port);
    if (s->replicas < 0)
        return faas_error_set(err, FAAS_EINVAL, "%s: negative replica count", what);
    for (size_t i = 0; i < s->n_mounts; i++)
        if (s->mounts[i].source == NULL || s->mounts[i].target == NULL || s->mounts[i].source[0] != '/' ||
            s->mounts[i].target[0] != '/')
            return faas_error_set(err, FAAS_EINVAL, "%s: a mount needs absolute source and target", what);
    return FAAS_OK;
}

/* The ServiceSpec JSON of s; NULL with err set on bad input or OOM. */
static char *service_json(const faas_docker_service_spec_t *s, const char *what, faas_error_t *err)
{
    if (check_spec(s, what, err) != FAAS_OK)
        return NULL;
    int bad = 0;
    faas_error_t lerr = {0};
    cJSON *root = chk(cJSON_CreateObject(), &bad);
    chk(cJSON_AddStringToObject(root, "Name", s->name), &bad);
    add_labels(root, "Labels", s->labels, &bad, &lerr);
    add_task_template(root, s, &bad, &lerr);
    cJSON *repl = chk(cJSON_AddObjectToObject(chk(cJSON_AddObjectToObject(root, "Mode"), &bad), "Replicated"), &bad);
    chk(cJSON_AddNumberToObject(repl, "Replicas", (double)s->replicas), &bad);
    add_rollout(root, "UpdateConfig", "rollback", &bad);
    add_rollout(root, "RollbackConfig", "pause", &bad);
    add_endpoint(root, s->target_port, &bad);
    char *json = bad ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (json == NULL && lerr.code != FAAS_OK)
        faas_error_set(err, lerr.code, "%s: %s", what, lerr.msg);
    else if (json == NULL)
        faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what);
    return json;
}

/* ---- services ---- */

faas_err_t faas_docker_service_create(faas_docker_t *d, const faas_docker_service_spec_t *spec,
                                      char id[FAAS_DOCKER_ID_MAX], faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "create service %.100s", spec->name != NULL ? spec->name : "");
    id[0] = '\0';
    char *json = service_json(spec, what, err);
    if (json == NULL)
        return err != NULL && err->code != FAAS_OK ? err->code : FAAS_EINVAL;
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/services/create");
    faas_docker__req_t rq = {.method = "POST", .what = what, .content_type = "application/json", .body = json,
                             .body_len = strlen(json), .header = NO_REGISTRY_AUTH};
    cJSON *answer = NULL;
    faas_err_t rc = faas_docker__run(d, &rq, &path, err);
    if (rc == FAAS_OK)
        rc = faas_docker__take_json(&rq, cJSON_Object, &answer, err);
    const char *sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "ID"));
    if (rc == FAAS_OK && (sid == NULL || sid[0] == '\0' || strlen(sid) >= FAAS_DOCKER_ID_MAX))
        rc = faas_error_set(err, FAAS_EDOCKER, "%s: answer has no usable ID", what);
    if (rc == FAAS_OK)
        snprintf(id, FAAS_DOCKER_ID_MAX, "%s", sid);
    cJSON_Delete(answer);
    free(rq.body_out.p);
    free(json);
    return rc;
}

faas_err_t faas_docker_service_inspect(faas_docker_t *d, const char *ref, cJSON **out, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "inspect service %.100s", ref != NULL ? ref : "");
    *out = NULL;
    if (faas_docker__check_ref(ref, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    faas_buf_t path = {0};
    faas_docker__add_path(&path, "services", ref, "");
    return faas_docker__get_json(d, &path, what, cJSON_Object, out, err);
}

/* POST /services/<ref>/update?version=<current>[&extra] with body; retried when the version moved. */
static faas_err_t post_update(faas_docker_t *d, const char *ref, const char *body, const char *extra,
                              const char *what, faas_error_t *err)
{
    faas_err_t rc = FAAS_OK;
    for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
        cJSON *svc = NULL;
        if ((rc = faas_docker_service_inspect(d, ref, &svc, err)) != FAAS_OK)
            return rc;
        const cJSON *index = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(svc, "Version"), "Index");
        char query[96];
        snprintf(query, sizeof(query), "/update?version=%.0f%s", cJSON_GetNumberValue(index), extra);
        cJSON_Delete(svc);
        if (!cJSON_IsNumber(index))
            return faas_error_set(err, FAAS_EDOCKER, "%s: the service has no version", what);
        faas_buf_t path = {0};
        faas_docker__add_path(&path, "services", ref, query);
        faas_docker__req_t rq = {.method = "POST", .what = what, .content_type = "application/json", .body = body,
                                 .body_len = strlen(body), .header = NO_REGISTRY_AUTH};
        rc = faas_docker__run(d, &rq, &path, err);
        int moved = rc != FAAS_OK && rq.body_out.p != NULL && strstr(rq.body_out.p, "out of sequence") != NULL;
        free(rq.body_out.p);
        if (!moved)
            return rc;
    }
    return rc;
}

faas_err_t faas_docker_service_update(faas_docker_t *d, const char *ref, const faas_docker_service_spec_t *spec,
                                      faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "update service %.100s", ref != NULL ? ref : "");
    if (faas_docker__check_ref(ref, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    char *json = service_json(spec, what, err);
    if (json == NULL)
        return err != NULL && err->code != FAAS_OK ? err->code : FAAS_EINVAL;
    faas_err_t rc = post_update(d, ref, json, "", what, err);
    free(json);
    return rc;
}

/* The service's current Spec as JSON, changed by edit (may be NULL); NULL with err set. */
static char *current_spec(faas_docker_t *d, const char *ref, int64_t replicas, const char *what, faas_error_t *err)
{
    cJSON *svc = NULL;
    if (faas_docker_service_inspect(d, ref, &svc, err) != FAAS_OK)
        return NULL;
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(svc, "Spec");
    cJSON *repl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "Mode"), "Replicated");
    char *json = NULL;
    if (!cJSON_IsObject(repl))
        faas_error_set(err, FAAS_EINVAL, "%s: not a replicated service", what);
    else if (replicas >= 0 && !cJSON_ReplaceItemInObjectCaseSensitive(repl, "Replicas",
                                                                       cJSON_CreateNumber((double)replicas)) &&
             cJSON_AddNumberToObject(repl, "Replicas", (double)replicas) == NULL)
        faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what);
    else if ((json = cJSON_PrintUnformatted(spec)) == NULL)
        faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what);
    cJSON_Delete(svc);
    return json;
}

faas_err_t faas_docker_service_scale(faas_docker_t *d, const char *ref, int64_t replicas, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "scale service %.100s to %lld", ref != NULL ? ref : "", (long long)replicas);
    if (faas_docker__check_ref(ref, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    if (replicas < 0)
        return faas_error_set(err, FAAS_EINVAL, "%s: negative replica count", what);
    char *json = current_spec(d, ref, replicas, what, err);
    if (json == NULL)
        return err != NULL && err->code != FAAS_OK ? err->code : FAAS_EDOCKER;
    faas_err_t rc = post_update(d, ref, json, "", what, err);
    free(json);
    return rc;
}

faas_err_t faas_docker_service_restore(faas_docker_t *d, const char *ref, const char *spec, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "restore service %.100s", ref != NULL ? ref : "");
    if (faas_docker__check_ref(ref, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    if (spec == NULL || spec[0] != '{')
        return faas_error_set(err, FAAS_EINVAL, "%s: no spec to restore", what);
    return post_update(d, ref, spec, "", what, err);
}

faas_err_t faas_docker_service_remove(faas_docker_t *d, const char *ref, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "remove service %.100s", ref != NULL ? ref : "");
    if (faas_docker__check_ref(ref, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    faas_buf_t path = {0};
    faas_docker__add_path(&path, "services", ref, "");
    return faas_docker__simple(d, "DELETE", &path, what, 0, err);
}

faas_err_t faas_docker_service_list(faas_docker_t *d, const char *const *labels, cJSON **out, faas_error_t *err)
{
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/services");
    if (labels != NULL && labels[0] != NULL) {
        faas_buf_adds(&path, "?filters=");
        faas_docker__add_filters(&path, NULL, labels, 0);
    }
    return faas_docker__get_json(d, &path, "list services", cJSON_Array, out, err);
}

faas_err_t faas_docker_task_list(faas_docker_t *d, const char *service, cJSON **out, faas_error_t *err)
{
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/tasks");
    if (service != NULL) {
        cJSON *f = cJSON_CreateObject(), *arr = f != NULL ? cJSON_AddArrayToObject(f, "service") : NULL;
        cJSON *name = cJSON_CreateString(service);
        char *json = arr != NULL && name != NULL && cJSON_AddItemToArray(arr, name) ? cJSON_PrintUnformatted(f) : NULL;
        if (json == NULL || arr == NULL)
            path.oom = 1;
        if (arr == NULL)
            cJSON_Delete(name);
        faas_buf_adds(&path, "?filters=");
        if (json != NULL)
            faas_docker__add_escaped(&path, json);
        cJSON_free(json);
        cJSON_Delete(f);
    }
    return faas_docker__get_json(d, &path, "list tasks", cJSON_Array, out, err);
}

faas_err_t faas_docker_node_list(faas_docker_t *d, cJSON **out, faas_error_t *err)
{
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/nodes");
    return faas_docker__get_json(d, &path, "list nodes", cJSON_Array, out, err);
}

/* ---- image push ---- */

/* One line of a push's answer: an error (1, message into msg) or an aux.Digest (kept in digest). */
static int push_line(const char *line, size_t n, char *digest, char *msg, size_t size)
{
    cJSON *j = cJSON_ParseWithLength(line, n);
    int failed = 0;
    const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "error"));
    const char *dg = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "aux"), "Digest"));
    if (e != NULL) {
        snprintf(msg, size, "%s", e);
        failed = 1;
    } else if (dg != NULL && strncmp(dg, "sha256:", 7) == 0 && strlen(dg) < FAAS_DOCKER_ID_MAX) {
        snprintf(digest, FAAS_DOCKER_ID_MAX, "%s", dg);
    }
    cJSON_Delete(j);
    return failed;
}

int faas_docker_push_result(const char *body, size_t len, char digest[FAAS_DOCKER_ID_MAX], char *msg, size_t size)
{
    digest[0] = '\0';
    if (size > 0)
        msg[0] = '\0';
    for (const char *s = body, *end = body + len; body != NULL && s < end;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
        if (n > 0 && push_line(s, n, digest, msg, size))
            return -1;
        s += n + 1;
    }
    if (digest[0] == '\0') {
        snprintf(msg, size, "the engine reported no digest");
        return -1;
    }
    return 0;
}

faas_err_t faas_docker_image_push(faas_docker_t *d, const char *repo, const char *tag, int timeout_ms,
                                  char digest[FAAS_DOCKER_ID_MAX], faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "push image %.100s:%.40s", repo != NULL ? repo : "", tag != NULL ? tag : "");
    digest[0] = '\0';
    if (faas_docker__check_ref(repo, what, err) != FAAS_OK || faas_docker__check_ref(tag, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    faas_buf_t path = {0};
    faas_docker__add_path(&path, "images", repo, "/push?tag=");
    faas_docker__add_escaped(&path, tag);
    faas_docker__req_t rq = {.method = "POST", .what = what, .timeout_ms = timeout_ms, .header = NO_REGISTRY_AUTH};
    if (timeout_ms == 0)
        rq.timeout_ms = -1; /* faas_docker__run's default deadline is for quick calls */
    faas_err_t rc = faas_docker__run(d, &rq, &path, err);
    char msg[FAAS_ERROR_MSG_MAX - 200];
    if (rc == FAAS_OK && faas_docker_push_result(rq.body_out.p, rq.body_out.len, digest, msg, sizeof(msg)) != 0)
        rc = faas_error_set(err, FAAS_EDOCKER, "%s: %s", what, msg);
    free(rq.body_out.p);
    return rc;
}
