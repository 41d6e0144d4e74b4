/*
 * cmd_jobs.c: the client's commands on job functions: submit (zip a folder, build it, wait for
 * the build) and run (execute with input, print the output). Blocking; one thread.
 */
#include "internal.h"
#include "faas/cli/zip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUILD_TIMEOUT_S 1800

int faas_cli__cmd_submit(faas_cli__ctx_t *ctx)
{
    const faas_cli_args_t *a = ctx->args;
    const char *dir = a->npos > 0 ? a->pos[0] : ".", *given = faas_cli_args_value(a, "name");
    char name[128], err[1024], zipname[160], clean[512];
    faas_cli_zip_t zip;
    if (given != NULL)
        snprintf(name, sizeof(name), "%s", given);
    else if (faas_cli__name_from_dir(dir, name, sizeof(name)) != 0)
        return faas_cli__usage_error("submit", "cannot make a function name of folder '%s': give --name", dir);
    if (faas_cli_zip_dir(dir, &zip, err, sizeof(err)) != 0)
        return faas_cli_fail("%s", err);
    snprintf(zipname, sizeof(zipname), "%s.zip", name);
    faas_cli_field_t f[] = {{"name", name, strlen(name), NULL}, {"code", zip.data, zip.len, zipname}};
    faas_cli_request_t req = {.path = "/api/submit", .fields = f, .nfields = 2, .timeout_s = BUILD_TIMEOUT_S,
                              .progress = ctx->out.err_tty};
    faas_cli_response_t resp;
    if (ctx->out.err_tty)
        fprintf(stderr, "building %s ...\n", name);
    int rc = faas_cli_client_call(ctx->client, &req, &resp);
    faas_cli_zip_free(&zip);
    if (rc == 0 && a->json) {
        faas_cli_print_json(&ctx->out, resp.json);
    } else if (rc == 0) {
        const char *lang = faas_cli_json_str(resp.json, "language");
        printf("%s built (%s): run it with faas run %s [KEY=VALUE]...\n", name,
               faas_cli_clean(lang ? lang : "-", clean, sizeof(clean)), name);
    }
    faas_cli_response_free(&resp);
    return rc;
}

/* {"functionId":name,"input":{KEY:VALUE...}} from the positional arguments. */
static char *execute_body(const faas_cli_args_t *a)
{
    cJSON *body = cJSON_CreateObject(), *input = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "functionId", a->pos[0]);
    for (size_t i = 1; i < a->npos; i++) {
        const char *eq = strchr(a->pos[i], '=');
        char key[256];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - a->pos[i]), a->pos[i]);
        cJSON_DeleteItemFromObjectCaseSensitive(input, key); /* the last one given wins */
        cJSON_AddStringToObject(input, key, eq + 1);
    }
    cJSON_AddItemToObject(body, "input", input);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    return text;
}

int faas_cli__cmd_run(faas_cli__ctx_t *ctx)
{
    char *body = execute_body(ctx->args), err[1024];
    faas_cli_request_t req = {.method = "POST", .path = "/api/execute", .body = body,
                              .body_len = body ? strlen(body) : 0, .content_type = "application/json",
                              .timeout_s = 3600};
    faas_cli_response_t resp;
    int rc = faas_cli_client_send(ctx->client, &req, &resp, err, sizeof(err)) == 0 ? 0 : faas_cli_fail("%s", err);
    free(body);
    const char *output = faas_cli_json_str(resp.json, "output");
    int ran = rc == 0 && (resp.status == 200 || ((resp.status == 500 || resp.status == 504) && output != NULL));
    if (rc == 0 && !ran)
        rc = faas_cli_fail("%s", faas_cli_client_error(&resp, err, sizeof(err)));
    if (ran && ctx->args->json) {
        faas_cli_print_json(&ctx->out, resp.json);
    } else if (ran && output != NULL) {
        faas_cli_filter_t f = {.keep_sgr = ctx->out.out_tty};
        faas_cli_write_filtered(&f, stdout, output, strlen(output));
    }
    if (ran && ctx->args->verbose)
        fprintf(stderr, "exit %.0f in %.0f ms\n", faas_cli_json_num(resp.json, "exitCode", -1),
                faas_cli_json_num(resp.json, "durationMs", 0));
    if (ran && resp.status == 504)
        rc = faas_cli_fail("%s: timed out (the container was killed)", ctx->args->pos[0]);
    else if (ran && resp.status == 500)
        rc = faas_cli_fail("%s: exited with code %.0f", ctx->args->pos[0], faas_cli_json_num(resp.json, "exitCode", -1));
    faas_cli_response_free(&resp);
    return rc;
}
