/*
 * cmd_admin.c: the client's commands on the login and the platform: login, logout, runtime
 * ls|show|add|rm, secret set|ls|rm, key create|ls|rm. Blocking; one thread.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "/prefix/<name escaped>" into out. */
static const char *path_for(const char *prefix, const char *name, char *out, size_t size)
{
    char esc[256];
    snprintf(out, size, "%s%s", prefix, faas_cli_escape(name, esc, sizeof(esc)) ? esc : "-");
    return out;
}

/* ---- login ---- */

/* Checks key against url: GET /keys/self, or (a server without named keys) GET /function/list.
   0 valid (who is filled when the server said), 1 after printing why not. */
static int check_key(const char *url, const char *key, char *who, size_t size)
{
    faas_cli_client_t *c = faas_cli_client_new(url, key);
    faas_cli_request_t self = {.path = "/keys/self", .timeout_s = 20}, list = {.path = "/function/list", .timeout_s = 20};
    faas_cli_response_t resp;
    char err[1024];
    int rc = c != NULL ? faas_cli_client_send(c, &self, &resp, err, sizeof(err)) : -1;
    if (rc == 0 && resp.status == 404) {
        faas_cli_response_free(&resp);
        rc = faas_cli_client_send(c, &list, &resp, err, sizeof(err));
    }
    if (rc != 0)
        rc = faas_cli_fail("%s", c != NULL ? err : "out of memory");
    else if (resp.status == 401 || resp.status >= 300)
        rc = faas_cli_fail("%s", faas_cli_client_error(&resp, err, sizeof(err)));
    const cJSON *data = faas_cli_response_data(&resp);
    if (rc == 0 && faas_cli_json_str(data, "name") != NULL)
        snprintf(who, size, " as %s (%s)", faas_cli_json_str(data, "name"),
                 faas_cli_json_str(data, "scope") ? faas_cli_json_str(data, "scope") : "-");
    faas_cli_response_free(&resp);
    faas_cli_client_free(c);
    return rc;
}

int faas_cli__cmd_login(faas_cli__ctx_t *ctx)
{
    char url[1024], key[512], prompt[1100], who[256] = "", err[1024], clean[1024];
    if (faas_cli_config_url(ctx->args->pos[0], url, sizeof(url)) != 0)
        return faas_cli__usage_error("login", "'%s': expected http://HOST[:PORT] or https://HOST[:PORT]", ctx->args->pos[0]);
    snprintf(prompt, sizeof(prompt), "key for %s: ", url);
    if (faas_cli__read_secret(prompt, key, sizeof(key)) != 0 || key[0] == '\0')
        return faas_cli_fail("no key given");
    if (check_key(url, key, who, sizeof(who)) != 0)
        return FAAS_CLI_FAILED;
    if (faas_cli_config_save(url, key, err, sizeof(err)) != 0)
        return faas_cli_fail("%s", err);
    if (ctx->args->json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "url", url);
        cJSON_AddStringToObject(doc, "config", faas_cli_config_path(err, sizeof(err)) ? err : "");
        faas_cli_print_json(&ctx->out, doc);
        cJSON_Delete(doc);
    } else {
        printf("logged in to %s%s\n", url, faas_cli_clean(who, clean, sizeof(clean)));
    }
    return FAAS_CLI_OK;
}

int faas_cli__cmd_logout(faas_cli__ctx_t *ctx)
{
    char err[1024];
    (void)ctx;
    int rc = faas_cli_config_remove(err, sizeof(err));
    if (rc < 0)
        return faas_cli_fail("%s", err);
    printf("%s\n", rc == 0 ? "logged out" : "not logged in");
    return FAAS_CLI_OK;
}

/* ---- runtime ---- */

static int runtime_ls(faas_cli__ctx_t *ctx)
{
    faas_cli_response_t resp;
    int rc = faas_cli__get(ctx, "/runtime/list", &resp);
    const cJSON *item;
    char clean[256];
    if (rc == 0 && ctx->args->json)
        faas_cli_print_json(&ctx->out, resp.json);
    else if (rc == 0)
        cJSON_ArrayForEach(item, resp.json) printf("%s\n", faas_cli_clean(cJSON_GetStringValue(item), clean, sizeof(clean)));
    faas_cli_response_free(&resp);
    return rc;
}

