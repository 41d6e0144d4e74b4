/*
 * internal.h: what the files of src/cli share: the context a command runs with and the command
 * functions cli.c dispatches to. Each returns the exit code: 0 ok, 1 failed, 2 usage.
 */
#ifndef FAAS_CLI_INTERNAL_H
#define FAAS_CLI_INTERNAL_H

#include "faas/cli/args.h"
#include "faas/cli/client.h"
#include "faas/cli/config.h"
#include "faas/cli/output.h"

typedef struct faas_cli__ctx {
    const faas_cli_args_t *args;
    faas_cli_out_t out;
    faas_cli_client_t *client;   /* NULL for commands that need no server */
    faas_cli_login_t login;
} faas_cli__ctx_t;

/* Exit codes. */
#define FAAS_CLI_OK 0
#define FAAS_CLI_FAILED 1
#define FAAS_CLI_USAGE 2

/** A usage error: one line, then "see faas help CMD", on stderr. Returns 2. */
int faas_cli__usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** GET path into resp; failures printed. 0, or 1 (resp freed by the caller either way). */
int faas_cli__get(faas_cli__ctx_t *ctx, const char *path, faas_cli_response_t *resp);

/** Sends method path [JSON body], then prints the answer: --json the data, else the "message"
    (or done, when there is none) on stdout. The exit code. */
int faas_cli__simple(faas_cli__ctx_t *ctx, const char *method, const char *path, const char *json_body,
                     const char *done);

/** The function name for a folder: its base name, lower-cased, other characters as '-'; 0 or -1. */
int faas_cli__name_from_dir(const char *dir, char *out, size_t size);

/** Reads all of a file ("-": stdin) into *data and *len (malloc'd, NUL-terminated); 0 or 1 with the error printed. */
int faas_cli__read_input(const char *path, char **data, size_t *len);

/** Reads a secret line from the terminal without echo (prompt on stderr), or one line from stdin. */
int faas_cli__read_secret(const char *prompt, char *out, size_t size);

int faas_cli__cmd_deploy(faas_cli__ctx_t *ctx);
int faas_cli__cmd_ls(faas_cli__ctx_t *ctx);
int faas_cli__cmd_info(faas_cli__ctx_t *ctx);
int faas_cli__cmd_logs(faas_cli__ctx_t *ctx);
int faas_cli__cmd_invoke(faas_cli__ctx_t *ctx);
int faas_cli__cmd_rm(faas_cli__ctx_t *ctx);
int faas_cli__cmd_scale(faas_cli__ctx_t *ctx);
int faas_cli__cmd_revisions(faas_cli__ctx_t *ctx);
int faas_cli__cmd_rollback(faas_cli__ctx_t *ctx);
int faas_cli__cmd_submit(faas_cli__ctx_t *ctx);
int faas_cli__cmd_run(faas_cli__ctx_t *ctx);
int faas_cli__cmd_login(faas_cli__ctx_t *ctx);
int faas_cli__cmd_logout(faas_cli__ctx_t *ctx);
int faas_cli__cmd_runtime(faas_cli__ctx_t *ctx);
int faas_cli__cmd_secret(faas_cli__ctx_t *ctx);
int faas_cli__cmd_key(faas_cli__ctx_t *ctx);

/** faas help [COMMAND] and faas completion bash (help.c). */
int faas_cli__cmd_help(const char *command, const char *sub, FILE *out);
int faas_cli__cmd_completion(const char *shell);

#endif
