/*
 * policy_patterns.c (unit): the string library's pattern functions in the policy's Lua state
 * (policy_lua.c's own matcher) give what Lua 5.4's give, on fixed cases and on thousands of
 * random patterns and subjects run through both side by side; and pathological patterns, which
 * keep Lua's own matcher busy for minutes, fail within the call's instruction budget instead.
 */
#include "core/internal.h"
#include "faas/core/clock.h"
#include "testlib.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs every case the script builds through find, match, gmatch and gsub and prints each
 * result as text. Only string.char, sub, rep, format and table.concat are used besides the
 * functions under test, so both states run the same code on the same cases. */
static const char SCRIPT[] =
    "local seed, n = ...\n"
    "math.randomseed(seed)\n"
    "local tokens = { 'a', 'b', '.', '%a', '%d', '%s', '%w', '%p', '%x', '%u', '%l', '%c', '%g', '%A', '%D',\n"
    "  '%S', '[ab]', '[^a]', '[a-c]', '[%d]', '[]]', '[^]]', '[a-]', '[%a-z]', '(', ')', '()', '%1', '%2', '%0',\n"
    "  '%b()', '%b[]', '%bxx', '%f[%w]', '%f[%W]', '%f[a]', '*', '+', '-', '?', '^', '$', '%%', '%(', '%.', '[',\n"
    "  '%', ']', 'x', ' ', '1', '%z', '%b', '%f', '%fa' }\n"
    "local alphabet = 'aab()1 .%x]-^$[A\\0'\n"
    "local function pick(t) return t[math.random(#t)] end\n"
    "local function subject()\n"
    "  local out = {}\n"
    "  for i = 1, math.random(0, 12) do local k = math.random(#alphabet) out[i] = alphabet:sub(k, k) end\n"
    "  return table.concat(out)\n"
    "end\n"
    "local function pattern()\n"
    "  local out = {}\n"
    "  for i = 1, math.random(1, 6) do out[i] = pick(tokens) end\n"
    "  return table.concat(out)\n"
    "end\n"
    "local function show(ok, ...)\n"
    "  local out = { ok and 'ok' or 'error', tostring(select('#', ...)) }\n"
    "  for i = 1, select('#', ...) do local v = select(i, ...) out[#out + 1] = type(v) .. ':' .. tostring(v) end\n"
    "  return table.concat(out, '|')\n"
    "end\n"
    "local repls = { '%0-', '<%1>', '%%', '%2', 'x%', '', '%a', 7,\n"
    "  { a = 'A', ['('] = false, b = 1.5, x = {} },\n"
    "  function(a, b) if a == 'b' then return false end return b or a end }\n"
    "local lines = {}\n"
    "local function case(s, p, init, repl, max)\n"
    "  lines[#lines + 1] = string.format('%q %q %s', s, p, tostring(init))\n"
    "  lines[#lines + 1] = show(pcall(string.find, s, p, init))\n"
    "  lines[#lines + 1] = show(pcall(string.find, s, p, init, true))\n"
    "  lines[#lines + 1] = show(pcall(string.match, s, p, init))\n"
    "  lines[#lines + 1] = show(pcall(s.match, s, p))\n"
    "  lines[#lines + 1] = show(pcall(function()\n"
    "    local all = {}\n"
    "    for a, b in string.gmatch(s, p, init) do all[#all + 1] = tostring(a) .. ',' .. tostring(b)\n"
    "      if #all > 40 then break end end\n"
    "    return table.concat(all, ';')\n"
    "  end))\n"
    "  lines[#lines + 1] = show(pcall(string.gsub, s, p, repl, max))\n"
    "end\n"
    "local fixed = {\n"
    "  { 'hello world', 'o w' }, { 'hello world', '^(h)(.-)(o)' }, { 'key = value', '(%w+)%s*=%s*(%w+)' },\n"
    "  { 'THE (quick) fox', '%((%a+)%)' }, { 'f(a(b)c)d', '%b()' }, { 'THE (quick) fox', '%f[%a]%a+' },\n"
    "  { 'abc', '()b()' }, { 'aaa', 'a-$' }, { 'aaa', 'a*' }, { '', 'x*' }, { 'abc', '' }, { 'abc', '$' },\n"
    "  { 'a$b', 'a$b' }, { 'a^b', 'a^b' }, { '^a', '^^a' }, { 'hello hello', '(h%a+) %1' },\n"
    "  { 'x', '%' }, { 'x', '[a' }, { 'x', '(x' }, { 'x', 'x)' }, { 'x', '%1' }, { 'x', '%f' }, { 'x', '%bx' },\n"
    "  { 'abc', 'b', -1 }, { 'abc', 'b', -10 }, { 'abc', 'b', 10 }, { 'abc', 'b', 4 }, { 'abc', '', 4 },\n"
    "  { 'abc', '', 5 }, { 'a.b', '.', 1 }, { '\\0a\\0', '%z' }, { 'a\\0b', '[\\0]' },\n"
    "  { string.rep('a', 300), string.rep('a?', 150) .. string.rep('a', 150) },\n"
    "  { string.rep('(', 40), string.rep('%(', 40) }, { 'abc', string.rep('(', 33) .. string.rep(')', 33) },\n"
    "  { string.rep('x', 250), string.rep('x?', 250) }, { 'ab', '[%]' }, { 'ab', '[a-%%]' },\n"
    "}\n"
    "for _, c in ipairs(fixed) do\n"
    "  for _, r in ipairs(repls) do case(c[1], c[2], c[3], r) end\n"
    "  case(c[1], c[2], c[3], '%0', 1)\n"
    "end\n"
    "for i = 1, n do\n"
    "  local s, p = subject(), pattern()\n"
    "  local init = math.random(4) == 1 and math.random(-5, 14) or nil\n"
    "  case(s, p, init, pick(repls), math.random(3) == 1 and math.random(0, 3) or nil)\n"
    "end\n"
    "lines[#lines + 1] = show(pcall(string.gsub, 'abc', 'b', true))\n"
    "lines[#lines + 1] = show(pcall(string.find))\n"
    "lines[#lines + 1] = show(pcall(string.gmatch, 'abc'))\n"
    "return table.concat(lines, '\\n')\n";

