/*
 * app.c: the process-wide configuration reference (see app.h). Any thread.
 */
#include "faas/core/app.h"

#include <string.h>

void faas_app_init(faas_app_t *app, faas_config_t *cfg)
{
    memset(app, 0, sizeof(*app));
    pthread_mutex_init(&app->_cfg_mutex, NULL);
    atomic_init(&app->executions, 0);
    app->_cfg = cfg;
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
