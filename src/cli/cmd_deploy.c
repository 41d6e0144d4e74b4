/*
 * cmd_deploy.c: faas deploy. Zips the folder, uploads it (a progress bar on a terminal),
 * streams the build log to stderr as the server writes it, waits until the new revision serves
 * (GET /function/get/NAME?wait=<build>), then prints the URL and the times. A failed build
 * ends with the log's tail and the error, exit 1. Blocking; one thread.
 *
 * Times: upload is the upload request on the client's clock; build runs until the build log
 * says the image is built ("faas: built ..."); start until the record says the new revision
 * serves. A server that does not follow logs yet answers the log at once: then
 * the two are printed together as "build and start".
 */
#include "internal.h"
#include "faas/cli/zip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_WAIT_S 600
#define WAIT_STEP_S 60

typedef struct deploy {
    faas_cli__ctx_t *ctx;
    char name[128];
    char build_id[64];
    char path[512];
    faas_cli_filter_t filter;
    char tail[512];        /* the last bytes of the build log, to see its final line */
    size_t tail_len;
    double t0, t_uploaded, t_built, t_served;
    double deadline;
} deploy_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The values of a repeatable option joined by sep (after each for "\n", between for ","); NULL when none. */
static char *joined(const faas_cli_args_t *a, const char *option, const char *sep, int after_each)
{
    const char *vals[FAAS_CLI_MAX_ARGS];
    size_t n = faas_cli_args_values(a, option, vals, FAAS_CLI_MAX_ARGS), len;
    faas_buf_t b = {0};
    for (size_t i = 0; i < n; i++) {
        if (!after_each && i > 0)
            faas_buf_adds(&b, sep);
        faas_buf_adds(&b, vals[i]);
        if (after_each)
            faas_buf_adds(&b, sep);
    }
    return faas_buf_take(&b, &len);
}

/* Adds a text field when value is not NULL. */
static void add_field(faas_cli_field_t *f, size_t *n, const char *name, const char *value)
{
    if (value != NULL)
        f[(*n)++] = (faas_cli_field_t){name, value, strlen(value), NULL};
}

/*
 * The upload request's fields. What the options do not give is kept from the function's record
 * when it exists (runtime, tag, port, volume: the upload would otherwise reset them).
 */
static int upload(deploy_t *d, const faas_cli_zip_t *zip, const cJSON *old, faas_cli_response_t *resp)
{
    const faas_cli_args_t *a = d->ctx->args;
    faas_cli_field_t f[16];
    size_t n = 0;
    char tag[160], port[16], zipname[160];
    char *env = joined(a, "env", "\n", 1), *secrets = joined(a, "secret", ",", 0);
    const char *runtime = faas_cli_args_value(a, "runtime"), *volume = faas_cli_args_value(a, "volume");
    const char *old_tag = faas_cli_json_str(old, "tag");
    snprintf(tag, sizeof(tag), "%s%s", old_tag ? old_tag : d->name, old_tag ? "" : ":latest");
    snprintf(port, sizeof(port), "%s", faas_cli_args_value(a, "port") ? faas_cli_args_value(a, "port") : "");
    if (port[0] == '\0' && faas_cli_json_num(old, "port", 0) > 0)
        snprintf(port, sizeof(port), "%.0f", faas_cli_json_num(old, "port", 0));
    add_field(f, &n, "name", d->name);
    add_field(f, &n, "tag", tag);
    add_field(f, &n, "runtime", runtime ? runtime : faas_cli_json_str(old, "runtime") ? faas_cli_json_str(old, "runtime") : "default");
    add_field(f, &n, "port", port[0] ? port : NULL);
    add_field(f, &n, "volume", volume ? volume : faas_cli_json_str(old, "volume"));
    add_field(f, &n, "env", env);
    add_field(f, &n, "secrets", secrets);
    add_field(f, &n, "scale_min", faas_cli_args_value(a, "min"));
    add_field(f, &n, "scale_max", faas_cli_args_value(a, "max"));
    snprintf(zipname, sizeof(zipname), "%s.zip", d->name);
    f[n++] = (faas_cli_field_t){"file", zip->data, zip->len, zipname};
    faas_cli_request_t req = {.path = "/function/upload", .fields = f, .nfields = n, .timeout_s = 600,
                              .progress = d->ctx->out.err_tty};
    int rc = faas_cli_client_call(d->ctx->client, &req, resp);
    free(env);
    free(secrets);
    return rc;
}

