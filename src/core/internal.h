/*
 * internal.h: what the files of src/core/ share, and nothing outside it.
 * config.c (the table of settings) uses the single-value parsers and
 * formatters of config_value.c; policy.c (config and hooks), policy_lua.c
 * (the Lua state) and policy_pattern.c (its budgeted string patterns) share
 * the state's calls, and only these include Lua's headers (lua_State is
 * declared here, not defined). Names: faas_core__*.
 */
#ifndef FAAS_CORE_INTERNAL_H
#define FAAS_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "faas/core/config.h"
#include "faas/core/error.h"

/* ---- config_value.c: one value of a setting, knowing no setting names ---- */

/** A string value (borrowed). */
static inline faas_config_value_t faas_core__string_value(const char *s)
{
    return (faas_config_value_t){.type = FAAS_CV_STRING, .s = s};
}

/** "a string", "a number", "a boolean" or "a table": for messages. */
const char *faas_core__value_type(const faas_config_value_t *v);

/** An integral number from a number or a decimal string; 0 or -1. */
int faas_core__value_int(const faas_config_value_t *v, int64_t *out);

/** 1 if s is a DNS name: labels of [a-z0-9-] not starting or ending with '-', at most 253 chars. */
int faas_core__valid_hostname(const char *s);

/** 1 if s is a registry address for image references: a lower-case host name or IPv4 address with
    ":port" (1..65535), or a host name with a dot (or "localhost") without one. */
int faas_core__valid_registry(const char *s);

/** A lower-cased copy of s (malloc), or NULL. */
char *faas_core__lower_dup(const char *s);

/** A port, "host:port", "[v6]:port", "*:port" or "localhost:port" into *l (unchanged on error). */
faas_err_t faas_core__parse_listen(faas_listen_t *l, const faas_config_value_t *v, faas_error_t *err);

/** Ports and "lo-hi" ranges (a list, a number, or "a,b-c") into a 65536-bit map (replaced, unchanged on error). */
faas_err_t faas_core__parse_ports(uint8_t *bitmap, const faas_config_value_t *v, faas_error_t *err);

/** Host names and "*.domain" patterns (a list or "a,b"), lower-cased, replacing *list and *len. */
faas_err_t faas_core__parse_hosts(char ***list, size_t *len, const faas_config_value_t *v, faas_error_t *err);

/** n in its largest whole unit: "2m", "7d", "500ms" (duration, ms) or "10MiB" (size, bytes); returns buf. */
const char *faas_core__human(int64_t n, int duration, char *buf, size_t size);

/** The ports of a bitmap as "80, 8080, 10000-10100" ("-" if none), truncated with "..." to size. */
void faas_core__format_ports(const uint8_t *bitmap, char *buf, size_t size);

/** The host names as "a.example.com, *.b.example.com" ("-" if none), truncated with "..." to size. */
void faas_core__format_hosts(char *const *list, size_t n, char *buf, size_t size);

/** Edit distance of a and b ignoring case; a swap of two neighbours counts one. */
size_t faas_core__distance(const char *a, const char *b);

/* ---- policy.c and policy_lua.c: the Lua state ---------------------------- */

typedef struct lua_State lua_State;

/* Instruction budgets: loading the file may do real work, a hook must be quick. */
#define FAAS_POLICY_LOAD_BUDGET 50000000L
#define FAAS_POLICY_HOOK_BUDGET 1000000L
/* Memory cap of one Lua state. */
#define FAAS_POLICY_MEM_LIMIT (64u << 20)

/** A restricted Lua state (chosen libraries, require of the built-in modules, print, an os subset,
    faas's budgeted string patterns), set up under protection; NULL when out of memory. */
lua_State *faas_core__lua_new(size_t mem_limit);

/** Closes a state made by faas_core__lua_new. */
void faas_core__lua_close(lua_State *L);

/* What a call returns when the state reached its memory cap: the state must be thrown away. */
#define FAAS_CORE__LUA_OOM (-2)

/**
 * Calls the function under nargs arguments with an instruction budget (pattern matching in the
 * string library counts against it). Nothing is pushed or allocated outside the protected call.
 * stack: [fn, args...] -> [results...] on success (returns 0), [] on failure: -1 with the message
 * and traceback in errbuf, or FAAS_CORE__LUA_OOM when an allocation was refused at the memory
 * cap, even one the script caught with its own pcall.
 */
int faas_core__lua_pcall(lua_State *L, int nargs, int nresults, long budget, char *errbuf, size_t errsize);

/* C code run under protection: pushes and reads Lua values, returns how many results it left. */
typedef int (*faas_core__lua_fn)(lua_State *L, void *data);

/**
 * Runs fn(L, data) inside one protected call, so every push it makes (a hook's arguments, the
 * call itself) may fail with a Lua error instead of a panic. stack: [] -> [nresults results]
 * on success; returns as faas_core__lua_pcall.
 */
int faas_core__lua_call(lua_State *L, faas_core__lua_fn fn, void *data, int nresults, long budget, char *errbuf,
                        size_t errsize);

/** Loads text as a chunk named chunkname (text only, never bytecode) and runs it; 0 or -1. */
int faas_core__lua_run(lua_State *L, const char *text, size_t len, const char *chunkname, char *errbuf, size_t errsize);

/** Charges steps to the running hook's instruction budget (policy_lua.c); past it raises message as
    an error that no pcall of the script can catch. For C code that loops on the script's behalf. */
void faas_core__lua_charge(lua_State *L, long steps, const char *message);

/** Installs the budgeted string.find, match, gmatch and gsub (policy_pattern.c). stack: [] -> []. */
void faas_core__lua_open_patterns(lua_State *L);

#endif
