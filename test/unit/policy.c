/*
 * policy.c (unit): faas.conf.lua through the real Lua sandbox: settings,
 * errors (unknown globals with the nearest name, the file named), origins,
 * environment precedence, hooks and their failure modes (a hook at its memory
 * cap fails cleanly and its state is rebuilt; the strings hooks see are bounded;
 * a pathological pattern stops at the budget), the scale table and the scale
 * hook, the helpers of lua/faas.lua, print, clones.
 */
#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/core/policy.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[256];

static const char *no_env(const char *name)
{
    (void)name;
    return NULL;
}

static const char *env_file_size(const char *name)
{
    return strcmp(name, "MAX_FILE_SIZE") == 0 ? "7m" : NULL;
}

/* Writes text to a config file and loads it; returns the load result (messages in err). */
static faas_err_t load(const char *text, faas_config_t **cfg, faas_policy_t **pol, faas_error_t *err)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/faas.conf.lua", dir);
    testlib_write_file(path, text);
    faas_policy_env_t env = {.getenv_fn = no_env, .home = "/home/op"};
    memset(err, 0, sizeof(*err));
    return faas_policy_load(path, &env, cfg, pol, err);
}

static void release(faas_config_t *cfg, faas_policy_t *pol)
{
    faas_policy_dispose(pol);
    faas_config_unref(cfg);
}

/* The error a broken file gives (the policy must not load). */
static const char *load_error(const char *text)
{
    static faas_error_t err;
    faas_config_t *cfg = NULL;
    faas_policy_t *pol = NULL;
    if (load(text, &cfg, &pol, &err) == FAAS_OK) {
        release(cfg, pol);
        return "(loaded)";
    }
    return err.msg;
}

TEST(repository_config_loads_with_default_values)
{
    faas_policy_env_t env = {.getenv_fn = no_env, .home = "/root"};
    faas_config_t *cfg = NULL, *defaults = faas_config_new();
    faas_policy_t *pol = NULL;
    faas_error_t err = {0};
    CHECK_INT(faas_policy_load(FAAS_SOURCE_DIR "/faas.conf.lua", &env, &cfg, &pol, &err), FAAS_OK);
    if (cfg == NULL)
        return;
    CHECK_STR(cfg->domain, defaults->domain);
    CHECK_STR(cfg->data_dir, defaults->data_dir);
    CHECK_STR(cfg->passfile, "/root/.passfile");
    CHECK_INT(cfg->listen.port, defaults->listen.port);
    CHECK_INT(cfg->limits.memory, defaults->limits.memory);
    CHECK_INT(cfg->limits.nano_cpus, defaults->limits.nano_cpus);
    CHECK_INT(cfg->server.read_timeout_ms, defaults->server.read_timeout_ms);
    CHECK(memcmp(&cfg->scale, &defaults->scale, sizeof(cfg->scale)) == 0); /* the file documents the defaults */
    CHECK(memcmp(cfg->reserved_ports, defaults->reserved_ports, sizeof(cfg->reserved_ports)) == 0);
    for (int h = 0; h < FAAS_POLICY_NHOOKS; h++)
        CHECK(!faas_policy_has_hook(pol, (faas_policy_hook_t)h)); /* hooks are only shown in comments */
    release(cfg, pol);
    faas_config_unref(defaults);
}

TEST(settings_from_lua)
{
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err;
    CHECK_INT(load("listen = 9000\n"
                   "domain = 'Fn.Example.com'\n"
                   "data_dir = 'state'\n"
                   "reserved_ports = { 22, '100-102' }\n"
                   "allowlist = { 'a.example.com', '*.b.example.com' }\n"
                   "limits = { memory = '64m', cpus = 0.25, containers = 3 }\n"
                   "tls = { https_port = 8443, acme = { email = 'ops@example.com' } }\n"
                   "local helper = 5\n"
                   "local function my_helper() end\n"
                   "cleanup_interval = '7d'\n",
                   &cfg, &pol, &err),
              FAAS_OK);
    CHECK_INT(cfg->listen.port, 9000);
    CHECK_STR(cfg->domain, "fn.example.com");
    char want[300];
    snprintf(want, sizeof(want), "%s/state", dir);
    CHECK_STR(cfg->data_dir, want);
    CHECK(faas_config_port_reserved(cfg, 22) && faas_config_port_reserved(cfg, 101) && !faas_config_port_reserved(cfg, 80));
    CHECK_INT(cfg->allowlist_len, 2);
    CHECK_INT(cfg->limits.memory, 64 << 20);
    CHECK_INT(cfg->limits.nano_cpus, 250000000);
    CHECK_INT(cfg->limits.containers, 3);
    CHECK_INT(cfg->tls.https_port, 8443);
    CHECK_STR(cfg->tls.acme.email, "ops@example.com");
    CHECK_INT(cfg->cleanup_interval_ms, 7 * 86400000LL);
    CHECK(faas_policy_config(pol) == cfg);
    release(cfg, pol);
}

