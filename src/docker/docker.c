/*
 * docker.c: the Docker Engine API client: libcurl transport over the unix socket, mapping of
 * curl and HTTP failures to faas_err_t, and the request/response calls (ping, containers,
 * images). Streaming calls (build, logs, wait, events) and the parsers are in stream.c.
 *
 * Threads: worker threads only (every call blocks). A faas_docker_t is shared: its only
 * mutable state is a mutex-guarded pool of idle curl handles, so a handle (and its kept-alive
 * connection) is used by one call at a time and reused by the next.
 */
#include "internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "faas/core/clock.h"
#include "faas/core/log.h"

#define API_BASE "http://localhost/v1.41"
#define POOL_MAX 8
#define BODY_MAX ((size_t)64 << 20)       /* a buffered 2xx answer larger than this is refused */
#define ERROR_BODY_MAX ((size_t)64 << 10) /* an error answer is cut here (the message is at the start) */
#define CONNECT_TIMEOUT_MS 5000L

struct faas_docker {
    char *socket;
    pthread_mutex_t lock; /* guards idle and nidle */
    CURL *idle[POOL_MAX];
    int nidle;
};

/* What one transfer needs besides the request: set by the callbacks, read by map_result. */
typedef struct xfer {
    faas_docker__req_t *rq;
    CURL *h;
    int by_body;   /* on_body asked to stop */
    int by_stop;   /* *rq->stop was set */
    int too_large; /* a buffered answer passed BODY_MAX */
} xfer_t;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void init_curl(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL) {
        faas_log_error("docker: out of memory");
        abort();
    }
    return p;
}

faas_docker_t *faas_docker_create(const char *socket_path)
{
    pthread_once(&curl_once, init_curl);
    if (socket_path == NULL)
        socket_path = FAAS_DOCKER_DEFAULT_SOCKET;
    faas_docker_t *d = xmalloc(sizeof(*d));
    memset(d, 0, sizeof(*d));
    size_t n = strlen(socket_path) + 1;
    d->socket = xmalloc(n);
    memcpy(d->socket, socket_path, n);
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

void faas_docker_dispose(faas_docker_t *d)
{
    if (d == NULL)
        return;
    for (int i = 0; i < d->nidle; i++)
        curl_easy_cleanup(d->idle[i]);
    pthread_mutex_destroy(&d->lock);
    free(d->socket);
    free(d);
}

const char *faas_docker_socket(const faas_docker_t *d)
{
    return d->socket;
}

/* ---- curl handle pool ---- */

static CURL *handle_get(faas_docker_t *d)
{
    CURL *h = NULL;
    pthread_mutex_lock(&d->lock);
    if (d->nidle > 0)
        h = d->idle[--d->nidle];
    pthread_mutex_unlock(&d->lock);
    return h != NULL ? h : curl_easy_init();
}

/* curl_easy_reset clears the options but keeps the connection cache: the next call reuses it. */
static void handle_put(faas_docker_t *d, CURL *h)
{
    curl_easy_reset(h);
    pthread_mutex_lock(&d->lock);
    if (d->nidle < POOL_MAX) {
        d->idle[d->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&d->lock);
    if (h != NULL)
        curl_easy_cleanup(h);
}

/* ---- strings ---- */

void faas_docker__add_escaped(faas_buf_t *s, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        char enc[3] = {(char)*p, 0, 0};
        size_t n = 1;
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '.' || *p == '_' || *p == '~')) {
            enc[0] = '%';
            enc[1] = hex[*p >> 4];
            enc[2] = hex[*p & 15];
            n = 3;
        }
        faas_buf_add(s, enc, n);
    }
}

static int add_filter(cJSON *filters, const char *key, const char *value)
{
    cJSON *arr = cJSON_AddArrayToObject(filters, key);
    cJSON *item = cJSON_CreateString(value);
    if (arr == NULL || item == NULL) {
        cJSON_Delete(item);
        return -1;
    }
    cJSON_AddItemToArray(arr, item);
    return 0;
}

