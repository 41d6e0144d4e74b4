/*
 * policy_pattern.c: Lua 5.4's patterns (reference manual, section 6.4.1) and the semantics of
 * string.find, match, gmatch and gsub, for the policy's Lua state. Stock Lua's matcher can
 * backtrack for seconds over a few hundred bytes ("(.-)(.-)b$"); this one charges every step
 * (each item tried, each character scanned) to the hook's instruction budget
 * (faas_core__lua_charge), so a pathological pattern fails in milliseconds and a script's own
 * pcall cannot get past the budget. test/unit/policy_patterns.c checks it against stock Lua.
 * Used by one thread at a time, as its state is.
 */
#include "internal.h"

#include <ctype.h>
#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>
#include <string.h>

#define PAT_MAXCAPTURES 32
#define PAT_MAXDEPTH 200 /* nested items, as Lua's own matcher allows */
#define PAT_ESC '%'
#define PAT_SPECIALS "^$*+?.([%-"
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)

typedef struct pat {
    const char *src_init, *src_end, *p_end; /* subject and pattern: Lua strings, so NUL-terminated */
    lua_State *L;
    int depth, level;
    struct {
        const char *init;
        ptrdiff_t len; /* or CAP_UNFINISHED, CAP_POSITION */
    } capture[PAT_MAXCAPTURES];
} pat_t;

typedef enum { PAT_DONE = 0, PAT_NEXT = 1, PAT_CLASS = 2 } pat_step_t;

static const char *pat_match(pat_t *ms, const char *s, const char *p);

/* Charges n steps; past the budget the call fails, and a script's pcall gets no further. */
static void pat_charge(pat_t *ms, long n)
{
    faas_core__lua_charge(ms->L, n, "pattern matching exceeded the instruction budget "
                                    "(several '-', '*' or '+' over a long string?)");
}

static void pat_init(pat_t *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    *ms = (pat_t){.src_init = s, .src_end = s + ls, .p_end = p + lp, .L = L};
}

static void pat_reset(pat_t *ms)
{
    ms->level = 0;
    ms->depth = PAT_MAXDEPTH;
}

static int is_nul(int c)
{
    return c == '\0';
}

/* c against the class letter cl of "%cl" (upper case: the complement; not a class letter: cl
 * itself). "%z", deprecated, is still a class in Lua 5.4. */
static int class_match(int c, int cl)
{
    static const char letters[] = "acdglpsuwxz";
    static int (*const tests[])(int) = {isalpha, iscntrl, isdigit, isgraph, islower, ispunct,
                                        isspace, isupper, isalnum, isxdigit, is_nul};
    const char *at = cl != '\0' ? strchr(letters, tolower(cl)) : NULL;
    if (at == NULL)
        return cl == c;
    int res = tests[at - letters](c) != 0;
    return isupper(cl) ? !res : res;
}

/* c against the set that opens with '[' at p and closes with the ']' at close. */
static int set_match(int c, const char *p, const char *close)
{
    int in = 1;
    if (p[1] == '^') {
        in = 0;
        p++;
    }
    while (++p < close) {
        if (*p == PAT_ESC) {
            p++;
            if (class_match(c, (unsigned char)*p))
                return in;
        } else if (p[1] == '-' && p + 2 < close) {
            p += 2;
            if ((unsigned char)p[-2] <= c && c <= (unsigned char)*p)
                return in;
        } else if ((unsigned char)*p == c) {
            return in;
        }
    }
    return !in;
}

/* Where the single-character class at p (p < p_end) ends. */
static const char *class_end(pat_t *ms, const char *p)
{
    char c = *p++;
    if (c == PAT_ESC) {
        if (p == ms->p_end)
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c != '[')
        return p;
    if (*p == '^')
        p++;
    do { /* the first character of a set is one of its members, even a ']' */
        if (p == ms->p_end)
            luaL_error(ms->L, "malformed pattern (missing ']')");
        if (*(p++) == PAT_ESC && p < ms->p_end)
            p++;
    } while (*p != ']');
    return p + 1;
}