TEST(errors_name_the_setting)
{
    CHECK_CONTAINS(load_error("x = = 1\n"), "faas.conf.lua:1: unexpected symbol near '='");
    CHECK_CONTAINS(load_error("\nerror('boom')\n"), "faas.conf.lua:2: boom");
    CHECK_CONTAINS(load_error("limits = { memroy = '1g' }\n"),
                   "faas.conf.lua: limits.memroy: unknown setting (did you mean \"limits.memory\"?)");
    CHECK_CONTAINS(load_error("tls = { acme = { nope = 1 } }\n"), "tls.acme.nope: unknown setting");
    CHECK_CONTAINS(load_error("tls = { acme = 3 }\n"), "tls.acme: must be a table");
    CHECK_CONTAINS(load_error("limits = { [1] = 2 }\n"), "limits: keys must be setting names");
    CHECK_CONTAINS(load_error("reserved_ports = { a = 1 }\n"), "reserved_ports: must be a list");
    CHECK_CONTAINS(load_error("reserved_ports = { {1} }\n"), "reserved_ports: entry 1 is a table");
    CHECK_CONTAINS(load_error("domain = function() end\n"), "domain: unsupported value (a function)");
    CHECK_CONTAINS(load_error("route = 'x'\n"), "faas.conf.lua: route: must be a function, got a string");
    CHECK_CONTAINS(load_error("port_allowed = {}\n"), "port_allowed: must be a function, got a table");
    CHECK_CONTAINS(load_error("while true do end\n"), "faas.conf.lua:1: instruction budget exceeded");
    CHECK_CONTAINS(load_error("local t = {} for i = 1, 1e9 do t[i] = i end\n"), "memory cap");
}

TEST(unknown_globals_stop_the_load)
{
    /* The message starts with the file actually read, then the name and the nearest known one. */
    char want[400];
    snprintf(want, sizeof(want), "%s/faas.conf.lua: domian: unknown setting (did you mean \"domain\"?)", dir);
    CHECK_STR(load_error("domain = 'a.example'\ndomian = 'x'\n"), want);
    CHECK_CONTAINS(load_error("LOG_LEVEL = 'debug'\n"), "LOG_LEVEL: unknown setting (did you mean \"log_level\"?)");
    CHECK_CONTAINS(load_error("limts = { memory = '1g' }\n"), "limts: unknown setting (did you mean \"limits\"?)");
    CHECK_CONTAINS(load_error("tls = { acem = { email = 'a@b' } }\n"), "tls.acem: unknown setting (did you mean \"tls.acme\"?)");
    CHECK_CONTAINS(load_error("function rout(h) return 'x' end\n"), "rout: unknown setting (did you mean \"route\"?)");
    CHECK_STR(strstr(load_error("unknown_value = 3\n"), "unknown_value"), "unknown_value: unknown setting");
    /* Helpers must be local: a global function or table that is no setting is refused too. */
    CHECK_CONTAINS(load_error("function my_helper() end\n"),
                   "my_helper: unknown setting (helpers must be local: \"local function my_helper\")");
    CHECK_CONTAINS(load_error("faas = require 'faas'\n"), "faas: unknown setting (helpers must be local: \"local faas\")");
    /* Locals, hooks, builtins the file only uses, and a section extended field by field all load. */
    CHECK_STR(load_error("local faas = require 'faas'\nlocal function f() return 1 end\nlocal t = { f() }\n"
                         "limits = {}\nlimits.memory = '1g'\nfunction route() return nil end\nprint(#t)\n"),
              "(loaded)");
}

/* The item named name in cfg (fields in *out); 0 if found. */
static int item_named(const faas_config_t *cfg, const char *name, faas_config_item_t *out)
{
    for (size_t i = 0; faas_config_item(cfg, i, out) == 0; i++)
        if (strcmp(out->name, name) == 0)
            return 0;
    return -1;
}

