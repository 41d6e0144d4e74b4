/*
 * objects.c: Docker images and networks: list, inspect, tag, remove
 * and prune images; make sure a network exists; read one file out of a
 * container (its archive, a tar). Worker thread only: every call blocks.
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

/* ---- one file out of a container ---- */

#define TAR_BLOCK 512

/* An octal tar number field (NUL or space ended); -1 when it is not one. */
static long long tar_number(const unsigned char *field, size_t len)
{
    long long v = 0;
    size_t i = 0;
    while (i < len && field[i] == ' ')
        i++;
    if (i == len || field[i] < '0' || field[i] > '7')
        return -1;
    for (; i < len && field[i] >= '0' && field[i] <= '7'; i++)
        v = v * 8 + (field[i] - '0');
    return v < ((long long)1 << 40) ? v : -1;
}

/* The first regular file of a tar: its content at *at, *size bytes. Extended headers (pax, GNU
 * long names) are skipped. FAAS_EINVAL when the first entry is something else or the tar is cut. */
static faas_err_t tar_first_file(const unsigned char *tar, size_t len, size_t *at, size_t *size, const char *what,
                                 faas_error_t *err)
{
    for (size_t off = 0; off + TAR_BLOCK <= len;) {
        const unsigned char *h = tar + off;
        long long n = tar_number(h + 124, 12);
        char type = (char)h[156];
        if (h[0] == '\0')
            break; /* the end blocks */
        if (n < 0 || off + TAR_BLOCK + (size_t)n > len)
            return faas_error_set(err, FAAS_EDOCKER, "%s: the engine's tar is cut or malformed", what);
        if (type == '0' || type == '\0') {
            *at = off + TAR_BLOCK;
            *size = (size_t)n;
            return FAAS_OK;
        }
        if (type != 'x' && type != 'g' && type != 'L' && type != 'K')
            return faas_error_set(err, FAAS_EINVAL, "%s: not a regular file (a link or a folder)", what);
        off += TAR_BLOCK + ((size_t)n + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
    }
    return faas_error_set(err, FAAS_EINVAL, "%s: no regular file in the engine's tar", what);
}

typedef struct capped {
    faas_buf_t buf;
    size_t max;
    int over;
} capped_t;

static int on_archive(void *ctx, const char *data, size_t len)
{
    capped_t *c = ctx;
    if (c->buf.len + len > c->max) {
        c->over = 1;
        return 1; /* stop the transfer */
    }
    faas_buf_add(&c->buf, data, len);
    return 0;
}

faas_err_t faas_docker_container_read_file(faas_docker_t *d, const char *id, const char *path, size_t max, char **data,
                                           size_t *len, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "read %.60s of container %.12s", path != NULL ? path : "", id != NULL ? id : "");
    *data = NULL;
    *len = 0;
    if (faas_docker__check_ref(id, what, err) != FAAS_OK || faas_docker__check_ref(path, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    faas_buf_t url = {0};
    faas_docker__add_path(&url, "containers", id, "/archive?path=");
    faas_docker__add_escaped(&url, path);
    /* Room for the headers (a pax one, the file's) and the padding around max bytes. */
    capped_t c = {.max = max + 4 * TAR_BLOCK};
    faas_docker__req_t rq = {.method = "GET", .path = url.p, .what = what, .timeout_ms = FAAS_DOCKER_CALL_TIMEOUT_MS,
                             .on_body = on_archive, .ctx = &c};
    faas_err_t rc = url.oom ? faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what) : faas_docker__call(d, &rq, err);
    size_t at = 0, size = 0;
    if (rc == FAAS_OK && (c.over || c.buf.oom))
        rc = faas_error_set(err, c.over ? FAAS_ETOOLARGE : FAAS_ENOMEM, "%s: larger than %zu bytes", what, max);
    if (rc == FAAS_OK)
        rc = tar_first_file((const unsigned char *)c.buf.p, c.buf.len, &at, &size, what, err);
    if (rc == FAAS_OK && size > max)
        rc = faas_error_set(err, FAAS_ETOOLARGE, "%s: larger than %zu bytes", what, max);
    if (rc == FAAS_OK && (*data = malloc(size + 1)) == NULL)
        rc = faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what);
    if (rc == FAAS_OK) {
        memcpy(*data, c.buf.p + at, size);
        (*data)[size] = '\0';
        *len = size;
    }
    free(rq.body_out.p);
    faas_buf_free(&c.buf);
    faas_buf_free(&url);
    return rc;
}