void faas_docker__add_filters(faas_buf_t *s, const char *type, const char *const *labels, int dangling)
{
    cJSON *filters = cJSON_CreateObject();
    int bad = filters == NULL || (type != NULL && add_filter(filters, "type", type) != 0) ||
              (dangling && add_filter(filters, "dangling", "true") != 0);
    cJSON *all = !bad && labels != NULL && labels[0] != NULL ? cJSON_AddArrayToObject(filters, "label") : NULL;
    bad |= labels != NULL && labels[0] != NULL && all == NULL; /* never a listing wider than asked for */
    for (size_t i = 0; all != NULL && labels[i] != NULL; i++) /* several labels: Docker wants them all */
        bad |= !cJSON_AddItemToArray(all, cJSON_CreateString(labels[i]));
    char *json = bad ? NULL : cJSON_PrintUnformatted(filters);
    if (json == NULL)
        s->oom = 1;
    else
        faas_docker__add_escaped(s, json);
    cJSON_free(json);
    cJSON_Delete(filters);
}

/* Appends "/<kind>/<ref escaped><suffix>". */
void faas_docker__add_path(faas_buf_t *s, const char *kind, const char *ref, const char *suffix)
{
    faas_buf_adds(s, "/");
    faas_buf_adds(s, kind);
    faas_buf_adds(s, "/");
    faas_docker__add_escaped(s, ref);
    faas_buf_adds(s, suffix);
}

/* ---- transport ---- */

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
    xfer_t *x = arg;
    faas_docker__req_t *rq = x->rq;
    size_t len = size * nmemb;
    if (rq->status == 0)
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &rq->status);
    int ok = rq->status >= 200 && rq->status < 300;
    if (ok && rq->on_body != NULL) {
        if (rq->on_body(rq->ctx, data, len) != 0) {
            x->by_body = 1;
            return 0; /* anything but len ends the transfer */
        }
        return len;
    }
    size_t room = (ok ? BODY_MAX : ERROR_BODY_MAX) - rq->body_out.len;
    if (len > room && ok) {
        x->too_large = 1;
        return 0;
    }
    faas_buf_add(&rq->body_out, data, len < room ? len : room);
    return rq->body_out.oom ? 0 : len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    xfer_t *x = arg;
    if (atomic_load(x->rq->stop) != 0) {
        x->by_stop = 1;
        return 1;
    }
    return 0;
}

