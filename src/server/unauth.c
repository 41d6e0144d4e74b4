/*
 * unauth.c: which requests carry a body nobody without a key needs sent: those for faas's API
 * (what the router would not hand to a function: the proxy's own choice, by route hook, Host or
 * function port, is made again here) without a valid key (the passkey or a named one), and
 * anything sent to the ACME plain-HTTP port. conns.c asks while such a body is still arriving. Loop thread.
 */
#include "internal.h"
#include "faas/core/keys.h"
#include "faas/http/request.h"
#include "faas/proxy/proxy.h"
#include "faas/proxy/routes.h"

/* The passkey or a named key, whatever its scope (the router answers a scope too small). */
static int authorized(faas_loop_t *loop, h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    return i >= 0 && faas_keys_check(loop->app->keys, req->headers.entries[i].value.base,
                                     req->headers.entries[i].value.len, 0, NULL);
}

/* Whether the proxy's front handler would take req (it came in on faas's own listener). */
static int function_traffic(faas_loop_t *loop, h2o_req_t *req)
{
    h2o_iovec_t host = req->input.authority, path = req->input.path, method = req->input.method;
    if (host.base == NULL)
        host = h2o_iovec_init(H2O_STRLIT("")); /* no Host, no :authority */
    size_t query_at, *norm_indexes;
    h2o_iovec_t norm = h2o_url_normalize_path(&req->pool, path.base, path.len, &query_at, &norm_indexes);
    char name[64];
    if (faas_policy_route(loop->policy, host.base, host.len, norm.base, norm.len, method.base, method.len, name,
                          sizeof(name)))
        return 1; /* even a function the hook names wrongly: the proxy answers it, not the API */
    size_t len = faas_request_host_label(host, name, sizeof(name));
    if (len == 0)
        return 0;
    faas_routes_t *routes = faas_proxy_routes(loop->app->proxy);
    int found = routes != NULL && faas_routes_find(routes, name, len) != NULL;
    faas_routes_unref(routes);
    return found;
}

int faas_server__unauthenticated_api(server_thread_t *t, h2o_req_t *req)
{
    faas_server_t *srv = t->server;
    if (srv->redirect_conf.hosts != NULL && req->conn->hosts == srv->redirect_conf.hosts)
        return 1; /* ACME mode's plain port: challenges and redirects, no body needed */
    if (req->conn->hosts != srv->globalconf.hosts)
        return 0; /* a function's own port */
    return !authorized(&t->loop, req) && !function_traffic(&t->loop, req);
}
