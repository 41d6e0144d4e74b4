/*
 * args.c: the client's command table and its argument parser (see args.h). Options may come
 * anywhere after the command, as --name VALUE, --name=VALUE, -x VALUE or -xVALUE; "--" ends
 * them. Every value is checked here against its kind, so commands read values that are
 * already valid. Pure code; any thread.
 */
#include "faas/cli/args.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const faas_cli_option_t global_opts[] = {
    {"json", 0, FAAS_CLI_FLAG, 0, "print the server's JSON answer (one document) instead of text"},
    {"verbose", 'v', FAAS_CLI_FLAG, 0, "say more (invoke: the status line on stderr)"},
    {"help", 'h', FAAS_CLI_FLAG, 0, "this help"},
    {NULL, 0, 0, 0, NULL},
};

static const faas_cli_option_t no_opts[] = {{NULL, 0, 0, 0, NULL}};
static const faas_cli_option_t deploy_opts[] = {
    {"name", 'n', FAAS_CLI_STR, 0, "NAME      the function's name (default: the folder's name)"},
    {"runtime", 'r', FAAS_CLI_STR, 0, "RUNTIME   the runtime that builds it (default: default)"},
    {"port", 'p', FAAS_CLI_PORT, 0, "PORT      also serve it at 127.0.0.1:PORT (0: none; default: kept)"},
    {"env", 'e', FAAS_CLI_KV, 1, "K=V       an environment variable (repeat; replaces the function's env)"},
    {"secret", 's', FAAS_CLI_STR, 1, "SECRET    mount secret SECRET at /run/secrets/SECRET (repeat)"},
    {"volume", 0, FAAS_CLI_STR, 0, "SPEC      bind mounts, ./host:/container[:ro],... (default: kept)"},
    {"min", 0, FAAS_CLI_INT, 0, "N         at least N replicas"},
    {"max", 0, FAAS_CLI_INT, 0, "N         at most N replicas"},
    {"timeout", 't', FAAS_CLI_INT, 0, "SECONDS   how long to wait for the new version (default 600)"},
    {"no-wait", 0, FAAS_CLI_FLAG, 0, "         return once the upload is accepted"},
    {NULL, 0, 0, 0, NULL},
};
static const faas_cli_option_t ls_opts[] = {
    {"quiet", 'q', FAAS_CLI_FLAG, 0, "         names only, one a line"},
    {NULL, 0, 0, 0, NULL},
};
static const faas_cli_option_t logs_opts[] = {
    {"follow", 'f', FAAS_CLI_FLAG, 0, "         keep printing new output until interrupted"},
    {"build", 'b', FAAS_CLI_FLAG, 0, "         the last build's log instead of the container's output"},
    {"tail", 'n', FAAS_CLI_INT, 0, "N         only the last N lines"},
    {NULL, 0, 0, 0, NULL},
};
static const faas_cli_option_t invoke_opts[] = {
    {"request", 'X', FAAS_CLI_STR, 0, "METHOD    the HTTP method (default GET, or POST with -d)"},
    {"data", 'd', FAAS_CLI_STR, 0, "DATA      the request body; @FILE reads FILE, @- stdin"},
    {"header", 'H', FAAS_CLI_HEADER, 1, "'K: V'    a request header (repeat)"},
    {NULL, 0, 0, 0, NULL},
};
static const faas_cli_option_t submit_opts[] = {
    {"name", 'n', FAAS_CLI_STR, 0, "NAME      the job function's name (default: the folder's name)"},
    {NULL, 0, 0, 0, NULL},
};
static const faas_cli_option_t scale_opts[] = {
    {"min", 0, FAAS_CLI_INT, 0, "N         at least N replicas"},
    {"max", 0, FAAS_CLI_INT, 0, "N         at most N replicas"},
    {"target", 0, FAAS_CLI_INT, 0, "N         requests in flight per replica the autoscaler aims at"},
    {"concurrency", 0, FAAS_CLI_INT, 0, "N         at most N requests at once per replica (0: no cap)"},
    {NULL, 0, 0, 0, NULL},
};

