/*
 * cli_args.c (unit): the client's argument parser. Every command of the table parses with its
 * arguments; each option form (--name V, --name=V, -n V, -nV, flags, repeats, "--"); every
 * kind of value checked; and every error is a usage error with a message naming the command
 * and the cause.
 */
#include "faas/cli/args.h"
#include "testlib.h"

#include <stdio.h>
#include <string.h>

static char words[64][128];
static char *argv_[64];
static faas_cli_args_t args;
static char err[256];

/* Parses a command line given as one string (words split on spaces; '~' stands for a space). */
static int parse(const char *line)
{
    char copy[1024];
    int argc = 0;
    snprintf(copy, sizeof(copy), "faas %s", line);
    for (char *w = strtok(copy, " "); w != NULL && argc < 64; w = strtok(NULL, " ")) {
        snprintf(words[argc], sizeof(words[argc]), "%s", w);
        for (char *p = words[argc]; *p; p++)
            if (*p == '~')
                *p = ' ';
        argv_[argc] = words[argc];
        argc++;
    }
    err[0] = '\0';
    return faas_cli_args_parse(argc, argv_, &args, err, sizeof(err));
}

/* A valid positional for the kind letter at i of the command. */
static const char *sample(const faas_cli_command_t *c, int i)
{
    size_t n = strlen(c->pos_kinds);
    char k = n == 0 ? 's' : c->pos_kinds[(size_t)i < n ? (size_t)i : n - 1];
    return k == 'i' ? "3" : k == 'k' ? "K=V" : k == 'c' ? "deploy" : c->id == FAAS_CLI_COMPLETION ? "bash" : "x";
}

TEST(every_command_parses)
{
    int count = 0;
    for (const faas_cli_command_t *c = faas_cli_commands(); c->name != NULL; c++, count++) {
        char line[256];
        snprintf(line, sizeof(line), "%s", c->name);
        for (int i = 0; i < c->min_pos; i++)
            snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s", sample(c, i));
        if (c->needs_option)
            snprintf(line + strlen(line), sizeof(line) - strlen(line), " --%s 1", c->options[0].name);
        int rc = parse(line);
        testlib_check(rc == 0 && args.cmd == c, __FILE__, __LINE__, "'%s' parses: %s", line, err);
        /* one positional fewer than needed is a usage error naming the command */
        if (c->min_pos > 0) {
            char *last = strrchr(line, ' ');
            if (!c->needs_option && last != NULL) {
                *last = '\0';
                CHECK_INT(parse(line), -1);
                CHECK_CONTAINS(err, c->name);
                CHECK_CONTAINS(err, "missing argument");
            }
        }
    }
    CHECK(count >= 25);
    CHECK(faas_cli_command_find("runtime", "add") != NULL);
    CHECK(faas_cli_command_find("runtime", NULL) == NULL);
    CHECK(faas_cli_command_find("nope", NULL) == NULL);
}

TEST(deploy_options)
{
    CHECK_INT(parse("deploy app --name hello -r python --port=9100 -e A=1 --env B=x=y -s db --secret api "
                    "--volume ./d:/d --min 1 --max 3 --json -v"), 0);
    CHECK_INT(args.cmd->id, FAAS_CLI_DEPLOY);
    CHECK_INT(args.npos, 1);
    CHECK_STR(args.pos[0], "app");
    CHECK_STR(faas_cli_args_value(&args, "name"), "hello");
    CHECK_STR(faas_cli_args_value(&args, "runtime"), "python");
    long v = 0;
    CHECK_INT(faas_cli_args_int(&args, "port", &v), 1);
    CHECK_INT(v, 9100);
    const char *vals[8];
    CHECK_INT(faas_cli_args_values(&args, "env", vals, 8), 2);
    CHECK_STR(vals[0], "A=1");
    CHECK_STR(vals[1], "B=x=y");
    CHECK_INT(faas_cli_args_values(&args, "secret", vals, 8), 2);
    CHECK_STR(vals[1], "api");
    CHECK_STR(faas_cli_args_value(&args, "volume"), "./d:/d");
    CHECK_INT(faas_cli_args_int(&args, "max", &v), 1);
    CHECK_INT(v, 3);
    CHECK_INT(args.json, 1);
    CHECK_INT(args.verbose, 1);
    CHECK_INT(faas_cli_args_int(&args, "timeout", &v), 0);
    CHECK_INT(parse("deploy"), 0);
    CHECK_INT(args.npos, 0);
    CHECK_INT(parse("deploy -nhello -p0 --no-wait"), 0); /* attached short values, port 0 (none) */
    CHECK_STR(faas_cli_args_value(&args, "name"), "hello");
    CHECK_STR(faas_cli_args_value(&args, "port"), "0");
    CHECK(faas_cli_args_has(&args, "no-wait"));
}

