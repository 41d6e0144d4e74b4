/*
 * internal.h: what the files of src/http/ share, and nothing outside it: the Rapid Reset guard
 * (resets.c), which router.c arms on every HTTP/2 request, and the one place that reaches into
 * libh2o 2.2.5's private HTTP/2 connection to send a GOAWAY (h2conn.c), and the access log's
 * writer thread and line (access_log.c), which obs.c feeds. Names: faas_http__*. Loop threads,
 * except where a declaration says otherwise.
 */
#ifndef FAAS_HTTP_INTERNAL_H
#define FAAS_HTTP_INTERNAL_H

#include <stdint.h>

#include <h2o.h>

#include "faas/core/error.h"

/*
 * The budget of HTTP/2 streams a client may cancel before their answer starts, per connection:
 * a bucket of FAAS_HTTP__RESET_BURST that refills FAAS_HTTP__RESET_REFILL_PER_S a second. The
 * burst lets a client cancel every stream it may have open at once (libh2o 2.2 advertises 100
 * concurrent streams), e.g. a browser leaving a page; the refill is far above what a client that
 * is not attacking cancels. Upstream h2o (PR #3291) starts its budget at the same 100 and then
 * delays the connection; faas sends GOAWAY instead (issue 11).
 */
#define FAAS_HTTP__RESET_BURST 100
#define FAAS_HTTP__RESET_REFILL_PER_S 10

/* A connection's budget (the bucket in thousandths of a stream, so the refill stays exact). */
typedef struct faas_http__reset_budget {
    int64_t milli;   /* what is left, in 1/1000 of a cancelled stream */
    uint64_t at_ms;  /* when milli was last brought up to date */
} faas_http__reset_budget_t;

/** A fresh budget at now_ms (a full bucket). Pure. */
void faas_http__reset_budget_init(faas_http__reset_budget_t *b, uint64_t now_ms);

/** Takes one cancelled stream from the budget at now_ms: 0 while it holds, -1 once it is spent. Pure. */
int faas_http__reset_budget_take(faas_http__reset_budget_t *b, uint64_t now_ms);

/**
 * Watches an HTTP/2 request: if it is disposed before its answer started (the client reset the
 * stream, or the connection went), its connection's budget pays for it, and a connection past its
 * budget gets GOAWAY (ENHANCE_YOUR_CALM) on the next turn of the loop and is shut down a second
 * later at the latest. Call once per request, from the router. Loop thread.
 */
void faas_http__resets_watch(h2o_req_t *req);

/**
 * conn's socket while conn, with that id (conn->id: the address may later hold another
 * connection), is one of ctx's open HTTP/2 connections; else NULL, and conn was not read (it may
 * be freed). Loop thread.
 */
h2o_socket_t *faas_http__h2_socket(h2o_context_t *ctx, h2o_conn_t *conn, uint64_t id);

/**
 * Queues a GOAWAY (ENHANCE_YOUR_CALM, debug text why) on conn, an open HTTP/2 connection (see
 * faas_http__h2_socket), and stops it taking new streams: libh2o then closes it once the streams
 * it runs are done. Returns 0 (queued, or a GOAWAY went out before), -1 when conn does not look
 * like libh2o 2.2.5's HTTP/2 connection (nothing touched). Call from a timer on conn's loop,
 * never from inside libh2o's frame handling. Loop thread.
 */
int faas_http__h2_goaway(h2o_conn_t *conn, const char *why);

/* ---- the access log's writer (access_log.c; obs.c hands it each loop's lines) ---- */

typedef struct faas_http__alog faas_http__alog_t;

/** Opens path (absolute, appended to, created 0640; "-" is stderr) and starts the writer thread.
    NULL with err when the file cannot be opened. Main thread. */
faas_http__alog_t *faas_http__alog_open(const char *path, faas_error_t *err);

/** Hands bytes (malloc'd, taken over) to the writer; never waits on the disk (a short mutex, then
    the writer's turn). Past a bound of bytes waiting, they are dropped and counted. Any thread. */
void faas_http__alog_hand(faas_http__alog_t *a, char *bytes, size_t len);

/** Has the writer reopen the file by its path before its next write (SIGUSR1). Any thread. */
void faas_http__alog_reopen(faas_http__alog_t *a);

/** Writes what waits, stops the writer and closes the file. NULL is allowed. Main thread. */
void faas_http__alog_close(faas_http__alog_t *a);

/**
 * req's access log line, one JSON object without the newline: time, client, host,
 * method, path, proto, status, bytes, duration_ms, function (NULL: null), replica ("" : null),
 * upstream_ms and wake_ms (< 0: null). Malloc'd (caller frees), NULL when out of memory. Loop
 * thread (reads req).
 */
char *faas_http__alog_format(h2o_req_t *req, const char *function, const char *replica, double upstream_ms,
                             int64_t wake_ms, double duration_ms);

#endif
