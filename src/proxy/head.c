/*
 * head.c: the HTTP/1.1 request head faas writes to a function's container for a client's
 * request (forward.c sends it): the request line, the client's headers that go on, faas's own
 * forwarding headers. Loop thread.
 *
 * DESIGN
 * - Measured before it is built: over HTTP/2 one HPACK block can name a large header many times
 *   with one-byte references (a 4000-byte header 100,000 times is 100 KB on the wire and a 400 MB
 *   head). The client's fields are counted and summed first; past the limits (internal.h) the
 *   request gets 431 and nothing is allocated.
 * - Not forwarded: hop-by-hop headers (libh2o's list: Connection, Keep-Alive, TE,
 *   Transfer-Encoding, Upgrade, Proxy-Authorization, Proxy-Authenticate, HTTP2-Settings) and
 *   every header the client's Connection names (RFC 9110 7.6.1); what faas says itself (Host,
 *   Content-Length, X-Forwarded-For/-Proto/-Host, Forwarded, X-Real-IP: the client's own claims
 *   are not trusted, and a function reading any of them gets faas's view); Expect (the body is
 *   already here); an Authorization that carries the platform passkey or a named key
 *   (core/keys.h): an API key is never a function's to see. HTTP/2 splits cookies into
 *   many headers; they go as one.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define OWN_HEADERS_BYTES 512 /* faas's own header names, separators, content-length and websocket lines */

static int is_cookie(const h2o_header_t *h)
{
    return h->name == &H2O_TOKEN_COOKIE->buf;
}

/* The bytes the client's fields take in the head (cookies joined), or -1 past the limits. */
static ssize_t measure_fields(const h2o_req_t *req)
{
    size_t fields = 0, bytes = 0, cookies = 0;
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        if (is_cookie(h) && cookies++ > 0) {
            bytes += h->value.len + 2; /* "; " */
        } else {
            fields++;
            bytes += h->name->len + h->value.len + 4; /* ": " "\r\n" */
        }
        if (fields > FAAS_PROXY__MAX_FIELDS || bytes > FAAS_PROXY__MAX_FIELD_BYTES)
            return -1;
    }
    return (ssize_t)bytes;
}

static char *put(char *p, const char *s, size_t len)
{
    memcpy(p, s, len);
    return p + len;
}

/* Appends "name: value\r\n". */
static char *put_header(char *p, const char *name, size_t nlen, const char *value, size_t vlen)
{
    p = put(p, name, nlen);
    p = put(p, ": ", 2);
    p = put(p, value, vlen);
    return put(p, "\r\n", 2);
}

/* Whether one of the client's Connection headers names h (its tokens are compared lower-cased). */
static int named_by_connection(const h2o_req_t *req, const h2o_header_t *h)
{
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_CONNECTION, i)) >= 0;) {
        h2o_iovec_t v = req->headers.entries[i].value;
        if (h2o_contains_token(v.base, v.len, h->name->base, h->name->len, ','))
            return 1;
    }
    return 0;
}

static int is_named(const h2o_header_t *h, const char *name, size_t len)
{
    return h2o_memis(h->name->base, h->name->len, name, len);
}

/* Whether the client's header h goes to the container (see DESIGN). */
static int forwarded(const h2o_req_t *req, faas_keys_t *keys, const h2o_header_t *h)
{
    if (h2o_iovec_is_token(h->name)) {
        const h2o_token_t *t = H2O_STRUCT_FROM_MEMBER(h2o_token_t, buf, h->name);
        if (t->proxy_should_drop_for_req || t == H2O_TOKEN_HOST || t == H2O_TOKEN_CONTENT_LENGTH ||
            t == H2O_TOKEN_EXPECT || t == H2O_TOKEN_COOKIE || t == H2O_TOKEN_X_FORWARDED_FOR)
            return 0;
        if (t == H2O_TOKEN_AUTHORIZATION && faas_keys_check(keys, h->value.base, h->value.len, 0, NULL))
            return 0;
    } else if (is_named(h, H2O_STRLIT("x-forwarded-proto")) || is_named(h, H2O_STRLIT("x-forwarded-host")) ||
               is_named(h, H2O_STRLIT("forwarded")) || is_named(h, H2O_STRLIT("x-real-ip"))) {
        return 0;
    }
    return !named_by_connection(req, h);
}

/* Dotted quad of an IPv4 address into out (16 bytes): glibc's inet_ntop goes through sprintf,
 * a visible share of a proxied request. */