TEST(other_commands_options)
{
    CHECK_INT(parse("logs fn -f --build --tail 20"), 0);
    CHECK(faas_cli_args_has(&args, "follow") && faas_cli_args_has(&args, "build"));
    CHECK_STR(faas_cli_args_value(&args, "tail"), "20");
    CHECK_INT(parse("logs fn -n5"), 0);
    CHECK_STR(faas_cli_args_value(&args, "tail"), "5");
    CHECK_INT(parse("invoke fn /a/b -X PUT -d @body.json -H X-A:~1 --header Accept:~text/plain"), 0);
    CHECK_STR(args.pos[1], "/a/b");
    CHECK_STR(faas_cli_args_value(&args, "request"), "PUT");
    CHECK_STR(faas_cli_args_value(&args, "data"), "@body.json");
    const char *h[4];
    CHECK_INT(faas_cli_args_values(&args, "header", h, 4), 2);
    CHECK_STR(h[0], "X-A: 1");
    CHECK_INT(parse("ls -q"), 0);
    CHECK(faas_cli_args_has(&args, "quiet"));
    CHECK_INT(parse("scale fn --target 5 --concurrency 0"), 0);
    CHECK_STR(faas_cli_args_value(&args, "concurrency"), "0");
    CHECK_INT(parse("submit dir --name job"), 0);
    CHECK_INT(parse("run job A=1 b=two"), 0);
    CHECK_INT(args.npos, 3);
    CHECK_INT(parse("rollback fn 4"), 0);
    CHECK_INT(parse("key create ci deploy"), 0);
    CHECK_INT(args.cmd->id, FAAS_CLI_KEY_CREATE);
    CHECK_INT(parse("secret set db -"), 0); /* "-" alone is an argument (stdin) */
    CHECK_STR(args.pos[1], "-");
    CHECK_INT(parse("runtime add node ./Dockerfile"), 0);
    CHECK_INT(args.cmd->id, FAAS_CLI_RUNTIME_ADD);
    CHECK_INT(parse("info -- -odd-name"), 0); /* "--" ends the options */
    CHECK_STR(args.pos[0], "-odd-name");
    CHECK_INT(parse("info --json fn"), 0); /* options before arguments too */
    CHECK_STR(args.pos[0], "fn");
    CHECK_INT(parse("deploy --bogus --help"), -1); /* an unknown option is still an error */
    CHECK_INT(parse("deploy --port x --help"), -1);
    CHECK_INT(parse("deploy extra1 extra2 --help"), 0); /* help wins over counts */
    CHECK_INT(args.help, 1);
}

/* parse(line) fails and the message contains want. */
static void usage_error(const char *line, const char *want)
{
    int rc = parse(line);
    testlib_check(rc == -1 && strstr(err, want) != NULL, __FILE__, __LINE__, "'%s': rc %d, '%s' should contain '%s'",
                  line, rc, err, want);
}

TEST(errors_are_usage)
{
    usage_error("frobnicate", "unknown command 'frobnicate'");
    usage_error("deploy --nmae x", "faas deploy: unknown option '--nmae'");
    usage_error("deploy -Z", "unknown option '-Z'");
    usage_error("deploy --name", "--name needs a value");
    usage_error("deploy --port 70000", "--port: expected a port number from 0 to 65535");
    usage_error("deploy --port -1", "--port: expected a port");
    usage_error("deploy --min two", "--min: expected a number");
    usage_error("deploy --env NOVALUE", "--env: expected KEY=VALUE");
    usage_error("deploy --env =x", "--env: expected KEY=VALUE");
    usage_error("deploy --name a --name b", "--name given twice");
    usage_error("deploy a b", "unexpected argument 'b'");
    usage_error("deploy --name=", "--name: expected a value");
    usage_error("logs", "faas logs: missing argument");
    usage_error("logs fn --follow=1", "--follow takes no value");
    usage_error("logs fn -fx", "unknown option '-fx'");
    usage_error("logs fn --tail 1.5", "--tail: expected a number");
    usage_error("invoke fn -H NoColon", "--header: expected 'Name: value'");
    usage_error("invoke fn -H Bad~Name:~v", "no space in the name");
    usage_error("invoke fn / extra", "unexpected argument 'extra'");
    usage_error("scale fn", "nothing to change");
    usage_error("scale fn --json", "nothing to change");
    usage_error("run job notkv", "'notkv': expected KEY=VALUE");
    usage_error("rollback fn latest", "'latest': expected a number");
    usage_error("key create ci root", "expected a scope: read, invoke, deploy or admin");
    usage_error("key", "faas key: missing subcommand: expected create, ls or rm");
    usage_error("runtime list", "faas runtime: unknown subcommand 'list': expected ls, show, add or rm");
    usage_error("secret", "expected set, ls or rm");
    usage_error("login", "missing argument");
    usage_error("login a b", "unexpected argument");
    usage_error("logout now", "unexpected argument");
    CHECK(parse("deploy --port x") == -1 && args.cmd != NULL && strcmp(args.cmd->name, "deploy") == 0);
    CHECK(parse("frobnicate") == -1 && args.cmd == NULL);
}

int main(void)
{
    RUN(every_command_parses);
    RUN(deploy_options);
    RUN(other_commands_options);
    RUN(errors_are_usage);
    return testlib_done();
}
