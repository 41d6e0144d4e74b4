/*
 * service.c: operations on one service function: start, stop, delete, logs.
 * Each holds the function's name in the app's function locks while it runs.
 * Worker threads only.
 */
#include "internal.h"
#include "faas/tls/certs.h"
#include "faas/core/buf.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- start / stop / delete ---- */

/* Claims name and reads its record; on failure nothing stays claimed. */
static faas_err_t begin(faas_services_t *s, const char *name, faas_function_t *fn, faas_error_t *err)
{
    faas_err_t rc = faas_fnlock_take(s->app->locks, name, NULL, err);
    if (rc != FAAS_OK)
        return rc;
    rc = faas_store_function_get(s->app->store, name, fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "Function not found");
    if (rc != FAAS_OK)
        faas_fnlock_release(s->app->locks, name);
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
    faas_service__state_t st;
    faas_err_t rc = fn->container_id != NULL ? faas_service__inspect(s, fn->container_id, fn->container_port, &st, err)
                                             : faas_error_set(err, FAAS_ENOTFOUND, "no container");
    if (rc == FAAS_OK && !st.running) {
        rc = faas_docker_container_start(s->app->docker, fn->container_id, err);
        if (rc == FAAS_OK)
            rc = faas_service__inspect(s, fn->container_id, fn->container_port, &st, err);
    }
    if (rc == FAAS_OK) {
        snprintf(address, sizeof(address), "%s", st.address);
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
    faas_service__state_t st;
    if (fn.kind != FAAS_KIND_SERVICE)
        rc = faas_error_set(err, FAAS_EINVAL, "'%s' is a job function: run it with /api/execute", name);
    else if (fn.status == FAAS_FUNCTION_RUNNING && fn.container_id != NULL &&
             faas_service__inspect(s, fn.container_id, fn.container_port, &st, NULL) == FAAS_OK && st.running)
        rc = FAAS_OK; /* already running: starting is idempotent */
    else
        rc = faas_service__bring_up(s, &fn, err);
    if (rc == FAAS_OK)
        faas_proxy_publish(s->app->proxy, s->app->store, NULL, NULL);
    faas_fnlock_release(s->app->locks, name);
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
    faas_fnlock_release(s->app->locks, name);
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
    faas_fnlock_release(s->app->locks, name);
    faas_function_free(&fn);
    return rc;
}

/* ---- logs ---- */

static void on_log(void *cbdata, int stream, const char *data, size_t len)
{
    (void)stream;
    faas_buf_add(cbdata, data, len);
}

faas_err_t faas_service_logs(faas_services_t *s, const char *name, int build, int tail, char **text, size_t *len,
                             faas_error_t *err)
{
    faas_function_t fn = {0};
    faas_err_t rc = faas_store_function_get(s->app->store, name, &fn, err);
    if (rc == FAAS_ENOTFOUND)
        rc = faas_error_set(err, FAAS_ENOTFOUND, "Function not found");
    faas_buf_t t = {0};
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