static void setup(CURL *h, faas_docker_t *d, xfer_t *x, const char *url, struct curl_slist *headers)
{
    faas_docker__req_t *rq = x->rq;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, d->socket);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    if (rq->timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (strcmp(rq->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body != NULL ? rq->body : "");
    } else if (strcmp(rq->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    if (rq->stop != NULL) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    }
}

/* Docker's {"message": ...}, or the start of a non-JSON body with control bytes blanked. */
static void docker_message(const faas_buf_t *body, char *out, size_t size)
{
    if (body->len == 0) {
        snprintf(out, size, "empty answer");
        return;
    }
    cJSON *j = cJSON_ParseWithLength(body->p, body->len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    if (cJSON_IsString(m)) {
        snprintf(out, size, "%s", m->valuestring);
    } else {
        size_t n = body->len < 200 ? body->len : 200;
        n = n < size - 1 ? n : size - 1;
        for (size_t i = 0; i < n; i++)
            out[i] = (unsigned char)body->p[i] < 0x20 ? ' ' : body->p[i];
        out[n] = '\0';
    }
    cJSON_Delete(j);
}

static faas_err_t map_status(const faas_docker__req_t *rq, faas_error_t *err)
{
    long s = rq->status;
    if ((s >= 200 && s < 300) || s == 304)
        return FAAS_OK;
    char msg[FAAS_ERROR_MSG_MAX];
    docker_message(&rq->body_out, msg, sizeof(msg));
    faas_err_t code = s == 404 ? FAAS_ENOTFOUND : s == 409 ? FAAS_ECONFLICT : s == 400 ? FAAS_EINVAL : FAAS_EDOCKER;
    return faas_error_set(err, code, "%s: %s (HTTP %ld)", rq->what, msg, s);
}

static faas_err_t map_curl(const faas_docker_t *d, const faas_docker__req_t *rq, CURLcode rc, long os_errno,
                           faas_error_t *err)
{
    char ebuf[128];
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        if (os_errno != 0)
            return faas_error_set(err, FAAS_EUNAVAIL, "%s: docker unreachable at %s: %s (errno %ld)", rq->what,
                                  d->socket, strerror_r((int)os_errno, ebuf, sizeof(ebuf)), os_errno);
        return faas_error_set(err, FAAS_EUNAVAIL, "%s: docker unreachable at %s: %s", rq->what, d->socket,
                              curl_easy_strerror(rc));
    case CURLE_OPERATION_TIMEDOUT:
        return faas_error_set(err, FAAS_ETIMEOUT, "%s: no answer from docker within %ld ms", rq->what,
                              rq->timeout_ms > 0 ? rq->timeout_ms : CONNECT_TIMEOUT_MS);
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        return faas_error_set(err, FAAS_EUNAVAIL, "%s: connection to docker at %s lost: %s", rq->what, d->socket,
                              curl_easy_strerror(rc));
    case CURLE_OUT_OF_MEMORY:
        return faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", rq->what);
    default:
        return faas_error_set(err, FAAS_EDOCKER, "%s: %s", rq->what, curl_easy_strerror(rc));
    }
}

static faas_err_t map_result(const faas_docker_t *d, const xfer_t *x, CURLcode rc, long os_errno, faas_error_t *err)
{
    faas_docker__req_t *rq = x->rq;
    if (x->by_body || x->by_stop) {
        rq->stopped = 1;
        return FAAS_OK;
    }
    if (x->too_large)
        return faas_error_set(err, FAAS_ETOOLARGE, "%s: answer larger than %zu bytes", rq->what, BODY_MAX);
    if (rq->body_out.oom)
        return faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", rq->what);
    if (rc != CURLE_OK)
        return map_curl(d, rq, rc, os_errno, err);
    return map_status(rq, err);
}

static struct curl_slist *make_headers(const char *content_type, const char *extra)
{
    /* "Expect:" stops curl from waiting for a 100 Continue before sending a large body. */
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    if (h != NULL && extra != NULL) {
        struct curl_slist *h2 = curl_slist_append(h, extra);
        if (h2 == NULL) {
            curl_slist_free_all(h);
            return NULL;
        }
        h = h2;
    }
    if (h != NULL && content_type != NULL) {
        char line[128];
        snprintf(line, sizeof(line), "Content-Type: %s", content_type);
        struct curl_slist *h2 = curl_slist_append(h, line);
        if (h2 == NULL) {
            curl_slist_free_all(h);
            return NULL;
        }
        h = h2;
    }
    return h;
}

faas_err_t faas_docker__call(faas_docker_t *d, faas_docker__req_t *rq, faas_error_t *err)
{
    rq->status = 0;
    rq->stopped = 0;
    faas_buf_t url = {0};
    faas_buf_adds(&url, API_BASE);
    faas_buf_adds(&url, rq->path);
    struct curl_slist *headers = make_headers(rq->content_type, rq->header);
    CURL *h = url.oom || headers == NULL ? NULL : handle_get(d);
    if (h == NULL) {
        free(url.p);
        curl_slist_free_all(headers);
        return faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", rq->what);
    }
    xfer_t x = {.rq = rq, .h = h};
    setup(h, d, &x, url.p, headers);
    int64_t t0 = faas_clock_mono_ms();
    CURLcode rc = curl_easy_perform(h);
    long os_errno = 0;
    if (rq->status == 0)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rq->status);
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    faas_log_debug("docker: %s %s -> %ld, %s, %lld ms", rq->method, rq->path, rq->status, curl_easy_strerror(rc),
                   (long long)(faas_clock_mono_ms() - t0));
    handle_put(d, h);
    curl_slist_free_all(headers);
    free(url.p);
    return map_result(d, &x, rc, os_errno, err);
}

/* ---- helpers for the calls below ---- */

/* Runs a buffered request on path (freed here); the caller frees rq->body_out.p. */
faas_err_t faas_docker__run(faas_docker_t *d, faas_docker__req_t *rq, faas_buf_t *path, faas_error_t *err)
{
    faas_err_t code;
    if (path->oom) {
        code = faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", rq->what);
    } else {
        rq->path = path->p;
        if (rq->timeout_ms == 0)
            rq->timeout_ms = FAAS_DOCKER_CALL_TIMEOUT_MS;
        code = faas_docker__call(d, rq, err);
    }
    free(path->p);
    memset(path, 0, sizeof(*path));
    return code;
}

