/*
 * args.h: the client's commands as data (name, synopsis, options, positional arguments) and the
 * one parser that turns argv into a checked faas_cli_args_t. Pure code: no I/O, any thread.
 * A parse error is a usage error (exit 2): its message names the command and the cause.
 */
#ifndef FAAS_CLI_ARGS_H
#define FAAS_CLI_ARGS_H

#include <stddef.h>

#define FAAS_CLI_MAX_ARGS 64

/* What an option's value (or a positional argument) must look like. */
typedef enum faas_cli_kind {
    FAAS_CLI_FLAG = 0,  /* an option without a value */
    FAAS_CLI_STR,       /* any non-empty text */
    FAAS_CLI_INT,       /* a decimal integer 0..1000000000 */
    FAAS_CLI_PORT,      /* 0..65535 (0: none) */
    FAAS_CLI_KV,        /* KEY=VALUE, KEY not empty */
    FAAS_CLI_HEADER,    /* 'Name: value' */
    FAAS_CLI_SCOPE,     /* read, invoke, deploy or admin */
} faas_cli_kind_t;

typedef struct faas_cli_option {
    const char *name;   /* long name without "--" */
    char shortname;     /* 0: none */
    faas_cli_kind_t kind;
    int repeat;         /* may be given more than once (each value kept) */
    const char *help;   /* "VALUE  what it does" for faas help COMMAND */
} faas_cli_option_t;

/* The commands; cli.c dispatches on these. */
typedef enum faas_cli_cmd {
    FAAS_CLI_HELP, FAAS_CLI_COMPLETION, FAAS_CLI_LOGIN, FAAS_CLI_LOGOUT,
    FAAS_CLI_DEPLOY, FAAS_CLI_LS, FAAS_CLI_INFO, FAAS_CLI_LOGS, FAAS_CLI_INVOKE, FAAS_CLI_RM,
    FAAS_CLI_SCALE, FAAS_CLI_REVISIONS, FAAS_CLI_ROLLBACK, FAAS_CLI_SUBMIT, FAAS_CLI_RUN,
    FAAS_CLI_RUNTIME_LS, FAAS_CLI_RUNTIME_SHOW, FAAS_CLI_RUNTIME_ADD, FAAS_CLI_RUNTIME_RM,
    FAAS_CLI_SECRET_SET, FAAS_CLI_SECRET_LS, FAAS_CLI_SECRET_RM,
    FAAS_CLI_KEY_CREATE, FAAS_CLI_KEY_LS, FAAS_CLI_KEY_RM,
} faas_cli_cmd_t;

typedef struct faas_cli_command {
    faas_cli_cmd_t id;
    const char *name;       /* "deploy", or "runtime add" for a group's subcommand */
    const char *synopsis;   /* the arguments after the name: "[DIR] [--name N] ..." */
    const char *summary;    /* one line for faas help */
    const char *help;       /* a paragraph for faas help COMMAND (may be NULL) */
    int min_pos, max_pos;   /* positional arguments; max -1: any number */
    const char *pos_kinds;  /* one letter per positional (s str, i int, k KEY=VALUE, c scope); the last repeats */
    int needs_option;       /* at least one option other than the global ones */
    const faas_cli_option_t *options; /* ends with {NULL}; the global ones come on top */
} faas_cli_command_t;

typedef struct faas_cli_value {
    const faas_cli_option_t *opt;
    const char *value;      /* NULL for a flag */
} faas_cli_value_t;

/* A parsed command line; the strings point into argv. */
typedef struct faas_cli_args {
    const faas_cli_command_t *cmd;
    const char *pos[FAAS_CLI_MAX_ARGS];
    size_t npos;
    faas_cli_value_t opts[FAAS_CLI_MAX_ARGS];
    size_t nopts;
    int json;               /* --json */
    int verbose;            /* -v, --verbose */
    int help;               /* -h, --help: show the command's help instead */
} faas_cli_args_t;

/** The command table, ending with {.name = NULL}. */
const faas_cli_command_t *faas_cli_commands(void);

/** The options every command takes (--json, -v, -h), ending with {NULL}. */
const faas_cli_option_t *faas_cli_global_options(void);

/** The command named by words ("deploy", or "runtime" "add"); NULL when there is none. */
const faas_cli_command_t *faas_cli_command_find(const char *word, const char *sub);

/** 1 when word names a group of subcommands (runtime, secret, key). */
int faas_cli_command_is_group(const char *word);

/**
 * Parses argv[1..argc-1] (argv[1] is the command) into out. 0 when valid; else -1 with a
 * one-line message in err ("faas deploy: --port: expected a number from 0 to 65535") and
 * out->cmd set when the command itself was recognised (for "see faas help deploy").
 */
int faas_cli_args_parse(int argc, char **argv, faas_cli_args_t *out, char *err, size_t err_size);

/** The last value given for option name (long name), or NULL. */
const char *faas_cli_args_value(const faas_cli_args_t *a, const char *name);

/** 1 when option name was given (flag or value). */
int faas_cli_args_has(const faas_cli_args_t *a, const char *name);

/** Every value given for name, in order, into out (at most max); their number. */
size_t faas_cli_args_values(const faas_cli_args_t *a, const char *name, const char **out, size_t max);

/** The value of an integer option into *v; 1 when given, 0 when not (the parser checked the number). */
int faas_cli_args_int(const faas_cli_args_t *a, const char *name, long *v);

#endif
