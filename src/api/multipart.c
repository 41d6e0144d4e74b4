/*
 * multipart.c: a multipart/form-data parser (RFC 7578 over RFC 2046) for upload bodies.
 *
 * One pass over the body: the boundary is found with memmem, so the cost is linear in the body
 * size and a part's data is never copied (parts point into the body). Only the short strings of
 * the part headers (name, filename, content type) are copied out. The body is not assumed to be
 * NUL-terminated: every read is bounded by its length.
 *
 * Threads: pure code, any thread; a parsed form belongs to the thread that uses it.
 */
#include "faas/api/multipart.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BOUNDARY 70             /* RFC 2046 section 5.1.1 */
#define MAX_HEADER_BYTES (8 * 1024) /* per part, blank line included */

struct faas_multipart {
    size_t n;
    faas_multipart_part_t parts[FAAS_MULTIPART_MAX_PARTS];
};

/* A byte range of the input being parsed. */
typedef struct span {
    const char *p, *end;
} span_t;

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static void skip_ows(span_t *s)
{
    while (s->p < s->end && is_ows(*s->p))
        s->p++;
}

/* Token characters of RFC 9110 section 5.6.2. */
static int is_tchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", c) == NULL;
}

/* A NUL-terminated copy of n bytes; NULL when out of memory. */
static char *copy(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* A parameter of a header value: key points into the input, value is the raw text (still quoted
   and escaped when quoted is set). */
typedef struct param {
    span_t key, value;
    int quoted;
} param_t;

/*
 * Reads the next "; key=value" of a header value. Returns 1 with *out filled, 0 at the end of the
 * value, -1 when the text is malformed. Empty parameters (";;", a trailing ';') are skipped.
 */
static int next_param(span_t *s, param_t *out)
{
    for (;;) {
        skip_ows(s);
        if (s->p == s->end)
            return 0;
        if (*s->p != ';')
            return -1;
        s->p++;
        skip_ows(s);
        if (s->p == s->end)
            return 0;
        if (*s->p != ';')
            break;
    }
    out->key.p = s->p;
    while (s->p < s->end && is_tchar((unsigned char)*s->p) && *s->p != '=')
        s->p++;
    out->key.end = s->p;
    skip_ows(s);
    if (out->key.p == out->key.end || s->p == s->end || *s->p != '=')
        return -1;
    s->p++;
    skip_ows(s);
    out->quoted = s->p < s->end && *s->p == '"';
    if (out->quoted) {
        out->value.p = ++s->p;
        while (s->p < s->end && *s->p != '"')
            s->p += (*s->p == '\\' && s->end - s->p > 1) ? 2 : 1;
        if (s->p == s->end)
            return -1; /* no closing quote */
        out->value.end = s->p++;
    } else {
        out->value.p = s->p;
        while (s->p < s->end && *s->p != ';' && !is_ows(*s->p))
            s->p++;
        out->value.end = s->p;
    }
    return 1;
}

static int key_is(const param_t *pm, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(pm->key.end - pm->key.p) == n && strncasecmp(pm->key.p, name, n) == 0;
}

/* The parameter's value as a NUL-terminated string, backslash escapes of a quoted-string undone. */
static char *param_value(const param_t *pm)
{
    const char *p = pm->value.p;
    size_t n = (size_t)(pm->value.end - p);
    char *s = copy(p, n);
    if (s == NULL || !pm->quoted)
        return s;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n)
            i++;
        s[j++] = p[i];
    }
    s[j] = '\0';
    return s;
}

/* Reads the media type at the start of a header value, leaving s after it. */
static span_t media_type(span_t *s)
{
    skip_ows(s);
    span_t t = {s->p, s->p};
    while (s->p < s->end && *s->p != ';')
        s->p++;
    t.end = s->p;
    while (t.end > t.p && is_ows(t.end[-1]))
        t.end--;
    return t;
}

static int span_is(span_t t, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(t.end - t.p) == n && strncasecmp(t.p, s, n) == 0;
}