/* Whether the subject character at s matches the class p..ep. */
static int single_match(pat_t *ms, const char *s, const char *p, const char *ep)
{
    if (s >= ms->src_end)
        return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case PAT_ESC: return class_match(c, (unsigned char)p[1]);
    case '[': return set_match(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *max_expand(pat_t *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;
    while (single_match(ms, s + i, p, ep))
        i++;
    pat_charge(ms, (long)i);
    for (; i >= 0; i--) { /* the longest first */
        const char *r = pat_match(ms, s + i, ep + 1);
        if (r != NULL)
            return r;
    }
    return NULL;
}

static const char *min_expand(pat_t *ms, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = pat_match(ms, s, ep + 1);
        if (r != NULL)
            return r;
        if (!single_match(ms, s, p, ep))
            return NULL;
        s++;
    }
}

static const char *start_capture(pat_t *ms, const char *s, const char *p, ptrdiff_t what)
{
    if (ms->level >= PAT_MAXCAPTURES)
        luaL_error(ms->L, "too many captures");
    ms->capture[ms->level].init = s;
    ms->capture[ms->level].len = what;
    ms->level++;
    const char *r = pat_match(ms, s, p);
    if (r == NULL)
        ms->level--;
    return r;
}

static const char *end_capture(pat_t *ms, const char *s, const char *p)
{
    int l = ms->level - 1;
    while (l >= 0 && ms->capture[l].len != CAP_UNFINISHED)
        l--;
    if (l < 0)
        luaL_error(ms->L, "invalid pattern capture");
    ms->capture[l].len = s - ms->capture[l].init;
    const char *r = pat_match(ms, s, p);
    if (r == NULL)
        ms->capture[l].len = CAP_UNFINISHED;
    return r;
}

/* "%bxy" with p at x. */
static const char *match_balance(pat_t *ms, const char *s, const char *p)
{
    if (p + 1 >= ms->p_end)
        luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p)
        return NULL;
    const char *start = s;
    int depth = 1;
    while (++s < ms->src_end) {
        if (*s == p[1]) {
            if (--depth == 0)
                break;
        } else if (*s == *p) {
            depth++;
        }
    }
    pat_charge(ms, (long)(s - start));
    return s < ms->src_end ? s + 1 : NULL;
}

/* "%f[set]" with p at '['; *next gets where the pattern goes on. */
static const char *match_frontier(pat_t *ms, const char *s, const char *p, const char **next)
{
    if (*p != '[')
        luaL_error(ms->L, "missing '[' after '%%f' in pattern");
    const char *ep = class_end(ms, p);
    int prev = s == ms->src_init ? '\0' : (unsigned char)s[-1];
    int cur = s < ms->src_end ? (unsigned char)*s : '\0';
    *next = ep;
    return !set_match(prev, p, ep - 1) && set_match(cur, p, ep - 1) ? s : NULL;
}

/* "%1".."%9": the text of an earlier capture again. */
static const char *match_back(pat_t *ms, const char *s, int digit)
{
    int l = digit - '1';
    if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED)
        luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    ptrdiff_t len = ms->capture[l].len;
    if (len < 0 || ms->src_end - s < len) /* a position capture never matches text */
        return NULL;
    pat_charge(ms, (long)len);
    return memcmp(ms->capture[l].init, s, (size_t)len) == 0 ? s + len : NULL;
}

/* "%b", "%f" or a back reference at *pp; PAT_CLASS when it is a class such as "%d". */
static pat_step_t match_escape(pat_t *ms, const char **sp, const char **pp)
{
    const char *p = *pp, *next = NULL;
    switch (p[1]) {
    case 'b':
        *sp = match_balance(ms, *sp, p + 2);
        next = p + 4;
        break;
    case 'f':
        *sp = match_frontier(ms, *sp, p + 2, &next);
        break;
    default:
        if (!isdigit((unsigned char)p[1]))
            return PAT_CLASS;
        *sp = match_back(ms, *sp, (unsigned char)p[1]);
        next = p + 2;
    }
    *pp = next;
    return *sp != NULL ? PAT_NEXT : PAT_DONE;
}

/* A single-character class with its quantifier at *pp: PAT_NEXT (matching goes on at *sp,
 * *pp) or PAT_DONE (the result, or NULL, in *sp). */
