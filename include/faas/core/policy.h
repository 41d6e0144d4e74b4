/*
 * policy.h: faas.conf.lua, the operator's configuration and policy hooks.
 *
 * The file is real Lua 5.4, run in a restricted state (base, string, table, math,
 * utf8, a read-only os subset, and require() limited to the modules shipped
 * in lua/). Its globals become a faas_config_t; its functions route,
 * port_allowed, tls_allowed, volume_allowed and scale become hooks (the
 * global scale is either the hook or the table of scale settings; a table
 * may carry the hook as its field `hook`). Any other
 * global is an error that names the nearest known name, so a typo never
 * passes unnoticed (helpers are `local`). Errors name the file read.
 *
 * A faas_policy_t owns one Lua state and is used by one thread at a time:
 * each event-loop thread gets its own (faas_policy_clone). Every hook runs
 * under an instruction budget (1 million instructions; every step of Lua
 * pattern matching counts as one, so a pattern with several '-' or '*' over
 * a long string fails at the budget, in about 10 ms, instead of taking C time
 * without end) and a memory cap (64 MiB); any failure (error, wrong return
 * type, budget, memory) is logged and reported as FAAS_EPOLICY, never as
 * "allowed". A hook that reaches the memory cap fails even if it caught the
 * error itself, and its Lua state is rebuilt from the same source and config
 * before the next call: the file's top-level code runs again, and whatever
 * the hooks kept in it is gone. Nothing is pushed into a state outside a
 * protected call, so no input can make Lua panic.
 */
#ifndef FAAS_CORE_POLICY_H
#define FAAS_CORE_POLICY_H

#include <stddef.h>

#include "faas/core/config.h"
#include "faas/core/error.h"
#include "faas/core/scale.h"

typedef struct faas_policy faas_policy_t;

typedef enum faas_policy_hook {
    FAAS_HOOK_ROUTE = 0,
    FAAS_HOOK_PORT_ALLOWED = 1,
    FAAS_HOOK_TLS_ALLOWED = 2,
    FAAS_HOOK_VOLUME_ALLOWED = 3,
    FAAS_HOOK_SCALE = 4,
} faas_policy_hook_t;

#define FAAS_POLICY_NHOOKS 5

/*
 * The longest strings a hook is handed, so that one request cannot hand a hook
 * megabytes to keep or to scan:
 * - route(host, path, method) sees at most the first FAAS_POLICY_HOST_MAX bytes
 *   of the Host (a 253-byte name with ":65535"), FAAS_POLICY_PATH_MAX of the
 *   path (query included) and FAAS_POLICY_METHOD_MAX of the method: longer ones
 *   are cut and the hook decides on the cut string (a prefix test works as on
 *   the whole; a test of the end sees the cut end). The request itself is
 *   forwarded whole.
 * - tls_allowed(host) is not asked about a name longer than FAAS_POLICY_NAME_MAX
 *   (no DNS name is): refused.
 * - volume_allowed(host_path, container_path) is not asked about a path longer
 *   than FAAS_POLICY_PATH_MAX: refused (a cut path could pass a prefix test).
 */
#define FAAS_POLICY_NAME_MAX 253
#define FAAS_POLICY_HOST_MAX 259
#define FAAS_POLICY_PATH_MAX 4096
#define FAAS_POLICY_METHOD_MAX 32

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

/** The hook's name in faas.conf.lua ("route", ..., "scale"); "?" for a value outside the enum. */
const char *faas_policy_hook_name(faas_policy_hook_t hook);

/** 1 if the config file defines that hook. */
int faas_policy_has_hook(const faas_policy_t *pol, faas_policy_hook_t hook);

/**
 * route(host, path, method): writes the function name the hook returned into
 * name (size >= 64) and returns 1; returns 0 for nil, no hook, or a failed
 * hook (logged, treated as nil). The hook sees the strings cut to the
 * FAAS_POLICY_*_MAX bounds above.
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

/** Whether host may get a certificate: the tls_allowed hook, else the allowlist; never a name over FAAS_POLICY_NAME_MAX bytes. */
faas_err_t faas_policy_tls_allowed(faas_policy_t *pol, const char *host, int *allowed, faas_error_t *err);

/**
 * The volume_allowed hook's answer for a bind mount (not allowed, without asking, when a path is
 * over FAAS_POLICY_PATH_MAX bytes). FAAS_ENOTFOUND when no hook is defined (the caller then
 * applies its built-in rule).
 */
faas_err_t faas_policy_volume_allowed(faas_policy_t *pol, const char *host_path, const char *container_path,
                                      int *allowed, faas_error_t *err);

/**
 * scale(name): the function's scale defaults from the hook (`function scale(name)`, or
 * `scale = { ..., hook = function(name) ... end }`). Fills *out (zeroed first) with the keys the
 * returned table has (min, max, target, concurrency, each a whole number in its range, see
 * scale.h) and returns 1; returns 0 with nothing set for nil, no hook, or a failed hook. A
 * wrong return (not a table or nil, an unknown key, a value of a wrong type or out of range) is
 * logged and taken as nil, like a failure. Names over FAAS_POLICY_NAME_MAX bytes are not asked.
 */
int faas_policy_scale(faas_policy_t *pol, const char *name, faas_scale_t *out);

/** 1 if host matches pattern: exact, or "*.d" for one label under d. Case-insensitive. */
int faas_policy_host_match(const char *host, size_t host_len, const char *pattern);

#endif
