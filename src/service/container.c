/*
 * container.c: the Docker side of one version of a service function:
 * make its volume folders (never through a symlink) and check them against
 * the function's other containers, create and start its container
 * (labelled, limited, few capabilities, on the functions' network), find its
 * address, wait until it answers HTTP, and retire an old version once
 * traffic has moved off it. Worker threads only.
 */
#include "internal.h"
#include "faas/core/labels.h"
#include "faas/core/uuid.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENV 256
#define MAX_BINDS 32
#define PROBE_TIMEOUT_MS 1000
#define LOG_TAIL_LINES 20

faas_config_t *faas_service__config(faas_services_t *s)
{
    return faas_app_config(s->app);
}

/* Splits a comma-separated list in place into out (at most max items, NULL-terminated). */
static size_t split_list(char *list, char **out, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *tok = list ? strtok_r(list, ",", &save) : NULL; tok != NULL && n < max; tok = strtok_r(NULL, ",", &save))
        out[n++] = tok;
    out[n] = NULL;
    return n;
}

/*
 * What a service keeps of Docker's default capabilities: files (CHOWN, DAC_OVERRIDE, FOWNER),
 * switching to another user (SETUID, SETGID: servers and package managers that drop root),
 * ports below 1024 (NET_BIND_SERVICE) and signals to its own processes of other users (KILL).
 * Dropped: NET_RAW (raw and packet sockets: ARP and DNS spoofing of the other functions on the
 * shared network), MKNOD, AUDIT_WRITE, SETFCAP, SETPCAP, SYS_CHROOT and FSETID, which no web
 * server needs. With no-new-privileges, nothing gets them back through a setuid file.
 */
static const char *const service_caps[] = {"CHOWN",  "DAC_OVERRIDE",     "FOWNER", "SETUID",
                                           "SETGID", "NET_BIND_SERVICE", "KILL",   NULL};

/* The strings a container's create spec points at. */
typedef struct spec_strings {
    char *env[MAX_ENV];           /* "PORT=..." then the function's env, NULL-terminated */
    char *binds[MAX_BINDS + 1];   /* pointers into binds_buf */
    char *binds_buf;
    char function_label[96], build_label[96];
    const char *labels[6];
    char name[128];
} spec_strings_t;

static void strings_free(spec_strings_t *st)
{
    for (size_t i = 0; i < MAX_ENV && st->env[i] != NULL; i++)
        free(st->env[i]);
    free(st->binds_buf);
}

static faas_err_t fill_spec(faas_services_t *s, const faas_version_t *v, const faas_config_t *cfg, spec_strings_t *st,
                            faas_docker_container_spec_t *spec, faas_error_t *err)
{
    if (v->env_len + 2 > MAX_ENV)
        return faas_error_set(err, FAAS_ETOOLARGE, "more than %d environment variables", MAX_ENV - 2);
    if (asprintf(&st->env[0], "PORT=%d", v->container_port) < 0)
        st->env[0] = NULL;
    for (size_t i = 0; st->env[0] != NULL && i < v->env_len; i++)
        if (asprintf(&st->env[i + 1], "%s=%s", v->env[i].name, v->env[i].value) < 0)
            return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    st->binds_buf = v->binds != NULL ? strdup(v->binds) : NULL;
    if (st->env[0] == NULL || (v->binds != NULL && st->binds_buf == NULL))
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    split_list(st->binds_buf, st->binds, MAX_BINDS);
    snprintf(st->function_label, sizeof(st->function_label), FAAS_LABEL_FUNCTION "=%s", v->name);
    snprintf(st->build_label, sizeof(st->build_label), FAAS_LABEL_BUILD "=%s", v->build_id ? v->build_id : "");
    const char *extra[] = {FAAS_LABEL_KIND "=service", st->function_label, st->build_label, NULL};
    faas_app_labels(s->app, extra, st->labels, sizeof(st->labels) / sizeof(st->labels[0]));
    char hex[FAAS_UUID_LEN];
    faas_uuid_new(hex);
    snprintf(st->name, sizeof(st->name), "%s-%s-%.8s", cfg->docker.image_prefix, v->name, hex);
    *spec = (faas_docker_container_spec_t){
        .name = st->name, .image = v->image, .env = (const char *const *)st->env,
        .binds = (const char *const *)st->binds, .labels = st->labels, .network_mode = s->network,
        .memory_bytes = v->memory > 0 ? v->memory : cfg->limits.memory,
        .nano_cpus = v->nano_cpus > 0 ? v->nano_cpus : cfg->limits.nano_cpus, .pids_limit = cfg->limits.pids,
        .cap_drop_all = 1, .cap_add = service_caps, .no_new_privileges = 1, .init = 1,
        .restart_policy = "no", .log_max_size = "10m", /* faas restarts (crash.c) */
    };
    return FAAS_OK;
}

