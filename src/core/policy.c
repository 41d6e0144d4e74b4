/*
 * policy.c: faas.conf.lua to a faas_config_t plus hooks, and the typed hook
 * calls (route, port_allowed, tls_allowed, volume_allowed, scale). Loading runs on
 * the main thread; a loaded policy then belongs to one thread (each event
 * loop has its own clone). The Lua state itself is made in policy_lua.c.
 */
#include "faas/core/policy.h"
#include "faas/core/log.h"
#include "internal.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_CONF_SIZE (1u << 20)

struct faas_policy {
    lua_State *L;
    faas_config_t *cfg;
    char *text;      /* the file's bytes, kept to clone the state */
    size_t len;
    char *chunkname; /* "@/path/faas.conf.lua": errors read "path:line: ..." */
    int hooks[FAAS_POLICY_NHOOKS];
};

static const char *const hook_names[FAAS_POLICY_NHOOKS] = {"route", "port_allowed", "tls_allowed", "volume_allowed",
                                                           "scale"};

/* The global scale is the table of scale settings or the scale hook; a table may carry the hook as this field. */
#define SCALE_HOOK_FIELD "hook"

static faas_err_t read_file(const char *path, char **text, size_t *len, faas_error_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return faas_error_set(err, FAAS_EIO, "cannot read %s: %s", path, strerror(errno));
    char *buf = malloc(MAX_CONF_SIZE + 1);
    size_t n = buf ? fread(buf, 1, MAX_CONF_SIZE + 1, f) : 0;
    int failed = buf == NULL || ferror(f);
    fclose(f);
    if (failed || n > MAX_CONF_SIZE) {
        free(buf);
        return faas_error_set(err, FAAS_EIO, "cannot read %s: %s", path, failed ? "read error" : "larger than 1 MiB");
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return FAAS_OK;
}

/* ---- Lua values to config values -------------------------------------- */

static const char *lua_type_desc(lua_State *L, int idx)
{
    static const char *const desc[] = {"nil", "a boolean", "a pointer", "a number", "a string",
                                       "a table", "a function", "userdata", "a coroutine"};
    int t = lua_type(L, idx);
    return t >= 0 && t < 9 ? desc[t] : "an unknown value";
}

static int scalar_value(lua_State *L, int idx, faas_config_value_t *v)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: *v = (faas_config_value_t){.type = FAAS_CV_STRING, .s = lua_tostring(L, idx)}; return 0;
    case LUA_TNUMBER: *v = (faas_config_value_t){.type = FAAS_CV_NUMBER, .n = lua_tonumber(L, idx)}; return 0;
    case LUA_TBOOLEAN: *v = (faas_config_value_t){.type = FAAS_CV_BOOL, .b = lua_toboolean(L, idx)}; return 0;
    default: return -1;
    }
}

/* Sets name from the Lua value at idx; a table must be a list of scalars. */
static faas_err_t set_from_lua(faas_config_t *cfg, lua_State *L, int idx, const char *name, faas_error_t *err)
{
    faas_config_value_t v;
    if (lua_type(L, idx) != LUA_TTABLE) {
        if (scalar_value(L, idx, &v) != 0)
            return faas_error_set(err, FAAS_EINVAL, "%s: unsupported value (%s)", name, lua_type_desc(L, idx));
        return faas_config_set(cfg, name, &v, err);
    }
    idx = lua_absindex(L, idx); /* raw access only: no metamethod runs, so nothing here can raise */
    size_t n = (size_t)lua_rawlen(L, idx), pairs = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1))
        pairs++;
    if (pairs != n)
        return faas_error_set(err, FAAS_EINVAL, "%s: must be a list (a table with keys 1..n)", name);
    faas_config_value_t *items = calloc(n ? n : 1, sizeof(*items));
    if (items == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    faas_err_t rc = FAAS_OK;
    for (size_t i = 0; i < n && rc == FAAS_OK; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1); /* stays referenced by the table after the pop */
        if (scalar_value(L, -1, &items[i]) != 0)
            rc = faas_error_set(err, FAAS_EINVAL, "%s: entry %zu is %s", name, i + 1, lua_type_desc(L, -1));
        lua_pop(L, 1);
    }
    if (rc == FAAS_OK) {
        v = (faas_config_value_t){.type = FAAS_CV_LIST, .items = items, .n_items = n};
        rc = faas_config_set(cfg, name, &v, err);
    }
    free(items);
    return rc;
}

