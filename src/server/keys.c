/*
 * keys.c (server): the life of the named API keys' table (core/keys.h) around the store: loaded
 * at start-up, their last use written back at most once a minute (a periodic task on the worker
 * pool: checks on the loops only note it in memory) and once more at stop. Start and stop: main
 * thread; the periodic write: a worker.
 */
#include "internal.h"
#include "faas/core/keys.h"
#include "faas/core/log.h"
#include "faas/store/store.h"

#include <stdlib.h>

#define KEYS_SAVE_INTERVAL_MS 60000

static int64_t save_interval(void *data)
{
    (void)data;
    return KEYS_SAVE_INTERVAL_MS;
}

/* Writes the last use of every key used since the previous write; on failure the next run retries. */
static void save_uses(void *data)
{
    faas_app_t *app = data;
    faas_key_info_t *uses;
    faas_error_t err = {0};
    int oom;
    size_t n = faas_keys_uses(app->keys, &uses, &oom);
    if (oom)
        faas_log_warn("keys: out of memory saving their last use");
    if (n == 0)
        return;
    if (faas_store_apikey_set_used(app->store, uses, n, &err) == FAAS_OK)
        faas_keys_saved(app->keys, uses, n);
    else
        faas_log_warn("keys: cannot save their last use (tried again in a minute): %s", err.msg);
    free(uses);
}

/* Puts every stored key into the table; a record the table refuses is logged and left out. */
static size_t load(faas_app_t *app, const faas_apikey_t *arr, size_t n)
{
    size_t loaded = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char digest[FAAS_KEYS_DIGEST_LEN];
        faas_error_t err = {0};
        faas_err_t rc = faas_keys_unhex(arr[i].hash, digest) == 0
                            ? faas_keys_add(app->keys, arr[i].name, arr[i].scope, digest, arr[i].created_at,
                                            arr[i].last_used_at, &err)
                            : faas_error_set(&err, FAAS_EINVAL, "bad hash");
        if (rc == FAAS_OK)
            loaded++;
        else
            faas_log_error("keys: leaving out key '%s': %s", arr[i].name, err.msg);
    }
    return loaded;
}

int faas_server__keys_start(faas_server_t *srv)
{
    faas_app_t *app = &srv->app;
    faas_apikey_t *arr = NULL;
    size_t n = 0;
    faas_error_t err = {0};
    app->keys = faas_keys_create(&app->auth);
    if (faas_store_apikey_list(app->store, &arr, &n, &err) != FAAS_OK) {
        faas_log_error("keys: %s", err.msg);
        return -1;
    }
    size_t loaded = load(app, arr, n);
    faas_apikey_array_free(arr, n);
    if (loaded > 0)
        faas_log_info("%zu named API key%s", loaded, loaded == 1 ? "" : "s");
    if (faas_pool_every(app->pool, KEYS_SAVE_INTERVAL_MS, save_interval, save_uses, app) != 0) {
        faas_log_error("keys: cannot schedule saving their last use");
        return -1;
    }
    return 0;
}

void faas_server__keys_stop(faas_server_t *srv)
{
    save_uses(&srv->app);
}
