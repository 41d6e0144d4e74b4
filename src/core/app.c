/*
 * app.c: the process-wide configuration reference (see app.h). Any thread.
 */
#include "faas/core/app.h"
#include "faas/core/labels.h"

#include <stdio.h>

#include <string.h>

void faas_app_init(faas_app_t *app, faas_config_t *cfg)
{
    memset(app, 0, sizeof(*app));
    pthread_mutex_init(&app->_cfg_mutex, NULL);
    atomic_init(&app->executions, 0);
    app->_cfg = cfg;
}

void faas_app_set_instance(faas_app_t *app, const char *id)
{
    snprintf(app->instance, sizeof(app->instance), "%s", id);
    snprintf(app->instance_label, sizeof(app->instance_label), FAAS_LABEL_INSTANCE "=%s", app->instance);
}

const char **faas_app_labels(const faas_app_t *app, const char *const *extra, const char **out, size_t room)
{
    size_t n = 0;
    out[n++] = FAAS_LABEL_MANAGED "=1";
    out[n++] = app->instance_label;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n + 1 < room; i++)
        out[n++] = extra[i];
    out[n] = NULL;
    return out;
}

faas_config_t *faas_app_config(faas_app_t *app)
{
    pthread_mutex_lock(&app->_cfg_mutex);
    faas_config_t *cfg = faas_config_ref(app->_cfg);
    pthread_mutex_unlock(&app->_cfg_mutex);
    return cfg;
}

void faas_app_set_config(faas_app_t *app, faas_config_t *cfg)
{
    pthread_mutex_lock(&app->_cfg_mutex);
    faas_config_t *old = app->_cfg;
    app->_cfg = cfg;
    pthread_mutex_unlock(&app->_cfg_mutex);
    faas_config_unref(old);
}
