/*
 * ignore.c: .faasignore matching (see ignore.h). Patterns are matched by a small recursive
 * glob; the file is the user's own and short, so its backtracking cost is not a concern.
 * Pure code; any thread.
 */
#include "faas/cli/ignore.h"

#include <stdlib.h>
#include <string.h>

typedef struct rule {
    char *pattern;   /* without the leading '!', a leading '/' and the trailing '/' */
    int negate;      /* !pattern: re-includes */
    int dir_only;    /* pattern/: folders only */
    int anchored;    /* had a '/' at its start or middle: matched against the whole path */
} rule_t;

struct faas_cli_ignore {
    rule_t *rules;
    size_t n;
};

/* 1 when t[0] matches the class starting at *pp ('['); *pp moves past it. -1 for a class that does not close. */
static int match_class(const char **pp, char c)
{
    const char *p = *pp + 1;
    int negate = (*p == '!' || *p == '^'), hit = 0;
    if (negate)
        p++;
    const char *first = p;
    for (; *p != '\0' && (*p != ']' || p == first); p++) {
        char lo = *p == '\\' && p[1] ? *++p : *p, hi = lo;
        if (p[1] == '-' && p[2] != '\0' && p[2] != ']') {
            hi = p[2] == '\\' && p[3] ? p[3] : p[2];
            p += p[2] == '\\' && p[3] ? 3 : 2;
        }
        if (c >= lo && c <= hi)
            hit = 1;
    }
    if (*p != ']')
        return -1;
    *pp = p;
    return c != '/' && hit != negate;
}

/* 1 when all of t matches pattern p; start is the pattern's beginning (to see where ** stands). */
static int glob(const char *start, const char *p, const char *t)
{
    for (; *p != '\0'; p++, t++) {
        if (*p == '*' && p[1] == '*' && (p == start || p[-1] == '/') && (p[2] == '/' || p[2] == '\0')) {
            if (p[2] == '\0')
                return 1; /* a trailing ** matches everything below */
            for (const char *s = t;; s++) { /* "**" + "/": zero or more whole folders */
                if (glob(start, p + 3, s))
                    return 1;
                if ((s = strchr(s, '/')) == NULL)
                    return 0;
            }
        }
        if (*p == '*') {
            while (p[1] == '*')
                p++;
            for (const char *s = t;; s++) {
                if (glob(start, p + 1, s))
                    return 1;
                if (*s == '\0' || *s == '/')
                    return 0;
            }
        }
        if (*t == '\0')
            return 0;
        if (*p == '?') {
            if (*t == '/')
                return 0;
        } else if (*p == '[') {
            int m = match_class(&p, *t);
            if (m == 0)
                return 0;
            if (m < 0 && *t != '[') /* an unclosed '[' is a plain character */
                return 0;
        } else {
            if (*p == '\\' && p[1] != '\0')
                p++;
            if (*p != *t)
                return 0;
        }
    }
    return *t == '\0';
}

/* One line into r; 0 when it holds a rule, 1 for a blank or comment line, -1 out of memory. */
static int parse_line(const char *s, size_t len, rule_t *r)
{
    while (len > 0 && (s[len - 1] == '\r' || ((s[len - 1] == ' ' || s[len - 1] == '\t') &&
                                              !(len > 1 && s[len - 2] == '\\'))))
        len--; /* trailing blanks go unless escaped */
    if (len == 0 || s[0] == '#')
        return 1;
    memset(r, 0, sizeof(*r));
    if (s[0] == '!') {
        r->negate = 1;
        s++;
        len--;
    }
    if (len > 0 && s[len - 1] == '/') {
        r->dir_only = 1;
        len--;
    }
    if (len > 0 && s[0] == '/') {
        r->anchored = 1;
        s++;
        len--;
    }
    if (len == 0)
        return 1;
    if (memchr(s, '/', len) != NULL)
        r->anchored = 1;
    return (r->pattern = strndup(s, len)) != NULL ? 0 : -1;
}

faas_cli_ignore_t *faas_cli_ignore_parse(const char *text, size_t len)
{
    faas_cli_ignore_t *ig = calloc(1, sizeof(*ig));
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (ig == NULL || (ig->rules = calloc(lines, sizeof(rule_t))) == NULL) {
        free(ig);
        return NULL;
    }
    for (const char *p = text, *end = text + len; p != NULL && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        int rc = parse_line(p, nl ? (size_t)(nl - p) : (size_t)(end - p), &ig->rules[ig->n]);
        if (rc < 0) {
            faas_cli_ignore_free(ig);
            return NULL;
        }
        ig->n += rc == 0;
        p = nl ? nl + 1 : NULL;
    }
    return ig;
}

/* The rules' verdict on path itself (its folders not considered): 1 ignored. */
static int verdict(const faas_cli_ignore_t *ig, const char *path, int is_dir)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int ignored = strcmp(base, ".git") == 0 && is_dir;
    for (size_t i = 0; ig != NULL && i < ig->n; i++) {
        const rule_t *r = &ig->rules[i];
        if (r->dir_only && !is_dir)
            continue;
        if (glob(r->pattern, r->pattern, r->anchored ? path : base))
            ignored = !r->negate;
    }
    return ignored || (strcmp(base, ".git") == 0 && is_dir);
}

int faas_cli_ignore_match(const faas_cli_ignore_t *ig, const char *path, int is_dir)
{
    size_t len = strlen(path);
    char *copy = strdup(path);
    if (copy == NULL)
        return 1;
    int ignored = 0;
    for (size_t i = 1; !ignored && i < len; i++) /* a folder on the way that is ignored wins */
        if (copy[i] == '/') {
            copy[i] = '\0';
            ignored = verdict(ig, copy, 1);
            copy[i] = '/';
        }
    ignored = ignored || verdict(ig, copy, is_dir);
    free(copy);
    return ignored;
}

size_t faas_cli_ignore_count(const faas_cli_ignore_t *ig)
{
    return ig != NULL ? ig->n : 0;
}

void faas_cli_ignore_free(faas_cli_ignore_t *ig)
{
    if (ig == NULL)
        return;
    for (size_t i = 0; i < ig->n; i++)
        free(ig->rules[i].pattern);
    free(ig->rules);
    free(ig);
}