/* ---- the folders of a function's own volumes: never through a symlink ---- */

/* 1 if path is base or below it. */
static int under(const char *path, const char *base)
{
    size_t n = strlen(base);
    return strncmp(path, base, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Makes (when missing) and opens each folder of rel below dirfd, which it takes over; a symlink or a
 * file on the way fails with nothing created through it. */
static faas_err_t walk_dirs(int dirfd, const char *rel, const char *bind, faas_error_t *err)
{
    char buf[4096], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", rel);
    faas_err_t rc = FAAS_OK;
    for (char *c = strtok_r(buf, "/", &save); rc == FAAS_OK && c != NULL; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, "..") == 0) { /* binds are normalised: only a hand-edited record has one */
            rc = faas_error_set(err, FAAS_EFORBIDDEN, "volume %s: has a \"..\" component", bind);
            break;
        }
        if (mkdirat(dirfd, c, 0755) != 0 && errno != EEXIST) {
            rc = faas_error_set(err, faas_err_from_errno(errno, FAAS_EIO), "volume %s: cannot create %s: %s", bind, c,
                                strerror(errno));
            break;
        }
        int next = openat(dirfd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            rc = errno == ELOOP || errno == ENOTDIR
                     ? faas_error_set(err, FAAS_EFORBIDDEN, "volume %s: \"%s\" on its way is a symlink or a file: "
                                      "faas neither creates nor binds anything through it", bind, c)
                     : faas_error_set(err, FAAS_EIO, "volume %s: cannot open %s: %s", bind, c, strerror(errno));
        close(dirfd);
        dirfd = next;
    }
    if (dirfd >= 0)
        close(dirfd);
    return rc;
}

faas_err_t faas_service__volume_dirs(const faas_config_t *cfg, const char *name, const char *binds, faas_error_t *err)
{
    char data_dir[PATH_MAX] = "", base[PATH_MAX + 128], *list = binds != NULL ? strdup(binds) : NULL, *save = NULL;
    if (binds == NULL)
        return FAAS_OK;
    if (list == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    faas_err_t rc = realpath(cfg->data_dir, data_dir) != NULL
                        ? FAAS_OK
                        : faas_error_set(err, FAAS_EIO, "data_dir %s: %s", cfg->data_dir, strerror(errno));
    snprintf(base, sizeof(base), "%s/volumes/%s", data_dir, name);
    for (char *b = strtok_r(list, ",", &save); rc == FAAS_OK && b != NULL; b = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(b, ':');
        if (colon != NULL)
            *colon = '\0';
        if (!under(b, base))
            continue; /* a folder volume_allowed allowed: the operator's */
        int fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rc = fd < 0 ? faas_error_set(err, FAAS_EIO, "data_dir %s: %s", data_dir, strerror(errno))
                    : walk_dirs(fd, b + strlen(data_dir), b, err);
    }
    free(list);
    return rc;
}

/* The host side of each bind of binds into out (at most max); their writability into rw. */
static size_t bind_sources(char *binds, char **out, int *rw, size_t max)
{
    char *items[MAX_BINDS + 1];
    size_t n = split_list(binds, items, max < MAX_BINDS ? max : MAX_BINDS);
    for (size_t i = 0; i < n; i++) {
        char *colon = strchr(items[i], ':'), *mode = colon != NULL ? strchr(colon + 1, ':') : NULL;
        rw[i] = mode == NULL || strcmp(mode, ":ro") != 0;
        if (colon != NULL)
            *colon = '\0';
        out[i] = items[i];
    }
    return n;
}

/* Whether one mount of a container (Docker's Mounts entry) and the new binds nest the dangerous way. */
static faas_err_t mount_apart(const cJSON *mount, char **src, const int *rw, size_t n, faas_error_t *err)
{
    const char *other = cJSON_GetStringValue(cJSON_GetObjectItem(mount, "Source"));
    int other_rw = cJSON_IsTrue(cJSON_GetObjectItem(mount, "RW"));
    for (size_t i = 0; other != NULL && i < n; i++) {
        if (strcmp(src[i], other) == 0)
            continue;
        if ((other_rw && under(src[i], other)) || (rw[i] && under(other, src[i])))
            return faas_error_set(err, FAAS_ECONFLICT,
                                  "volume folder %.400s and %.400s, which a container of this function mounts, lie "
                                  "one inside the other with the outer one writable: that container could swap the "
                                  "inner folder for a symlink while this version starts; keep them apart, or delete "
                                  "the function first", src[i], other);
    }
    return FAAS_OK;
}

faas_err_t faas_service__volumes_apart(faas_services_t *s, const char *name, const char *binds, faas_error_t *err)
{
    char function[96], *list = binds != NULL ? strdup(binds) : NULL, *src[MAX_BINDS + 1];
    int rw[MAX_BINDS + 1];
    if (binds == NULL)
        return FAAS_OK;
    if (list == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    size_t n = bind_sources(list, src, rw, MAX_BINDS);
    snprintf(function, sizeof(function), FAAS_LABEL_FUNCTION "=%s", name);
    const char *extra[] = {function, NULL}, *labels[4];
    cJSON *containers = NULL, *c, *m;
    faas_err_t rc = faas_docker_container_list(s->app->docker, faas_app_labels(s->app, extra, labels, 4), 1, &containers,
                                               err);
    cJSON_ArrayForEach(c, containers) {
        cJSON_ArrayForEach(m, cJSON_GetObjectItem(c, "Mounts")) {
            if (rc == FAAS_OK)
                rc = mount_apart(m, src, rw, n, err);
        }
    }
    cJSON_Delete(containers);
    free(list);
    return rc;
}

/* ---- a version's container ---- */

faas_err_t faas_service__run_container(faas_services_t *s, const faas_version_t *v, char id[FAAS_DOCKER_ID_MAX],
                                       char address[FAAS_SERVICE_ADDRESS_MAX], faas_error_t *err)
{
    faas_config_t *cfg = faas_service__config(s);
    spec_strings_t st = {0};
    faas_docker_container_spec_t spec;
    faas_service__state_t state;
    id[0] = '\0';
    address[0] = '\0';
    faas_service__secrets_t secrets = {0};
    int64_t t0 = faas_clock_mono_ms(), t_write = 0, t_own = 0;
    faas_err_t rc = fill_spec(s, v, cfg, &st, &spec, err);
    if (rc == FAAS_OK) /* again now: Docker binds whatever the path leads to at this moment */
        rc = faas_service__volume_dirs(cfg, v->name, v->binds, err);
    if (rc == FAAS_OK && (rc = faas_service__secrets_write(s, v, st.name, &secrets, err)) == FAAS_OK) {
        spec.mounts = secrets.mounts;
        spec.n_mounts = secrets.n;
        t_write = faas_clock_mono_ms() - t0;
    }
    if (rc == FAAS_OK)
        rc = faas_docker_container_create(s->app->docker, &spec, id, err);
    int64_t t1 = faas_clock_mono_ms();
    if (rc == FAAS_OK) /* before the start: the image's user is known, its process not yet running */
        rc = faas_service__secrets_own(s, &secrets, id, v->image, err);
    t_own = faas_clock_mono_ms() - t1;
    if (rc == FAAS_OK)
        rc = faas_docker_container_start(s->app->docker, id, err);
    if (rc == FAAS_OK) /* what secrets add to a start: the measure of their cost */
        faas_log_debug("service %s: container %.12s started in %lld ms, %zu secret%s (files %lld ms, owner %lld ms)",
                       v->name, id, (long long)(faas_clock_mono_ms() - t0), secrets.n, secrets.n == 1 ? "" : "s",
                       (long long)t_write, (long long)t_own);
    if (rc == FAAS_OK && (rc = faas_service__inspect(s, id, v->container_port, &state, err)) == FAAS_OK)
        snprintf(address, FAAS_SERVICE_ADDRESS_MAX, "%s", state.address);
    if (rc == FAAS_OK && address[0] == '\0')
        rc = faas_error_set(err, FAAS_EDOCKER, "container %.12s has no address on network %s", id, s->network);
    if (rc != FAAS_OK && id[0] != '\0') {
        faas_service__remove(s, id, NULL);
        id[0] = '\0';
    }
    faas_service__secrets_done(&secrets, rc != FAAS_OK); /* the files stay with a container that runs */
    strings_free(&st);
    faas_config_unref(cfg);
    return rc;
}

faas_err_t faas_service__inspect(faas_services_t *s, const char *id, int container_port, faas_service__state_t *st,
                                 faas_error_t *err)
{
    cJSON *info = NULL;
    *st = (faas_service__state_t){.started_ms = -1};
    faas_err_t rc = faas_docker_container_inspect(s->app->docker, id, &info, err);
    if (rc != FAAS_OK)
        return rc;
    cJSON *state = cJSON_GetObjectItem(info, "State");
    st->running = cJSON_IsTrue(cJSON_GetObjectItem(state, "Running"));
    st->paused = cJSON_IsTrue(cJSON_GetObjectItem(state, "Paused"));
    st->exit_code = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(state, "ExitCode"));
    st->oom_killed = cJSON_IsTrue(cJSON_GetObjectItem(state, "OOMKilled"));
    st->started_ms = faas_clock_parse_rfc3339(cJSON_GetStringValue(cJSON_GetObjectItem(state, "StartedAt")));
    cJSON *nets = cJSON_GetObjectItem(cJSON_GetObjectItem(info, "NetworkSettings"), "Networks");
    const char *ip = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(nets, s->network), "IPAddress"));
    if (ip != NULL && ip[0] != '\0')
        snprintf(st->address, sizeof(st->address), "%s:%d", ip, container_port);
    cJSON_Delete(info);
    return FAAS_OK;
}