static int runtime_show(faas_cli__ctx_t *ctx)
{
    faas_cli_response_t resp;
    char path[512];
    int rc = faas_cli__get(ctx, path_for("/runtime/show/", ctx->args->pos[0], path, sizeof(path)), &resp);
    const char *content = faas_cli_json_str(resp.json, "content");
    if (rc == 0 && ctx->args->json) {
        faas_cli_print_json(&ctx->out, resp.json);
    } else if (rc == 0 && content != NULL) {
        faas_cli_filter_t f = {.keep_sgr = 0};
        faas_cli_write_filtered(&f, stdout, content, strlen(content));
    }
    faas_cli_response_free(&resp);
    return rc;
}

static int runtime_add(faas_cli__ctx_t *ctx)
{
    char path[512], *data = NULL;
    size_t len = 0;
    if (faas_cli__read_input(ctx->args->pos[1], &data, &len) != 0)
        return FAAS_CLI_FAILED;
    faas_cli_field_t f = {"file", data, len, "Dockerfile"};
    faas_cli_request_t req = {.path = path_for("/runtime/upload/", ctx->args->pos[0], path, sizeof(path)),
                              .fields = &f, .nfields = 1};
    faas_cli_response_t resp;
    int rc = faas_cli_client_call(ctx->client, &req, &resp);
    if (rc == 0 && ctx->args->json)
        faas_cli_print_json(&ctx->out, resp.json);
    else if (rc == 0)
        printf("runtime %s stored\n", ctx->args->pos[0]);
    faas_cli_response_free(&resp);
    free(data);
    return rc;
}

int faas_cli__cmd_runtime(faas_cli__ctx_t *ctx)
{
    char path[512], done[256];
    switch (ctx->args->cmd->id) {
    case FAAS_CLI_RUNTIME_LS:
        return runtime_ls(ctx);
    case FAAS_CLI_RUNTIME_SHOW:
        return runtime_show(ctx);
    case FAAS_CLI_RUNTIME_ADD:
        return runtime_add(ctx);
    default:
        snprintf(done, sizeof(done), "deleted runtime %s", ctx->args->pos[0]);
        return faas_cli__simple(ctx, "DELETE", path_for("/runtime/delete/", ctx->args->pos[0], path, sizeof(path)), NULL,
                                done);
    }
}

/* ---- secrets and keys ---- */

static int secret_set(faas_cli__ctx_t *ctx)
{
    const char *file = ctx->args->npos > 1 ? ctx->args->pos[1] : "-";
    char path[512], *data = NULL, line[8192], done[256];
    size_t len = 0;
    if (strcmp(file, "-") == 0 && ctx->out.err_tty && isatty(0)) {
        if (faas_cli__read_secret("value: ", line, sizeof(line)) != 0)
            return faas_cli_fail("no value given");
        data = strdup(line);
        len = strlen(line);
    } else if (faas_cli__read_input(file, &data, &len) != 0) {
        return FAAS_CLI_FAILED;
    }
    faas_cli_request_t req = {.method = "PUT", .path = path_for("/secret/", ctx->args->pos[0], path, sizeof(path)),
                              .body = data ? data : "", .body_len = len, .content_type = "application/octet-stream"};
    faas_cli_response_t resp;
    int rc = faas_cli_client_call(ctx->client, &req, &resp);
    snprintf(done, sizeof(done), "secret %s stored", ctx->args->pos[0]);
    if (rc == 0)
        ctx->args->json ? faas_cli_print_json(&ctx->out, faas_cli_response_data(&resp)) : (void)printf("%s\n", done);
    faas_cli_response_free(&resp);
    free(data);
    return rc;
}