static void ipv4_text(const struct in_addr *addr, char *out)
{
    const unsigned char *b = (const unsigned char *)&addr->s_addr;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100)
            *out++ = (char)('0' + v / 100);
        if (v >= 10)
            *out++ = (char)('0' + v / 10 % 10);
        *out++ = (char)('0' + v % 10);
        *out++ = i < 3 ? '.' : '\0';
    }
}

/* The client's address as text ("" when unknown); 1 when it is IPv6. */
static int peer_of(h2o_req_t *req, char *out, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    out[0] = '\0';
    if (len > 0 && ss.ss_family == AF_INET && size >= INET_ADDRSTRLEN)
        ipv4_text(&((struct sockaddr_in *)&ss)->sin_addr, out);
    else if (len > 0 && ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)size);
    return len > 0 && ss.ss_family == AF_INET6;
}

/* Forwarded (RFC 7239): for=<peer>;host="<authority>";proto=<scheme>, quoting what must be. */
static char *put_forwarded(char *p, h2o_req_t *req, const char *peer, int v6)
{
    p = put(p, H2O_STRLIT("forwarded: for="));
    p = v6 ? put(put(put(p, "\"[", 2), peer, strlen(peer)), "]\"", 2) : put(p, peer, strlen(peer));
    p = put(p, H2O_STRLIT(";host=\""));
    for (size_t i = 0; i < req->authority.len; i++) {
        char c = req->authority.base[i];
        if (c == '"' || c == '\\')
            *p++ = '\\';
        *p++ = c;
    }
    p = put(p, H2O_STRLIT("\";proto="));
    p = put(p, req->scheme->name.base, req->scheme->name.len);
    return put(p, "\r\n", 2);
}

/* Appends the client's headers that go on, its cookies as one. */
static char *put_client_headers(char *p, h2o_req_t *req, faas_keys_t *keys)
{
    int cookies = 0;
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        if (forwarded(req, keys, h))
            p = put_header(p, h->name->base, h->name->len, h->value.base, h->value.len);
    }
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) >= 0;) {
        if (cookies == 0 && named_by_connection(req, &req->headers.entries[i]))
            break;
        p = cookies++ ? put(p, "; ", 2) : put(p, "cookie: ", 8);
        p = put(p, req->headers.entries[i].value.base, req->headers.entries[i].value.len);
    }
    return cookies ? put(p, "\r\n", 2) : p;
}

static int has_body(const h2o_req_t *req)
{
    return req->entity.base != NULL || h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")) ||
           h2o_memis(req->method.base, req->method.len, H2O_STRLIT("PUT")) ||
           h2o_memis(req->method.base, req->method.len, H2O_STRLIT("PATCH"));
}

int faas_proxy__request_head(h2o_req_t *req, faas_keys_t *keys, int websocket, h2o_iovec_t *head)
{
    ssize_t fields = measure_fields(req);
    if (fields < 0)
        return -1;
    char peer[INET6_ADDRSTRLEN];
    int v6 = peer_of(req, peer, sizeof(peer));
    /* Host, X-Forwarded-Host and Forwarded's host (each byte quoted at worst) carry the authority. */
    size_t cap = req->method.len + req->path.len + req->authority.len * 4 + strlen(peer) * 3 + (size_t)fields +
                 OWN_HEADERS_BYTES;
    char *buf = h2o_mem_alloc_pool(&req->pool, cap), *p = buf;
    p = put(p, req->method.base, req->method.len);
    p = put(p, " ", 1);
    p = put(p, req->path.base, req->path.len);
    p = put(p, " HTTP/1.1\r\n", 11);
    p = put_header(p, H2O_STRLIT("host"), req->authority.base, req->authority.len);
    p = put_client_headers(p, req, keys);
    p = put_header(p, H2O_STRLIT("x-forwarded-for"), peer, strlen(peer));
    p = put_header(p, H2O_STRLIT("x-forwarded-proto"), req->scheme->name.base, req->scheme->name.len);
    p = put_header(p, H2O_STRLIT("x-forwarded-host"), req->authority.base, req->authority.len);
    p = put_header(p, H2O_STRLIT("x-real-ip"), peer, strlen(peer));
    p = put_forwarded(p, req, peer, v6);
    if (websocket)
        p = put(p, H2O_STRLIT("connection: upgrade\r\nupgrade: websocket\r\n"));
    if (has_body(req)) {
        char len[32];
        p = put_header(p, H2O_STRLIT("content-length"), len, (size_t)snprintf(len, sizeof(len), "%zu", req->entity.len));
    }
    p = put(p, "\r\n", 2);
    *head = h2o_iovec_init(buf, (size_t)(p - buf));
    return 0;
}