/* Parses the buffered answer of rq into *out, which must be of the given cJSON type. */
faas_err_t faas_docker__take_json(faas_docker__req_t *rq, int type, cJSON **out, faas_error_t *err)
{
    cJSON *j = rq->body_out.len > 0 ? cJSON_ParseWithLength(rq->body_out.p, rq->body_out.len) : NULL;
    if (j == NULL || (j->type & 0xff) != type) {
        cJSON_Delete(j);
        return faas_error_set(err, FAAS_EDOCKER, "%s: docker answered with unexpected JSON (%zu bytes)", rq->what,
                              rq->body_out.len);
    }
    *out = j;
    return FAAS_OK;
}

faas_err_t faas_docker__check_ref(const char *ref, const char *what, faas_error_t *err)
{
    if (ref == NULL || ref[0] == '\0')
        return faas_error_set(err, FAAS_EINVAL, "%s: empty id or reference", what);
    return FAAS_OK;
}

/* A request with no body whose answer only matters through its status. */
faas_err_t faas_docker__simple(faas_docker_t *d, const char *method, faas_buf_t *path, const char *what,
                         long timeout_ms, faas_error_t *err)
{
    faas_docker__req_t rq = {.method = method, .what = what, .timeout_ms = timeout_ms};
    faas_err_t code = faas_docker__run(d, &rq, path, err);
    free(rq.body_out.p);
    return code;
}

/* A GET whose answer is JSON of the given type. */
faas_err_t faas_docker__get_json(faas_docker_t *d, faas_buf_t *path, const char *what, int type, cJSON **out,
                           faas_error_t *err)
{
    *out = NULL;
    faas_docker__req_t rq = {.method = "GET", .what = what};
    faas_err_t code = faas_docker__run(d, &rq, path, err);
    if (code == FAAS_OK)
        code = faas_docker__take_json(&rq, type, out, err);
    free(rq.body_out.p);
    return code;
}

faas_err_t faas_docker__labels(const char *const *labels, cJSON **out, faas_error_t *err)
{
    cJSON *obj = cJSON_CreateObject();
    if (obj == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "labels: out of memory");
    for (size_t i = 0; labels != NULL && labels[i] != NULL; i++) {
        const char *eq = strchr(labels[i], '=');
        if (eq == NULL || eq == labels[i]) {
            cJSON_Delete(obj);
            return faas_error_set(err, FAAS_EINVAL, "label \"%s\" is not k=v", labels[i]);
        }
        char key[256];
        if ((size_t)(eq - labels[i]) >= sizeof(key)) {
            cJSON_Delete(obj);
            return faas_error_set(err, FAAS_EINVAL, "label key longer than %zu bytes", sizeof(key) - 1);
        }
        snprintf(key, sizeof(key), "%.*s", (int)(eq - labels[i]), labels[i]);
        if (cJSON_AddStringToObject(obj, key, eq + 1) == NULL) {
            cJSON_Delete(obj);
            return faas_error_set(err, FAAS_ENOMEM, "labels: out of memory");
        }
    }
    *out = obj;
    return FAAS_OK;
}

/* ---- ping and images ---- */

faas_err_t faas_docker_ping(faas_docker_t *d, int timeout_ms, faas_error_t *err)
{
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/_ping");
    return faas_docker__simple(d, "GET", &path, "ping", timeout_ms, err);
}

/* ---- containers ---- */

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
    for (size_t i = 0; arr != NULL && v[i] != NULL; i++) {
        cJSON *s = chk(cJSON_CreateString(v[i]), bad);
        if (s != NULL)
            cJSON_AddItemToArray(arr, s);
    }
}

static void add_one(cJSON *obj, const char *key, const char *value, int *bad)
{
    const char *v[] = {value, NULL};
    add_strv(obj, key, v, bad);
}