static faas_err_t walk_section(faas_config_t *cfg, lua_State *L, int idx, const char *prefix, faas_error_t *err);

/* Sets the value at idx under name: a section's table is walked, anything else is one setting. */
static faas_err_t set_any(faas_config_t *cfg, lua_State *L, int idx, const char *name, faas_error_t *err)
{
    if (!faas_config_known(name))
        return faas_config_unknown(name, NULL, 0, err); /* before the value's shape: the name is the mistake */
    if (!faas_config_is_section(name))
        return set_from_lua(cfg, L, idx, name, err);
    if (!lua_istable(L, idx))
        return faas_error_set(err, FAAS_EINVAL, "%s: must be a table", name);
    return walk_section(cfg, L, idx, name, err);
}

/* Walks a section table ("limits", "tls", ...): every key must be a known setting. */
static faas_err_t walk_section(faas_config_t *cfg, lua_State *L, int idx, const char *prefix, faas_error_t *err)
{
    idx = lua_absindex(L, idx);
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 2);
            return faas_error_set(err, FAAS_EINVAL, "%s: keys must be setting names", prefix);
        }
        char name[128];
        snprintf(name, sizeof(name), "%s.%s", prefix, lua_tostring(L, -2));
        if (strcmp(name, "scale." SCALE_HOOK_FIELD) == 0 && lua_isfunction(L, -1))
            continue; /* the scale hook, which collect_hooks keeps */
        faas_err_t rc = set_any(cfg, L, -1, name, err);
        if (rc != FAAS_OK) {
            lua_pop(L, 2);
            return rc == FAAS_ENOTFOUND ? FAAS_EINVAL : rc; /* inside a section every key must be known */
        }
    }
    return FAAS_OK;
}

/* A global that is neither a setting nor a hook: a typo, or a helper that must be local. */
static faas_err_t unknown_global(lua_State *L, const char *name, faas_error_t *err)
{
    int helper = lua_isfunction(L, -1) || lua_istable(L, -1);
    if (helper && faas_config_nearest(name, hook_names, FAAS_POLICY_NHOOKS) == NULL)
        return faas_error_set(err, FAAS_EINVAL, "%s: unknown setting (helpers must be local: \"local %s%s\")", name,
                              lua_isfunction(L, -1) ? "function " : "", name);
    faas_config_unknown(name, hook_names, FAAS_POLICY_NHOOKS, err);
    return FAAS_EINVAL;
}

/* Reads every global the chunk defined (builtin names are in the table at builtin_idx):
 * each must be a setting, a section's table or a hook. */
static faas_err_t read_globals(faas_config_t *cfg, lua_State *L, int builtin_idx, faas_error_t *err)
{
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    faas_err_t rc = FAAS_OK;
    for (lua_pushnil(L); rc == FAAS_OK && lua_next(L, g); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            continue;
        const char *name = lua_tostring(L, -2);
        lua_pushvalue(L, -2);
        int builtin = lua_rawget(L, builtin_idx) != LUA_TNIL;
        lua_pop(L, 1);
        int is_hook = 0;
        for (int h = 0; h < FAAS_POLICY_NHOOKS; h++)
            is_hook |= strcmp(name, hook_names[h]) == 0;
        if (builtin || (is_hook && lua_isfunction(L, -1)))
            continue; /* a hook that is not a function is the scale table (collect_hooks refused any other) */
        rc = faas_config_known(name) ? set_any(cfg, L, -1, name, err) : unknown_global(L, name, err);
    }
    lua_settop(L, g - 1);
    return rc;
}

/* ---- loading ------------------------------------------------------------ */

