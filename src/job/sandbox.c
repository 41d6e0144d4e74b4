/*
 * sandbox.c: the container sandbox every execution runs in, whether made for
 * its call (execute.c) or started ahead (warm.c): no network, a read-only
 * root with a small /tmp, no capabilities, no new privileges, the policy's
 * limits, an init, user nobody. Any thread (it only fills a spec).
 */
#include "internal.h"
#include "faas/core/labels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Executions run as nobody: the code needs no privilege, and root in a container is one bug from root outside. */
#define RUN_AS "65534:65534"

faas_err_t faas_job__sandbox_init(faas_job__sandbox_t *s, const faas_app_t *app, const faas_config_t *cfg,
                                  const char *function, const char *image, const char *suffix,
                                  const char *extra_label, const faas_env_var_t *env, size_t n, faas_error_t *err)
{
    memset(s, 0, sizeof(*s));
    if (n + 1 > FAAS_JOB__MAX_ENV)
        return faas_error_set(err, FAAS_EINVAL, "more than %d input variables", FAAS_JOB__MAX_ENV - 1);
    for (size_t i = 0; i < n; i++)
        if (asprintf(&s->envv[i], "%s=%s", env[i].name, env[i].value) < 0)
            return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (asprintf(&s->labels[0], FAAS_LABEL_FUNCTION "=%s", function) < 0 ||
        (s->labels[1] = strdup(extra_label)) == NULL || (s->labels[2] = strdup(FAAS_LABEL_MANAGED "=1")) == NULL ||
        (s->labels[3] = strdup(FAAS_LABEL_KIND "=job")) == NULL ||
        (s->labels[4] = strdup(app->instance_label)) == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    snprintf(s->name, sizeof(s->name), "%s-%s-%s", cfg->docker.image_prefix, function, suffix);
    s->docker = (faas_docker_container_spec_t){
        .name = s->name, .image = image, .env = (const char *const *)s->envv, .labels = (const char *const *)s->labels,
        .network_mode = "none", .memory_bytes = cfg->limits.memory, .nano_cpus = cfg->limits.nano_cpus,
        .pids_limit = cfg->limits.pids, .readonly_rootfs = 1, .tmpfs_tmp = "rw,noexec,nosuid,size=64m",
        .cap_drop_all = 1, .no_new_privileges = 1, .init = 1, .log_max_size = "16m", .user = RUN_AS,
    };
    return FAAS_OK;
}

void faas_job__sandbox_free(faas_job__sandbox_t *s)
{
    for (size_t i = 0; i < FAAS_JOB__MAX_ENV && s->envv[i] != NULL; i++)
        free(s->envv[i]);
    for (size_t i = 0; i < sizeof(s->labels) / sizeof(s->labels[0]); i++)
        free(s->labels[i]);
    memset(s, 0, sizeof(*s));
}
