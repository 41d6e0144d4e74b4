/*
 * input.c: an execute request's "input" object as environment variables (see
 * input.h). Pure code: any thread.
 */
#include "faas/job/input.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT_VARS 200
#define MAX_INPUT_NAME 128
#define MAX_INPUT_VALUE 32768

static int reserved(const char *name)
{
    static const char *const exact[] = {"PATH", "HOME", "HOSTNAME", "PWD", "SHELL", "USER", "TERM", "LANG",
                                        "TMPDIR", "PORT", "GOROOT", "GOPATH", "GODEBUG", "GOGC", "GOMAXPROCS",
                                        "GOMEMLIMIT", "GOTRACEBACK"};
    static const char *const prefixes[] = {"LD_", "PYTHON", "FAAS_", "LC_", "DOCKER_"};
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(name, exact[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* key -> "KEY": upper case, anything outside [A-Z0-9_] becomes '_' (as the seed did). */
static faas_err_t env_name(const char *key, char *out, size_t size, faas_error_t *err)
{
    size_t len = strlen(key);
    if (len == 0 || len > MAX_INPUT_NAME || len >= size)
        return faas_error_set(err, FAAS_EINVAL, "input key \"%.40s\" must have 1 to %d characters", key, MAX_INPUT_NAME);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)toupper((unsigned char)key[i]);
        out[i] = (c < 0x80 && (isupper(c) || isdigit(c) || c == '_')) ? (char)c : '_';
    }
    out[len] = '\0';
    if (isdigit((unsigned char)out[0]))
        return faas_error_set(err, FAAS_EINVAL, "input key \"%.40s\": environment names cannot start with a digit", key);
    if (reserved(out))
        return faas_error_set(err, FAAS_EINVAL, "input key \"%.40s\" would set %s, which the runtime needs", key, out);
    return FAAS_OK;
}

static char *env_value(const cJSON *v)
{
    char buf[64];
    if (cJSON_IsString(v))
        return strlen(v->valuestring) <= MAX_INPUT_VALUE ? strdup(v->valuestring) : NULL;
    if (cJSON_IsBool(v))
        return strdup(cJSON_IsTrue(v) ? "true" : "false");
    double d = v->valuedouble;
    if (d > -9e15 && d < 9e15 && d == (double)(long long)d) /* in range before the cast: 1e300 would be UB */
        snprintf(buf, sizeof(buf), "%lld", (long long)d);
    else
        snprintf(buf, sizeof(buf), "%.17g", d);
    return strdup(buf);
}

faas_err_t faas_input_to_env(const cJSON *input, faas_env_var_t **env, size_t *n, faas_error_t *err)
{
    *env = NULL;
    *n = 0;
    if (input == NULL || cJSON_IsNull(input))
        return FAAS_OK;
    if (!cJSON_IsObject(input))
        return faas_error_set(err, FAAS_EINVAL, "input must be a JSON object of names and values");
    int count = cJSON_GetArraySize(input);
    if (count > MAX_INPUT_VARS)
        return faas_error_set(err, FAAS_EINVAL, "input has more than %d keys", MAX_INPUT_VARS);
    faas_env_var_t *vars = calloc((size_t)(count ? count : 1), sizeof(*vars));
    if (vars == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    faas_err_t rc = FAAS_OK;
    size_t k = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, input) {
        char name[MAX_INPUT_NAME + 1];
        if ((rc = env_name(item->string, name, sizeof(name), err)) != FAAS_OK)
            break;
        if (!cJSON_IsString(item) && !cJSON_IsNumber(item) && !cJSON_IsBool(item)) {
            rc = faas_error_set(err, FAAS_EINVAL, "input \"%.40s\" must be a string, a number or a boolean", item->string);
            break;
        }
        for (size_t j = 0; j < k && rc == FAAS_OK; j++)
            if (strcmp(vars[j].name, name) == 0)
                rc = faas_error_set(err, FAAS_EINVAL, "input keys \"%.40s\" and another both become %s", item->string, name);
        if (rc != FAAS_OK)
            break;
        vars[k].name = strdup(name);
        vars[k].value = env_value(item);
        if (vars[k++].value == NULL || vars[k - 1].name == NULL) {
            rc = faas_error_set(err, FAAS_EINVAL, "input \"%.40s\": value longer than %d bytes", item->string, MAX_INPUT_VALUE);
            break;
        }
    }
    if (rc != FAAS_OK) {
        faas_env_free(vars, k);
        return rc;
    }
    *env = vars;
    *n = k;
    return FAAS_OK;
}