TEST(origins_file_env_default)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/faas.conf.lua", dir);
    testlib_write_file(path, "domain = 'fn.example.com'\nlimits = { memory = '512m', max_file_size = '1m' }\n");
    faas_policy_env_t env = {.getenv_fn = env_file_size, .home = "/h"};
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err = {0};
    CHECK_INT(faas_policy_load(path, &env, &cfg, &pol, &err), FAAS_OK);
    faas_config_item_t it;
    CHECK(item_named(cfg, "domain", &it) == 0);
    CHECK_STR(it.origin, "file");
    CHECK(item_named(cfg, "limits.memory", &it) == 0);
    CHECK_STR(it.value, "512MiB");
    CHECK_STR(it.origin, "file");
    CHECK(item_named(cfg, "limits.max_file_size", &it) == 0);
    CHECK_STR(it.value, "7MiB");
    CHECK_STR(it.origin, "env MAX_FILE_SIZE");
    CHECK(item_named(cfg, "passfile", &it) == 0);
    CHECK_STR(it.value, "/h/.passfile"); /* resolved */
    CHECK_STR(it.origin, "default");
    release(cfg, pol);
}

TEST(print_names_the_file)
{
    char path[300], log[300];
    snprintf(path, sizeof(path), "%s/staging.lua", dir);
    snprintf(log, sizeof(log), "%s/print.log", dir);
    testlib_write_file(path, "\nprint('hello', 42)\n");
    faas_error_t err = {0};
    CHECK_INT(faas_log_open_file(log, &err), FAAS_OK);
    faas_log_set_level(FAAS_LOG_INFO);
    faas_policy_env_t env = {.getenv_fn = no_env, .home = "/h"};
    faas_config_t *cfg;
    faas_policy_t *pol;
    CHECK_INT(faas_policy_load(path, &env, &cfg, &pol, &err), FAAS_OK);
    release(cfg, pol);
    faas_log_set_level(FAAS_LOG_ERROR);
    faas_log_open_file(NULL, &err);
    char text[1024] = "";
    FILE *f = fopen(log, "r");
    if (f != NULL) {
        text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
        fclose(f);
    }
    char want[400];
    snprintf(want, sizeof(want), "info  %s/staging.lua:2: hello 42\n", dir);
    CHECK_CONTAINS(text, want);
}

TEST(sandbox_has_no_escape_hatches)
{
    CHECK_CONTAINS(load_error("io.open('/etc/passwd')\n"), "global 'io'");
    CHECK_CONTAINS(load_error("os.execute('true')\n"), "field 'execute'");
    CHECK_CONTAINS(load_error("os.remove('/tmp/x')\n"), "field 'remove'");
    CHECK_CONTAINS(load_error("load('return 1')\n"), "global 'load'");
    CHECK_CONTAINS(load_error("dofile('/etc/passwd')\n"), "global 'dofile'");
    CHECK_CONTAINS(load_error("string.dump(print)\n"), "field 'dump'");
    CHECK_CONTAINS(load_error("debug.getinfo(1)\n"), "global 'debug'");
    CHECK_CONTAINS(load_error("package.loadlib('x', 'y')\n"), "global 'package'");
    CHECK_CONTAINS(load_error("require 'os'\n"), "module 'os' not found");
    CHECK_STR(load_error("assert(os.getenv and os.time and require('faas').match)\n"), "(loaded)");
}

TEST(environment_beats_the_file)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/faas.conf.lua", dir);
    testlib_write_file(path, "limits = { max_file_size = '1m' }\n");
    faas_policy_env_t env = {.getenv_fn = env_file_size, .home = "/h"};
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err = {0};
    CHECK_INT(faas_policy_load(path, &env, &cfg, &pol, &err), FAAS_OK);
    CHECK_INT(cfg->limits.max_file_size, 7 << 20);
    release(cfg, pol);
}

static int route(faas_policy_t *pol, const char *host, const char *path, char *name)
{
    return faas_policy_route(pol, host, strlen(host), path, strlen(path), "GET", 3, name, 64);
}