/* Runs SCRIPT in L (seed, n) and returns its text (malloc), or NULL with the error printed. */
static char *run_script(lua_State *L, int own, lua_Integer seed, lua_Integer n)
{
    if (luaL_loadbufferx(L, SCRIPT, sizeof(SCRIPT) - 1, "=cases", "t") != LUA_OK) {
        printf("load: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return NULL;
    }
    lua_pushinteger(L, seed);
    lua_pushinteger(L, n);
    char msg[1024] = "";
    int rc = own ? faas_core__lua_pcall(L, 2, 1, 1000000000L, msg, sizeof(msg)) : lua_pcall(L, 2, 1, 0);
    if (rc != 0) {
        printf("run: %s\n", own ? msg : lua_tostring(L, -1));
        lua_settop(L, 0);
        return NULL;
    }
    char *text = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    return text;
}

/* The first line where a and b differ, with the case line before it, or NULL when equal. */
static void report_difference(const char *a, const char *b)
{
    const char *case_line = a, *la = a, *lb = b;
    while (*la != '\0' || *lb != '\0') {
        const char *ea = strchr(la, '\n'), *eb = strchr(lb, '\n');
        size_t na = ea ? (size_t)(ea - la) : strlen(la), nb = eb ? (size_t)(eb - lb) : strlen(lb);
        if (la[0] == '"')
            case_line = la;
        if (na != nb || memcmp(la, lb, na) != 0) {
            printf("case: %.*s\nlua:  %.*s\nfaas: %.*s\n", (int)(strcspn(case_line, "\n")), case_line, (int)na, la,
                   (int)nb, lb);
            return;
        }
        la += na + (ea != NULL);
        lb += nb + (eb != NULL);
    }
}

static void compare(lua_Integer seed, lua_Integer n)
{
    lua_State *stock = luaL_newstate(), *own = faas_core__lua_new((size_t)64 << 20);
    luaL_openlibs(stock);
    char *want = run_script(stock, 0, seed, n), *got = run_script(own, 1, seed, n);
    CHECK(want != NULL && got != NULL);
    if (want != NULL && got != NULL) {
        CHECK(strcmp(want, got) == 0);
        if (strcmp(want, got) != 0)
            report_difference(want, got);
    }
    free(want);
    free(got);
    lua_close(stock);
    faas_core__lua_close(own);
}

TEST(fixed_and_random_cases_match_lua)
{
    compare(1, 3000);
    compare(20260, 3000);
    compare(7, 3000);
}

/* Runs code in a fresh policy state with the hook budget; returns the rc and the message in msg. */
static int run_hooked(const char *code, char *msg, size_t size, int64_t *ms)
{
    lua_State *L = faas_core__lua_new((size_t)64 << 20);
    int64_t t0 = faas_clock_mono_ms();
    int rc = luaL_loadbufferx(L, code, strlen(code), "=hook", "t");
    if (rc == LUA_OK)
        rc = faas_core__lua_pcall(L, 0, 0, FAAS_POLICY_HOOK_BUDGET, msg, size);
    *ms = faas_clock_mono_ms() - t0;
    faas_core__lua_close(L);
    return rc;
}

TEST(pathological_patterns_stop_at_the_budget)
{
    /* Lua's own matcher: about 4 s for the first at 253 bytes, minutes for the others (measured). */
    static const char *const cases[] = {
        "local s = string.rep('a', 253) s:find('.-.-.-b')",
        "local s = string.rep('a', 4096) s:find('(.-)(.-)b$')",
        "local s = string.rep('a', 4096) s:match('a*a*a*a*b')",
        "local s = string.rep('a', 4096) s:gsub('.-.-.-b', 'x')",
        "local s = string.rep('a', 4096) for x in s:gmatch('.-.-b') do end",
        "local s = string.rep('(', 4096) s:find('%b()%b()%b()x')",
        "local s = string.rep('a', 40) s:find(string.rep('a?', 40) .. s .. 'x')",
        /* a script's pcall does not get past the budget: every later instruction fails too */
        "local s = string.rep('a', 253) for i = 1, 100 do pcall(string.find, s, '.-.-.-b') end",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[1024] = "";
        int64_t ms = 0;
        CHECK_INT(run_hooked(cases[i], msg, sizeof(msg), &ms), -1);
        CHECK_CONTAINS(msg, "instruction budget");
        CHECK(ms < 2000);
        printf("  %-80.80s %4lld ms %s\n", cases[i], (long long)ms, msg[0] ? "stopped" : "NOT STOPPED");
    }
    /* Ordinary patterns over the longest strings a hook is handed stay far inside the budget. */
    char msg[1024] = "";
    int64_t ms = 0;
    CHECK_INT(run_hooked("local p = '/' .. string.rep('seg/', 1023) .. 'x.php'\n"
                         "for i = 1, 20 do assert(p:find('^/seg/')) assert(p:match('%.php$')) assert(p:find('/x%.'))\n"
                         "  assert(p:gsub('/', '|')) assert(not p:find('^/api/')) end\n"
                         "local h = string.rep('a', 63) .. '.example.com'\n"
                         "assert(h:match('^([%w-]+)%.example%.com$'))",
                         msg, sizeof(msg), &ms),
              0);
    CHECK_STR(msg, "");
}

int main(void)
{
    RUN(fixed_and_random_cases_match_lua);
    RUN(pathological_patterns_stop_at_the_budget);
    return testlib_done();
}
