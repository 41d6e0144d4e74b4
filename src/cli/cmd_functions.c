/*
 * cmd_functions.c: the client's commands on service functions: ls, info, logs, invoke, rm,
 * scale, revisions, rollback (deploy has cmd_deploy.c). Blocking; one thread.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "/prefix/<name escaped><suffix>" into out. */
static const char *name_path(const char *prefix, const char *name, const char *suffix, char *out, size_t size)
{
    char esc[256];
    snprintf(out, size, "%s%s%s", prefix, faas_cli_escape(name, esc, sizeof(esc)) ? esc : "-", suffix ? suffix : "");
    return out;
}

/* "ready/total" replicas of a record, or "-" for a function with none. */
static char *replicas(const cJSON *fn, char *out, size_t size)
{
    const cJSON *r, *list = cJSON_GetObjectItemCaseSensitive(fn, "replicas");
    int ready = 0, total = 0;
    cJSON_ArrayForEach(r, list) {
        const char *state = faas_cli_json_str(r, "state");
        total++;
        ready += state != NULL && strcmp(state, "ready") == 0;
    }
    if (total == 0)
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%d/%d", ready, total);
    return out;
}

int faas_cli__cmd_ls(faas_cli__ctx_t *ctx)
{
    faas_cli_response_t resp;
    if (faas_cli__get(ctx, "/function/list", &resp) != 0) {
        faas_cli_response_free(&resp);
        return FAAS_CLI_FAILED;
    }
    const cJSON *fn, *fns = cJSON_GetObjectItemCaseSensitive(resp.json, "functions");
    char buf[64], age[32];
    if (ctx->args->json) {
        faas_cli_print_json(&ctx->out, resp.json);
    } else if (faas_cli_args_has(ctx->args, "quiet")) {
        cJSON_ArrayForEach(fn, fns) {
            char clean[128];
            printf("%s\n", faas_cli_clean(faas_cli_json_str(fn, "name"), clean, sizeof(clean)));
        }
    } else {
        faas_cli_table_t *t = faas_cli_table_new();
        static const char *const head[] = {"NAME", "KIND", "STATUS", "BUILD", "REPLICAS", "PORT", "UPDATED", "URL"};
        for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
            faas_cli_table_cell(t, head[i], FAAS_CLI_PLAIN);
        faas_cli_table_row(t);
        cJSON_ArrayForEach(fn, fns) {
            const char *status = faas_cli_json_str(fn, "status");
            const cJSON *build = cJSON_GetObjectItemCaseSensitive(fn, "build");
            double port = faas_cli_json_num(fn, "port", 0);
            faas_cli_table_cell(t, faas_cli_json_str(fn, "name"), FAAS_CLI_PLAIN);
            faas_cli_table_cell(t, faas_cli_json_str(fn, "kind"), FAAS_CLI_PLAIN);
            faas_cli_table_cell(t, status, faas_cli_status_color(status));
            faas_cli_table_cell(t, faas_cli_json_str(build, "status"), faas_cli_status_color(faas_cli_json_str(build, "status")));
            faas_cli_table_cell(t, replicas(fn, buf, sizeof(buf)), FAAS_CLI_PLAIN);
            snprintf(buf, sizeof(buf), "%.0f", port);
            faas_cli_table_cell(t, port > 0 ? buf : NULL, FAAS_CLI_PLAIN);
            faas_cli_table_cell(t, faas_cli_age(faas_cli_json_num(fn, "updatedAt", 0), (double)time(NULL), age, sizeof(age)),
                                FAAS_CLI_PLAIN);
            faas_cli_table_cell(t, faas_cli_json_str(fn, "url"), FAAS_CLI_PLAIN);
            faas_cli_table_row(t);
        }
        faas_cli_table_print(t, &ctx->out);
    }
    faas_cli_response_free(&resp);
    return FAAS_CLI_OK;
}