/* A table of the data array of GET path: columns name the JSON fields, heads their titles. */
static int list_table(faas_cli__ctx_t *ctx, const char *path, const char *const *fields, const char *const *heads,
                      size_t n)
{
    faas_cli_response_t resp;
    int rc = faas_cli__get(ctx, path, &resp);
    const cJSON *item, *list = faas_cli_response_data(&resp);
    if (rc == 0 && ctx->args->json) {
        faas_cli_print_json(&ctx->out, list);
    } else if (rc == 0) {
        faas_cli_table_t *t = faas_cli_table_new();
        for (size_t i = 0; i < n; i++)
            faas_cli_table_cell(t, heads[i], FAAS_CLI_PLAIN);
        faas_cli_table_row(t);
        cJSON_ArrayForEach(item, list) {
            for (size_t i = 0; i < n; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, fields[i]);
                char text[512] = "";
                if (cJSON_IsNumber(v))
                    faas_cli_age(v->valuedouble, (double)time(NULL), text, sizeof(text));
                else if (cJSON_IsString(v))
                    snprintf(text, sizeof(text), "%s", v->valuestring);
                const cJSON *u, *names = cJSON_IsArray(v) ? v : NULL;
                cJSON_ArrayForEach(u, names) /* usedBy: a list of names */
                    snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s", text[0] ? "," : "",
                             cJSON_GetStringValue(u) ? cJSON_GetStringValue(u) : "?");
                faas_cli_table_cell(t, text, FAAS_CLI_PLAIN);
            }
            faas_cli_table_row(t);
        }
        faas_cli_table_print(t, &ctx->out);
    }
    faas_cli_response_free(&resp);
    return rc;
}

int faas_cli__cmd_secret(faas_cli__ctx_t *ctx)
{
    static const char *const fields[] = {"name", "createdAt", "updatedAt", "usedBy"};
    static const char *const heads[] = {"NAME", "CREATED", "UPDATED", "USED BY"};
    char path[512], done[256];
    if (ctx->args->cmd->id == FAAS_CLI_SECRET_SET)
        return secret_set(ctx);
    if (ctx->args->cmd->id == FAAS_CLI_SECRET_LS)
        return list_table(ctx, "/secret/list", fields, heads, 4);
    snprintf(done, sizeof(done), "deleted secret %s", ctx->args->pos[0]);
    return faas_cli__simple(ctx, "DELETE", path_for("/secret/", ctx->args->pos[0], path, sizeof(path)), NULL, done);
}

static int key_create(faas_cli__ctx_t *ctx)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "name", ctx->args->pos[0]);
    cJSON_AddStringToObject(body, "scope", ctx->args->pos[1]);
    char *text = cJSON_PrintUnformatted(body), clean[1024];
    cJSON_Delete(body);
    faas_cli_request_t req = {.method = "POST", .path = "/keys", .body = text, .body_len = text ? strlen(text) : 0,
                              .content_type = "application/json"};
    faas_cli_response_t resp;
    int rc = faas_cli_client_call(ctx->client, &req, &resp);
    const cJSON *data = faas_cli_response_data(&resp);
    if (rc == 0 && ctx->args->json) {
        faas_cli_print_json(&ctx->out, data);
    } else if (rc == 0) {
        printf("%s\n", faas_cli_clean(faas_cli_json_str(data, "key"), clean, sizeof(clean)));
        fprintf(stderr, "key %s (%s) created: it is shown this once\n", ctx->args->pos[0], ctx->args->pos[1]);
    }
    faas_cli_response_free(&resp);
    free(text);
    return rc;
}

int faas_cli__cmd_key(faas_cli__ctx_t *ctx)
{
    static const char *const fields[] = {"name", "scope", "createdAt", "lastUsedAt"};
    static const char *const heads[] = {"NAME", "SCOPE", "CREATED", "LAST USED"};
    char path[512], done[256];
    if (ctx->args->cmd->id == FAAS_CLI_KEY_CREATE)
        return key_create(ctx);
    if (ctx->args->cmd->id == FAAS_CLI_KEY_LS)
        return list_table(ctx, "/keys", fields, heads, 4);
    snprintf(done, sizeof(done), "revoked key %s", ctx->args->pos[0]);
    return faas_cli__simple(ctx, "DELETE", path_for("/keys/", ctx->args->pos[0], path, sizeof(path)), NULL, done);
}
