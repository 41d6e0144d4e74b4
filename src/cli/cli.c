/*
 * cli.c: the client's entry point (see cli.h): parse, then run the command with the login's
 * client; and the helpers the command files share (usage errors, simple requests, reading
 * input and keys). Blocking; the main thread.
 */
#include "faas/cli/cli.h"
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define MAX_INPUT_FILE (256 * 1024 * 1024)

int faas_cli__usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    faas_cli_fail("%s%s%s", cmd ? cmd : "", cmd ? ": " : "", msg);
    fprintf(stderr, "see faas help%s%s\n", cmd ? " " : "", cmd ? cmd : "");
    return FAAS_CLI_USAGE;
}

int faas_cli__get(faas_cli__ctx_t *ctx, const char *path, faas_cli_response_t *resp)
{
    faas_cli_request_t req = {.path = path};
    return faas_cli_client_call(ctx->client, &req, resp);
}

int faas_cli__simple(faas_cli__ctx_t *ctx, const char *method, const char *path, const char *json_body,
                     const char *done)
{
    faas_cli_request_t req = {.method = method, .path = path, .body = json_body,
                              .body_len = json_body ? strlen(json_body) : 0,
                              .content_type = json_body ? "application/json" : NULL, .timeout_s = 300};
    faas_cli_response_t resp;
    int rc = faas_cli_client_call(ctx->client, &req, &resp);
    char clean[512];
    const char *message = faas_cli_json_str(resp.json, "message");
    if (rc == 0 && ctx->args->json)
        faas_cli_print_json(&ctx->out, faas_cli_response_data(&resp));
    else if (rc == 0)
        printf("%s\n", faas_cli_clean(done ? done : message ? message : "done", clean, sizeof(clean)));
    faas_cli_response_free(&resp);
    return rc;
}

int faas_cli__name_from_dir(const char *dir, char *out, size_t size)
{
    char real[PATH_MAX];
    const char *path = realpath(dir, real) ? real : dir, *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    size_t n = 0;
    for (const char *p = base; *p && n + 1 < size && n < 63; p++) {
        char c = (char)tolower((unsigned char)*p);
        out[n++] = isalnum((unsigned char)c) && !(c & 0x80) ? c : '-';
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    size_t skip = strspn(out, "-") < n ? strspn(out, "-") : n;
    memmove(out, out + skip, n - skip);
    out[n - skip] = '\0';
    return out[0] != '\0' ? 0 : -1;
}

int faas_cli__read_input(const char *path, char **data, size_t *len)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    faas_buf_t b = {0};
    char buf[65536];
    ssize_t n = 0;
    if (fd < 0)
        return faas_cli_fail("%s: %s", path, strerror(errno));
    while (b.len <= MAX_INPUT_FILE && (n = read(fd, buf, sizeof(buf))) > 0)
        faas_buf_add(&b, buf, (size_t)n);
    int e = errno;
    if (fd != STDIN_FILENO)
        close(fd);
    if (n < 0 || b.oom || b.len > MAX_INPUT_FILE) {
        faas_buf_free(&b);
        return faas_cli_fail("%s: %s", path, n < 0 ? strerror(e) : "too large");
    }
    faas_buf_add(&b, "", 0);
    *data = faas_buf_take(&b, len);
    if (*data == NULL)
        *data = strdup("");
    return 0;
}

int faas_cli__read_secret(const char *prompt, char *out, size_t size)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *got = fgets(out, (int)size, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (got == NULL)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

/* ---- the entry point ---- */

/* Runs a command that talks to the server: the login, one client, the command. */
static int run_remote(faas_cli__ctx_t *ctx)
{
    char err[512];
    if (faas_cli_config_load(&ctx->login, err, sizeof(err)) != 0)
        return faas_cli_fail("%s", err);
    if ((ctx->client = faas_cli_client_new(ctx->login.url, ctx->login.key)) == NULL)
        return faas_cli_fail("out of memory");
    int rc;
    switch (ctx->args->cmd->id) {
    case FAAS_CLI_DEPLOY: rc = faas_cli__cmd_deploy(ctx); break;
    case FAAS_CLI_LS: rc = faas_cli__cmd_ls(ctx); break;
    case FAAS_CLI_INFO: rc = faas_cli__cmd_info(ctx); break;
    case FAAS_CLI_LOGS: rc = faas_cli__cmd_logs(ctx); break;
    case FAAS_CLI_INVOKE: rc = faas_cli__cmd_invoke(ctx); break;
    case FAAS_CLI_RM: rc = faas_cli__cmd_rm(ctx); break;
    case FAAS_CLI_SCALE: rc = faas_cli__cmd_scale(ctx); break;
    case FAAS_CLI_REVISIONS: rc = faas_cli__cmd_revisions(ctx); break;
    case FAAS_CLI_ROLLBACK: rc = faas_cli__cmd_rollback(ctx); break;
    case FAAS_CLI_SUBMIT: rc = faas_cli__cmd_submit(ctx); break;
    case FAAS_CLI_RUN: rc = faas_cli__cmd_run(ctx); break;
    case FAAS_CLI_RUNTIME_LS: case FAAS_CLI_RUNTIME_SHOW: case FAAS_CLI_RUNTIME_ADD: case FAAS_CLI_RUNTIME_RM:
        rc = faas_cli__cmd_runtime(ctx);
        break;
    case FAAS_CLI_SECRET_SET: case FAAS_CLI_SECRET_LS: case FAAS_CLI_SECRET_RM:
        rc = faas_cli__cmd_secret(ctx);
        break;
    default: rc = faas_cli__cmd_key(ctx); break;
    }
    faas_cli_client_free(ctx->client);
    return rc;
}

int faas_cli_is_command(const char *word)
{
    return faas_cli_command_is_group(word) || faas_cli_command_find(word, NULL) != NULL;
}

int faas_cli_main(int argc, char **argv)
{
    faas_cli_args_t args;
    char err[512];
    if (argc == 3 && faas_cli_command_is_group(argv[1]) && (strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0))
        return faas_cli__cmd_help(argv[1], NULL, stdout);
    if (faas_cli_args_parse(argc, argv, &args, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        fprintf(stderr, "see faas help%s%s\n", args.cmd || faas_cli_command_is_group(argv[1]) ? " " : "",
                args.cmd ? args.cmd->name : faas_cli_command_is_group(argv[1]) ? argv[1] : "");
        return FAAS_CLI_USAGE;
    }
    faas_cli__ctx_t ctx = {.args = &args};
    faas_cli_out_init(&ctx.out);
    if (args.help)
        return faas_cli__cmd_help(args.cmd->name, NULL, stdout);
    switch (args.cmd->id) {
    case FAAS_CLI_HELP:
        return faas_cli__cmd_help(args.npos > 0 ? args.pos[0] : NULL, args.npos > 1 ? args.pos[1] : NULL, stdout);
    case FAAS_CLI_COMPLETION:
        return faas_cli__cmd_completion(args.pos[0]);
    case FAAS_CLI_LOGIN:
        return faas_cli__cmd_login(&ctx);
    case FAAS_CLI_LOGOUT:
        return faas_cli__cmd_logout(&ctx);
    default:
        return run_remote(&ctx);
    }
}
