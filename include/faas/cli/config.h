/*
 * config.h: the client's login: the server URL and key, from FAAS_URL and FAAS_KEY or from
 * ~/.config/faas/config (folders 0700, the file 0600, replaced atomically). Blocking file I/O;
 * one thread.
 */
#ifndef FAAS_CLI_CONFIG_H
#define FAAS_CLI_CONFIG_H

#include <stddef.h>

typedef struct faas_cli_login {
    char url[1024];   /* without a trailing '/' */
    char key[512];
} faas_cli_login_t;

/** The login file's path into out ("$HOME/.config/faas/config"); NULL without HOME. */
const char *faas_cli_config_path(char *out, size_t size);

/**
 * The URL and key to use: FAAS_URL and FAAS_KEY, each overriding the file's. 0 when both are
 * known; else -1 and a one-line message saying how to log in.
 */
int faas_cli_config_load(faas_cli_login_t *out, char *err, size_t size);

/** Stores url and key (replacing the file atomically, mode 0600). 0, or -1 with a message. */
int faas_cli_config_save(const char *url, const char *key, char *err, size_t size);

/** Removes the login file: 0 removed, 1 there was none, -1 with a message. */
int faas_cli_config_remove(char *err, size_t size);

/** Checks a server URL (http:// or https://, a host) and copies it without trailing '/'; 0 or -1. */
int faas_cli_config_url(const char *in, char *out, size_t size);

#endif
