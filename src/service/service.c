/*
 * service.c: operations on one service function: start, stop, delete, logs,
 * and the busy set that keeps two operations on one function from running at
 * once (a deploy holds it from upload to switch). Worker threads only.
 */
#include "internal.h"
#include "faas/tls/certs.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

faas_services_t *faas_services_create(faas_app_t *app)
{
    faas_services_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        abort();
    s->app = app;
    pthread_mutex_init(&s->mutex, NULL);
    pthread_cond_init(&s->released, NULL);
    faas_config_t *cfg = faas_app_config(app);
    snprintf(s->network, sizeof(s->network), "%s-functions", cfg->docker.image_prefix);
    faas_config_unref(cfg);
    return s;
}

/* ---- the busy set ---- */

#define BACKGROUND_WAIT_MS 60000 /* a reconcile bringing a container back waits for its start */

static busy_t *find_busy(faas_services_t *s, const char *name)
{
    for (busy_t *b = s->busy; b != NULL; b = b->next)
        if (strcmp(b->name, name) == 0)
            return b;
    return NULL;
}

/* Adds an entry; s->mutex held. */
static int add_busy(faas_services_t *s, const char *name, const char *build_id, int background)
{
    busy_t *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return -1;
    snprintf(b->name, sizeof(b->name), "%s", name);
    snprintf(b->build_id, sizeof(b->build_id), "%s", build_id != NULL ? build_id : "");
    b->background = background;
    b->next = s->busy;
    s->busy = b;
    return 0;
}

