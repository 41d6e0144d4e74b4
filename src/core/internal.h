/*
 * internal.h: what the files of src/core/ share, and nothing outside it:
 * policy.c (config and hooks) and policy_lua.c (the Lua state) share the
 * state's calls; only these two files name lua_State. Names: faas_core__*.
 */
#ifndef FAAS_CORE_INTERNAL_H
#define FAAS_CORE_INTERNAL_H

#include <lua.h>
#include <stddef.h>

/* Instruction budgets: loading the file may do real work, a hook must be quick. */
#define FAAS_POLICY_LOAD_BUDGET 50000000L
#define FAAS_POLICY_HOOK_BUDGET 1000000L
/* Memory cap of one Lua state. */
#define FAAS_POLICY_MEM_LIMIT (64u << 20)

/** A restricted Lua state (chosen libraries, require of the built-in modules, print, an os subset); NULL when out of memory. */
lua_State *faas_core__lua_new(size_t mem_limit);

/** Closes a state made by faas_core__lua_new. */
void faas_core__lua_close(lua_State *L);

/**
 * Calls the function under nargs arguments with an instruction budget.
 * stack: [fn, args...] -> [results...] on success (returns 0), [] on failure
 * (returns -1, message with traceback in errbuf).
 */
int faas_core__lua_pcall(lua_State *L, int nargs, int nresults, long budget, char *errbuf, size_t errsize);

/** Loads text as a chunk named chunkname (text only, never bytecode) and runs it; 0 or -1. */
int faas_core__lua_run(lua_State *L, const char *text, size_t len, const char *chunkname, char *errbuf, size_t errsize);

#endif
