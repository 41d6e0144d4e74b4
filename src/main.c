/*
 * main.c: the faas command line. `faas serve` runs the server; `faas check`
 * validates a configuration and prints every setting it resolved to, with
 * where each value came from; every other command is the client (src/cli/).
 * Nothing else lives here: each subcommand calls one module entry point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faas/cli/cli.h"
#include "faas/core/log.h"
#include "faas/core/policy.h"
#include "faas/server/server.h"

#define FAAS_VERSION "0.1.0"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: faas serve [-c FILE]   run the server\n"
            "       faas check [-c FILE]   validate the configuration and print every setting,\n"
            "                              its value and where it came from (file, env, default)\n"
            "       faas version\n"
            "       faas help              this text (also -h, --help, and after any command)\n"
            "The configuration is FILE, else $FAAS_CONFIG, else ./faas.conf.lua if it exists,\n"
            "else /etc/faas/faas.conf.lua if it exists, else the built-in defaults.\n"
            "Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.\n\n");
    faas_cli_usage(out);
}

static const char *default_config(void)
{
    const char *env = getenv("FAAS_CONFIG");
    if (env != NULL && env[0] != '\0')
        return env;
    static const char *const candidates[] = {"faas.conf.lua", "/etc/faas/faas.conf.lua"};
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
        if (access(candidates[i], F_OK) == 0)
            return candidates[i];
    return NULL;
}

static const char *env_get(const char *name)
{
    return getenv(name);
}

/* Every setting: its value and where it came from (file, env VARIABLE, default). */
static void print_settings(const faas_config_t *cfg)
{
    faas_config_item_t item;
    int width = 5;
    for (size_t i = 0; faas_config_item(cfg, i, &item) == 0; i++)
        if ((int)strlen(item.value) > width)
            width = (int)strlen(item.value);
    width = width > 40 ? 40 : width;
    printf("%-25s %-*s  %s\n", "setting", width, "value", "from");
    for (size_t i = 0; faas_config_item(cfg, i, &item) == 0; i++)
        printf("%-25s %-*s  %s\n", item.name, width, item.value, item.origin);
    printf("\n");
}

/* What the settings mean together: ACME mode, the names that get certificates, the hooks. */
static void print_summary(const faas_config_t *cfg, faas_policy_t *pol)
{
    if (faas_config_acme_mode(cfg))
        printf("https     port %lld, certificates from %s\nhttp      port %lld: ACME challenges, else 308 to https\n"
               "listen    not opened in ACME mode\n",
               (long long)cfg->tls.https_port, faas_config_acme_directory(cfg), (long long)cfg->tls.http_port);
    else if (cfg->tls.cert != NULL)
        printf("https     port %lld, %s\n", (long long)cfg->tls.https_port, cfg->tls.cert);
    if (faas_policy_has_hook(pol, FAAS_HOOK_TLS_ALLOWED))
        printf("tls names the tls_allowed hook decides\n");
    else
        for (size_t i = 0; i < cfg->allowlist_len; i++)
            printf("tls names %s\n", cfg->allowlist[i]);
    for (int h = 0; h < FAAS_POLICY_NHOOKS; h++)
        printf("hook      %-15s %s\n", faas_policy_hook_name((faas_policy_hook_t)h),
               faas_policy_has_hook(pol, (faas_policy_hook_t)h) ? "defined" : "-");
}

static int check(const char *path)
{
    faas_policy_env_t env = {.getenv_fn = env_get, .home = getenv("HOME")};
    faas_config_t *cfg = NULL;
    faas_policy_t *pol = NULL;
    faas_error_t err = {0};
    if (faas_policy_load(path, &env, &cfg, &pol, &err) != FAAS_OK) {
        fprintf(stderr, "faas: config: %s\n", err.msg);
        return 2;
    }
    printf("config    %s\n", cfg->path ? cfg->path : "(built-in defaults)");
    print_settings(cfg);
    print_summary(cfg, pol);
    faas_policy_dispose(pol);
    faas_config_unref(cfg);
    return 0;
}

static int is_help(const char *arg)
{
    return strcmp(arg, "help") == 0 || strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* 1 for the commands main.c runs itself (the client gets every other one). */
static int is_server_command(const char *arg)
{
    return strcmp(arg, "serve") == 0 || strcmp(arg, "check") == 0 || strcmp(arg, "version") == 0;
}

int main(int argc, char **argv)
{
    /* "faas help" alone and "faas help serve|check|version" stay here; "faas help deploy" is the client's. */
    if (argc >= 2 && faas_cli_is_command(argv[1]) &&
        !(strcmp(argv[1], "help") == 0 && (argc == 2 || is_server_command(argv[2]))))
        return faas_cli_main(argc, argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1], *config = NULL;
    int config_given = 0;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i > 1 && i + 1 < argc) {
            config = argv[++i];
            config_given = 1;
        } else if (is_help(argv[i]) && (i == 1 || argv[i][0] == '-')) {
            usage(stdout); /* asked for: stdout and exit 0, after any command */
            return 0;
        } else if (i > 1) {
            fprintf(stderr, "faas: unknown argument '%s'\nsee faas help\n", argv[i]);
            return 2;
        }
    }
    if (!config_given)
        config = default_config();
    if (strcmp(cmd, "serve") == 0)
        return faas_server_run(config);
    if (strcmp(cmd, "check") == 0)
        return check(config);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("faas %s\n", FAAS_VERSION);
        return 0;
    }
    fprintf(stderr, "faas: unknown command '%s'\nsee faas help\n", cmd);
    return 2;
}
