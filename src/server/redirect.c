/*
 * redirect.c: the handler of the plain-HTTP listener in ACME mode
 * (tls.http_port): it answers the CA's HTTP-01 challenges and sends every
 * other request to the same URL over HTTPS with 308, so methods and bodies
 * survive the move. Loop thread.
 */
#include "internal.h"
#include "faas/http/reply.h"
#include "faas/tls/acme.h"

#include <stdio.h>
#include <string.h>

#define CHALLENGE_PREFIX "/.well-known/acme-challenge/"

static int is_challenge_path(h2o_iovec_t path)
{
    return path.len >= sizeof(CHALLENGE_PREFIX) - 1 && memcmp(path.base, CHALLENGE_PREFIX, sizeof(CHALLENGE_PREFIX) - 1) == 0;
}

int faas_server__acme_challenge(faas_loop_t *loop, h2o_req_t *req)
{
    faas_acme_t *acme = loop->app->acme;
    h2o_iovec_t path = req->path_normalized;
    size_t plen = sizeof(CHALLENGE_PREFIX) - 1;
    if (acme == NULL || !is_challenge_path(path))
        return -1;
    char key_auth[256];
    if (!faas_acme_challenge(acme, path.base + plen, path.len - plen, key_auth, sizeof(key_auth)))
        return -1;
    return faas_reply_text(req, 200, key_auth, strlen(key_auth));
}

/* The host of an authority ("h:80", "[::1]:80", "h"), without its port. */
static h2o_iovec_t authority_host(h2o_iovec_t authority)
{
    if (authority.len > 0 && authority.base[0] == '[') {
        const char *close = memchr(authority.base, ']', authority.len);
        return h2o_iovec_init(authority.base, close != NULL ? (size_t)(close - authority.base) + 1 : authority.len);
    }
    const char *colon = memchr(authority.base, ':', authority.len);
    return h2o_iovec_init(authority.base, colon != NULL ? (size_t)(colon - authority.base) : authority.len);
}

int faas_server__redirect_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    faas_loop_t *loop = faas_loop_of(req);
    if (faas_server__acme_challenge(loop, req) == 0)
        return 0;
    h2o_iovec_t host = authority_host(req->authority);
    if (is_challenge_path(req->path_normalized))
        return faas_reply_error(req, 404, "Not found", "no pending ACME challenge with this token");
    /* libh2o puts its host entry's own name ("default") in place of a missing Host: never redirect there. */
    if (host.len == 0 || req->authority.base == req->hostconf->authority.hostport.base)
        return faas_reply_error(req, 400, "Bad request", "a Host header is needed to redirect to HTTPS");
    char port[8] = "";
    if (loop->app->https_port != 443)
        snprintf(port, sizeof(port), ":%d", loop->app->https_port);
    size_t len = sizeof("https://") - 1 + host.len + strlen(port) + req->path.len;
    char *url = h2o_mem_alloc_pool(&req->pool, len + 1);
    snprintf(url, len + 1, "https://%.*s%s%.*s", (int)host.len, host.base, port, (int)req->path.len, req->path.base);
    h2o_send_redirect(req, 308, "Permanent Redirect", url, len);
    return 0;
}