/* One HTTP request to address: 0 if a status line came back within timeout_ms. */
int faas_service__probe(const char *address, int timeout_ms)
{
    struct sockaddr_in sa;
    if (faas_routes_parse_address(address, &sa) != 0)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), ok = -1;
    if (fd < 0)
        return -1;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    static const char request[] = "GET / HTTP/1.1\r\nHost: faas-ready-check\r\nConnection: close\r\n\r\n";
    if ((connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS) && poll(&p, 1, timeout_ms) == 1 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0 &&
        send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof(request) - 1)) {
        char buf[16];
        size_t got = 0;
        p.events = POLLIN;
        while (got < 5 && poll(&p, 1, timeout_ms) == 1) {
            ssize_t n = recv(fd, buf + got, sizeof(buf) - got, 0);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        ok = got >= 5 && memcmp(buf, "HTTP/", 5) == 0 ? 0 : -1;
    }
    close(fd);
    return ok;
}

static void on_log(void *cbdata, int stream, const char *data, size_t len)
{
    (void)stream;
    faas_log_tail_add(cbdata, data, len);
}

/* 1 if the container's process has ended at least once (its restart policy may have started it
 * again, so "running" alone does not say it never died). */
static int has_died(faas_services_t *s, const char *id)
{
    cJSON *info = NULL;
    if (faas_docker_container_inspect(s->app->docker, id, &info, NULL) != FAAS_OK)
        return 0;
    cJSON *state = cJSON_GetObjectItem(info, "State");
    int died = !cJSON_IsTrue(cJSON_GetObjectItem(state, "Running")) ||
               cJSON_IsTrue(cJSON_GetObjectItem(state, "Restarting")) ||
               cJSON_GetNumberValue(cJSON_GetObjectItem(info, "RestartCount")) > 0;
    cJSON_Delete(info);
    return died;
}