static int on_build_log(void *ud, const char *data, size_t len)
{
    deploy_t *d = ud;
    faas_cli_write_filtered(&d->filter, stderr, data, len);
    for (size_t i = 0; i < len; i++) { /* keep the last bytes */
        if (d->tail_len == sizeof(d->tail) - 1) {
            memmove(d->tail, d->tail + 256, d->tail_len - 256);
            d->tail_len -= 256;
        }
        d->tail[d->tail_len++] = data[i];
    }
    d->tail[d->tail_len] = '\0';
    if (d->t_built == 0 && strstr(d->tail, "faas: built ") != NULL)
        d->t_built = now_s(); /* the image is there: what follows is the container's start */
    return 0;
}

/* Streams the build log to stderr until the server ends it; 1 when its final line was seen. */
static int stream_build_log(deploy_t *d)
{
    char path[600], final[128];
    snprintf(path, sizeof(path), "%s?source=build&follow=1", d->path);
    long left = (long)(d->deadline - now_s());
    faas_cli_request_t req = {.path = path, .timeout_s = left > 1 ? left : 1, .on_data = on_build_log, .cbdata = d};
    faas_cli_response_t resp;
    char err[512];
    d->filter.keep_sgr = d->ctx->out.err_tty;
    if (faas_cli_client_send(d->ctx->client, &req, &resp, err, sizeof(err)) != 0)
        fprintf(stderr, "faas: the build log broke off (%s); waiting for the build\n", err);
    faas_cli_response_free(&resp);
    snprintf(final, sizeof(final), "faas: build %s ", d->build_id);
    return strstr(d->tail, final) != NULL;
}

/*
 * Waits until the record's build d->build_id ended; *fn is the last record (caller frees).
 * 0 succeeded; 2 the build failed (the record in resp, for the report); 1 any other failure (printed).
 */
static int wait_served(deploy_t *d, faas_cli_response_t *resp)
{
    char path[700];
    for (;;) {
        double left = d->deadline - now_s(), t = now_s();
        long step = left > WAIT_STEP_S ? WAIT_STEP_S : left > 1 ? (long)left : 1;
        snprintf(path, sizeof(path), "%s?wait=%s&timeout=%ld", d->path, d->build_id, step);
        faas_cli_request_t req = {.path = path, .timeout_s = step + 30};
        faas_cli_response_free(resp);
        if (faas_cli_client_call(d->ctx->client, &req, resp) != 0)
            return 1;
        const cJSON *build = cJSON_GetObjectItemCaseSensitive(faas_cli_response_data(resp), "build");
        const char *id = faas_cli_json_str(build, "id"), *status = faas_cli_json_str(build, "status");
        if (id == NULL || strcmp(id, d->build_id) != 0)
            return faas_cli_fail("%s: another deploy started (build %.8s) before build %.8s served", d->name,
                                 id ? id : "-", d->build_id);
        if (status != NULL && strcmp(status, "succeeded") == 0)
            return 0;
        if (status != NULL && strcmp(status, "failed") == 0)
            return 2;
        if (now_s() >= d->deadline)
            return faas_cli_fail("%s: build %.8s still %s after %.0f s (faas logs %s --build)", d->name, d->build_id,
                                 status ? status : "running", d->deadline - d->t0, d->name);
        if (now_s() - t < 1) /* a server without ?wait answers at once: ask again in a second */
            usleep(1000000);
    }
}

/* A failed build: the log's tail (unless the stream just showed it), then the error. Returns 1. */
static int report_failure(deploy_t *d, const faas_cli_response_t *resp, int log_shown)
{
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(faas_cli_response_data(resp), "build");
    if (!log_shown) {
        char path[600];
        snprintf(path, sizeof(path), "%s?source=build&tail=20", d->path);
        faas_cli_filter_t f = {.keep_sgr = d->ctx->out.err_tty};
        faas_cli_response_t log;
        faas_cli_request_t req = {.path = path};
        char err[256];
        if (faas_cli_client_send(d->ctx->client, &req, &log, err, sizeof(err)) == 0 && log.status == 200)
            faas_cli_write_filtered(&f, stderr, log.body.p ? log.body.p : "", log.body.len);
        faas_cli_response_free(&log);
    }
    if (d->ctx->args->json)
        faas_cli_print_json(&d->ctx->out, faas_cli_response_data(resp));
    const char *error = faas_cli_json_str(build, "error");
    return faas_cli_fail("%s: build %.8s failed: %s", d->name, d->build_id, error ? error : "(no error given)");
}