TEST(route_hook)
{
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err;
    CHECK_INT(load("local faas = require 'faas'\n"
                   "local table_route = faas.routes{ hosts = { ['api.example.org'] = 'billing', ['*.shop.example'] = 'shop' },\n"
                   "                                 prefixes = { ['/b/'] = 'short', ['/b/long/'] = 'long' } }\n"
                   "function route(host, path, method)\n"
                   "  if path == '/error' then error('hook failed') end\n"
                   "  if path == '/number' then return 42 end\n"
                   "  if path == '/loop' then while true do end end\n"
                   "  if path == '/pcall-loop' then pcall(function() while true do end end) return 'escaped' end\n"
                   "  if path == '/long-name' then return string.rep('a', 100) end\n"
                   "  return table_route(host, path, method)\n"
                   "end\n",
                   &cfg, &pol, &err),
              FAAS_OK);
    char name[64];
    CHECK(faas_policy_has_hook(pol, FAAS_HOOK_ROUTE));
    CHECK_INT(route(pol, "API.example.org", "/", name), 1);
    CHECK_STR(name, "billing");
    CHECK_INT(route(pol, "eu.shop.example", "/", name), 1);
    CHECK_STR(name, "shop");
    CHECK_INT(route(pol, "a.b.shop.example", "/", name), 0); /* one label only */
    CHECK_INT(route(pol, "x.example.com", "/b/long/x", name), 1);
    CHECK_STR(name, "long");
    CHECK_INT(route(pol, "x.example.com", "/b/x", name), 1);
    CHECK_STR(name, "short");
    CHECK_INT(route(pol, "x.example.com", "/c", name), 0);
    CHECK_INT(route(pol, "x", "/error", name), 0);
    CHECK_INT(route(pol, "x", "/number", name), 0);
    CHECK_INT(route(pol, "x", "/loop", name), 0);
    CHECK_INT(route(pol, "x", "/pcall-loop", name), 0); /* the script's own pcall cannot swallow the budget */
    CHECK_INT(route(pol, "x", "/long-name", name), 0);
    CHECK_INT(route(pol, "api.example.org", "/", name), 1); /* the state still works after failures */
    CHECK_STR(name, "billing");
    release(cfg, pol);
}

/* Sends the log to a file of dir from now on (errors and warnings). */
static void log_to(const char *name, char *path, size_t size)
{
    faas_error_t err = {0};
    snprintf(path, size, "%s/%s", dir, name);
    CHECK_INT(faas_log_open_file(path, &err), FAAS_OK);
    faas_log_set_level(FAAS_LOG_WARN);
}

/* Back to stderr, errors only; returns what the file got (malloc). */
static char *log_text(const char *path)
{
    faas_error_t err = {0};
    faas_log_set_level(FAAS_LOG_ERROR);
    faas_log_open_file(NULL, &err);
    char *text = calloc(1, 1 << 16);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        text[fread(text, 1, (1 << 16) - 1, f)] = '\0';
        fclose(f);
    }
    return text;
}

/* A path of n bytes: "/" and n - 1 times c. */
static char *long_path(size_t n, char c)
{
    char *p = malloc(n + 1);
    memset(p, c, n);
    p[0] = '/';
    p[n] = '\0';
    return p;
}

/* The hook: it keeps every path it sees. Fed 300 KB paths until it reaches the memory
 * cap, it fails like any failed hook (no abort), and its state is rebuilt for the next call. */
TEST(hook_that_keeps_what_it_sees_reaches_its_memory_cap)
{
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err;
    char logpath[300], name[64];
    CHECK_INT(load("local seen, calls = {}, 0\n"
                   "function route(host, path, method)\n"
                   "  calls = calls + 1\n"
                   "  if path == '/probe' then return 'fresh' .. calls end\n"
                   "  seen[#seen + 1] = path\n"
                   "  return 'kept' .. #seen\n"
                   "end\n",
                   &cfg, &pol, &err),
              FAAS_OK);
    log_to("oom.log", logpath, sizeof(logpath));
    char *path = long_path(300 * 1024, 'k');
    int calls = 0, answered = 1;
    while (answered && calls < 100000) {
        answered = route(pol, "fn.example.com", path, name);
        calls++;
    }
    CHECK_INT(answered, 0); /* the cap was reached: a failed hook, and the process is still here */
    CHECK(calls > 1000);    /* each call kept at most FAAS_POLICY_PATH_MAX bytes */
    CHECK_INT(route(pol, "fn.example.com", "/probe", name), 1);
    CHECK_STR(name, "fresh1"); /* a new state from the same source: its counter starts again */
    CHECK_INT(route(pol, "fn.example.com", path, name), 1);
    CHECK_STR(name, "kept1");
    char *text = log_text(logpath);
    CHECK_CONTAINS(text, "policy hook route failed: out of memory: the Lua state reached its memory cap (64 MiB)");
    CHECK_CONTAINS(text, "policy: Lua state rebuilt from");
    printf("  the cap was reached after %d calls\n", calls);
    free(text);
    free(path);
    release(cfg, pol);
}

