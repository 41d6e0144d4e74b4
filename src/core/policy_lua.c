/*
 * policy_lua.c: the Lua state faas.conf.lua runs in. Built on purpose
 * (see Lua's linit.c): base, string, table, math and utf8; os reduced to
 * read-only calls; no io, package or debug; no load/dofile/loadfile, so no
 * bytecode and no file access; require() serves only the modules compiled in
 * from lua/. Each state has a memory cap (counting allocator) and every call
 * goes through faas_core__lua_pcall with an instruction budget that a script's
 * own pcall cannot swallow. Reaching the memory cap fails the call even when
 * the script catches the error: the caller then throws the state away. The
 * pattern functions of the string library (find, match, gmatch, gsub) are
 * faas's own matcher, below, which counts its steps against the same budget:
 * Lua's matcher can spend minutes of C time in one call that no instruction
 * hook sees. A state is used by one thread at a time: the loop or worker
 * that owns its policy (policy.c), or the main thread while loading.
 */
#include "internal.h"
#include "faas/core/log.h"
#include "faas/core/policy.h"

#include <lauxlib.h>
#include <lualib.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Generated from the files in lua/ by cmake/embed.cmake. */
extern const struct faas_lua_module {
    const char *name;
    const char *src;
    size_t len;
} faas_lua_modules[];

typedef struct lua_limits {
    size_t used, limit;
    long budget;
    int refused; /* allocations refused since the current call began */
} lua_limits_t;

static lua_limits_t *limits_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

/* The allocator of lauxlib.c's l_alloc, with a running total and a cap. */
static void *on_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    lua_limits_t *lim = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        lim->used -= old;
        return NULL;
    }
    if (nsize > old && lim->used - old + nsize > lim->limit) {
        lim->refused++;
        return NULL; /* Lua raises "not enough memory" (after an emergency collection and a retry) */
    }
    void *p = realloc(ptr, nsize);
    if (p != NULL)
        lim->used = lim->used - old + nsize;
    else
        lim->refused++;
    return p;
}

static int on_panic(lua_State *L)
{
    /* Every call is protected; reaching this is a bug, and continuing would be undefined. */
    faas_log_error("lua panic: %s", lua_tostring(L, -1));
    abort();
}

/* Counts instructions in steps of 1000. Once over budget it re-arms to fire on
 * every instruction, so a pcall inside the script cannot swallow the error. */
static void on_count(lua_State *L, lua_Debug *ar)
{
    lua_limits_t *lim = limits_of(L);
    lim->budget -= 1000;
    if (lim->budget <= 0) {
        lua_sethook(L, on_count, LUA_MASKCOUNT | LUA_MASKLINE, 1);
        lua_getinfo(L, "Sl", ar);
        luaL_error(L, "%s:%d: instruction budget exceeded (an endless loop?)", ar->short_src, ar->currentline);
    }
}

static int on_traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL)
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int faas_core__lua_pcall(lua_State *L, int nargs, int nresults, long budget, char *errbuf, size_t errsize)
{
    /* stack: [fn, args...]; nothing here allocates before lua_pcall protects the call */
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, on_traceback); /* a light C function: no allocation */
    lua_insert(L, base);                /* [handler, fn, args...] */
    lua_limits_t *lim = limits_of(L);
    lim->budget = budget;
    lim->refused = 0;
    lua_sethook(L, on_count, LUA_MASKCOUNT, 1000);
    int rc = lua_pcall(L, nargs, nresults, base);
    lua_sethook(L, NULL, 0, 0);
    if (rc == LUA_OK && lim->refused == 0) {
        lua_remove(L, base); /* [results...] */
        return 0;
    }
    int oom = rc == LUA_ERRMEM || lim->refused > 0; /* the cap was reached, caught by the script or not */
    if (oom)
        snprintf(errbuf, errsize, "out of memory: the Lua state reached its memory cap (%zu MiB)", lim->limit >> 20);
    else
        snprintf(errbuf, errsize, "%s", lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error");
    lua_settop(L, base - 1); /* [] */
    return oom ? FAAS_CORE__LUA_OOM : -1;
}

typedef struct protected_fn {
    faas_core__lua_fn fn;
    void *data;
} protected_fn_t;

/* stack: [light userdata protected_fn_t] -> [what fn left] */
static int run_protected(lua_State *L)
{
    protected_fn_t *pf = lua_touserdata(L, 1);
    lua_remove(L, 1);
    return pf->fn(L, pf->data);
}

int faas_core__lua_call(lua_State *L, faas_core__lua_fn fn, void *data, int nresults, long budget, char *errbuf,
                        size_t errsize)
{
    protected_fn_t pf = {.fn = fn, .data = data};
    lua_pushcfunction(L, run_protected); /* neither push allocates */
    lua_pushlightuserdata(L, &pf);
    return faas_core__lua_pcall(L, 1, nresults, budget, errbuf, errsize);
}

