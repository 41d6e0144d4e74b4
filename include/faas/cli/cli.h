/*
 * cli.h: the command-line client, the faas binary's commands other than serve, check and
 * version (main.c hands them over). It talks to a faas server over its HTTP API (libcurl),
 * with the URL and key of faas login or of FAAS_URL and FAAS_KEY. Blocking; the main thread.
 */
#ifndef FAAS_CLI_CLI_H
#define FAAS_CLI_CLI_H

#include <stdio.h>

/** Runs the client command in argv[1..] (argv[1] is the command); the exit code: 0 ok, 1 failed, 2 usage. */
int faas_cli_main(int argc, char **argv);

/** 1 when word is a client command (so main.c hands it over). */
int faas_cli_is_command(const char *word);

/** The client commands, one line each, for faas help. */
void faas_cli_usage(FILE *out);

#endif
