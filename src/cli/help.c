/*
 * help.c: faas help [COMMAND] and faas completion bash, both made from the command table
 * (args.c), so they name exactly the commands and options the parser takes. The main thread.
 */
#include "faas/cli/cli.h"
#include "internal.h"

#include <stdio.h>
#include <string.h>

void faas_cli_usage(FILE *out)
{
    fprintf(out, "Client commands (the server of faas login, or FAAS_URL and FAAS_KEY):\n");
    for (const faas_cli_command_t *c = faas_cli_commands(); c->name != NULL; c++) {
        char head[160];
        snprintf(head, sizeof(head), "%s %s", c->name, c->synopsis);
        if (strlen(head) <= 32)
            fprintf(out, "  faas %-32s %s\n", head, c->summary);
        else /* a long synopsis: the summary on a line of its own */
            fprintf(out, "  faas %s\n  %-37s %s\n", head, "", c->summary);
    }
    fprintf(out, "Every client command takes --json (the server's JSON answer) and -v; faas help COMMAND\n"
                 "shows its options. Exit codes: 0 ok, 1 failed, 2 usage.\n");
}

static void print_options(const faas_cli_option_t *o, FILE *out)
{
    for (; o->name != NULL; o++) {
        char flag[48];
        const char *sp = strchr(o->help, ' ');
        int has_value = o->kind != FAAS_CLI_FLAG;
        snprintf(flag, sizeof(flag), "%c%c%s --%s %.*s", o->shortname ? '-' : ' ', o->shortname ? o->shortname : ' ',
                 o->shortname ? "," : " ", o->name, has_value && sp ? (int)(sp - o->help) : 0, o->help);
        fprintf(out, "  %-28s %s\n", flag, has_value && sp ? sp + strspn(sp, " ") : o->help + strspn(o->help, " "));
    }
}

int faas_cli__cmd_help(const char *command, const char *sub, FILE *out)
{
    if (command == NULL) {
        faas_cli_usage(out);
        return FAAS_CLI_OK;
    }
    if (faas_cli_command_is_group(command) && sub == NULL) {
        fprintf(out, "usage:\n");
        size_t len = strlen(command);
        for (const faas_cli_command_t *c = faas_cli_commands(); c->name != NULL; c++)
            if (strncmp(c->name, command, len) == 0 && c->name[len] == ' ') {
                char head[160];
                snprintf(head, sizeof(head), "%s %s", c->name, c->synopsis);
                fprintf(out, "  faas %-26s %s\n", head, c->summary);
            }
        return FAAS_CLI_OK;
    }
    const faas_cli_command_t *c = faas_cli_command_find(command, sub);
    if (c == NULL)
        return faas_cli__usage_error("help", "unknown command '%s%s%s'", command, sub ? " " : "", sub ? sub : "");
    fprintf(out, "usage: faas %s %s\n\n%c%s.\n", c->name, c->synopsis, c->summary[0] - 32 * (c->summary[0] >= 'a'),
            c->summary + 1);
    if (c->help != NULL)
        fprintf(out, "%s\n", c->help);
    fprintf(out, "\noptions:\n");
    print_options(c->options, out);
    print_options(faas_cli_global_options(), out);
    return FAAS_CLI_OK;
}

/* ---- bash completion ---- */

