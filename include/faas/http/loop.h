/*
 * loop.h: one event-loop thread as HTTP code sees it. Every request is served on the loop that
 * accepted its connection; handlers reach that loop's state (its h2o context, its own Lua
 * policy, its inbox for results of blocking work, its side of the proxy) with faas_loop_of.
 * server/ makes the loops and starts their threads; nothing here blocks.
 */
#ifndef FAAS_HTTP_LOOP_H
#define FAAS_HTTP_LOOP_H

#include <stddef.h>

#include <h2o.h>

#include "faas/core/app.h"
#include "faas/core/policy.h"
#include "faas/core/pool.h"

struct faas_proxy_loop;
struct faas_obs_loop;

typedef struct faas_loop {
    h2o_context_t ctx;             /* first: a request's conn->ctx points at its loop */
    faas_app_t *app;
    faas_policy_t *policy;         /* this thread's Lua state, and the config it was loaded with */
    faas_pool_inbox_t *inbox;      /* where the worker pool hands results back to this thread */
    struct faas_proxy_loop *proxy; /* this thread's routing snapshot, upstream connections, function ports */
    struct faas_obs_loop *obs;     /* this thread's request counters and access log lines (http/obs.h); NULL: none */
    size_t index;
    h2o_linklist_t streams;        /* responses fed by writer threads (http/stream.h), ended at shutdown */
    /* Takes a connection just accepted on a function's port into the server's count (the cap of
       server.max_connections); nonzero: refused (closed). NULL: every connection is taken. */
    int (*admit)(struct faas_loop *loop, h2o_socket_t *sock);
} faas_loop_t;

/** The loop a request is being served on. Loop thread. */
static inline faas_loop_t *faas_loop_of(h2o_req_t *req)
{
    return (faas_loop_t *)req->conn->ctx;
}

/** The config this loop runs with (swapped with its policy on reload). Loop thread. */
static inline const faas_config_t *faas_loop_config(const faas_loop_t *loop)
{
    return faas_policy_config(loop->policy);
}

/** Accepts connections on a listener whose data is its h2o_accept_ctx_t (the functions' loopback
    ports), each through the loop's admit hook. Loop thread. */
void faas_loop_on_accept(h2o_socket_t *listener, const char *err);

/** An inbox on queue (the loop's h2o message queue): what the worker pool posts done callbacks
    to. NULL when out of memory. Call on the loop's thread. */
faas_pool_inbox_t *faas_loop_inbox_create(h2o_multithread_queue_t *queue);

/** Unregisters and frees an inbox; nothing may post to it any more. NULL is allowed. Loop thread. */
void faas_loop_inbox_dispose(faas_pool_inbox_t *inbox);

#endif