static void policy_free(faas_policy_t *pol)
{
    if (pol == NULL)
        return;
    faas_core__lua_close(pol->L);
    faas_config_unref(pol->cfg);
    free(pol->text);
    free(pol->chunkname);
    free(pol);
}

/* Inside a protected call. stack: [] -> [builtins]: a table of the names the fresh state
 * defines, so read_globals sees only what the file defined. */
static int snapshot_builtins(lua_State *L, void *data)
{
    (void)data;
    lua_newtable(L);
    lua_pushglobaltable(L);
    for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
        lua_pushvalue(L, -2);
        lua_pushboolean(L, 1);
        lua_rawset(L, -6);
    }
    lua_pop(L, 1);
    return 1;
}

typedef struct hook_scan {
    faas_policy_t *pol;
    const char *bad;      /* the first hook defined as something else, or NULL */
    const char *bad_type;
} hook_scan_t;

/* Inside a protected call. stack: [] -> [value]: the global of hook h; for the scale hook, when the
 * global scale is the settings table, its field SCALE_HOOK_FIELD (raw: no metamethod runs). */
static int get_hook(lua_State *L, int h, const char **what)
{
    int t = lua_getglobal(L, hook_names[h]);
    *what = hook_names[h];
    if (h != FAAS_HOOK_SCALE || t != LUA_TTABLE)
        return t;
    lua_pushliteral(L, SCALE_HOOK_FIELD);
    t = lua_rawget(L, -2);
    lua_remove(L, -2);
    *what = "scale." SCALE_HOOK_FIELD;
    return t;
}

/* Inside a protected call. stack: [] -> []: each hook the file defines into pol->hooks (a registry reference). */
static int collect_hooks(lua_State *L, void *data)
{
    hook_scan_t *scan = data;
    for (int h = 0; h < FAAS_POLICY_NHOOKS; h++) {
        const char *what;
        int t = get_hook(L, h, &what);
        if (t == LUA_TFUNCTION) {
            scan->pol->hooks[h] = luaL_ref(L, LUA_REGISTRYINDEX);
            continue;
        }
        scan->pol->hooks[h] = LUA_NOREF;
        if (t != LUA_TNIL && scan->bad == NULL) {
            scan->bad = what;
            scan->bad_type = lua_type_desc(L, -1);
        }
        lua_pop(L, 1);
    }
    return 0;
}

/* Runs pol->text in a fresh state; fills hooks; leaves the builtin-name table on the stack. */
static faas_err_t run_source(faas_policy_t *pol, faas_error_t *err)
{
    pol->L = faas_core__lua_new(FAAS_POLICY_MEM_LIMIT);
    if (pol->L == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "cannot create a Lua state");
    lua_State *L = pol->L;
    char msg[FAAS_ERROR_MSG_MAX];
    if (faas_core__lua_call(L, snapshot_builtins, NULL, 1, FAAS_POLICY_LOAD_BUDGET, msg, sizeof(msg)) != 0)
        return faas_error_set(err, FAAS_ENOMEM, "cannot set up the Lua state: %s", msg);
    if (pol->text != NULL && faas_core__lua_run(L, pol->text, pol->len, pol->chunkname, msg, sizeof(msg)) != 0) {
        msg[strcspn(msg, "\n")] = '\0'; /* one clear line: the traceback is for hooks' logs */
        return faas_error_set(err, FAAS_EPOLICY, "%s", msg);
    }
    hook_scan_t scan = {.pol = pol};
    if (faas_core__lua_call(L, collect_hooks, &scan, 0, FAAS_POLICY_LOAD_BUDGET, msg, sizeof(msg)) != 0)
        return faas_error_set(err, FAAS_EPOLICY, "reading the hooks: %s", msg);
    if (scan.bad != NULL)
        return faas_error_set(err, FAAS_EINVAL, "%s: %s: must be a function%s, got %s", pol->chunkname + 1, scan.bad,
                              strcmp(scan.bad, "scale") == 0 ? " (the hook) or a table (the settings)" : "",
                              scan.bad_type);
    return FAAS_OK;
}