void faas_service__last_output(faas_services_t *s, const char *id, faas_log_tail_t *tail)
{
    *tail = (faas_log_tail_t){.len = 0};
    faas_docker_container_logs(s->app->docker, id, LOG_TAIL_LINES, on_log, tail, NULL);
}

/* The last output on one line, for an error message. */
static const char *one_line(faas_log_tail_t *tail)
{
    for (char *c = tail->text; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return tail->len ? tail->text : "(none)";
}

static faas_err_t exited(faas_services_t *s, const char *id, faas_error_t *err)
{
    faas_log_tail_t tail;
    faas_service__last_output(s, id, &tail);
    return faas_error_set(err, FAAS_EINVAL, "the container exited before answering HTTP; its last output: %s",
                          one_line(&tail));
}

/* The container runs but nothing answers on its port: most often the code listens on another. */
static faas_err_t never_answered(faas_services_t *s, const char *id, const char *address, int64_t timeout_ms,
                                 faas_error_t *err)
{
    faas_log_tail_t tail;
    faas_service__last_output(s, id, &tail);
    const char *port = strrchr(address, ':');
    return faas_error_set(err, FAAS_ETIMEOUT,
                          "the container runs but nothing answered HTTP on port %s (the $PORT it is given) within "
                          "%lld s: does the code listen on $PORT? Its last output: %s",
                          port != NULL ? port + 1 : address, (long long)(timeout_ms / 1000), one_line(&tail));
}

faas_err_t faas_service__wait_ready(faas_services_t *s, const char *id, const char *address, int64_t timeout_ms,
                                    faas_error_t *err)
{
    int64_t start = faas_clock_mono_ms(), deadline = start + timeout_ms, next_inspect = start + 500;
    for (;;) {
        int64_t now = faas_clock_mono_ms();
        int64_t left = deadline - now;
        if (faas_service__probe(address, (int)(left < PROBE_TIMEOUT_MS ? (left > 0 ? left : 1) : PROBE_TIMEOUT_MS)) == 0)
            return FAAS_OK;
        now = faas_clock_mono_ms();
        if (now >= deadline)
            return has_died(s, id) ? exited(s, id, err) : never_answered(s, id, address, timeout_ms, err);
        if (now >= next_inspect) {
            if (has_died(s, id))
                return exited(s, id, err);
            next_inspect = now + 500;
        }
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000000};
        nanosleep(&ts, NULL);
    }
}