#define G(id, name, syn, sum, help, lo, hi, kinds, opts) {id, name, syn, sum, help, lo, hi, kinds, 0, opts}

static const faas_cli_command_t commands[] = {
    G(FAAS_CLI_LOGIN, "login", "URL", "log in to a faas server: checks the key and stores URL and key",
      "Asks for the key without echo (or reads one line from stdin when it is not a terminal), checks\n"
      "it against the server and stores URL and key in ~/.config/faas/config (mode 0600).\n"
      "FAAS_URL and FAAS_KEY override the stored login.", 1, 1, "s", no_opts),
    G(FAAS_CLI_LOGOUT, "logout", "", "forget the stored login", NULL, 0, 0, "", no_opts),
    G(FAAS_CLI_DEPLOY, "deploy", "[DIR] [options]", "build and serve a folder as a service function",
      "Zips DIR (default .) without what .faasignore (gitignore syntax) and .git/ name, uploads it,\n"
      "streams the build log to stderr, waits until the new version serves, then prints its URL and\n"
      "the times. A failed build exits 1 with the log's tail and the error. Symbolic links are\n"
      "refused (list them in .faasignore). Without --port or --volume a redeploy keeps the ones the\n"
      "function has.", 0, 1, "s", deploy_opts),
    G(FAAS_CLI_LS, "ls", "[-q]", "list the functions", NULL, 0, 0, "", ls_opts),
    G(FAAS_CLI_INFO, "info", "NAME", "show one function", NULL, 1, 1, "s", no_opts),
    G(FAAS_CLI_LOGS, "logs", "NAME [-f] [--build] [--tail N]", "print a function's output or build log",
      "Control characters and terminal escape sequences in the output are removed when stdout is\n"
      "not a terminal (colours are kept on a terminal).", 1, 1, "s", logs_opts),
    G(FAAS_CLI_INVOKE, "invoke", "NAME [PATH] [-X METHOD] [-d DATA|@file] [-H 'K: V']...",
      "send a request to a service function through the server",
      "The request goes to the server's address with the function's Host; the body of the answer\n"
      "goes to stdout byte for byte when stdout is not a terminal (so binary answers can be\n"
      "redirected), with control characters removed on a terminal. Exit 1 on a 5xx answer.",
      1, 2, "s", invoke_opts),
    G(FAAS_CLI_RM, "rm", "NAME", "delete a function: its containers, images and record", NULL, 1, 1, "s", no_opts),
    {FAAS_CLI_SCALE, "scale", "NAME [--min N] [--max N] [--target N] [--concurrency N]",
     "change a function's scale settings", NULL, 1, 1, "s", 1, scale_opts},
    G(FAAS_CLI_REVISIONS, "revisions", "NAME", "list a function's revisions", NULL, 1, 1, "s", no_opts),
    G(FAAS_CLI_ROLLBACK, "rollback", "NAME [REVISION]", "serve an earlier revision again (default: the previous)",
      NULL, 1, 2, "si", no_opts),
    G(FAAS_CLI_SUBMIT, "submit", "[DIR] [--name N]", "build a folder as a job function",
      "Zips DIR like deploy and waits for the build (the language comes from serverless.json,\n"
      "main.py/handler.py/requirements.txt or go.mod/main.go).", 0, 1, "s", submit_opts),
    G(FAAS_CLI_RUN, "run", "NAME [KEY=VALUE]...", "run a job function with input, print its output",
      "Each KEY=VALUE becomes the environment variable KEY (upper-cased by the server). Exits 1 when\n"
      "the function exits with an error or times out (its output is printed first).", 1, -1, "sk", no_opts),
    G(FAAS_CLI_RUNTIME_LS, "runtime ls", "", "list the runtimes", NULL, 0, 0, "", no_opts),
    G(FAAS_CLI_RUNTIME_SHOW, "runtime show", "NAME", "print a runtime's Dockerfile", NULL, 1, 1, "s", no_opts),
    G(FAAS_CLI_RUNTIME_ADD, "runtime add", "NAME FILE", "add or replace a runtime from a Dockerfile", NULL, 2, 2,
      "ss", no_opts),
    G(FAAS_CLI_RUNTIME_RM, "runtime rm", "NAME", "delete a runtime", NULL, 1, 1, "s", no_opts),
    G(FAAS_CLI_SECRET_SET, "secret set", "NAME [FILE|-]", "store a secret from FILE or stdin",
      "Without FILE (or with -) the value is read from stdin; on a terminal it is asked for without\n"
      "echo. Secrets are write-only: nothing reads them back.", 1, 2, "ss", no_opts),
    G(FAAS_CLI_SECRET_LS, "secret ls", "", "list the secrets (names and use, never values)", NULL, 0, 0, "", no_opts),
    G(FAAS_CLI_SECRET_RM, "secret rm", "NAME", "delete a secret", NULL, 1, 1, "s", no_opts),
    G(FAAS_CLI_KEY_CREATE, "key create", "NAME SCOPE", "create an API key (scope read, invoke, deploy or admin)",
      "The key is printed once, on stdout; the server keeps only its hash.", 2, 2, "sc", no_opts),
    G(FAAS_CLI_KEY_LS, "key ls", "", "list the API keys", NULL, 0, 0, "", no_opts),
    G(FAAS_CLI_KEY_RM, "key rm", "NAME", "revoke an API key", NULL, 1, 1, "s", no_opts),
    G(FAAS_CLI_HELP, "help", "[COMMAND]", "show the commands, or one command's options", NULL, 0, 2, "s", no_opts),
    G(FAAS_CLI_COMPLETION, "completion", "bash", "print the bash completion script",
      "  source <(faas completion bash)", 1, 1, "s", no_opts),
    {0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, NULL},
};