static pat_step_t match_item(pat_t *ms, const char **sp, const char **pp)
{
    const char *s = *sp, *p = *pp, *ep = class_end(ms, p);
    if (!single_match(ms, s, p, ep)) {
        *pp = ep + 1;
        if (*ep == '*' || *ep == '?' || *ep == '-')
            return PAT_NEXT; /* zero times is a match */
        *sp = NULL;
        return PAT_DONE;
    }
    switch (*ep) {
    case '?':
        if ((*sp = pat_match(ms, s + 1, ep + 1)) != NULL)
            return PAT_DONE;
        *sp = s;
        *pp = ep + 1;
        return PAT_NEXT;
    case '+': *sp = max_expand(ms, s + 1, p, ep); return PAT_DONE;
    case '*': *sp = max_expand(ms, s, p, ep); return PAT_DONE;
    case '-': *sp = min_expand(ms, s, p, ep); return PAT_DONE;
    default:
        *sp = s + 1;
        *pp = ep;
        return PAT_NEXT;
    }
}

/* Where the match of p at s ends, or NULL. */
static const char *pat_match(pat_t *ms, const char *s, const char *p)
{
    if (ms->depth-- == 0)
        luaL_error(ms->L, "pattern too complex");
    pat_step_t step = PAT_NEXT;
    while (step == PAT_NEXT && p < ms->p_end) {
        pat_charge(ms, 1);
        if (*p == '(') {
            int position = p + 1 < ms->p_end && p[1] == ')';
            s = start_capture(ms, s, p + 1 + position, position ? CAP_POSITION : CAP_UNFINISHED);
            step = PAT_DONE;
        } else if (*p == ')') {
            s = end_capture(ms, s, p + 1);
            step = PAT_DONE;
        } else if (*p == '$' && p + 1 == ms->p_end) {
            s = s == ms->src_end ? s : NULL;
            step = PAT_DONE;
        } else if (*p != PAT_ESC || (step = match_escape(ms, &s, &p)) == PAT_CLASS) {
            step = match_item(ms, &s, &p);
        }
    }
    ms->depth++;
    return s;
}

/* Capture i of the match s..e (i == 0 without captures: the whole match): its text in *cap and
 * its length, or CAP_POSITION with the position pushed. */
static ptrdiff_t get_capture(pat_t *ms, int i, const char *s, const char *e, const char **cap)
{
    if (i >= ms->level) {
        if (i != 0)
            luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        *cap = s;
        return e - s;
    }
    ptrdiff_t len = ms->capture[i].len;
    *cap = ms->capture[i].init;
    if (len == CAP_UNFINISHED)
        luaL_error(ms->L, "unfinished capture");
    else if (len == CAP_POSITION)
        lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
    return len;
}

/* stack: [] -> [capture i] */
static void push_capture(pat_t *ms, int i, const char *s, const char *e)
{
    const char *cap;
    ptrdiff_t len = get_capture(ms, i, s, e, &cap);
    if (len != CAP_POSITION)
        lua_pushlstring(ms->L, cap, (size_t)len);
}

/* stack: [] -> [captures...] (the whole match when there are none and s is not NULL); returns how many. */
static int push_captures(pat_t *ms, const char *s, const char *e)
{
    int n = ms->level == 0 && s != NULL ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        push_capture(ms, i, s, e);
    return n;
}

/* A start position as Lua's string functions read it (negative: from the end), 1-based. */
static size_t pat_start(lua_Integer pos, size_t len)
{
    if (pos > 0)
        return (size_t)pos;
    if (pos == 0 || pos < -(lua_Integer)len)
        return 1;
    return len + (size_t)pos + 1;
}

static int has_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] != '\0' && strchr(PAT_SPECIALS, p[i]) != NULL)
            return 1;
    return 0;
}

/* string.find (find) and string.match. stack: [s, pattern, init, plain] -> [results] */
static int str_find_aux(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls), *p = luaL_checklstring(L, 2, &lp);
    size_t init = pat_start(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        const char *hit = memmem(s + init, ls - init, p, lp); /* linear: nothing to charge */
        if (hit == NULL) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (hit - s) + 1);
        lua_pushinteger(L, (lua_Integer)((size_t)(hit - s) + lp));
        return 2;
    }
    int anchor = *p == '^';
    pat_t ms;
    pat_init(&ms, L, s, ls, p + anchor, lp - (size_t)anchor);
    for (const char *s1 = s + init;; s1++) {
        pat_reset(&ms);
        const char *e = pat_match(&ms, s1, p + anchor);
        if (e != NULL && !find)
            return push_captures(&ms, s1, e);
        if (e != NULL) {
            lua_pushinteger(L, (s1 - s) + 1);
            lua_pushinteger(L, e - s);
            return push_captures(&ms, NULL, NULL) + 2;
        }
        if (anchor || s1 == ms.src_end)
            break;
    }
    luaL_pushfail(L);
    return 1;
}