void faas_service__remove(faas_services_t *s, const char *container_id, const char *image)
{
    faas_error_t err = {0};
    if (container_id != NULL && container_id[0] != '\0') {
        faas_err_t rc = faas_docker_container_remove(s->app->docker, container_id, 1, &err);
        if (rc != FAAS_OK && rc != FAAS_ENOTFOUND)
            faas_log_warn("service: %s", err.msg);
    }
    if (image != NULL && image[0] != '\0') {
        faas_err_t rc = faas_docker_image_remove(s->app->docker, image, 1, &err);
        if (rc != FAAS_OK && rc != FAAS_ENOTFOUND)
            faas_log_warn("service: %s", err.msg);
    }
}

void faas_service__retiring_add(faas_services_t *s, const char *id)
{
    retiring_t *r = calloc(1, sizeof(*r));
    if (r == NULL || id == NULL) {
        free(r);
        return;
    }
    snprintf(r->id, sizeof(r->id), "%s", id);
    pthread_mutex_lock(&s->mutex);
    r->next = s->retiring;
    s->retiring = r;
    pthread_mutex_unlock(&s->mutex);
}

void faas_service__retiring_remove(faas_services_t *s, const char *id)
{
    pthread_mutex_lock(&s->mutex);
    for (retiring_t **p = &s->retiring; id != NULL && *p != NULL; p = &(*p)->next) {
        if (strcmp((*p)->id, id) == 0) {
            retiring_t *r = *p;
            *p = r->next;
            free(r);
            break;
        }
    }
    pthread_mutex_unlock(&s->mutex);
}

