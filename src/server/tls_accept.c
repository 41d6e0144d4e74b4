/*
 * tls_accept.c: accepting on the HTTPS listener when certificates are
 * obtained on demand. Before libh2o starts the handshake, the loop reads the
 * ClientHello itself and finds the server name; a name that has no
 * certificate yet, that the policy allows and that reaches a service
 * function waits here (the loop goes on serving others) until its one
 * issuance ends, then the handshake proceeds with the bytes already read.
 * Any other name goes on at once, with the fallback certificate or an alert.
 * Loop thread.
 */
#include "internal.h"
#include "faas/core/log.h"
#include "faas/http/request.h"
#include "faas/proxy/proxy.h"
#include "faas/tls/certs.h"
#include "faas/tls/tls.h"

#include <stdlib.h>
#include <string.h>

#define HELLO_READ_MAX (16384 + 5 * 8) /* a ClientHello larger than one record is not one we wait for */

typedef struct hello_wait {
    h2o_socket_t *sock;
    h2o_accept_ctx_t *accept;
    h2o_timeout_entry_t timeout; /* for the ClientHello to arrive */
} hello_wait_t;

static faas_loop_t *loop_of_accept(h2o_accept_ctx_t *accept)
{
    return (faas_loop_t *)accept->ctx; /* the context is the loop's first member */
}

/* Hands the socket, with what was read of it, to libh2o's handshake. */
static void proceed(hello_wait_t *w)
{
    h2o_socket_t *sock = w->sock;
    h2o_accept_ctx_t *accept = w->accept;
    free(w);
    sock->data = NULL;
    h2o_accept(accept, sock);
}

static void on_cert_ready(void *data)
{
    proceed(data);
}

static void drop(hello_wait_t *w)
{
    if (h2o_timeout_is_linked(&w->timeout))
        h2o_timeout_unlink(&w->timeout);
    h2o_socket_close(w->sock);
    free(w);
}

static void on_hello_timeout(h2o_timeout_entry_t *entry)
{
    drop(H2O_STRUCT_FROM_MEMBER(hello_wait_t, timeout, entry));
}

/*
 * Whether host reaches a service function: its first label names one (as the proxy routes it),
 * or the route hook, asked with path "/" and method "GET", names one. Only such names get a
 * certificate on demand: under a "*.domain" allowlist any client could otherwise send random
 * names and spend the CA's limits on them.
 */
static int reaches_function(faas_loop_t *loop, const char *host)
{
    if (loop->app->proxy == NULL)
        return 0;
    faas_routes_t *routes = faas_proxy_routes(loop->app->proxy);
    char name[64];
    size_t len = faas_request_host_label(h2o_iovec_init(host, strlen(host)), name, sizeof(name));
    int found = len > 0 && faas_routes_find(routes, name, len) != NULL;
    if (!found && faas_policy_route(loop->policy, host, strlen(host), "/", 1, "GET", 3, name, sizeof(name)))
        found = faas_routes_find(routes, name, strlen(name)) != NULL;
    faas_routes_unref(routes);
    return found;
}

/* Whether host should wait for a certificate: none yet, allowed, and it reaches a function. */
static int should_wait(faas_loop_t *loop, const char *host)
{
    if (faas_tls_is_ip_literal(host) || faas_certs_has(loop->app->certs, host))
        return 0;
    int allowed = 0;
    faas_error_t err = {0};
    if (faas_policy_tls_allowed(loop->policy, host, &allowed, &err) != FAAS_OK) {
        faas_log_warn("tls_allowed(%s): %s; treated as false", host, err.msg);
        return 0;
    }
    if (allowed && !reaches_function(loop, host)) {
        faas_log_debug("tls: %s reaches no function: no certificate on demand", host);
        return 0;
    }
    return allowed;
}

static void on_hello(h2o_socket_t *sock, const char *err)
{
    hello_wait_t *w = sock->data;
    if (err != NULL) {
        drop(w);
        return;
    }
    char host[256];
    int found = faas_tls_client_hello_sni((const uint8_t *)sock->input->bytes, sock->input->size, host, sizeof(host));
    if (found == FAAS_TLS_HELLO_MORE && sock->input->size < HELLO_READ_MAX)
        return; /* the rest of it is on its way */
    h2o_socket_read_stop(sock);
    h2o_timeout_unlink(&w->timeout);
    faas_loop_t *loop = loop_of_accept(w->accept);
    if (found == FAAS_TLS_HELLO_SNI && should_wait(loop, host) &&
        faas_certs_wait(loop->app->certs, host, loop->inbox, on_cert_ready, w))
        return;
    proceed(w); /* OpenSSL answers whatever it was: a certificate, the fallback, or an alert */
}

void faas_server__on_tls_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    h2o_accept_ctx_t *accept = listener->data;
    for (int i = 0; i < 16; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            break;
        if (faas_server__conns_admit(H2O_STRUCT_FROM_MEMBER(server_thread_t, loop.ctx, accept->ctx), sock) != 0)
            continue; /* past server.max_connections with nothing idle to close: refused (closed) */
        hello_wait_t *w = calloc(1, sizeof(*w));
        if (w == NULL) {
            h2o_socket_close(sock);
            continue;
        }
        *w = (hello_wait_t){.sock = sock, .accept = accept, .timeout = {.cb = on_hello_timeout}};
        sock->data = w;
        h2o_timeout_link(accept->ctx->loop, &accept->ctx->handshake_timeout, &w->timeout);
        h2o_socket_read_start(sock, on_hello);
    }
}