/* The exact failure of the issue: the hook's first call fills its state to within 2 KiB of the
 * cap, so pushing the next call's 4 KiB path fails. Outside a protected call that push made Lua
 * panic (abort); now it is a failed call and the next one runs in a rebuilt state. */
TEST(pushing_arguments_at_the_memory_cap_fails_cleanly)
{
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err;
    char logpath[300], name[64];
    CHECK_INT(load("local keep, n, calls = {}, 0, 0\n"
                   "for i = 1, 4096 do keep[i] = false end -- room for every piece: no table growth later\n"
                   "local cap = 64 * 1024 * 1024\n"
                   "local function used() return collectgarbage('count') * 1024 end\n"
                   "function route(host, path, method)\n"
                   "  calls = calls + 1\n"
                   "  if path ~= '/fill' then return 'call' .. calls end\n"
                   "  local size = 1024 * 1024\n"
                   "  while size >= 16 do\n"
                   "    collectgarbage()\n"
                   "    if used() + 2 * size + 2048 < cap then n = n + 1 keep[n] = string.rep('x', size)\n"
                   "    else size = size // 2 end\n"
                   "  end\n"
                   "  return 'full'\n"
                   "end\n",
                   &cfg, &pol, &err),
              FAAS_OK);
    log_to("push.log", logpath, sizeof(logpath));
    CHECK_INT(route(pol, "fn.example.com", "/fill", name), 1);
    CHECK_STR(name, "full");
    char *path = long_path(FAAS_POLICY_PATH_MAX, 'p');
    CHECK_INT(route(pol, "fn.example.com", path, name), 0);
    CHECK_INT(route(pol, "fn.example.com", path, name), 1);
    CHECK_STR(name, "call1");
    char *text = log_text(logpath);
    CHECK_CONTAINS(text, "policy hook route failed: out of memory");
    CHECK_CONTAINS(text, "rebuilt");
    free(text);
    free(path);
    release(cfg, pol);
}