/* One "key  value" line of info, the value cleaned. */
static void line(const faas_cli__ctx_t *ctx, const char *key, const char *value, faas_cli_color_t color)
{
    char clean[1024];
    int colored = ctx->out.color && color != FAAS_CLI_PLAIN;
    static const char *const sgr[] = {"", "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[2m"};
    printf("%-10s %s%s%s\n", key, colored ? sgr[color] : "", faas_cli_clean(value ? value : "-", clean, sizeof(clean)),
           colored ? "\x1b[0m" : "");
}

static void info_build(const faas_cli__ctx_t *ctx, const cJSON *build)
{
    char text[1024], age[32];
    const char *status = faas_cli_json_str(build, "status"), *error = faas_cli_json_str(build, "error");
    const char *id = faas_cli_json_str(build, "id");
    if (build == NULL || id == NULL)
        return;
    snprintf(text, sizeof(text), "%s %.8s, started %s%s%s", status ? status : "-", id,
             faas_cli_age(faas_cli_json_num(build, "startedAt", 0), (double)time(NULL), age, sizeof(age)),
             error ? ": " : "", error ? error : "");
    line(ctx, "build", text, faas_cli_status_color(status));
}

static void info_lists(const faas_cli__ctx_t *ctx, const cJSON *fn)
{
    char text[1024] = "";
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(fn, "replicas")) {
        snprintf(text, sizeof(text), "%.12s %s %s", faas_cli_json_str(item, "id") ? faas_cli_json_str(item, "id") : "-",
                 faas_cli_json_str(item, "state") ? faas_cli_json_str(item, "state") : "-",
                 faas_cli_json_str(item, "address") ? faas_cli_json_str(item, "address") : "");
        line(ctx, "replica", text, faas_cli_status_color(faas_cli_json_str(item, "state")));
    }
    const cJSON *scale = cJSON_GetObjectItemCaseSensitive(fn, "scaleInForce");
    if (scale != NULL) {
        snprintf(text, sizeof(text), "min %.0f, max %.0f, target %.0f, concurrency %.0f",
                 faas_cli_json_num(scale, "min", 0), faas_cli_json_num(scale, "max", 0),
                 faas_cli_json_num(scale, "target", 0), faas_cli_json_num(scale, "concurrency", 0));
        line(ctx, "scale", text, FAAS_CLI_PLAIN);
    }
    text[0] = '\0';
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(fn, "env")) /* names only: values can be secret */
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s", text[0] ? " " : "", item->string);
    if (text[0] != '\0')
        line(ctx, "env", text, FAAS_CLI_PLAIN);
}

int faas_cli__cmd_info(faas_cli__ctx_t *ctx)
{
    faas_cli_response_t resp;
    char path[512], text[256], age[32];
    int rc = faas_cli__get(ctx, name_path("/function/get/", ctx->args->pos[0], NULL, path, sizeof(path)), &resp);
    const cJSON *fn = faas_cli_response_data(&resp);
    if (rc == 0 && ctx->args->json) {
        faas_cli_print_json(&ctx->out, fn);
    } else if (rc == 0) {
        const char *status = faas_cli_json_str(fn, "status");
        static const char *const keys[] = {"name", "kind", "url", "runtime", "tag", "imageId", "lastOutput"};
        line(ctx, "name", faas_cli_json_str(fn, "name"), FAAS_CLI_PLAIN);
        line(ctx, "status", status, faas_cli_status_color(status));
        for (size_t i = 1; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (faas_cli_json_str(fn, keys[i]) != NULL)
                line(ctx, strcmp(keys[i], "imageId") == 0 ? "image" : strcmp(keys[i], "lastOutput") == 0 ? "output" : keys[i],
                     faas_cli_json_str(fn, keys[i]), FAAS_CLI_PLAIN);
        snprintf(text, sizeof(text), "%.0f", faas_cli_json_num(fn, "port", 0));
        line(ctx, "port", strcmp(text, "0") != 0 ? text : NULL, FAAS_CLI_PLAIN);
        info_build(ctx, cJSON_GetObjectItemCaseSensitive(fn, "build"));
        info_lists(ctx, fn);
        line(ctx, "created", faas_cli_age(faas_cli_json_num(fn, "createdAt", 0), (double)time(NULL), age, sizeof(age)),
             FAAS_CLI_PLAIN);
        line(ctx, "updated", faas_cli_age(faas_cli_json_num(fn, "updatedAt", 0), (double)time(NULL), age, sizeof(age)),
             FAAS_CLI_PLAIN);
    }
    faas_cli_response_free(&resp);
    return rc;
}

/* ---- logs ---- */

static int on_log_data(void *ud, const char *data, size_t len)
{
    faas_cli_write_filtered(ud, stdout, data, len);
    return 0;
}

/* logs --json: {"name","source","log"} (the log as one string: JSON escapes its controls). */
static int print_log_json(faas_cli__ctx_t *ctx, const faas_cli_response_t *resp)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "name", ctx->args->pos[0]);
    cJSON_AddStringToObject(doc, "source", faas_cli_args_has(ctx->args, "build") ? "build" : "container");
    cJSON_AddStringToObject(doc, "log", resp->body.p ? resp->body.p : "");
    faas_cli_print_json(&ctx->out, doc);
    cJSON_Delete(doc);
    return FAAS_CLI_OK;
}