/* Finds the boundary parameter of the request's Content-Type into out (NUL-terminated). */
static faas_err_t parse_content_type(const char *ct, size_t len, char out[MAX_BOUNDARY + 1], faas_error_t *err)
{
    span_t s = {ct != NULL ? ct : "", ct != NULL ? ct + len : ""};
    if (!span_is(media_type(&s), "multipart/form-data"))
        return faas_error_set(err, FAAS_EINVAL, "not multipart/form-data");
    param_t pm, bp = {0};
    int found = 0;
    int r = next_param(&s, &pm);
    for (; r == 1; r = next_param(&s, &pm)) {
        if (!found && key_is(&pm, "boundary")) {
            bp = pm;
            found = 1;
        }
    }
    if (r < 0)
        return faas_error_set(err, FAAS_EINVAL, "malformed Content-Type parameters");
    if (!found)
        return faas_error_set(err, FAAS_EINVAL, "no boundary in the multipart/form-data Content-Type");
    static const char bad_length[] = "the multipart boundary must be 1 to 70 characters";
    size_t raw = (size_t)(bp.value.end - bp.value.p);
    if (raw == 0 || memchr(bp.value.p, '\0', raw) != NULL) /* a NUL would cut the copy short */
        return faas_error_set(err, FAAS_EINVAL, "%s", bad_length);
    char *b = param_value(&bp);
    if (b == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    size_t n = strlen(b);
    if (n >= 1 && n <= MAX_BOUNDARY)
        memcpy(out, b, n + 1);
    free(b);
    if (n < 1 || n > MAX_BOUNDARY)
        return faas_error_set(err, FAAS_EINVAL, "%s", bad_length);
    return FAAS_OK;
}

/* ---- the body ---- */

typedef struct parser {
    const char *body, *end;
    const char *delim; /* "\r\n--" boundary */
    size_t delim_len;
    faas_multipart_t *form;
    faas_error_t *err;
} parser_t;

/*
 * After "--boundary" at p: 2 for the closing "--", 1 for a delimiter line ending in (CR)LF after
 * optional transport padding (*next is then the first byte after it), 0 when this is no delimiter
 * at all (the data merely contains a longer string), -1 when the body ends first.
 */
static int after_delimiter(const parser_t *ps, const char *p, const char **next)
{
    if (ps->end - p >= 2 && p[0] == '-' && p[1] == '-')
        return 2;
    while (p < ps->end && is_ows(*p))
        p++;
    if (p < ps->end && *p == '\r')
        p++;
    if (p == ps->end)
        return -1;
    if (*p != '\n')
        return 0;
    *next = p + 1;
    return 1;
}

/*
 * Finds the next delimiter ("\r\n--boundary") at or after from. Returns what after_delimiter
 * said (or -1 when there is none), with *at on its CR and *next after its line.
 */
static int find_delimiter(const parser_t *ps, const char *from, const char **at, const char **next)
{
    while (from < ps->end) {
        const char *d = memmem(from, (size_t)(ps->end - from), ps->delim, ps->delim_len);
        if (d == NULL)
            return -1;
        int r = after_delimiter(ps, d + ps->delim_len, next);
        if (r != 0) {
            *at = d;
            return r;
        }
        from = d + 1;
    }
    return -1;
}

/* The first delimiter may open the body, or follow a preamble that ends in a (CR)LF. */
static int find_first_delimiter(const parser_t *ps, const char **next)
{
    const char *dash = ps->delim + 2; /* "--boundary" */
    size_t n = ps->delim_len - 2;
    for (const char *from = ps->body; from < ps->end;) {
        const char *d = memmem(from, (size_t)(ps->end - from), dash, n);
        if (d == NULL)
            return -1;
        if (d == ps->body || d[-1] == '\n') {
            int r = after_delimiter(ps, d + n, next);
            if (r != 0)
                return r;
        }
        from = d + 1;
    }
    return -1;
}

/* Applies one header line (without its line ending) to part number idx (1-based in messages). */
static faas_err_t part_header(parser_t *ps, faas_multipart_part_t *part, size_t idx, span_t line)
{
    const char *colon = memchr(line.p, ':', (size_t)(line.end - line.p));
    span_t name = {line.p, colon != NULL ? colon : line.p};
    while (name.end > name.p && is_ows(name.end[-1]))
        name.end--;
    if (colon == NULL || name.p == name.end || is_ows(*line.p))
        return faas_error_set(ps->err, FAAS_EINVAL, "part %zu has a malformed header line", idx);
    span_t value = {colon + 1, line.end};
    skip_ows(&value);
    while (value.end > value.p && is_ows(value.end[-1]))
        value.end--;
    if (span_is(name, "Content-Type")) {
        if (part->content_type != NULL)
            return faas_error_set(ps->err, FAAS_EINVAL, "part %zu has two Content-Type headers", idx);
        part->content_type = copy(value.p, (size_t)(value.end - value.p));
        return part->content_type != NULL ? FAAS_OK : faas_error_set(ps->err, FAAS_ENOMEM, "out of memory");
    }
    if (!span_is(name, "Content-Disposition"))
        return FAAS_OK; /* Content-Transfer-Encoding and the like: RFC 7578 says to ignore them */
    if (part->name != NULL)
        return faas_error_set(ps->err, FAAS_EINVAL, "part %zu has two Content-Disposition headers", idx);
    if (!span_is(media_type(&value), "form-data"))
        return faas_error_set(ps->err, FAAS_EINVAL, "part %zu is not form-data", idx);
    param_t pm;
    char *pname = NULL, *fname = NULL;
    int r = next_param(&value, &pm);
    for (; r == 1; r = next_param(&value, &pm)) {
        char **dst = key_is(&pm, "name") ? &pname : key_is(&pm, "filename") ? &fname : NULL;
        if (dst == NULL || *dst != NULL)
            continue; /* filename* and others are ignored; the first of a repeated one counts */
        *dst = param_value(&pm);
        if (*dst == NULL) {
            r = -2;
            break;
        }
    }
    if (r < 0 || pname == NULL || pname[0] == '\0') {
        free(pname);
        free(fname);
        if (r == -2)
            return faas_error_set(ps->err, FAAS_ENOMEM, "out of memory");
        if (r < 0)
            return faas_error_set(ps->err, FAAS_EINVAL, "part %zu has a malformed Content-Disposition", idx);
        return faas_error_set(ps->err, FAAS_EINVAL, "part %zu has no name", idx);
    }
    part->name = pname;
    part->filename = fname;
    return FAAS_OK;
}

/* Reads the header block of part idx starting at *p, leaving *p on the first byte of its data. */
static faas_err_t part_headers(parser_t *ps, faas_multipart_part_t *part, size_t idx, const char **p)
{
    const char *start = *p, *cur = *p;
    for (;;) {
        size_t room = (size_t)(ps->end - cur);
        size_t budget = MAX_HEADER_BYTES - (size_t)(cur - start);
        const char *nl = memchr(cur, '\n', room < budget ? room : budget);
        if (nl == NULL) {
            if (room <= budget)
                return faas_error_set(ps->err, FAAS_EINVAL, "body ends inside the headers of part %zu", idx);
            return faas_error_set(ps->err, FAAS_EINVAL, "part %zu has more than %d bytes of headers", idx,
                                  MAX_HEADER_BYTES);
        }
        span_t line = {cur, nl > cur && nl[-1] == '\r' ? nl - 1 : nl};
        cur = nl + 1;
        if (line.p == line.end)
            break;
        if (memchr(line.p, '\0', (size_t)(line.end - line.p)) != NULL)
            return faas_error_set(ps->err, FAAS_EINVAL, "part %zu has a NUL byte in its headers", idx);
        faas_err_t code = part_header(ps, part, idx, line);
        if (code != FAAS_OK)
            return code;
    }
    if (part->name == NULL)
        return faas_error_set(ps->err, FAAS_EINVAL, "part %zu has no Content-Disposition header", idx);
    *p = cur;
    return FAAS_OK;
}

static faas_err_t parse_body(parser_t *ps)
{
    static const char ends_early[] = "body ends before the closing boundary";
    const char *p = NULL;
    int r = find_first_delimiter(ps, &p);
    while (r == 1) {
        faas_multipart_t *form = ps->form;
        if (form->n == FAAS_MULTIPART_MAX_PARTS)
            return faas_error_set(ps->err, FAAS_EINVAL, "more than %d parts", FAAS_MULTIPART_MAX_PARTS);
        faas_multipart_part_t *part = &form->parts[form->n++];
        faas_err_t code = part_headers(ps, part, form->n, &p);
        if (code != FAAS_OK)
            return code;
        /* The CRLF before the next "--boundary" belongs to the delimiter, not to the data; an empty
           part's delimiter starts right after the blank line that ends its headers. */
        const char *at = NULL, *next = NULL;
        r = find_delimiter(ps, p, &at, &next);
        if (r < 0)
            return faas_error_set(ps->err, FAAS_EINVAL, "%s", ends_early);
        part->data = p;
        part->len = (size_t)(at - p);
        p = next;
    }
    return r == 2 ? FAAS_OK : faas_error_set(ps->err, FAAS_EINVAL, "%s", ends_early);
}

faas_err_t faas_multipart_parse(const char *content_type, size_t content_type_len, const void *body, size_t len,
                                faas_multipart_t **out, faas_error_t *err)
{
    *out = NULL;
    char boundary[MAX_BOUNDARY + 1];
    faas_err_t code = parse_content_type(content_type, content_type_len, boundary, err);
    if (code != FAAS_OK)
        return code;
    char delim[MAX_BOUNDARY + 5];
    size_t blen = strlen(boundary);
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, blen);
    parser_t ps = {.body = body != NULL ? body : "", .delim = delim, .delim_len = blen + 4, .err = err};
    ps.end = ps.body + (body != NULL ? len : 0);
    ps.form = calloc(1, sizeof(*ps.form));
    if (ps.form == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    code = parse_body(&ps);
    if (code != FAAS_OK) {
        faas_multipart_free(ps.form);
        return code;
    }
    *out = ps.form;
    return FAAS_OK;
}

const faas_multipart_part_t *faas_multipart_get(const faas_multipart_t *form, const char *name)
{
    for (size_t i = 0; form != NULL && i < form->n; i++)
        if (strcmp(form->parts[i].name, name) == 0)
            return &form->parts[i];
    return NULL;
}

size_t faas_multipart_count(const faas_multipart_t *form)
{
    return form != NULL ? form->n : 0;
}

const faas_multipart_part_t *faas_multipart_at(const faas_multipart_t *form, size_t i)
{
    return form != NULL && i < form->n ? &form->parts[i] : NULL;
}

void faas_multipart_free(faas_multipart_t *form)
{
    if (form == NULL)
        return;
    for (size_t i = 0; i < form->n; i++) {
        free((char *)form->parts[i].name);
        free((char *)form->parts[i].filename);
        free((char *)form->parts[i].content_type);
    }
    free(form);
}
