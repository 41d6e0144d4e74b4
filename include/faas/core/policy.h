/*
 * policy.h: faas.conf.lua, the operator's configuration and policy hooks.
 *
 * The file is real Lua 5.4, run in a restricted state (base, string, table, math,
 * utf8, a read-only os subset, and require() limited to the modules shipped
 * in lua/). Its globals become a faas_config_t; its functions route,
 * port_allowed, tls_allowed and volume_allowed become hooks. Any other
 * global is an error that names the nearest known name, so a typo never
 * passes unnoticed (helpers are `local`). Errors name the file read.
 *
 * A faas_policy_t owns one Lua state and is used by one thread at a time:
 * each event-loop thread gets its own (faas_policy_clone). Every hook runs
 * under an instruction budget and a memory cap; any failure (error, wrong
 * return type, budget) is logged and reported as FAAS_EPOLICY, never
 * as "allowed".
 */
#ifndef FAAS_CORE_POLICY_H
#define FAAS_CORE_POLICY_H

#include <stddef.h>

#include "faas/core/config.h"
#include "faas/core/error.h"

typedef struct faas_policy faas_policy_t;

typedef enum faas_policy_hook {
    FAAS_HOOK_ROUTE = 0,
    FAAS_HOOK_PORT_ALLOWED = 1,
    FAAS_HOOK_TLS_ALLOWED = 2,
    FAAS_HOOK_VOLUME_ALLOWED = 3,
} faas_policy_hook_t;

#define FAAS_POLICY_NHOOKS 4

/* Where a load takes its environment from (tests pass their own). */
typedef struct faas_policy_env {
    const char *(*getenv_fn)(const char *name); /* getenv in production */
    const char *home;                           /* for "~/" in paths */
} faas_policy_env_t;

/**
 * Runs the config file at path (NULL: built-in defaults only), applies the
 * environment overrides and validates everything. On success *cfg_out gets
 * a new config reference and *pol_out a policy owning its Lua state.
 * Errors (FAAS_EINVAL, FAAS_EPOLICY, FAAS_EIO) name the file and the setting
 * ("/etc/faas/faas.conf.lua: domian: unknown setting (did you mean
 * "domain"?)"), the Lua location, or the environment variable. Main thread.
 */
faas_err_t faas_policy_load(const char *path, const faas_policy_env_t *env, faas_config_t **cfg_out,
                            faas_policy_t **pol_out, faas_error_t *err);

/** A new Lua state from the same source and config, for another thread. */
faas_err_t faas_policy_clone(const faas_policy_t *pol, faas_policy_t **out, faas_error_t *err);

/** Closes the Lua state and drops the config reference. NULL is allowed. */
void faas_policy_dispose(faas_policy_t *pol);

/** The config this policy was loaded with (borrowed; lives as long as pol). */
const faas_config_t *faas_policy_config(const faas_policy_t *pol);

/** 1 if the config file defines that hook. */
int faas_policy_has_hook(const faas_policy_t *pol, faas_policy_hook_t hook);

/**
 * route(host, path, method): writes the function name the hook returned into
 * name (size >= 64) and returns 1; returns 0 for nil, no hook, or a failed
 * hook (logged, treated as nil).
 */
int faas_policy_route(faas_policy_t *pol, const char *host, size_t host_len, const char *path, size_t path_len,
                      const char *method, size_t method_len, char *name, size_t name_size);

/**
 * Whether a function may take a loopback port: the port_allowed hook if
 * defined, else "not in reserved_ports". *reason (size reason_size) says why
 * not. FAAS_EPOLICY when the hook fails.
 */
faas_err_t faas_policy_port_allowed(faas_policy_t *pol, int port, int *allowed, char *reason, size_t reason_size,
                                    faas_error_t *err);

/** Whether host may get a certificate: the tls_allowed hook, else the allowlist. */
faas_err_t faas_policy_tls_allowed(faas_policy_t *pol, const char *host, int *allowed, faas_error_t *err);

/**
 * The volume_allowed hook's answer for a bind mount. FAAS_ENOTFOUND when no
 * hook is defined (the caller then applies its built-in rule).
 */
faas_err_t faas_policy_volume_allowed(faas_policy_t *pol, const char *host_path, const char *container_path,
                                      int *allowed, faas_error_t *err);

/** 1 if host matches pattern: exact, or "*.d" for one label under d. Case-insensitive. */
int faas_policy_host_match(const char *host, size_t host_len, const char *pattern);

#endif