int faas_cli__cmd_logs(faas_cli__ctx_t *ctx)
{
    char path[512], query[96] = "";
    long tail = 0;
    int follow = faas_cli_args_has(ctx->args, "follow");
    if (follow && ctx->args->json)
        return faas_cli__usage_error("logs", "--json prints one document: it cannot --follow");
    if (faas_cli_args_int(ctx->args, "tail", &tail))
        snprintf(query, sizeof(query), "&tail=%ld", tail);
    if (faas_cli_args_has(ctx->args, "build"))
        snprintf(query + strlen(query), sizeof(query) - strlen(query), "&source=build");
    if (follow)
        snprintf(query + strlen(query), sizeof(query) - strlen(query), "&follow=1");
    if (query[0] != '\0')
        query[0] = '?';
    faas_cli_filter_t filter = {.keep_sgr = ctx->out.out_tty};
    faas_cli_request_t req = {.path = name_path("/function/logs/", ctx->args->pos[0], query, path, sizeof(path)),
                              .timeout_s = follow ? -1 : 120, .on_data = ctx->args->json ? NULL : on_log_data,
                              .cbdata = &filter};
    faas_cli_response_t resp;
    int rc = faas_cli_client_call(ctx->client, &req, &resp);
    if (rc == 0 && ctx->args->json)
        rc = print_log_json(ctx, &resp);
    faas_cli_response_free(&resp);
    return rc;
}

/* ---- invoke ---- */

typedef struct invoke {
    int raw;                    /* stdout is not a terminal: the body byte for byte */
    faas_cli_filter_t filter;
} invoke_t;

static int on_invoke_data(void *ud, const char *data, size_t len)
{
    invoke_t *iv = ud;
    if (iv->raw)
        fwrite(data, 1, len, stdout);
    else
        faas_cli_write_filtered(&iv->filter, stdout, data, len);
    return 0;
}

/* The Host for function traffic: the host of the record's url, else NAME.localhost (the server
   routes by the first label of the Host, whatever the domain). */
static void function_host(const cJSON *fn, const char *name, char *out, size_t size)
{
    const char *url = faas_cli_json_str(fn, "url"), *p = url ? strstr(url, "://") : NULL;
    if (p != NULL) {
        p += 3;
        size_t n = strcspn(p, ":/?#");
        if (n > 0 && n < size) {
            memcpy(out, p, n);
            out[n] = '\0';
            return;
        }
    }
    snprintf(out, size, "%s.localhost", name);
}

/* Prints the status line and headers of an answer on stderr (-v). */
static void print_head(const faas_cli_response_t *resp)
{
    char clean[1024];
    fprintf(stderr, "< HTTP/%s %ld\n", resp->http_version, resp->status);
    for (const char *p = resp->headers.p; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, "\r\n");
        char hdr[1024];
        snprintf(hdr, sizeof(hdr), "%.*s", (int)(n < sizeof(hdr) - 1 ? n : sizeof(hdr) - 1), p);
        if (n > 0 && strncmp(hdr, "HTTP/", 5) != 0)
            fprintf(stderr, "< %s\n", faas_cli_clean(hdr, clean, sizeof(clean)));
        p += n;
        p += strspn(p, "\r\n");
    }
}