static void report_success(deploy_t *d, const faas_cli_response_t *resp, int log_ended)
{
    const cJSON *fn = faas_cli_response_data(resp);
    const char *url = faas_cli_json_str(fn, "url");
    char clean[512];
    if (d->ctx->args->json) {
        faas_cli_print_json(&d->ctx->out, fn);
        return;
    }
    if (log_ended)
        printf("%s deployed in %.1fs: upload %.1fs, build %.1fs, start %.1fs\n", d->name, d->t_served - d->t0,
               d->t_uploaded - d->t0, d->t_built - d->t_uploaded, d->t_served - d->t_built);
    else
        printf("%s deployed in %.1fs: upload %.1fs, build and start %.1fs\n", d->name, d->t_served - d->t0,
               d->t_uploaded - d->t0, d->t_served - d->t_uploaded);
    if (url != NULL)
        printf("url  %s\n", faas_cli_clean(url, clean, sizeof(clean)));
    if (faas_cli_json_num(fn, "port", 0) > 0)
        printf("port http://127.0.0.1:%.0f/\n", faas_cli_json_num(fn, "port", 0));
    if (url == NULL)
        printf("call it with: faas invoke %s [PATH]\n", d->name);
}

/* The zip of the folder, or 1 after saying why. */
static int zip_folder(deploy_t *d, const char *dir, faas_cli_zip_t *zip)
{
    char err[1024];
    if (faas_cli_zip_dir(dir, zip, err, sizeof(err)) != 0)
        return faas_cli_fail("%s", err);
    if (d->ctx->args->verbose)
        fprintf(stderr, "zipped %zu files (%zu left out by .faasignore and .git), %.1f kB\n", zip->files, zip->ignored,
                zip->len / 1e3);
    return 0;
}

/* The function's record before the upload (a JSON object, or NULL when there is none). */
static cJSON *old_record(deploy_t *d)
{
    faas_cli_request_t req = {.path = d->path};
    faas_cli_response_t resp;
    char err[256];
    cJSON *fn = NULL;
    if (faas_cli_client_send(d->ctx->client, &req, &resp, err, sizeof(err)) == 0 && resp.status == 200)
        fn = cJSON_Duplicate(faas_cli_response_data(&resp), 1);
    faas_cli_response_free(&resp);
    return fn;
}

int faas_cli__cmd_deploy(faas_cli__ctx_t *ctx)
{
    const faas_cli_args_t *a = ctx->args;
    const char *dir = a->npos > 0 ? a->pos[0] : ".", *name = faas_cli_args_value(a, "name");
    deploy_t d = {.ctx = ctx, .t0 = now_s()};
    faas_cli_zip_t zip = {0};
    faas_cli_response_t resp = {0};
    char esc[256];
    long wait_s = DEFAULT_WAIT_S;
    faas_cli_args_int(a, "timeout", &wait_s);
    d.deadline = d.t0 + (double)wait_s;
    if (name != NULL)
        snprintf(d.name, sizeof(d.name), "%s", name);
    else if (faas_cli__name_from_dir(dir, d.name, sizeof(d.name)) != 0)
        return faas_cli__usage_error("deploy", "cannot make a function name of folder '%s': give --name", dir);
    snprintf(d.path, sizeof(d.path), "/function/get/%s", faas_cli_escape(d.name, esc, sizeof(esc)) ? esc : "-");
    if (zip_folder(&d, dir, &zip) != 0)
        return FAAS_CLI_FAILED;
    cJSON *old = old_record(&d);
    int rc = upload(&d, &zip, old, &resp);
    cJSON_Delete(old);
    faas_cli_zip_free(&zip);
    d.t_uploaded = now_s();
    const char *id = faas_cli_json_str(resp.json, "buildId");
    if (id == NULL)
        id = faas_cli_json_str(cJSON_GetObjectItemCaseSensitive(faas_cli_response_data(&resp), "build"), "id");
    snprintf(d.build_id, sizeof(d.build_id), "%s", id ? id : "");
    if (rc != 0 || faas_cli_args_has(a, "no-wait")) {
        if (rc == 0)
            ctx->args->json ? faas_cli_print_json(&ctx->out, resp.json)
                            : (void)printf("%s: build %.8s started\n", d.name, d.build_id);
        faas_cli_response_free(&resp);
        return rc;
    }
    snprintf(d.path, sizeof(d.path), "/function/logs/%s", esc);
    int log_ended = stream_build_log(&d);
    if (d.t_built == 0)
        d.t_built = now_s();
    snprintf(d.path, sizeof(d.path), "/function/get/%s", esc);
    rc = wait_served(&d, &resp);
    d.t_served = now_s();
    if (rc == 2) {
        snprintf(d.path, sizeof(d.path), "/function/logs/%s", esc);
        rc = report_failure(&d, &resp, log_ended);
    } else if (rc == 0) {
        report_success(&d, &resp, log_ended);
    }
    faas_cli_response_free(&resp);
    return rc;
}