int faas_core__lua_run(lua_State *L, const char *text, size_t len, const char *chunkname, char *errbuf, size_t errsize)
{
    if (luaL_loadbufferx(L, text, len, chunkname, "t") != LUA_OK) {
        snprintf(errbuf, errsize, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    return faas_core__lua_pcall(L, 0, 0, FAAS_POLICY_LOAD_BUDGET, errbuf, errsize);
}

void faas_core__lua_charge(lua_State *L, long steps, const char *message)
{
    lua_limits_t *lim = limits_of(L);
    lim->budget -= steps;
    if (lim->budget < 0) {
        lua_sethook(L, on_count, LUA_MASKCOUNT | LUA_MASKLINE, 1); /* so a script's pcall gets no further */
        luaL_error(L, "%s", message);
    }
}

/* faas.match(host, pattern_or_list_of_patterns) -> boolean */
static int l_match(lua_State *L)
{
    size_t hlen;
    const char *host = luaL_checklstring(L, 1, &hlen);
    if (lua_type(L, 2) == LUA_TSTRING) {
        lua_pushboolean(L, faas_policy_host_match(host, hlen, lua_tostring(L, 2)));
        return 1;
    }
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 2);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 2, i);
        const char *pattern = lua_tostring(L, -1);
        int hit = pattern != NULL && faas_policy_host_match(host, hlen, pattern);
        lua_pop(L, 1);
        if (hit) {
            lua_pushboolean(L, 1);
            return 1;
        }
    }
    lua_pushboolean(L, 0);
    return 1;
}

/* print(...) and faas.log(...): to the faas log, never to stdout, after the
 * caller's "file:line: " (the config file actually read, or a lua/ module). */
static int l_print(lua_State *L)
{
    int n = lua_gettop(L); /* before luaL_buffinit, which may push a placeholder */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_where(L, 1);
    luaL_addvalue(&b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, ' ');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    faas_log_info("%s", lua_tostring(L, -1));
    return 0;
}

/* require(name): only the modules compiled in from lua/, each loaded once per state. */
static int l_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, "faas.loaded");
    if (lua_getfield(L, -1, name) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    for (const struct faas_lua_module *m = faas_lua_modules; m->name != NULL; m++) {
        if (strcmp(m->name, name) != 0)
            continue;
        char chunk[96];
        snprintf(chunk, sizeof(chunk), "=lua/%s.lua", m->name);
        if (luaL_loadbufferx(L, m->src, m->len, chunk, "t") != LUA_OK)
            return lua_error(L);
        lua_getfield(L, LUA_REGISTRYINDEX, "faas.core");
        lua_call(L, 1, 1); /* the module gets the C core table as its argument */
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushboolean(L, 1);
        }
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, name);
        return 1;
    }
    return luaL_error(L, "module '%s' not found (available: the modules in faas's lua/ folder)", name);
}

static void open_libs(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base}, {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
        {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_OSLIBNAME, luaopen_os},
    };
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    static const char *const removed[] = {"dofile", "loadfile", "load", "require"};
    for (size_t i = 0; i < sizeof(removed) / sizeof(removed[0]); i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    /* os: keep what only reads the clock and the environment. */
    lua_getglobal(L, "os");
    lua_newtable(L);
    static const char *const kept[] = {"getenv", "time", "clock", "date", "difftime"};
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        lua_getfield(L, -2, kept[i]);
        lua_setfield(L, -2, kept[i]);
    }
    lua_setglobal(L, "os");
    lua_pop(L, 1);
}

/* Inside a protected call. stack: [] -> []: the libraries, print, require and faas's own string patterns. */
static int setup_state(lua_State *L, void *data)
{
    (void)data;
    open_libs(L);
    lua_pushcfunction(L, l_print);
    lua_setglobal(L, "print");
    lua_pushcfunction(L, l_require);
    lua_setglobal(L, "require");
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "faas.loaded");
    static const luaL_Reg core[] = {{"match", l_match}, {"log", l_print}, {NULL, NULL}};
    luaL_newlib(L, core);
    lua_setfield(L, LUA_REGISTRYINDEX, "faas.core");
    /* the string metatable's __index is this table: s:find(...) takes these too */
    faas_core__lua_open_patterns(L);
    return 0;
}

lua_State *faas_core__lua_new(size_t mem_limit)
{
    lua_limits_t *lim = calloc(1, sizeof(*lim));
    if (lim == NULL)
        return NULL;
    lim->limit = mem_limit;
    lua_State *L = lua_newstate(on_alloc, lim);
    if (L == NULL) {
        free(lim);
        return NULL;
    }
    lua_atpanic(L, on_panic);
    char msg[256];
    if (faas_core__lua_call(L, setup_state, NULL, 0, FAAS_POLICY_LOAD_BUDGET, msg, sizeof(msg)) != 0) {
        faas_log_error("cannot set up a Lua state: %s", msg);
        faas_core__lua_close(L);
        return NULL;
    }
    return L;
}

void faas_core__lua_close(lua_State *L)
{
    if (L == NULL)
        return;
    lua_limits_t *lim = limits_of(L);
    lua_close(L);
    free(lim);
}