/* invoke --json: {"status","httpVersion","body"} (a body that is not UTF-8 text is not JSON's business:
   use invoke without --json for bytes). */
static void print_answer_json(faas_cli__ctx_t *ctx, const faas_cli_response_t *resp)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "status", (double)resp->status);
    cJSON_AddStringToObject(doc, "httpVersion", resp->http_version);
    cJSON_AddStringToObject(doc, "body", resp->body.p ? resp->body.p : "");
    faas_cli_print_json(&ctx->out, doc);
    cJSON_Delete(doc);
}

int faas_cli__cmd_invoke(faas_cli__ctx_t *ctx)
{
    const faas_cli_args_t *a = ctx->args;
    const char *name = a->pos[0], *data = faas_cli_args_value(a, "data"), *headers[FAAS_CLI_MAX_ARGS];
    char path[4096], host[512];
    char *body = NULL;
    size_t body_len = 0;
    faas_cli_response_t resp;
    if (faas_cli__get(ctx, name_path("/function/get/", name, NULL, path, sizeof(path)), &resp) != 0) {
        faas_cli_response_free(&resp);
        return FAAS_CLI_FAILED;
    }
    const char *kind = faas_cli_json_str(faas_cli_response_data(&resp), "kind");
    if (kind != NULL && strcmp(kind, "job") == 0) {
        faas_cli_response_free(&resp);
        return faas_cli_fail("%s is a job function: run it with faas run %s [KEY=VALUE]...", name, name);
    }
    function_host(faas_cli_response_data(&resp), name, host, sizeof(host));
    faas_cli_response_free(&resp);
    if (data != NULL && data[0] == '@' && faas_cli__read_input(data + 1, &body, &body_len) != 0)
        return FAAS_CLI_FAILED;
    const char *target = a->npos > 1 ? a->pos[1] : "/";
    snprintf(path, sizeof(path), "%s%s", target[0] == '/' ? "" : "/", target);
    invoke_t iv = {.raw = !ctx->out.out_tty, .filter = {0}};
    faas_cli_request_t req = {
        .method = faas_cli_args_value(a, "request") ? faas_cli_args_value(a, "request") : data ? "POST" : "GET",
        .path = path, .body = body ? body : data, .body_len = body ? body_len : data ? strlen(data) : 0,
        .headers = headers, .nheaders = faas_cli_args_values(a, "header", headers, FAAS_CLI_MAX_ARGS),
        .host = host, .no_auth = 1, .timeout_s = 300, .on_data = a->json ? NULL : on_invoke_data, .cbdata = &iv,
        .stream_all = 1};
    char err[1024];
    int rc = faas_cli_client_send(ctx->client, &req, &resp, err, sizeof(err));
    fflush(stdout);
    if (rc != 0)
        rc = faas_cli_fail("%s", err);
    else if (a->verbose)
        print_head(&resp);
    if (rc == 0 && a->json)
        print_answer_json(ctx, &resp);
    if (rc == 0 && resp.status >= 500)
        rc = faas_cli_fail("%s answered HTTP %ld", name, resp.status);
    faas_cli_response_free(&resp);
    free(body);
    return rc;
}

/* ---- rm, scale, revisions, rollback ---- */

int faas_cli__cmd_rm(faas_cli__ctx_t *ctx)
{
    char path[512], done[256];
    snprintf(done, sizeof(done), "deleted %s", ctx->args->pos[0]);
    return faas_cli__simple(ctx, "DELETE", name_path("/function/delete/", ctx->args->pos[0], NULL, path, sizeof(path)),
                            NULL, done);
}