/* The completion of the n-th positional argument of a command, as a bash snippet. */
static const char *positional(const faas_cli_command_t *c)
{
    switch (c->id) {
    case FAAS_CLI_DEPLOY: case FAAS_CLI_SUBMIT:
        return "COMPREPLY=($(compgen -d -- \"$cur\"))";
    case FAAS_CLI_INFO: case FAAS_CLI_LOGS: case FAAS_CLI_INVOKE: case FAAS_CLI_RM: case FAAS_CLI_SCALE:
    case FAAS_CLI_REVISIONS: case FAAS_CLI_ROLLBACK: case FAAS_CLI_RUN:
        return "[ $npos -eq 0 ] && COMPREPLY=($(compgen -W \"$(faas ls -q 2>/dev/null)\" -- \"$cur\"))";
    case FAAS_CLI_RUNTIME_SHOW: case FAAS_CLI_RUNTIME_RM:
        return "COMPREPLY=($(compgen -W \"$(faas runtime ls 2>/dev/null)\" -- \"$cur\"))";
    case FAAS_CLI_RUNTIME_ADD: case FAAS_CLI_SECRET_SET:
        return "[ $npos -eq 1 ] && COMPREPLY=($(compgen -f -- \"$cur\"))";
    case FAAS_CLI_KEY_CREATE:
        return "[ $npos -eq 1 ] && COMPREPLY=($(compgen -W \"read invoke deploy admin\" -- \"$cur\"))";
    case FAAS_CLI_HELP:
        return "COMPREPLY=($(compgen -W \"$cmds\" -- \"$cur\"))";
    case FAAS_CLI_COMPLETION:
        return "COMPREPLY=($(compgen -W bash -- \"$cur\"))";
    default:
        return ":";
    }
}

static void completion_case(const faas_cli_command_t *c)
{
    printf("        '%s') opts='", c->name);
    for (const faas_cli_option_t *o = c->options; o->name != NULL; o++)
        printf("--%s ", o->name);
    printf("--json --verbose --help'; valued='");
    for (const faas_cli_option_t *o = c->options; o->name != NULL; o++)
        if (o->kind != FAAS_CLI_FLAG)
            printf(" --%s %s%c", o->name, o->shortname ? "-" : "", o->shortname ? o->shortname : ' ');
    printf(" '\n            pos() { %s; } ;;\n", positional(c));
}

int faas_cli__cmd_completion(const char *shell)
{
    if (strcmp(shell, "bash") != 0)
        return faas_cli__usage_error("completion", "'%s': only bash is supported", shell);
    printf("# bash completion for faas (faas completion bash); source it, or install it as\n"
           "# share/bash-completion/completions/faas\n_faas() {\n"
           "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} first=2\n"
           "    local cmds='serve check version");
    for (const faas_cli_command_t *c = faas_cli_commands(); c->name != NULL; c++)
        if (strchr(c->name, ' ') == NULL)
            printf(" %s", c->name);
    printf(" runtime secret key'\n"
           "    if [ \"$COMP_CWORD\" -eq 1 ]; then COMPREPLY=($(compgen -W \"$cmds\" -- \"$cur\")); return; fi\n"
           "    local cmd=${COMP_WORDS[1]} opts='' valued='' npos=0 i\n"
           "    case $cmd in\n"
           "        runtime) subs='ls show add rm' ;; secret) subs='set ls rm' ;; key) subs='create ls rm' ;; *) subs='' ;;\n"
           "    esac\n"
           "    if [ -n \"$subs\" ]; then\n"
           "        if [ \"$COMP_CWORD\" -eq 2 ]; then COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\")); return; fi\n"
           "        cmd=\"$cmd ${COMP_WORDS[2]}\"; first=3\n"
           "    fi\n"
           "    pos() { :; }\n"
           "    case $cmd in\n");
    for (const faas_cli_command_t *c = faas_cli_commands(); c->name != NULL; c++)
        completion_case(c);
    printf("        serve|check) opts='-c --config --help' ;;\n"
           "    esac\n"
           "    case \" $valued \" in *\" $prev \"*) [ -n \"$prev\" ] && { COMPREPLY=($(compgen -f -- \"$cur\")); return; } ;; esac\n"
           "    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")); return; fi\n"
           "    for ((i = first; i < COMP_CWORD; i++)); do\n"
           "        case ${COMP_WORDS[i]} in -*) case \" $valued \" in *\" ${COMP_WORDS[i]} \"*) ((i++)) ;; esac ;; *) ((npos++)) ;; esac\n"
           "    done\n"
           "    pos\n"
           "}\n"
           "complete -F _faas faas\n");
    return FAAS_CLI_OK;
}
