/*
 * request.c: query parameters, the Host's function label and the request line check (see
 * request.h). Loop threads; pure helpers.
 */
#include "faas/http/request.h"

#include <ctype.h>
#include <string.h>

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : (isxdigit(c) ? (tolower(c) - 'a' + 10) : -1);
}

int faas_request_query(h2o_req_t *req, const char *name, char *buf, size_t size)
{
    if (req->query_at == SIZE_MAX)
        return -1;
    const char *p = req->path.base + req->query_at + 1, *end = req->path.base + req->path.len;
    size_t nlen = strlen(name);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end, *eq = memchr(p, '=', (size_t)(stop - p));
        const char *key_end = eq ? eq : stop;
        if ((size_t)(key_end - p) == nlen && memcmp(p, name, nlen) == 0) {
            size_t n = 0;
            for (const char *v = eq ? eq + 1 : stop; v < stop; v++) {
                int c = (unsigned char)*v;
                if (c == '+')
                    c = ' ';
                else if (c == '%' && stop - v > 2 && hexval(v[1]) >= 0 && hexval(v[2]) >= 0) {
                    c = hexval(v[1]) * 16 + hexval(v[2]);
                    v += 2;
                }
                if (n + 1 >= size)
                    return -1;
                buf[n++] = (char)c;
            }
            buf[n] = '\0';
            return (int)n;
        }
        p = stop + 1;
    }
    return -1;
}

/* The function name in a Host: its first label, if the host has a dot and is not an IP literal. */
size_t faas_request_host_label(h2o_iovec_t authority, char *out, size_t size)
{
    const char *s = authority.base, *end = s + authority.len;
    if (authority.len == 0 || s[0] == '[')
        return 0;
    const char *colon = memchr(s, ':', authority.len);
    if (colon != NULL)
        end = colon;
    const char *dot = memchr(s, '.', (size_t)(end - s));
    if (dot == NULL || (size_t)(dot - s) >= size || dot == s)
        return 0;
    int all_digits = 1;
    for (const char *c = s; c < end; c++)
        all_digits &= isdigit((unsigned char)*c) || *c == '.';
    if (all_digits)
        return 0; /* 127.0.0.1 */
    size_t n = (size_t)(dot - s);
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[n] = '\0';
    return n;
}

/* RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
 * / DIGIT / ALPHA. */
static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

const char *faas_request_line_error(h2o_iovec_t method, h2o_iovec_t path, int *status)
{
    *status = 400;
    if (method.len == 0)
        return "the method is empty";
    for (size_t i = 0; i < method.len; i++)
        if (!is_tchar((unsigned char)method.base[i]))
            return "the method is not a token (RFC 9110)";
    if (path.len == 0)
        return "the path is empty";
    if (path.len > FAAS_REQUEST_MAX_PATH) {
        *status = 414;
        return "the path is longer than 8192 bytes";
    }
    for (size_t i = 0; i < path.len; i++) {
        unsigned char c = (unsigned char)path.base[i];
        if (c <= 0x20 || c == 0x7f) /* bytes above 0x7f pass, as nginx lets them: they split nothing */
            return "the path holds a space or a control character";
    }
    return NULL;
}