int faas_cli__cmd_scale(faas_cli__ctx_t *ctx)
{
    static const char *const fields[] = {"min", "max", "target", "concurrency"};
    cJSON *body = cJSON_CreateObject();
    long v;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (faas_cli_args_int(ctx->args, fields[i], &v))
            cJSON_AddNumberToObject(body, fields[i], (double)v);
    char *text = cJSON_PrintUnformatted(body), path[512];
    cJSON_Delete(body);
    faas_cli_request_t req = {.method = "PUT", .path = name_path("/function/scale/", ctx->args->pos[0], NULL, path,
                                                                 sizeof(path)),
                              .body = text, .body_len = text ? strlen(text) : 0, .content_type = "application/json"};
    faas_cli_response_t resp;
    int rc = faas_cli_client_call(ctx->client, &req, &resp);
    const cJSON *fn = faas_cli_response_data(&resp), *s = cJSON_GetObjectItemCaseSensitive(fn, "scaleInForce");
    if (rc == 0 && ctx->args->json)
        faas_cli_print_json(&ctx->out, fn);
    else if (rc == 0)
        printf("%s: min %.0f, max %.0f, target %.0f, concurrency %.0f\n", ctx->args->pos[0],
               faas_cli_json_num(s, "min", 0), faas_cli_json_num(s, "max", 0), faas_cli_json_num(s, "target", 0),
               faas_cli_json_num(s, "concurrency", 0));
    faas_cli_response_free(&resp);
    free(text);
    return rc;
}

int faas_cli__cmd_revisions(faas_cli__ctx_t *ctx)
{
    faas_cli_response_t resp;
    char path[512], num[32], age[32], short_id[16]; /* an image id as docker images shows it: 12 hex digits */
    int rc = faas_cli__get(ctx, name_path("/function/revisions/", ctx->args->pos[0], NULL, path, sizeof(path)), &resp);
    const cJSON *rev, *list = faas_cli_response_data(&resp);
    if (rc == 0 && ctx->args->json) {
        faas_cli_print_json(&ctx->out, list);
    } else if (rc == 0) {
        faas_cli_table_t *t = faas_cli_table_new();
        faas_cli_table_cell(t, "REVISION", FAAS_CLI_PLAIN);
        faas_cli_table_cell(t, "IMAGE", FAAS_CLI_PLAIN);
        faas_cli_table_cell(t, "CREATED", FAAS_CLI_PLAIN);
        faas_cli_table_cell(t, "CURRENT", FAAS_CLI_PLAIN);
        faas_cli_table_row(t);
        cJSON_ArrayForEach(rev, list) {
            const char *image = faas_cli_json_str(rev, "imageId");
            snprintf(num, sizeof(num), "%.0f", faas_cli_json_num(rev, "revision", 0));
            faas_cli_table_cell(t, num, FAAS_CLI_PLAIN);
            snprintf(short_id, sizeof(short_id), "%.12s", image && strlen(image) > 19 ? image + 7 : image ? image : "");
            faas_cli_table_cell(t, short_id, FAAS_CLI_PLAIN);
            faas_cli_table_cell(t, faas_cli_age(faas_cli_json_num(rev, "createdAt", 0), (double)time(NULL), age, sizeof(age)),
                                FAAS_CLI_PLAIN);
            faas_cli_table_cell(t, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rev, "current")) ? "*" : "",
                                FAAS_CLI_GREEN);
            faas_cli_table_row(t);
        }
        faas_cli_table_print(t, &ctx->out);
    }
    faas_cli_response_free(&resp);
    return rc;
}

int faas_cli__cmd_rollback(faas_cli__ctx_t *ctx)
{
    char path[512], body[64], done[256];
    snprintf(done, sizeof(done), "%s rolled back", ctx->args->pos[0]);
    if (ctx->args->npos > 1)
        snprintf(body, sizeof(body), "{\"revision\":%ld}", strtol(ctx->args->pos[1], NULL, 10));
    return faas_cli__simple(ctx, "POST", name_path("/function/rollback/", ctx->args->pos[0], NULL, path, sizeof(path)),
                            ctx->args->npos > 1 ? body : NULL, done);
}
