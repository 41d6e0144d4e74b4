/*
 * objects.c: Docker images and networks: list, inspect, tag, remove
 * and prune images; make sure a network exists. Worker thread only: every call blocks.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

faas_err_t faas_docker_image_list(faas_docker_t *d, const char *const *labels, cJSON **out, faas_error_t *err)
{
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/images/json");
    if (labels != NULL && labels[0] != NULL) {
        faas_buf_adds(&path, "?filters=");
        faas_docker__add_filters(&path, NULL, labels, 0);
    }
    return faas_docker__get_json(d, &path, "list images", cJSON_Array, out, err);
}

faas_err_t faas_docker_image_inspect(faas_docker_t *d, const char *ref, cJSON **out, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "inspect image %.100s", ref != NULL ? ref : "");
    *out = NULL;
    if (faas_docker__check_ref(ref, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    faas_buf_t path = {0};
    faas_docker__add_path(&path, "images", ref, "/json");
    return faas_docker__get_json(d, &path, what, cJSON_Object, out, err);
}

faas_err_t faas_docker_image_remove(faas_docker_t *d, const char *ref, int force, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "remove image %.100s", ref != NULL ? ref : "");
    if (faas_docker__check_ref(ref, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    faas_buf_t path = {0};
    faas_docker__add_path(&path, "images", ref, force ? "?force=1" : "");
    return faas_docker__simple(d, "DELETE", &path, what, 0, err);
}

faas_err_t faas_docker_image_prune(faas_docker_t *d, const char *const *labels, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "prune untagged images with %.100s", labels != NULL && labels[0] ? labels[0] : "");
    for (size_t i = 0; labels != NULL && labels[i] != NULL; i++)
        if (strchr(labels[i], '=') == NULL)
            return faas_error_set(err, FAAS_EINVAL, "%s: label filters are k=v", what);
    if (labels == NULL || labels[0] == NULL)
        return faas_error_set(err, FAAS_EINVAL, "%s: a label filter k=v is required", what);
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/images/prune?filters=");
    faas_docker__add_filters(&path, NULL, labels, 1);
    return faas_docker__simple(d, "POST", &path, what, 0, err);
}

faas_err_t faas_docker_image_tag(faas_docker_t *d, const char *ref, const char *repo, const char *tag,
                                 faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "tag image %.60s as %.50s:%.30s", ref ? ref : "", repo ? repo : "", tag ? tag : "");
    if (faas_docker__check_ref(ref, what, err) != FAAS_OK || faas_docker__check_ref(repo, what, err) != FAAS_OK ||
        faas_docker__check_ref(tag, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    faas_buf_t path = {0};
    faas_docker__add_path(&path, "images", ref, "/tag?repo=");
    faas_docker__add_escaped(&path, repo);
    faas_buf_adds(&path, "&tag=");
    faas_docker__add_escaped(&path, tag);
    return faas_docker__simple(d, "POST", &path, what, 0, err);
}

/* POST /networks/create for a bridge network with labels ("k=v", NULL-terminated). */
static faas_err_t network_create(faas_docker_t *d, const char *name, int icc, const char *const *kv, const char *what,
                                 faas_error_t *err)
{
    cJSON *labels = NULL;
    if (faas_docker__labels(kv, &labels, err) != FAAS_OK)
        return faas_error_prefix(err, FAAS_EINVAL, "%s", what);
    cJSON *body = cJSON_CreateObject();
    cJSON *options = cJSON_AddObjectToObject(body, "Options");
    cJSON_AddItemToObject(body, "Labels", labels);
    cJSON_AddStringToObject(body, "Name", name);
    cJSON_AddStringToObject(body, "Driver", "bridge");
    cJSON_AddBoolToObject(body, "CheckDuplicate", 1);
    cJSON_AddStringToObject(options, "com.docker.network.bridge.enable_icc", icc ? "true" : "false");
    char *json = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (json == NULL || labels == NULL || options == NULL) {
        free(json);
        return faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what);
    }
    faas_docker__req_t rq = {.method = "POST", .path = "/networks/create", .what = what,
                             .content_type = "application/json", .body = json, .body_len = strlen(json),
                             .timeout_ms = FAAS_DOCKER_CALL_TIMEOUT_MS};
    faas_err_t rc = faas_docker__call(d, &rq, err);
    free(rq.body_out.p);
    free(json);
    return rc;
}

faas_err_t faas_docker_network_ensure(faas_docker_t *d, const char *name, int icc, const char *const *labels,
                                      faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "network %.100s", name ? name : "");
    if (faas_docker__check_ref(name, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    cJSON *net = NULL;
    faas_buf_t path = {0};
    faas_docker__add_path(&path, "networks", name, "");
    faas_err_t rc = faas_docker__get_json(d, &path, what, cJSON_Object, &net, err);
    cJSON_Delete(net);
    if (rc != FAAS_ENOTFOUND)
        return rc;
    rc = network_create(d, name, icc, labels, what, err);
    return rc == FAAS_ECONFLICT ? FAAS_OK : rc; /* created meanwhile by someone else */
}