TEST(memory_cap_caught_by_the_script_still_fails)
{
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err;
    char logpath[300];
    int allowed = -1;
    CHECK_INT(load("local calls = 0\n"
                   "function tls_allowed(host)\n"
                   "  calls = calls + 1\n"
                   "  if host == 'big.example.com' then pcall(string.rep, 'x', 100 * 1024 * 1024) end\n"
                   "  return calls == 1\n"
                   "end\n",
                   &cfg, &pol, &err),
              FAAS_OK);
    log_to("caught.log", logpath, sizeof(logpath));
    CHECK_INT(faas_policy_tls_allowed(pol, "big.example.com", &allowed, &err), FAAS_EPOLICY);
    CHECK_INT(allowed, 0);
    CHECK_INT(faas_policy_tls_allowed(pol, "a.example.com", &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 1); /* calls == 1 again: a rebuilt state */
    free(log_text(logpath));
    release(cfg, pol);
}

TEST(hooks_see_bounded_strings)
{
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err;
    char name[64], method[100];
    int allowed = -1;
    CHECK_INT(load("function route(host, path, method) return #host .. '/' .. #path .. '/' .. #method .. path:sub(-1) end\n"
                   "function tls_allowed(host) return true end\n"
                   "function volume_allowed(h, c) return true end\n",
                   &cfg, &pol, &err),
              FAAS_OK);
    char *host = long_path(1000, 'h'), *path = long_path(300 * 1024, 'x');
    path[FAAS_POLICY_PATH_MAX - 1] = 'E'; /* the last byte the hook sees */
    memset(method, 'M', sizeof(method));
    CHECK_INT(faas_policy_route(pol, host, strlen(host), path, strlen(path), method, sizeof(method), name, sizeof(name)),
              1);
    CHECK_STR(name, "259/4096/32E");
    CHECK_INT(route(pol, "a.example.com", "/short", name), 1);
    CHECK_STR(name, "13/6/3t");
    host[FAAS_POLICY_NAME_MAX] = '\0';
    CHECK_INT(faas_policy_tls_allowed(pol, host, &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 1);
    host[FAAS_POLICY_NAME_MAX] = 'h';
    host[FAAS_POLICY_NAME_MAX + 1] = '\0';
    CHECK_INT(faas_policy_tls_allowed(pol, host, &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 0); /* 254 bytes: no DNS name, not asked */
    path[FAAS_POLICY_PATH_MAX] = '\0';
    CHECK_INT(faas_policy_volume_allowed(pol, path, "/data", &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 1);
    path[FAAS_POLICY_PATH_MAX] = 'x';
    path[FAAS_POLICY_PATH_MAX + 1] = '\0';
    CHECK_INT(faas_policy_volume_allowed(pol, path, "/data", &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 0); /* refused without asking: a cut path could pass a prefix test */
    free(host);
    free(path);
    release(cfg, pol);
}

/* A route hook with a pattern that backtracks without end, fed a 300 KB path: the call fails at
 * the budget quickly (Lua's own matcher takes minutes on 253 bytes) and the next call is served. */
TEST(pathological_route_pattern_stops_at_the_budget)
{
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err;
    char logpath[300], name[64];
    CHECK_INT(load("function route(host, path)\n"
                   "  if path:find('.-.-.-%.php$') or host:find('(.-)(.-)(.-)%.evil$') then return 'php' end\n"
                   "  return 'other'\n"
                   "end\n",
                   &cfg, &pol, &err),
              FAAS_OK);
    log_to("pattern.log", logpath, sizeof(logpath));
    char *path = long_path(300 * 1024, 'a'), *host = long_path(259, 'a');
    int64_t t0 = faas_clock_mono_ms();
    CHECK_INT(route(pol, "fn.example.com", path, name), 0);
    CHECK_INT(route(pol, host, "/", name), 0);
    int64_t ms = faas_clock_mono_ms() - t0;
    CHECK(ms < 2000);
    CHECK_INT(route(pol, "fn.example.com", "/a/b.php", name), 1);
    CHECK_STR(name, "php");
    char *text = log_text(logpath);
    CHECK_CONTAINS(text, "pattern matching exceeded the instruction budget");
    printf("  two pathological calls failed in %lld ms\n", (long long)ms);
    free(text);
    free(path);
    free(host);
    release(cfg, pol);
}

TEST(port_tls_volume_hooks)
{
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err;
    char reason[128];
    int allowed = -1;

    CHECK_INT(load("reserved_ports = { 9001 }\nallowlist = { 'a.example.com', '*.b.example.com' }\n", &cfg, &pol, &err),
              FAAS_OK);
    CHECK_INT(faas_policy_port_allowed(pol, 9001, &allowed, reason, sizeof(reason), &err), FAAS_OK);
    CHECK_INT(allowed, 0);
    CHECK_STR(reason, "port 9001 is in reserved_ports");
    CHECK_INT(faas_policy_port_allowed(pol, 9002, &allowed, reason, sizeof(reason), &err), FAAS_OK);
    CHECK_INT(allowed, 1);
    CHECK_INT(faas_policy_tls_allowed(pol, "A.example.com", &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 1);
    CHECK_INT(faas_policy_tls_allowed(pol, "fn.b.example.com", &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 1);
    CHECK_INT(faas_policy_tls_allowed(pol, "b.example.com", &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 0);
    CHECK_INT(faas_policy_tls_allowed(pol, "127.0.0.1", &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 0);
    CHECK_INT(faas_policy_volume_allowed(pol, "/srv", "/data", &allowed, &err), FAAS_ENOTFOUND);
    release(cfg, pol);

    CHECK_INT(load("local ok = require('faas').ports{ '10000-10002', 20000 }\n"
                   "function port_allowed(port) return ok[port] == true, 'use 10000-10002' end\n"
                   "function tls_allowed(host) if host == 'bad' then return 'yes' end return host:sub(-4) == '.org' end\n"
                   "function volume_allowed(h, c) return h:sub(1, 5) == '/srv/' end\n",
                   &cfg, &pol, &err),
              FAAS_OK);
    CHECK_INT(faas_policy_port_allowed(pol, 10001, &allowed, reason, sizeof(reason), &err), FAAS_OK);
    CHECK_INT(allowed, 1);
    CHECK_INT(faas_policy_port_allowed(pol, 80, &allowed, reason, sizeof(reason), &err), FAAS_OK);
    CHECK_INT(allowed, 0);
    CHECK_STR(reason, "use 10000-10002");
    CHECK_INT(faas_policy_tls_allowed(pol, "x.org", &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 1);
    CHECK_INT(faas_policy_tls_allowed(pol, "bad", &allowed, &err), FAAS_EPOLICY); /* a string is not a yes */
    CHECK_INT(faas_policy_volume_allowed(pol, "/srv/x", "/data", &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 1);
    CHECK_INT(faas_policy_volume_allowed(pol, "/etc", "/data", &allowed, &err), FAAS_OK);
    CHECK_INT(allowed, 0);
    release(cfg, pol);

    CHECK_INT(load("function port_allowed(port) error('no') end\n", &cfg, &pol, &err), FAAS_OK);
    CHECK_INT(faas_policy_port_allowed(pol, 5000, &allowed, reason, sizeof(reason), &err), FAAS_EPOLICY);
    CHECK_CONTAINS(err.msg, "policy hook port_allowed failed");
    release(cfg, pol);
}

/* scale(name) -> a table of the function's defaults; a wrong answer is logged and taken as nil. */
TEST(scale_hook)
{
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err;
    faas_scale_t s;
    CHECK_INT(load("scale = { min = 1, max = 8, window = '10s', queue = 5 }\n", &cfg, &pol, &err), FAAS_OK);
    CHECK_INT(cfg->scale.min, 1);
    CHECK_INT(cfg->scale.max, 8);
    CHECK_INT(cfg->scale.window_ms, 10000);
    CHECK_INT(cfg->scale.queue, 5);
    CHECK(!faas_policy_has_hook(pol, FAAS_HOOK_SCALE));
    CHECK_INT(faas_policy_scale(pol, "any", &s), 0);
    CHECK_INT(s.set, 0);
    release(cfg, pol);

    CHECK_INT(load("function scale(name)\n"
                   "  if name == 'big' then return { min = 2, max = 10, target = 50, concurrency = 4 } end\n"
                   "  if name == 'some' then return { max = 3.0 } end\n"
                   "  if name == 'string' then return { max = '3' } end\n"
                   "  if name == 'range' then return { max = 0 } end\n"
                   "  if name == 'fraction' then return { target = 1.5 } end\n"
                   "  if name == 'unknown' then return { max = 2, replicas = 3 } end\n"
                   "  if name == 'list' then return { 1, 2 } end\n"
                   "  if name == 'number' then return 4 end\n"
                   "  if name == 'error' then error('no') end\n"
                   "  if name == 'loop' then while true do end end\n"
                   "  if name == 'meta' then return setmetatable({}, { __index = function() while true do end end }) end\n"
                   "  return nil\n"
                   "end\n",
                   &cfg, &pol, &err),
              FAAS_OK);
    CHECK(faas_policy_has_hook(pol, FAAS_HOOK_SCALE));
    CHECK_STR(faas_policy_hook_name(FAAS_HOOK_SCALE), "scale");
    CHECK_INT(cfg->scale.max, 1); /* a file with the hook keeps the table's defaults */
    char log[300];
    log_to("scale-hook.log", log, sizeof(log));
    CHECK_INT(faas_policy_scale(pol, "big", &s), 1);
    CHECK_INT(s.set, FAAS_SCALE_ALL);
    CHECK_INT(s.min, 2);
    CHECK_INT(s.max, 10);
    CHECK_INT(s.target, 50);
    CHECK_INT(s.concurrency, 4);
    CHECK_INT(faas_policy_scale(pol, "some", &s), 1);
    CHECK_INT(s.set, FAAS_SCALE_MAX);
    CHECK_INT(s.max, 3);
    CHECK_INT(faas_policy_scale(pol, "other", &s), 0);
    static const char *const bad[] = {"string", "range", "fraction", "unknown", "list", "number", "error", "loop", "meta"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = (faas_scale_t){.set = 9, .max = 9};
        testlib_check(faas_policy_scale(pol, bad[i], &s) == 0 && s.set == 0 && s.max == 0, __FILE__, __LINE__,
                      "scale(\"%s\") is taken as nil", bad[i]);
    }
    CHECK_INT(faas_policy_scale(pol, "big", &s), 1); /* the state still works after failures */
    char *text = log_text(log);
    CHECK_CONTAINS(text, "policy hook scale(\"string\") returned a string for max, expected a whole number; taken as nil");
    CHECK_CONTAINS(text, "policy hook scale(\"range\") returned max: 0 is out of range 1..1000; taken as nil");
    CHECK_CONTAINS(text, "scale(\"unknown\") returned a table with the key replicas (known: min, max, target, concurrency)");
    CHECK_CONTAINS(text, "scale(\"list\") returned a table with the key that is not a string");
    CHECK_CONTAINS(text, "scale(\"number\") returned a number, expected a table or nil");
    CHECK_CONTAINS(text, "policy hook scale failed: ");
    free(text);
    release(cfg, pol);

    /* The table and the hook together: the hook is the table's field `hook`. */
    CHECK_INT(load("scale = { max = 4, hook = function(name) return { min = #name } end }\n", &cfg, &pol, &err),
              FAAS_OK);
    CHECK_INT(cfg->scale.max, 4);
    CHECK(faas_policy_has_hook(pol, FAAS_HOOK_SCALE));
    CHECK_INT(faas_policy_scale(pol, "abc", &s), 1);
    CHECK_INT(s.min, 3);
    release(cfg, pol);
    CHECK_CONTAINS(load_error("scale = { hook = 3 }\n"), "scale.hook: must be a function, got a number");
    CHECK_CONTAINS(load_error("scale = 3\n"), "scale: must be a function (the hook) or a table (the settings), got a number");
    CHECK_CONTAINS(load_error("scale = { mni = 1 }\n"), "scale.mni: unknown setting (did you mean \"scale.min\"?)");
    CHECK_CONTAINS(load_error("scale = { min = 3 }\n"), "scale.min: 3 is above scale.max (1)");
    CHECK_CONTAINS(load_error("function scael(n) end\n"), "scael: unknown setting (did you mean \"scale\"?)");
}

TEST(host_match)
{
    CHECK(faas_policy_host_match("a.example.com", 13, "a.example.com"));
    CHECK(faas_policy_host_match("A.Example.COM", 13, "a.example.com"));
    CHECK(faas_policy_host_match("x.example.com", 13, "*.example.com"));
    CHECK(!faas_policy_host_match("example.com", 11, "*.example.com"));
    CHECK(!faas_policy_host_match("a.b.example.com", 15, "*.example.com"));
    CHECK(!faas_policy_host_match("xexample.com", 12, "*.example.com"));
    CHECK(!faas_policy_host_match("a.example.co", 12, "a.example.com"));
    CHECK(!faas_policy_host_match("a.example.com.evil", 18, "*.example.com"));
}

TEST(clones_are_independent_states)
{
    faas_config_t *cfg;
    faas_policy_t *pol, *copy = NULL;
    faas_error_t err;
    CHECK_INT(load("counter = nil\nlocal n = 0\nfunction route(h) n = n + 1 return 'f' .. n end\n", &cfg, &pol, &err),
              FAAS_OK);
    CHECK_INT(faas_policy_clone(pol, &copy, &err), FAAS_OK);
    char name[64];
    route(pol, "h", "/", name);
    route(pol, "h", "/", name);
    CHECK_STR(name, "f2");
    route(copy, "h", "/", name);
    CHECK_STR(name, "f1"); /* its own Lua state */
    CHECK(faas_policy_config(copy) == cfg);
    faas_policy_dispose(copy);
    release(cfg, pol);
}

TEST(no_file_means_defaults)
{
    faas_policy_env_t env = {.getenv_fn = no_env, .home = "/h"};
    faas_config_t *cfg;
    faas_policy_t *pol;
    faas_error_t err = {0};
    CHECK_INT(faas_policy_load(NULL, &env, &cfg, &pol, &err), FAAS_OK);
    CHECK(cfg->path == NULL);
    CHECK_STR(cfg->passfile, "/h/.passfile");
    release(cfg, pol);
    CHECK_INT(faas_policy_load("/nonexistent/faas.conf.lua", &env, &cfg, &pol, &err), FAAS_EIO);
    CHECK_CONTAINS(err.msg, "cannot read /nonexistent/faas.conf.lua");
}

int main(void)
{
    testlib_tmpdir(dir, sizeof(dir));
    faas_log_set_level(FAAS_LOG_ERROR);
    RUN(repository_config_loads_with_default_values);
    RUN(settings_from_lua);
    RUN(errors_name_the_setting);
    RUN(unknown_globals_stop_the_load);
    RUN(origins_file_env_default);
    RUN(print_names_the_file);
    RUN(sandbox_has_no_escape_hatches);
    RUN(environment_beats_the_file);
    RUN(route_hook);
    RUN(hook_that_keeps_what_it_sees_reaches_its_memory_cap);
    RUN(pushing_arguments_at_the_memory_cap_fails_cleanly);
    RUN(memory_cap_caught_by_the_script_still_fails);
    RUN(hooks_see_bounded_strings);
    RUN(pathological_route_pattern_stops_at_the_budget);
    RUN(port_tls_volume_hooks);
    RUN(scale_hook);
    RUN(host_match);
    RUN(clones_are_independent_states);
    RUN(no_file_means_defaults);
    return testlib_done();
}