static faas_err_t load_config(faas_policy_t *pol, const char *path, const faas_policy_env_t *env, faas_error_t *err)
{
    faas_config_t *cfg = faas_config_new();
    if (cfg == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    pol->cfg = cfg;
    if (path != NULL && (cfg->path = strdup(path)) == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (read_globals(cfg, pol->L, lua_gettop(pol->L), err) != FAAS_OK) {
        faas_error_prefix(err, FAAS_EINVAL, "%s", cfg->path); /* there are globals only with a file */
        return FAAS_EINVAL;
    }
    lua_pop(pol->L, 1);
    if (faas_config_apply_env(cfg, env->getenv_fn, err) != FAAS_OK)
        return FAAS_EINVAL;
    char base[PATH_MAX];
    if (cfg->path != NULL) {
        snprintf(base, sizeof(base), "%s", cfg->path);
        *strrchr(base, '/') = '\0';
    } else if (getcwd(base, sizeof(base)) == NULL) {
        return faas_error_set(err, FAAS_EIO, "cannot get the working directory: %s", strerror(errno));
    }
    return faas_config_finish(cfg, base[0] ? base : "/", env->home, err);
}

faas_err_t faas_policy_load(const char *path, const faas_policy_env_t *env, faas_config_t **cfg_out,
                            faas_policy_t **pol_out, faas_error_t *err)
{
    faas_policy_t *pol = calloc(1, sizeof(*pol));
    if (pol == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    faas_err_t rc = FAAS_OK;
    char abs[PATH_MAX];
    if (path != NULL) {
        if (realpath(path, abs) == NULL)
            rc = faas_error_set(err, FAAS_EIO, "cannot read %s: %s", path, strerror(errno));
        else if ((rc = read_file(abs, &pol->text, &pol->len, err)) == FAAS_OK &&
                 asprintf(&pol->chunkname, "@%s", abs) < 0)
            rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
    }
    if (rc == FAAS_OK)
        rc = run_source(pol, err);
    if (rc == FAAS_OK)
        rc = load_config(pol, path != NULL ? abs : NULL, env, err);
    if (rc != FAAS_OK) {
        policy_free(pol);
        return rc;
    }
    *cfg_out = faas_config_ref(pol->cfg);
    *pol_out = pol;
    return FAAS_OK;
}

faas_err_t faas_policy_clone(const faas_policy_t *src, faas_policy_t **out, faas_error_t *err)
{
    faas_policy_t *pol = calloc(1, sizeof(*pol));
    if (pol == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    pol->len = src->len;
    pol->text = src->text ? malloc(src->len + 1) : NULL;
    pol->chunkname = src->chunkname ? strdup(src->chunkname) : NULL;
    if ((src->text && pol->text == NULL) || (src->chunkname && pol->chunkname == NULL)) {
        policy_free(pol);
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    }
    if (pol->text)
        memcpy(pol->text, src->text, src->len + 1);
    faas_err_t rc = run_source(pol, err);
    if (rc != FAAS_OK) {
        policy_free(pol);
        return rc;
    }
    lua_pop(pol->L, 1); /* the builtin-name table */
    pol->cfg = faas_config_ref(src->cfg);
    *out = pol;
    return FAAS_OK;
}

void faas_policy_dispose(faas_policy_t *pol)
{
    policy_free(pol);
}

const faas_config_t *faas_policy_config(const faas_policy_t *pol)
{
    return pol->cfg;
}

const char *faas_policy_hook_name(faas_policy_hook_t hook)
{
    return (int)hook >= 0 && (int)hook < FAAS_POLICY_NHOOKS ? hook_names[hook] : "?";
}

int faas_policy_has_hook(const faas_policy_t *pol, faas_policy_hook_t hook)
{
    return pol->hooks[hook] != LUA_NOREF;
}

/* ---- hooks -------------------------------------------------------------- */

/* One hook call: up to three arguments (a string, or an integer when is_int) and how many results.
 * With read, the results are read inside the protected call (read(L, read_data) with them on the
 * stack) and none is left. */
typedef struct hook_call {
    int ref, nargs, nresults;
    faas_core__lua_fn read;
    void *read_data;
    struct {
        const char *s;
        size_t len;
        int is_int;
        lua_Integer n;
    } args[3];
} hook_call_t;

/* Inside the protected call. stack: [] -> [results (nresults)]: the hook, its arguments, the call. */
static int push_and_call(lua_State *L, void *data)
{
    hook_call_t *c = data;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->ref);
    for (int i = 0; i < c->nargs; i++) {
        if (c->args[i].is_int)
            lua_pushinteger(L, c->args[i].n);
        else
            lua_pushlstring(L, c->args[i].s, c->args[i].len);
    }
    lua_call(L, c->nargs, c->nresults);
    if (c->read != NULL)
        return c->read(L, c->read_data); /* returns 0: the results go with the protected call */
    return c->nresults;
}

/* A fresh Lua state from the same source, after the old one reached its memory cap: the file's
 * top-level code runs again and what the hooks kept is gone; the config stays. On failure pol->L
 * stays NULL and every hook call fails (and tries again) until a rebuild works. */
static void rebuild(faas_policy_t *pol)
{
    int hooks[FAAS_POLICY_NHOOKS];
    memcpy(hooks, pol->hooks, sizeof(hooks));
    faas_core__lua_close(pol->L);
    pol->L = NULL;
    faas_error_t err = {0};
    if (run_source(pol, &err) != FAAS_OK) {
        faas_log_error("policy: cannot rebuild the Lua state: %s; hooks refuse until it can", err.msg);
        faas_core__lua_close(pol->L);
        pol->L = NULL;
        memcpy(pol->hooks, hooks, sizeof(hooks));
        return;
    }
    lua_pop(pol->L, 1); /* the builtin-name table */
    faas_log_warn("policy: Lua state rebuilt from %s", pol->chunkname ? pol->chunkname + 1 : "the defaults");
}

/* Runs hook with c's arguments. stack: [] -> [c->nresults results] on FAAS_OK, [] on failure
 * (logged; FAAS_EPOLICY). A state that reached its memory cap is rebuilt for the next call. */
static faas_err_t call_hook(faas_policy_t *pol, faas_policy_hook_t hook, hook_call_t *c, faas_error_t *err)
{
    char msg[FAAS_ERROR_MSG_MAX] = "no Lua state (it could not be rebuilt)";
    int rc = -1;
    if (pol->L == NULL)
        rebuild(pol);
    if (pol->L != NULL) {
        c->ref = pol->hooks[hook];
        rc = faas_core__lua_call(pol->L, push_and_call, c, c->read != NULL ? 0 : c->nresults, FAAS_POLICY_HOOK_BUDGET,
                                 msg, sizeof(msg));
    }
    if (rc == 0)
        return FAAS_OK;
    faas_log_error("policy hook %s failed: %s", hook_names[hook], msg);
    if (rc == FAAS_CORE__LUA_OOM)
        rebuild(pol);
    return faas_error_set(err, FAAS_EPOLICY, "policy hook %s failed", hook_names[hook]);
}

/* Reads a boolean result at idx; anything else is a hook error, never "allowed". */
static faas_err_t bool_result(faas_policy_t *pol, faas_policy_hook_t hook, int idx, int *out, faas_error_t *err)
{
    if (!lua_isboolean(pol->L, idx)) {
        faas_log_error("policy hook %s returned %s, expected a boolean", hook_names[hook], lua_type_desc(pol->L, idx));
        return faas_error_set(err, FAAS_EPOLICY, "policy hook %s returned a wrong type", hook_names[hook]);
    }
    *out = lua_toboolean(pol->L, idx);
    return FAAS_OK;
}

static size_t at_most(size_t len, size_t max)
{
    return len < max ? len : max;
}

/* The route hook's answer at the top: a function name into name. stack: unchanged. */
static int route_result(lua_State *L, char *name, size_t name_size)
{
    size_t len;
    if (lua_type(L, -1) == LUA_TSTRING) { /* tolstring converts (allocates) only other types */
        const char *s = lua_tolstring(L, -1, &len);
        if (len > 0 && len < name_size) {
            memcpy(name, s, len + 1);
            return 1;
        }
        faas_log_error("policy hook route returned a name of %zu bytes; ignored", len);
    } else if (!lua_isnil(L, -1)) {
        faas_log_error("policy hook route returned %s, expected a function name or nil", lua_type_desc(L, -1));
    }
    return 0;
}

int faas_policy_route(faas_policy_t *pol, const char *host, size_t host_len, const char *path, size_t path_len,
                      const char *method, size_t method_len, char *name, size_t name_size)
{
    if (!faas_policy_has_hook(pol, FAAS_HOOK_ROUTE))
        return 0;
    hook_call_t c = {.nargs = 3,
                     .nresults = 1,
                     .args = {{.s = host, .len = at_most(host_len, FAAS_POLICY_HOST_MAX)},
                              {.s = path, .len = at_most(path_len, FAAS_POLICY_PATH_MAX)},
                              {.s = method, .len = at_most(method_len, FAAS_POLICY_METHOD_MAX)}}};
    if (call_hook(pol, FAAS_HOOK_ROUTE, &c, NULL) != FAAS_OK)
        return 0;
    int found = route_result(pol->L, name, name_size);
    lua_pop(pol->L, 1);
    return found;
}

faas_err_t faas_policy_port_allowed(faas_policy_t *pol, int port, int *allowed, char *reason, size_t reason_size,
                                    faas_error_t *err)
{
    if (!faas_policy_has_hook(pol, FAAS_HOOK_PORT_ALLOWED)) {
        *allowed = !faas_config_port_reserved(pol->cfg, port);
        if (!*allowed)
            snprintf(reason, reason_size, "port %d is in reserved_ports", port);
        return FAAS_OK;
    }
    hook_call_t c = {.nargs = 1, .nresults = 2, .args = {{.is_int = 1, .n = port}}};
    faas_err_t rc = call_hook(pol, FAAS_HOOK_PORT_ALLOWED, &c, err);
    if (rc != FAAS_OK)
        return rc;
    rc = bool_result(pol, FAAS_HOOK_PORT_ALLOWED, -2, allowed, err);
    if (rc == FAAS_OK && !*allowed) {
        const char *why = lua_type(pol->L, -1) == LUA_TSTRING ? lua_tostring(pol->L, -1) : NULL;
        snprintf(reason, reason_size, "%s", why ? why : "refused by the port_allowed policy");
    }
    lua_pop(pol->L, 2);
    return rc;
}

faas_err_t faas_policy_tls_allowed(faas_policy_t *pol, const char *host, int *allowed, faas_error_t *err)
{
    size_t len = strlen(host);
    *allowed = 0;
    if (len > FAAS_POLICY_NAME_MAX)
        return FAAS_OK; /* no DNS name is that long: refused without asking */
    if (!faas_policy_has_hook(pol, FAAS_HOOK_TLS_ALLOWED)) {
        for (size_t i = 0; i < pol->cfg->allowlist_len && !*allowed; i++)
            *allowed = faas_policy_host_match(host, len, pol->cfg->allowlist[i]);
        return FAAS_OK;
    }
    hook_call_t c = {.nargs = 1, .nresults = 1, .args = {{.s = host, .len = len}}};
    faas_err_t rc = call_hook(pol, FAAS_HOOK_TLS_ALLOWED, &c, err);
    if (rc != FAAS_OK)
        return rc;
    rc = bool_result(pol, FAAS_HOOK_TLS_ALLOWED, -1, allowed, err);
    lua_pop(pol->L, 1);
    return rc;
}

faas_err_t faas_policy_volume_allowed(faas_policy_t *pol, const char *host_path, const char *container_path,
                                      int *allowed, faas_error_t *err)
{
    if (!faas_policy_has_hook(pol, FAAS_HOOK_VOLUME_ALLOWED))
        return faas_error_set(err, FAAS_ENOTFOUND, "no volume_allowed hook");
    size_t host_len = strlen(host_path), container_len = strlen(container_path);
    *allowed = 0;
    if (host_len > FAAS_POLICY_PATH_MAX || container_len > FAAS_POLICY_PATH_MAX)
        return FAAS_OK; /* refused without asking: a cut path could pass a prefix check */
    hook_call_t c = {.nargs = 2,
                     .nresults = 1,
                     .args = {{.s = host_path, .len = host_len}, {.s = container_path, .len = container_len}}};
    faas_err_t rc = call_hook(pol, FAAS_HOOK_VOLUME_ALLOWED, &c, err);
    if (rc != FAAS_OK)
        return rc;
    rc = bool_result(pol, FAAS_HOOK_VOLUME_ALLOWED, -1, allowed, err);
    lua_pop(pol->L, 1);
    return rc;
}

/* What the scale hook returned, as read inside its protected call. */
typedef struct scale_read {
    faas_scale_t s;
    char problem[200]; /* why the answer is taken as nil; "" when it is good */
} scale_read_t;

/* Inside the protected call, after the hook returned. stack: [result] -> [result]: the table's
 * settings into r->s. Raw access only (lua_next, no conversions), so no script code runs here. */
static int read_scale(lua_State *L, void *data)
{
    scale_read_t *r = data;
    if (lua_isnil(L, -1))
        return 0;
    if (!lua_istable(L, -1)) {
        snprintf(r->problem, sizeof(r->problem), "returned %s, expected a table or nil", lua_type_desc(L, -1));
        return 0;
    }
    for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        unsigned bit = faas_scale_bit(key);
        lua_Number n = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : NAN;
        faas_error_t err = {0};
        if (bit == 0)
            snprintf(r->problem, sizeof(r->problem), "returned a table with the key %.40s (known: min, max, target, "
                     "concurrency)", key != NULL ? key : "that is not a string");
        else if (!isfinite(n) || n != floor(n))
            snprintf(r->problem, sizeof(r->problem), "returned %s for %s, expected a whole number",
                     lua_type_desc(L, -1), key);
        else if (faas_scale_set(&r->s, bit, (int64_t)fmax(fmin(n, 1e12), -1e12), key, &err) != FAAS_OK)
            snprintf(r->problem, sizeof(r->problem), "returned %.180s", err.msg);
        if (r->problem[0] != '\0')
            return 0; /* what is left on the stack goes with the protected call */
    }
    return 0;
}

int faas_policy_scale(faas_policy_t *pol, const char *name, faas_scale_t *out)
{
    size_t len = strlen(name);
    *out = (faas_scale_t){0};
    if (!faas_policy_has_hook(pol, FAAS_HOOK_SCALE) || len > FAAS_POLICY_NAME_MAX)
        return 0;
    scale_read_t r = {0};
    hook_call_t c = {.nargs = 1, .nresults = 1, .read = read_scale, .read_data = &r, .args = {{.s = name, .len = len}}};
    if (call_hook(pol, FAAS_HOOK_SCALE, &c, NULL) != FAAS_OK)
        return 0;
    if (r.problem[0] != '\0') {
        faas_log_error("policy hook scale(\"%s\") %s; taken as nil", name, r.problem);
        return 0;
    }
    *out = r.s;
    return out->set != 0;
}

int faas_policy_host_match(const char *host, size_t host_len, const char *pattern)
{
    size_t plen = strlen(pattern);
    if (plen > 2 && pattern[0] == '*' && pattern[1] == '.') {
        /* "*.d" matches "x.d" for exactly one label x, like a wildcard certificate. */
        size_t dlen = plen - 1; /* ".d" */
        if (host_len <= dlen || strncasecmp(host + host_len - dlen, pattern + 1, dlen) != 0)
            return 0;
        return memchr(host, '.', host_len - dlen) == NULL;
    }
    return host_len == plen && strncasecmp(host, pattern, plen) == 0;
}