static faas_err_t check_spec(const faas_docker_container_spec_t *spec, faas_error_t *err)
{
    if (spec->image == NULL || spec->image[0] == '\0')
        return faas_error_set(err, FAAS_EINVAL, "create container: no image");
    const char *rp = spec->restart_policy;
    if (rp != NULL && strcmp(rp, "no") != 0 && strcmp(rp, "always") != 0 && strcmp(rp, "unless-stopped") != 0 &&
        strcmp(rp, "on-failure") != 0)
        return faas_error_set(err, FAAS_EINVAL, "create container: unknown restart policy \"%s\"", rp);
    if (spec->publish_loopback && spec->exposed_port == NULL)
        return faas_error_set(err, FAAS_EINVAL, "create container: publish_loopback needs exposed_port");
    /* The engine turns a relative source into a named volume and creates a missing one as an
       empty root-owned directory: refuse both here. */
    for (size_t i = 0; spec->binds != NULL && spec->binds[i] != NULL; i++) {
        const char *b = spec->binds[i], *colon = strchr(b, ':');
        char src[4096];
        struct stat st;
        if (b[0] != '/' || colon == NULL || colon[1] == '\0' || (size_t)(colon - b) >= sizeof(src))
            return faas_error_set(err, FAAS_EINVAL, "create container: bind \"%s\" is not /abs/host:/ctr[:ro]", b);
        snprintf(src, sizeof(src), "%.*s", (int)(colon - b), b);
        if (stat(src, &st) != 0)
            return faas_error_set(err, FAAS_EINVAL, "create container: bind source %s does not exist", src);
    }
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const faas_docker_mount_t *m = &spec->mounts[i];
        struct stat st;
        if (m->source == NULL || m->target == NULL || m->source[0] != '/' || m->target[0] != '/')
            return faas_error_set(err, FAAS_EINVAL, "create container: a mount needs absolute source and target");
        if (stat(m->source, &st) != 0)
            return faas_error_set(err, FAAS_EINVAL, "create container: mount source %s does not exist", m->source);
    }
    return FAAS_OK;
}

static void add_host_config(cJSON *root, const faas_docker_container_spec_t *s, int *bad)
{
    cJSON *hc = chk(cJSON_AddObjectToObject(root, "HostConfig"), bad);
    if (hc == NULL)
        return;
    if (s->network_mode != NULL)
        chk(cJSON_AddStringToObject(hc, "NetworkMode", s->network_mode), bad);
    if (s->memory_bytes > 0) {
        chk(cJSON_AddNumberToObject(hc, "Memory", (double)s->memory_bytes), bad);
        chk(cJSON_AddNumberToObject(hc, "MemorySwap", (double)s->memory_bytes), bad);
    }
    if (s->nano_cpus > 0)
        chk(cJSON_AddNumberToObject(hc, "NanoCpus", (double)s->nano_cpus), bad);
    if (s->pids_limit > 0)
        chk(cJSON_AddNumberToObject(hc, "PidsLimit", (double)s->pids_limit), bad);
    chk(cJSON_AddBoolToObject(hc, "ReadonlyRootfs", s->readonly_rootfs != 0), bad);
    chk(cJSON_AddBoolToObject(hc, "Init", s->init != 0), bad);
    if (s->tmpfs_tmp != NULL) {
        cJSON *t = chk(cJSON_AddObjectToObject(hc, "Tmpfs"), bad);
        chk(cJSON_AddStringToObject(t, "/tmp", s->tmpfs_tmp), bad);
    }
    if (s->cap_drop_all)
        add_one(hc, "CapDrop", "ALL", bad);
    if (s->cap_add != NULL)
        add_strv(hc, "CapAdd", s->cap_add, bad);
    if (s->no_new_privileges)
        add_one(hc, "SecurityOpt", "no-new-privileges", bad);
    if (s->binds != NULL)
        add_strv(hc, "Binds", s->binds, bad);
    cJSON *mounts = s->n_mounts > 0 ? chk(cJSON_AddArrayToObject(hc, "Mounts"), bad) : NULL;
    for (size_t i = 0; mounts != NULL && i < s->n_mounts; i++) {
        cJSON *m = chk(cJSON_CreateObject(), bad);
        if (m == NULL || !cJSON_AddItemToArray(mounts, m)) {
            cJSON_Delete(m);
            *bad = 1;
            break;
        }
        chk(cJSON_AddStringToObject(m, "Type", "bind"), bad);
        chk(cJSON_AddStringToObject(m, "Source", s->mounts[i].source), bad);
        chk(cJSON_AddStringToObject(m, "Target", s->mounts[i].target), bad);
        chk(cJSON_AddBoolToObject(m, "ReadOnly", s->mounts[i].read_only != 0), bad);
    }
    if (s->restart_policy != NULL) {
        cJSON *rp = chk(cJSON_AddObjectToObject(hc, "RestartPolicy"), bad);
        chk(cJSON_AddStringToObject(rp, "Name", s->restart_policy), bad);
        if (strcmp(s->restart_policy, "on-failure") == 0)
            chk(cJSON_AddNumberToObject(rp, "MaximumRetryCount", s->restart_max_retries), bad);
    }
    if (s->publish_loopback) {
        char port[16] = "";
        if (s->host_port > 0)
            snprintf(port, sizeof(port), "%d", s->host_port);
        cJSON *pb = chk(cJSON_AddObjectToObject(hc, "PortBindings"), bad);
        cJSON *arr = chk(cJSON_AddArrayToObject(pb, s->exposed_port), bad);
        cJSON *bind = chk(cJSON_CreateObject(), bad);
        chk(cJSON_AddStringToObject(bind, "HostIp", "127.0.0.1"), bad);
        chk(cJSON_AddStringToObject(bind, "HostPort", port), bad);
        if (arr == NULL || !cJSON_AddItemToArray(arr, bind))
            cJSON_Delete(bind);
    }
    if (s->log_max_size != NULL) {
        cJSON *lc = chk(cJSON_AddObjectToObject(hc, "LogConfig"), bad);
        chk(cJSON_AddStringToObject(lc, "Type", "json-file"), bad);
        cJSON *cfg = chk(cJSON_AddObjectToObject(lc, "Config"), bad);
        chk(cJSON_AddStringToObject(cfg, "max-size", s->log_max_size), bad);
    }
}