int faas_service__retiring(faas_services_t *s, const char *id)
{
    int found = 0;
    pthread_mutex_lock(&s->mutex);
    for (retiring_t *r = s->retiring; r != NULL && !found; r = r->next)
        found = strcmp(r->id, id) == 0;
    pthread_mutex_unlock(&s->mutex);
    return found;
}

static int same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* 1 if the record fn (when exists) still lists container id. */
static int still_listed(const faas_function_t *fn, int exists, const char *id)
{
    for (size_t i = 0; exists && i < fn->n_replicas; i++)
        if (same(fn->replicas[i].id, id))
            return 1;
    return 0;
}

void faas_service__switch(faas_services_t *s, const char *name, const faas_replica_t *old, size_t n_old,
                          const char *old_image, int old_port)
{
    faas_error_t err = {0};
    faas_routes_t *routes = NULL;
    if (s->swarm)
        n_old = 0; /* tasks, not containers: Swarm retires them (swarm.c) */
    for (size_t i = 0; i < n_old; i++)
        faas_service__retiring_add(s, old[i].id);
    if (faas_proxy_publish(s->app->proxy, s->app->store, &routes, &err) != FAAS_OK) {
        for (size_t i = 0; i < n_old; i++)
            faas_service__retiring_remove(s, old[i].id);
        /* Not switched: keep the old version; the next reconcile publishes again. */
        faas_log_error("service %s: %s", name, err.msg);
        return;
    }
    faas_config_t *cfg = faas_service__config(s);
    if (faas_proxy_wait_switched(routes, faas_clock_mono_ms() + 10000) != 0)
        faas_log_warn("service %s: a loop took more than 10 s to take the new routes", name);
    const faas_route_t *route = faas_routes_find(routes, name, strlen(name));
    int64_t deadline = faas_clock_mono_ms() + cfg->limits.upstream_timeout_ms;
    for (size_t i = 0; route != NULL && i < route->n_upstreams; i++)
        if (faas_proxy_wait_drained(route->upstreams[i], deadline) != 0)
            faas_log_warn("service %s: requests to %s still running at the deadline", name, route->upstreams[i]->text);
    faas_routes_unref(routes);
    faas_config_unref(cfg);

    faas_function_t now_fn = {0};
    int exists = faas_store_function_get(s->app->store, name, &now_fn, NULL) == FAAS_OK;
    for (size_t i = 0; i < n_old; i++)
        if (!still_listed(&now_fn, exists, old[i].id))
            faas_service__remove(s, old[i].id, NULL);
    faas_service__remove(s, NULL, same(old_image, exists ? now_fn.image_id : NULL) ? NULL : old_image);
    if (old_port > 0 && (!exists || now_fn.port != old_port))
        faas_proxy_release_port(s->app->proxy, old_port, name);
    for (size_t i = 0; i < n_old; i++)
        faas_service__retiring_remove(s, old[i].id);
    faas_function_free(&now_fn);
}