static const char *const groups[] = {"runtime", "secret", "key"};

const faas_cli_command_t *faas_cli_commands(void)
{
    return commands;
}

const faas_cli_option_t *faas_cli_global_options(void)
{
    return global_opts;
}

int faas_cli_command_is_group(const char *word)
{
    for (size_t i = 0; word != NULL && i < sizeof(groups) / sizeof(groups[0]); i++)
        if (strcmp(word, groups[i]) == 0)
            return 1;
    return 0;
}

const faas_cli_command_t *faas_cli_command_find(const char *word, const char *sub)
{
    char full[64];
    if (word == NULL)
        return NULL;
    if (faas_cli_command_is_group(word)) {
        if (sub == NULL || snprintf(full, sizeof(full), "%s %s", word, sub) >= (int)sizeof(full))
            return NULL;
        word = full;
    }
    for (const faas_cli_command_t *c = commands; c->name != NULL; c++)
        if (strcmp(c->name, word) == 0)
            return c;
    return NULL;
}

static int fail(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -1;
}

static int valid_int(const char *s, long max)
{
    size_t n = strlen(s);
    if (n == 0 || n > 10)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return strtol(s, NULL, 10) <= max;
}

/* NULL when value fits kind; else what was expected. */
static const char *kind_error(faas_cli_kind_t kind, const char *v)
{
    switch (kind) {
    case FAAS_CLI_FLAG:
        return NULL;
    case FAAS_CLI_STR:
        return v[0] != '\0' ? NULL : "expected a value";
    case FAAS_CLI_INT:
        return valid_int(v, 1000000000L) ? NULL : "expected a number (0 or more)";
    case FAAS_CLI_PORT:
        return valid_int(v, 65535) ? NULL : "expected a port number from 0 to 65535";
    case FAAS_CLI_KV:
        return v[0] != '=' && strchr(v, '=') != NULL ? NULL : "expected KEY=VALUE";
    case FAAS_CLI_HEADER: {
        const char *colon = strchr(v, ':');
        if (colon == NULL || colon == v)
            return "expected 'Name: value'";
        for (const char *p = v; p < colon; p++)
            if (!isgraph((unsigned char)*p))
                return "expected 'Name: value' (no space in the name)";
        return NULL;
    }
    case FAAS_CLI_SCOPE:
        return strcmp(v, "read") == 0 || strcmp(v, "invoke") == 0 || strcmp(v, "deploy") == 0 ||
                       strcmp(v, "admin") == 0
                   ? NULL
                   : "expected a scope: read, invoke, deploy or admin";
    }
    return "invalid";
}