faas_err_t faas_service__claim(faas_services_t *s, const char *name, const char *build_id, faas_error_t *err)
{
    int64_t deadline = faas_clock_now_ms() + BACKGROUND_WAIT_MS;
    pthread_mutex_lock(&s->mutex);
    busy_t *b;
    while ((b = find_busy(s, name)) != NULL && b->background && faas_clock_now_ms() < deadline) {
        struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
        pthread_cond_timedwait(&s->released, &s->mutex, &ts);
    }
    faas_err_t rc = FAAS_OK;
    if (b != NULL)
        rc = faas_error_set(err, FAAS_ECONFLICT, b->build_id[0] ? "a deploy of '%s' is in progress"
                                                              : "another operation on '%s' is in progress", name);
    else if (add_busy(s, name, build_id, 0) != 0)
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

int faas_service__claim_background(faas_services_t *s, const char *name)
{
    pthread_mutex_lock(&s->mutex);
    int rc = find_busy(s, name) == NULL ? add_busy(s, name, NULL, 1) : -1;
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

void faas_service__release(faas_services_t *s, const char *name)
{
    pthread_mutex_lock(&s->mutex);
    for (busy_t **p = &s->busy; *p != NULL; p = &(*p)->next) {
        if (strcmp((*p)->name, name) == 0) {
            busy_t *b = *p;
            *p = b->next;
            free(b);
            break;
        }
    }
    pthread_cond_broadcast(&s->released);
    pthread_mutex_unlock(&s->mutex);
}

int faas_service__busy(faas_services_t *s, const char *name, const char *build_id)
{
    int found = 0;
    pthread_mutex_lock(&s->mutex);
    for (busy_t *b = s->busy; b != NULL && !found; b = b->next)
        found = (name == NULL || strcmp(b->name, name) == 0) &&
                (build_id == NULL || strcmp(b->build_id, build_id) == 0);
    pthread_mutex_unlock(&s->mutex);
    return found;
}

faas_err_t faas_services_claim(faas_services_t *s, const char *name, faas_error_t *err)
{
    return faas_service__claim(s, name, NULL, err);
}

void faas_services_release(faas_services_t *s, const char *name)
{
    faas_service__release(s, name);
}

/* ---- start / stop / delete ---- */

/* Claims name and reads its record; on failure nothing stays claimed. */
static faas_err_t begin(faas_services_t *s, const char *name, faas_function_t *fn, faas_error_t *err)
{
    faas_err_t rc = faas_service__claim(s, name, NULL, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_store_function_get(s->app->store, name, fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "Function not found");
    if (rc != FAAS_OK)
        faas_service__release(s, name);
    return rc;
}

typedef struct running_fix {
    faas_function_status_t status;
    const char *container, *address;
} running_fix_t;

static faas_err_t on_running_fix(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    running_fix_t *f = cbdata;
    fn->status = f->status;
    fn->updated_at = faas_clock_now_ms();
    char *c = f->container ? strdup(f->container) : NULL, *a = f->address ? strdup(f->address) : NULL;
    if ((f->container && c == NULL) || (f->address && a == NULL)) {
        free(c);
        free(a);
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    }
    if (f->container != NULL) {
        free(fn->container_id);
        fn->container_id = c;
    }
    if (f->address != NULL) {
        free(fn->address);
        fn->address = a;
    }
    return FAAS_OK;
}

faas_err_t faas_service__bring_up(faas_services_t *s, const faas_function_t *fn, faas_error_t *err)
{
    faas_config_t *cfg = faas_service__config(s);
    char address[FAAS_SERVICE_ADDRESS_MAX] = "", fresh[FAAS_DOCKER_ID_MAX] = "";
    int running = 0;
    faas_err_t rc = fn->container_id != NULL
                        ? faas_service__inspect(s, fn->container_id, fn->container_port, &running, address, err)
                        : faas_error_set(err, FAAS_ENOTFOUND, "no container");
    if (rc == FAAS_OK && !running) {
        rc = faas_docker_container_start(s->app->docker, fn->container_id, err);
        if (rc == FAAS_OK)
            rc = faas_service__inspect(s, fn->container_id, fn->container_port, &running, address, err);
    } else if (rc == FAAS_ENOTFOUND) {
        /* The container is gone (removed by hand, engine reset): a new one from the same image. */
        faas_version_t v = {.name = fn->name, .build_id = fn->build.id, .image = fn->image_id,
                            .container_port = fn->container_port, .env = fn->env, .env_len = fn->env_len,
                            .binds = fn->binds};
        rc = fn->image_id != NULL ? faas_service__run_container(s, &v, fresh, address, err)
                                  : faas_error_set(err, FAAS_ENOTFOUND, "'%s' has no image: deploy it again", fn->name);
    }
    const char *id = fresh[0] ? fresh : fn->container_id;
    if (rc == FAAS_OK)
        rc = faas_service__wait_ready(s, id, address, cfg->limits.start_timeout_ms, err);
    if (rc == FAAS_OK) {
        running_fix_t fix = {.status = FAAS_FUNCTION_RUNNING, .container = id, .address = address};
        rc = faas_store_function_update(s->app->store, fn->name, on_running_fix, &fix, NULL, err);
    }
    if (rc != FAAS_OK && fresh[0] != '\0')
        faas_service__remove(s, fresh, NULL);
    faas_config_unref(cfg);
    return rc;
}

faas_err_t faas_service_start(faas_services_t *s, const char *name, faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = begin(s, name, &fn, err);
    if (rc != FAAS_OK)
        return rc;
    int running = 0;
    char address[FAAS_SERVICE_ADDRESS_MAX];
    if (fn.kind != FAAS_KIND_SERVICE)
        rc = faas_error_set(err, FAAS_EINVAL, "'%s' is a job function: run it with /api/execute", name);
    else if (fn.status == FAAS_FUNCTION_RUNNING && fn.container_id != NULL &&
             faas_service__inspect(s, fn.container_id, fn.container_port, &running, address, NULL) == FAAS_OK &&
             running)
        rc = faas_error_set(err, FAAS_ECONFLICT, "Function already running");
    else
        rc = faas_service__bring_up(s, &fn, err);
    if (rc == FAAS_OK)
        faas_proxy_publish(s->app->proxy, s->app->store, NULL, NULL);
    faas_service__release(s, name);
    faas_function_free(&fn);
    return rc;
}

faas_err_t faas_service_stop(faas_services_t *s, const char *name, faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = begin(s, name, &fn, err);
    if (rc != FAAS_OK)
        return rc;
    if (fn.kind != FAAS_KIND_SERVICE)
        rc = faas_error_set(err, FAAS_EINVAL, "'%s' is a job function: it runs only when executed", name);
    running_fix_t fix = {.status = FAAS_FUNCTION_STOPPED};
    if (rc == FAAS_OK)
        rc = faas_store_function_update(s->app->store, name, on_running_fix, &fix, NULL, err);
    if (rc == FAAS_OK) {
        /* Traffic first (503 from now on, requests in flight finish), then the container. */
        faas_service__switch(s, name, NULL, NULL, 0);
        faas_err_t stopped = fn.container_id != NULL ? faas_docker_container_stop(s->app->docker, fn.container_id, 10, err)
                                                     : FAAS_OK;
        if (stopped != FAAS_OK && stopped != FAAS_ENOTFOUND) /* a container already gone is stopped enough */
            rc = stopped;
    }
    faas_service__release(s, name);
    faas_function_free(&fn);
    return rc;
}

int faas_service__tls_host(faas_services_t *s, const faas_config_t *cfg, const char *name, char *out, size_t size)
{
    if (s->app->certs == NULL || cfg->domain == NULL || cfg->domain[0] == '\0')
        return 0;
    return snprintf(out, size, "%s.%s", name, cfg->domain) < (int)size;
}

faas_err_t faas_service_delete(faas_services_t *s, const char *name, faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = begin(s, name, &fn, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_store_function_delete(s->app->store, name, err);
    if (rc == FAAS_OK) {
        faas_service__switch(s, name, fn.container_id, fn.image_id, fn.port);
        faas_service__remove(s, NULL, fn.prev_image);
        faas_config_t *cfg = faas_service__config(s);
        char host[320];
        if (faas_service__tls_host(s, cfg, name, host, sizeof(host)))
            faas_certs_forget(s->app->certs, host); /* no renewals for a name nothing serves */
        faas_config_unref(cfg);
        faas_log_info("service %s: deleted", name);
    }
    faas_service__release(s, name);
    faas_function_free(&fn);
    return rc;
}

/* ---- logs ---- */

typedef struct text {
    char *p;
    size_t len, cap;
    int oom;
} text_t;

static void on_log(void *cbdata, int stream, const char *data, size_t len)
{
    (void)stream;
    text_t *t = cbdata;
    if (t->oom || len == 0)
        return;
    if (t->len + len + 1 > t->cap) {
        size_t cap = (t->len + len + 1) * 2;
        char *p = realloc(t->p, cap);
        if (p == NULL) {
            t->oom = 1;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->len, data, len);
    t->len += len;
    t->p[t->len] = '\0';
}

faas_err_t faas_service_logs(faas_services_t *s, const char *name, int build, int tail, char **text, size_t *len,
                             faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = faas_store_function_get(s->app->store, name, &fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "Function not found");
    text_t t = {0};
    if (rc == FAAS_OK && build) {
        rc = fn.build.id != NULL ? faas_store_build_log_read(s->app->store, fn.build.id, 0, &t.p, &t.len, err)
                                 : faas_error_set(err, FAAS_ENOTFOUND, "'%s' has no build", name);
    } else if (rc == FAAS_OK && fn.container_id != NULL) {
        rc = faas_docker_container_logs(s->app->docker, fn.container_id, tail > 0 ? tail : -1, on_log, &t, err);
        if (rc == FAAS_OK && t.oom)
            rc = faas_error_set(err, FAAS_ENOMEM, "out of memory reading logs");
    }
    faas_function_free(&fn);
    if (rc != FAAS_OK) {
        free(t.p);
        return rc;
    }
    *text = t.p != NULL ? t.p : strdup("");
    *len = t.len;
    return *text != NULL ? FAAS_OK : faas_error_set(err, FAAS_ENOMEM, "out of memory");
}
