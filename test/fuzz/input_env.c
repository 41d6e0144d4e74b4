/*
 * input_env.c (fuzz): faas_input_to_env, an execute request's "input" object turned into the
 * environment of the run. Input: the JSON text of "input" (parsed by cJSON as the job API does).
 * Properties: at most 200 variables; each name 1 to 128 characters of [A-Z0-9_], not starting
 * with a digit, not a name the runtime needs (PATH, LD_*, PYTHON*, FAAS_*, ...), not PORT, and
 * never twice; a refusal returns no variables.
 */
#include "fuzz.h"
#include "faas/job/input.h"

#include <cjson/cJSON.h>

FUZZ_QUIET_INIT

static int reserved(const char *name)
{
    static const char *const prefixes[] = {"LD_", "PYTHON", "FAAS_", "LC_", "DOCKER_"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return strcmp(name, "PATH") == 0 || strcmp(name, "HOME") == 0 || strcmp(name, "PORT") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_dup(data, size);
    cJSON *input = cJSON_ParseWithLength(text, size);
    free(text);
    if (input == NULL && size > 0)
        return 0;
    faas_env_var_t *env = (faas_env_var_t *)&env; /* anything but NULL: a refusal must reset it */
    size_t n = 99;
    faas_error_t err = {0};
    if (faas_input_to_env(input, &env, &n, &err) != FAAS_OK) {
        FUZZ_CHECK(env == NULL && n == 0 && err.msg[0] != '\0');
    } else {
        FUZZ_CHECK(n <= 200 && (n == 0 || env != NULL));
        for (size_t i = 0; i < n; i++) {
            const char *name = env[i].name;
            size_t len = strlen(name);
            FUZZ_CHECK(len >= 1 && len <= 128 && strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == len);
            FUZZ_CHECK(!(name[0] >= '0' && name[0] <= '9') && !reserved(name));
            FUZZ_CHECK(env[i].value != NULL);
            for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(strcmp(env[j].name, name) != 0);
        }
        faas_env_free(env, n);
    }
    cJSON_Delete(input);
    return 0;
}