static faas_cli_kind_t pos_kind(const faas_cli_command_t *c, size_t i)
{
    size_t n = strlen(c->pos_kinds);
    char k = n == 0 ? 's' : c->pos_kinds[i < n ? i : n - 1];
    return k == 'i' ? FAAS_CLI_INT : k == 'k' ? FAAS_CLI_KV : k == 'c' ? FAAS_CLI_SCOPE : FAAS_CLI_STR;
}

/* The option named by a long name (len bytes) or a short letter, among the command's and the global ones. */
static const faas_cli_option_t *find_opt(const faas_cli_command_t *c, const char *name, size_t len, char shortname)
{
    const faas_cli_option_t *lists[2] = {c->options, global_opts};
    for (int l = 0; l < 2; l++)
        for (const faas_cli_option_t *o = lists[l]; o->name != NULL; o++)
            if (shortname ? o->shortname == shortname : strlen(o->name) == len && strncmp(o->name, name, len) == 0)
                return o;
    return NULL;
}

static int add_opt(faas_cli_args_t *out, const faas_cli_option_t *o, const char *value, char *err, size_t size)
{
    const char *why = o->kind == FAAS_CLI_FLAG ? NULL : kind_error(o->kind, value);
    if (why != NULL)
        return fail(err, size, "faas %s: --%s: %s", out->cmd->name, o->name, why);
    if (!o->repeat && faas_cli_args_has(out, o->name) && o->kind != FAAS_CLI_FLAG)
        return fail(err, size, "faas %s: --%s given twice", out->cmd->name, o->name);
    if (out->nopts == FAAS_CLI_MAX_ARGS)
        return fail(err, size, "faas %s: too many options", out->cmd->name);
    if (o == &global_opts[0])
        out->json = 1;
    else if (o == &global_opts[1])
        out->verbose = 1;
    else if (o == &global_opts[2])
        out->help = 1;
    out->opts[out->nopts++] = (faas_cli_value_t){o, value};
    return 0;
}

/* One option at argv[*i] (a "-..." word); takes its value from the next word when needed. */
static int parse_opt(int argc, char **argv, int *i, faas_cli_args_t *out, char *err, size_t size)
{
    const char *word = argv[*i], *value = NULL;
    const faas_cli_option_t *o;
    if (word[1] == '-') {
        const char *eq = strchr(word + 2, '=');
        size_t len = eq ? (size_t)(eq - word - 2) : strlen(word + 2);
        o = find_opt(out->cmd, word + 2, len, 0);
        if (o == NULL)
            return fail(err, size, "faas %s: unknown option '%.*s'", out->cmd->name, (int)(len + 2), word);
        if (eq != NULL && o->kind == FAAS_CLI_FLAG)
            return fail(err, size, "faas %s: --%s takes no value", out->cmd->name, o->name);
        value = eq ? eq + 1 : NULL;
    } else {
        o = find_opt(out->cmd, NULL, 0, word[1]);
        if (o == NULL || (word[2] != '\0' && o->kind == FAAS_CLI_FLAG))
            return fail(err, size, "faas %s: unknown option '%s'", out->cmd->name, word);
        value = word[2] != '\0' ? word + 2 : NULL;
    }
    if (o->kind != FAAS_CLI_FLAG && value == NULL) {
        if (*i + 1 >= argc)
            return fail(err, size, "faas %s: --%s needs a value", out->cmd->name, o->name);
        value = argv[++*i];
    }
    return add_opt(out, o, value, err, size);
}