static int str_find(lua_State *L)
{
    return str_find_aux(L, 1);
}

static int str_match(lua_State *L)
{
    return str_find_aux(L, 0);
}

typedef struct gmatch_state {
    const char *src, *p, *last; /* where the next search starts, the pattern, the end of the last match */
    int done;
    pat_t ms;
} gmatch_state_t;

/* The iterator. upvalues: [s, pattern, gmatch_state_t]; stack: [] -> [captures of the next match] */
static int gmatch_next(lua_State *L)
{
    gmatch_state_t *gm = lua_touserdata(L, lua_upvalueindex(3));
    gm->ms.L = L;
    for (const char *src = gm->src; !gm->done; src++) {
        pat_reset(&gm->ms);
        const char *e = pat_match(&gm->ms, src, gm->p);
        if (e != NULL && e != gm->last) {
            gm->src = gm->last = e;
            return push_captures(&gm->ms, src, e);
        }
        gm->done = src == gm->ms.src_end;
    }
    return 0;
}

/* string.gmatch. stack: [s, pattern, init] -> [iterator] */
static int str_gmatch(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls), *p = luaL_checklstring(L, 2, &lp);
    size_t init = pat_start(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2); /* the strings stay alive as upvalues */
    gmatch_state_t *gm = lua_newuserdatauv(L, sizeof(*gm), 0);
    pat_init(&gm->ms, L, s, ls, p, lp);
    gm->done = init > ls;
    gm->src = s + (gm->done ? ls : init);
    gm->p = p;
    gm->last = NULL;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

/* gsub's replacement string for the match s..e: "%0".."%9" and "%%". stack: [s, pattern, repl, ...] */
static void add_replacement_text(pat_t *ms, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = ms->L;
    size_t l;
    const char *text = lua_tolstring(L, 3, &l), *end = text + l, *p;
    while ((p = memchr(text, PAT_ESC, (size_t)(end - text))) != NULL) {
        luaL_addlstring(b, text, (size_t)(p - text));
        p++; /* the character after '%': the string's NUL when it ends there */
        if (*p == PAT_ESC) {
            luaL_addchar(b, *p);
        } else if (*p == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)*p)) {
            const char *cap;
            ptrdiff_t len = get_capture(ms, *p - '1', s, e, &cap);
            if (len == CAP_POSITION)
                luaL_addvalue(b);
            else
                luaL_addlstring(b, cap, (size_t)len);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", PAT_ESC);
        }
        text = p + 1;
    }
    luaL_addlstring(b, text, (size_t)(end - text));
}

/* Adds the replacement of the match s..e (repl of type tr at index 3); 0 when the text stays. */
static int add_replacement(pat_t *ms, luaL_Buffer *b, const char *s, const char *e, int tr)
{
    lua_State *L = ms->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        lua_call(L, push_captures(ms, s, e), 1);
    } else if (tr == LUA_TTABLE) {
        push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_replacement_text(ms, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the original text */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1))
        return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

/* string.gsub. stack: [s, pattern, repl, n] -> [result, count] */
static int str_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls), *p = luaL_checklstring(L, 2, &lp), *last = NULL;
    int tr = lua_type(L, 3);
    lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1), n = 0;
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    int anchor = *p == '^', changed = 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    pat_t ms;
    pat_init(&ms, L, src, ls, p + anchor, lp - (size_t)anchor);
    while (n < max) {
        pat_reset(&ms);
        const char *e = pat_match(&ms, src, p + anchor);
        if (e != NULL && e != last) {
            n++;
            changed |= add_replacement(&ms, &b, src, e, tr);
            src = last = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor)
            break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

void faas_core__lua_open_patterns(lua_State *L)
{
    /* the string metatable's __index is this table: s:find(...) takes these too */
    static const luaL_Reg patterns[] = {
        {"find", str_find}, {"match", str_match}, {"gmatch", str_gmatch}, {"gsub", str_gsub}, {NULL, NULL}};
    lua_getglobal(L, "string");
    luaL_setfuncs(L, patterns, 0);
    lua_pop(L, 1);
}
