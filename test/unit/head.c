/*
 * head.c (unit): the request head the proxy writes to a container (src/proxy/head.c): what is
 * forwarded and what is dropped (hop-by-hop, named in Connection, the client's forwarding
 * claims, the passkey and named API keys), faas's own forwarding headers, split cookies joined, and the limits
 * checked before anything is built (the HPACK amplification of issue 11).
 */
#include "proxy/internal.h"
#include "testlib.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const char *peer4 = "10.1.2.3"; /* the IPv4 connection's peer */

static socklen_t peer_v4(h2o_conn_t *conn, struct sockaddr *sa)
{
    (void)conn;
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    memset(in, 0, sizeof(*in));
    in->sin_family = AF_INET;
    inet_pton(AF_INET, peer4, &in->sin_addr);
    return sizeof(*in);
}

static socklen_t peer_v6(h2o_conn_t *conn, struct sockaddr *sa)
{
    (void)conn;
    struct sockaddr_in6 *in = (struct sockaddr_in6 *)sa;
    memset(in, 0, sizeof(*in));
    in->sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::1", &in->sin6_addr);
    return sizeof(*in);
}

static const h2o_conn_callbacks_t v4_callbacks = {.get_peername = peer_v4};
static const h2o_conn_callbacks_t v6_callbacks = {.get_peername = peer_v6};
static h2o_conn_t v4_conn = {.callbacks = &v4_callbacks};
static h2o_conn_t v6_conn = {.callbacks = &v6_callbacks};
static faas_auth_t auth;
static faas_keys_t *keys;

static void req_init(h2o_req_t *req, h2o_conn_t *conn, const char *authority)
{
    memset(req, 0, sizeof(*req));
    h2o_mem_init_pool(&req->pool);
    req->conn = conn;
    req->method = h2o_iovec_init(H2O_STRLIT("GET"));
    req->path = h2o_iovec_init(H2O_STRLIT("/p?q=1"));
    req->authority = h2o_iovec_init(authority, strlen(authority));
    req->scheme = &H2O_URL_SCHEME_HTTP;
}

static void add(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->headers, name, strlen(name), 1, NULL, value, strlen(value));
}

/* The head as a NUL-terminated string in req's pool, or NULL when refused. */
static const char *head_of(h2o_req_t *req)
{
    h2o_iovec_t head;
    if (faas_proxy__request_head(req, keys, 0, &head) != 0)
        return NULL;
    return h2o_strdup(&req->pool, head.base, head.len).base;
}

TEST(forwarded_and_dropped)
{
    h2o_req_t req;
    req_init(&req, &v4_conn, "fn.example.com");
    add(&req, "connection", "keep-alive, X-Hop, x-other");
    add(&req, "x-hop", "1");
    add(&req, "x-other", "2");
    add(&req, "x-kept", "3");
    add(&req, "te", "trailers");
    add(&req, "forwarded", "for=6.6.6.6");
    add(&req, "x-real-ip", "6.6.6.6");
    add(&req, "x-forwarded-for", "6.6.6.6");
    add(&req, "x-forwarded-host", "evil");
    add(&req, "authorization", "Bearer the-key");
    add(&req, "cookie", "a=1");
    add(&req, "cookie", "b=2");
    const char *h = head_of(&req);
    CHECK_STR(h, "GET /p?q=1 HTTP/1.1\r\n"
                 "host: fn.example.com\r\n"
                 "x-kept: 3\r\n"
                 "cookie: a=1; b=2\r\n"
                 "x-forwarded-for: 10.1.2.3\r\n"
                 "x-forwarded-proto: http\r\n"
                 "x-forwarded-host: fn.example.com\r\n"
                 "x-real-ip: 10.1.2.3\r\n"
                 "forwarded: for=10.1.2.3;host=\"fn.example.com\";proto=http\r\n"
                 "\r\n");
    h2o_mem_clear_pool(&req.pool);
}

/* The peer's dotted quad is written by hand (head.c): every octet width, as inet_ntop writes it. */
TEST(ipv4_peer_text)
{
    static const char *const peers[] = {"0.0.0.0", "1.22.255.9", "255.255.255.255", "100.10.1.0", "172.23.0.2"};
    for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
        h2o_req_t req;
        char want[64];
        peer4 = peers[i];
        req_init(&req, &v4_conn, "fn");
        snprintf(want, sizeof(want), "x-forwarded-for: %s\r\n", peers[i]);
        CHECK_CONTAINS(head_of(&req), want);
        snprintf(want, sizeof(want), "x-real-ip: %s\r\n", peers[i]);
        CHECK_CONTAINS(head_of(&req), want);
        h2o_mem_clear_pool(&req.pool);
    }
    peer4 = "10.1.2.3";
}