/* The command word(s) at argv[1] (and argv[2] for a group); the index of the first argument after them. */
static int parse_command(int argc, char **argv, faas_cli_args_t *out, char *err, size_t size)
{
    const char *word = argc > 1 ? argv[1] : NULL, *sub = argc > 2 ? argv[2] : NULL;
    if (word == NULL)
        return fail(err, size, "faas: no command");
    if (faas_cli_command_is_group(word)) {
        out->cmd = faas_cli_command_find(word, sub);
        if (out->cmd == NULL && sub != NULL && (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0))
            return fail(err, size, "faas %s: expected a subcommand", word); /* faas help runtime lists them */
        if (out->cmd == NULL)
            return fail(err, size, "faas %s: %s%s%s: expected %s", word, sub ? "unknown subcommand '" : "",
                        sub ? sub : "missing subcommand", sub ? "'" : "",
                        strcmp(word, "runtime") == 0 ? "ls, show, add or rm"
                        : strcmp(word, "secret") == 0 ? "set, ls or rm"
                                                      : "create, ls or rm");
        return 3;
    }
    if ((out->cmd = faas_cli_command_find(word, NULL)) == NULL)
        return fail(err, size, "faas: unknown command '%s'", word);
    return 2;
}

/* The positional arguments: their number and kinds; a command that needs an option has one. */
static int check_counts(faas_cli_args_t *out, char *err, size_t size)
{
    const faas_cli_command_t *c = out->cmd;
    if ((int)out->npos < c->min_pos)
        return fail(err, size, "faas %s: missing argument (faas %s %s)", c->name, c->name, c->synopsis);
    if (c->max_pos >= 0 && (int)out->npos > c->max_pos)
        return fail(err, size, "faas %s: unexpected argument '%s'", c->name, out->pos[c->max_pos]);
    for (size_t i = 0; i < out->npos; i++) {
        const char *why = kind_error(pos_kind(c, i), out->pos[i]);
        if (why != NULL)
            return fail(err, size, "faas %s: '%s': %s", c->name, out->pos[i], why);
    }
    int given = 0;
    for (size_t i = 0; i < out->nopts; i++)
        given |= out->opts[i].opt < global_opts || out->opts[i].opt >= global_opts + 3;
    if (c->needs_option && !given)
        return fail(err, size, "faas %s: nothing to change: give at least one option", c->name);
    return 0;
}

int faas_cli_args_parse(int argc, char **argv, faas_cli_args_t *out, char *err, size_t size)
{
    memset(out, 0, sizeof(*out));
    int i = parse_command(argc, argv, out, err, size), options_done = 0;
    if (i < 0)
        return -1;
    for (; i < argc; i++) {
        const char *w = argv[i];
        if (!options_done && strcmp(w, "--") == 0) {
            options_done = 1;
        } else if (!options_done && w[0] == '-' && w[1] != '\0') {
            if (parse_opt(argc, argv, &i, out, err, size) != 0)
                return -1;
        } else if (out->npos == FAAS_CLI_MAX_ARGS) {
            return fail(err, size, "faas %s: too many arguments", out->cmd->name);
        } else {
            out->pos[out->npos++] = w;
        }
    }
    if (out->help)
        return 0; /* the command's help is shown whatever else is wrong */
    return check_counts(out, err, size);
}

const char *faas_cli_args_value(const faas_cli_args_t *a, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < a->nopts; i++)
        if (strcmp(a->opts[i].opt->name, name) == 0)
            v = a->opts[i].value;
    return v;
}

int faas_cli_args_has(const faas_cli_args_t *a, const char *name)
{
    for (size_t i = 0; i < a->nopts; i++)
        if (strcmp(a->opts[i].opt->name, name) == 0)
            return 1;
    return 0;
}

size_t faas_cli_args_values(const faas_cli_args_t *a, const char *name, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < a->nopts && n < max; i++)
        if (strcmp(a->opts[i].opt->name, name) == 0)
            out[n++] = a->opts[i].value;
    return n;
}

int faas_cli_args_int(const faas_cli_args_t *a, const char *name, long *v)
{
    const char *s = faas_cli_args_value(a, name);
    if (s == NULL)
        return 0;
    *v = strtol(s, NULL, 10);
    return 1;
}