/* The body of POST /containers/create; NULL with err set on bad input or OOM. */
static char *spec_json(const faas_docker_container_spec_t *s, faas_error_t *err)
{
    int bad = 0;
    cJSON *labels = NULL;
    if (faas_docker__labels(s->labels, &labels, err) != FAAS_OK)
        return NULL;
    cJSON *root = cJSON_CreateObject();
    if (root == NULL || !cJSON_AddItemToObject(root, "Labels", labels)) {
        cJSON_Delete(labels);
        bad = 1;
    }
    chk(cJSON_AddStringToObject(root, "Image", s->image), &bad);
    if (s->entrypoint != NULL)
        add_strv(root, "Entrypoint", s->entrypoint, &bad);
    if (s->cmd != NULL)
        add_strv(root, "Cmd", s->cmd, &bad);
    if (s->env != NULL)
        add_strv(root, "Env", s->env, &bad);
    if (s->user != NULL)
        chk(cJSON_AddStringToObject(root, "User", s->user), &bad);
    chk(cJSON_AddBoolToObject(root, "Tty", 0), &bad);
    if (s->network_mode != NULL && strcmp(s->network_mode, "none") == 0)
        chk(cJSON_AddBoolToObject(root, "NetworkDisabled", 1), &bad);
    if (s->exposed_port != NULL) {
        cJSON *ep = chk(cJSON_AddObjectToObject(root, "ExposedPorts"), &bad);
        chk(cJSON_AddObjectToObject(ep, s->exposed_port), &bad);
    }
    add_host_config(root, s, &bad);
    char *json = bad ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (json == NULL)
        faas_error_set(err, FAAS_ENOMEM, "create container: out of memory");
    return json;
}

static void log_warnings(const cJSON *answer, const char *image)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(answer, "Warnings"))
    {
        if (cJSON_IsString(w))
            faas_log_warn("docker: create container from %s: %s", image, w->valuestring);
    }
}

