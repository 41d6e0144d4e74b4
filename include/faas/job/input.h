/*
 * input.h: an execute request's input as the environment of the run. Pure:
 * any thread.
 */
#ifndef FAAS_JOB_INPUT_H
#define FAAS_JOB_INPUT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "faas/core/error.h"
#include "faas/store/record.h"

/**
 * Turns an execute request's "input" object into environment variables:
 * keys upper-cased with anything outside [A-Z0-9_] made '_'; values strings,
 * numbers or booleans. FAAS_EINVAL for other values, empty or clashing keys,
 * and names that would change the runtime (PATH, HOME, LD_*, PYTHON*, ...).
 * *env is freed with faas_env_free. Pure.
 */
faas_err_t faas_input_to_env(const cJSON *input, faas_env_var_t **env, size_t *n, faas_error_t *err);

#endif