TEST(own_headers_quoted)
{
    h2o_req_t req;
    req_init(&req, &v6_conn, "we\"ird\\host");
    req.method = h2o_iovec_init(H2O_STRLIT("POST"));
    add(&req, "connection", "cookie");
    add(&req, "cookie", "dropped=1");
    add(&req, "authorization", "Bearer user-token");
    const char *h = head_of(&req);
    CHECK_CONTAINS(h, "forwarded: for=\"[::1]\";host=\"we\\\"ird\\\\host\";proto=http\r\n");
    CHECK_CONTAINS(h, "authorization: Bearer user-token\r\n"); /* not the passkey: the function's business */
    CHECK_CONTAINS(h, "content-length: 0\r\n");
    CHECK(strstr(h, "cookie") == NULL); /* named in Connection */
    h2o_mem_clear_pool(&req.pool);
}

/* A named API key is faas's, like the passkey: never a function's to see. */
TEST(named_key_dropped)
{
    h2o_req_t req;
    req_init(&req, &v4_conn, "fn.example.com");
    add(&req, "authorization", "faas_named-key");
    const char *h = head_of(&req);
    CHECK(h != NULL && strstr(h, "authorization") == NULL);
    h2o_mem_clear_pool(&req.pool);
    req_init(&req, &v4_conn, "fn.example.com");
    add(&req, "authorization", "faas_named-kez");
    CHECK_CONTAINS(head_of(&req), "authorization: faas_named-kez\r\n");
    h2o_mem_clear_pool(&req.pool);
}

TEST(limits)
{
    h2o_req_t req;
    char name[32];
    req_init(&req, &v4_conn, "fn.example.com");
    for (int i = 0; i < FAAS_PROXY__MAX_FIELDS - 1; i++) {
        snprintf(name, sizeof(name), "x-h%d", i);
        add(&req, name, "v");
    }
    for (int i = 0; i < 500; i++)
        add(&req, "cookie", "c=1"); /* HTTP/2 crumbs: one field, the hundredth */
    CHECK(head_of(&req) != NULL);
    add(&req, "x-one-more", "v");
    CHECK(head_of(&req) == NULL);
    h2o_mem_clear_pool(&req.pool);

    /* One 4000-byte value named 100,000 times, as HPACK references give it: refused before a byte is built. */
    req_init(&req, &v4_conn, "fn.example.com");
    static char big[4001];
    memset(big, 'a', 4000);
    h2o_iovec_t *value = h2o_mem_alloc_pool(&req.pool, sizeof(*value));
    *value = h2o_iovec_init(big, 4000);
    for (int i = 0; i < 100000; i++)
        h2o_add_header_by_str(&req.pool, &req.headers, H2O_STRLIT("x-amplify"), 0, NULL, value->base, value->len);
    CHECK(head_of(&req) == NULL);
    h2o_mem_clear_pool(&req.pool);

    req_init(&req, &v4_conn, "fn.example.com");
    for (int i = 0; i < FAAS_PROXY__MAX_FIELD_BYTES / 4004; i++)
        add(&req, "x-amplify", big); /* 16 of them: 64 KiB less a little */
    CHECK(head_of(&req) != NULL);
    add(&req, "x-amplify", big);
    CHECK(head_of(&req) == NULL);
    h2o_mem_clear_pool(&req.pool);
}

int main(void)
{
    faas_error_t err = {0};
    faas_auth_set_key(&auth, "the-key", 7, &err);
    keys = faas_keys_create(&auth);
    unsigned char digest[FAAS_KEYS_DIGEST_LEN];
    faas_auth_header_digest("faas_named-key", 14, digest);
    CHECK_INT(faas_keys_add(keys, "ci", FAAS_SCOPE_READ, digest, 1, 0, &err), FAAS_OK);
    RUN(forwarded_and_dropped);
    RUN(ipv4_peer_text);
    RUN(own_headers_quoted);
    RUN(named_key_dropped);
    RUN(limits);
    faas_keys_dispose(keys);
    return testlib_done();
}