faas_err_t faas_docker_container_create(faas_docker_t *d, const faas_docker_container_spec_t *spec,
                                        char id[FAAS_DOCKER_ID_MAX], faas_error_t *err)
{
    id[0] = '\0';
    if (check_spec(spec, err) != FAAS_OK)
        return FAAS_EINVAL;
    char *json = spec_json(spec, err);
    if (json == NULL)
        return err != NULL ? err->code : FAAS_EINVAL;
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/containers/create");
    if (spec->name != NULL) {
        faas_buf_adds(&path, "?name=");
        faas_docker__add_escaped(&path, spec->name);
    }
    faas_docker__req_t rq = {.method = "POST", .what = "create container", .content_type = "application/json",
                             .body = json, .body_len = strlen(json)};
    cJSON *answer = NULL;
    faas_err_t code = faas_docker__run(d, &rq, &path, err);
    if (code == FAAS_OK)
        code = faas_docker__take_json(&rq, cJSON_Object, &answer, err);
    if (code == FAAS_OK) {
        const cJSON *jid = cJSON_GetObjectItemCaseSensitive(answer, "Id");
        if (!cJSON_IsString(jid) || jid->valuestring[0] == '\0' || strlen(jid->valuestring) >= FAAS_DOCKER_ID_MAX)
            code = faas_error_set(err, FAAS_EDOCKER, "create container: answer has no usable Id");
        else
            memcpy(id, jid->valuestring, strlen(jid->valuestring) + 1);
        log_warnings(answer, spec->image);
    }
    cJSON_Delete(answer);
    free(rq.body_out.p);
    free(json);
    return code;
}

/* POST or DELETE on /containers/<id><suffix>, status only. */
static faas_err_t container_op(faas_docker_t *d, const char *method, const char *verb, const char *id,
                               const char *suffix, long timeout_ms, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "%s container %.80s", verb, id != NULL ? id : "");
    if (faas_docker__check_ref(id, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    faas_buf_t path = {0};
    faas_docker__add_path(&path, "containers", id, suffix);
    return faas_docker__simple(d, method, &path, what, timeout_ms, err);
}

faas_err_t faas_docker_container_start(faas_docker_t *d, const char *id, faas_error_t *err)
{
    return container_op(d, "POST", "start", id, "/start", 0, err);
}

faas_err_t faas_docker_container_pause(faas_docker_t *d, const char *id, faas_error_t *err)
{
    return container_op(d, "POST", "pause", id, "/pause", 0, err);
}

faas_err_t faas_docker_container_unpause(faas_docker_t *d, const char *id, faas_error_t *err)
{
    return container_op(d, "POST", "unpause", id, "/unpause", 0, err);
}

faas_err_t faas_docker_container_kill(faas_docker_t *d, const char *id, const char *signal, faas_error_t *err)
{
    faas_buf_t q = {0};
    faas_buf_adds(&q, "/kill?signal=");
    faas_docker__add_escaped(&q, signal != NULL ? signal : "SIGKILL");
    faas_err_t code = q.oom ? faas_error_set(err, FAAS_ENOMEM, "kill container: out of memory")
                            : container_op(d, "POST", "kill", id, q.p, 0, err);
    free(q.p);
    return code;
}

faas_err_t faas_docker_container_stop(faas_docker_t *d, const char *id, int timeout_s, faas_error_t *err)
{
    char suffix[32];
    timeout_s = timeout_s < 0 ? 0 : timeout_s;
    snprintf(suffix, sizeof(suffix), "/stop?t=%d", timeout_s);
    return container_op(d, "POST", "stop", id, suffix, (long)timeout_s * 1000 + FAAS_DOCKER_CALL_TIMEOUT_MS, err);
}

faas_err_t faas_docker_container_remove(faas_docker_t *d, const char *id, int force, faas_error_t *err)
{
    return container_op(d, "DELETE", "remove", id, force ? "?v=1&force=1" : "?v=1", 0, err);
}

faas_err_t faas_docker_container_inspect(faas_docker_t *d, const char *id, cJSON **out, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "inspect container %.80s", id != NULL ? id : "");
    *out = NULL;
    if (faas_docker__check_ref(id, what, err) != FAAS_OK)
        return FAAS_EINVAL;
    faas_buf_t path = {0};
    faas_docker__add_path(&path, "containers", id, "/json");
    return faas_docker__get_json(d, &path, what, cJSON_Object, out, err);
}

faas_err_t faas_docker_container_list(faas_docker_t *d, const char *const *labels, int all, cJSON **out,
                                      faas_error_t *err)
{
    faas_buf_t path = {0};
    faas_buf_adds(&path, all ? "/containers/json?all=1" : "/containers/json?all=0");
    if (labels != NULL && labels[0] != NULL) {
        faas_buf_adds(&path, "&filters=");
        faas_docker__add_filters(&path, NULL, labels, 0);
    }
    return faas_docker__get_json(d, &path, "list containers", cJSON_Array, out, err);
}
