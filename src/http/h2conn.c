/*
 * h2conn.c: GOAWAY on one HTTP/2 connection, the one thing faas needs from libh2o that its
 * public API lacks (only a whole context can be shut down). Called by the Rapid Reset guard
 * (resets.c) from a timer on the connection's loop thread.
 *
 * DESIGN
 * - libh2o 2.2.5 keeps the connection in struct st_h2o_http2_conn_t (h2o/http2_internal.h).
 *   Debian installs that header without the khash.h it includes, so it cannot be compiled in;
 *   conn_view below restates the fields up to the ones used (state, the highest stream id, the
 *   write buffer), in libh2o's order and with its types.
 * - Before anything is written the view is checked against what the connection must hold: its
 *   socket is the one the public get_socket callback returns, its three linked-list anchors point
 *   back at themselves, its scheduler is a root, its HPACK table has the 4096-byte capacity
 *   libh2o advertises. A connection that fails any check (another libh2o build) is left alone
 *   and the caller falls back to closing the socket.
 * - The GOAWAY is queued exactly as libh2o's own enqueue_goaway does it (frame into the write
 *   buffer, request a write, state HALF_CLOSED): libh2o then refuses new streams and closes the
 *   connection once the streams it already runs are done, as after its idle timeout.
 */
#include "internal.h"

#include <h2o/http2.h>
#include <h2o/http2_scheduler.h>

#include <stddef.h>
#include <string.h>

typedef struct st_h2o_http2_conn_t h2o_http2_conn_t;

/* Exported by libh2o-evloop 2.2.5 (declared in h2o/http2_internal.h). */
void h2o_http2_encode_goaway_frame(h2o_buffer_t **buf, uint32_t last_stream_id, int errnum, h2o_iovec_t additional_data);
void h2o_http2_conn_request_write(h2o_http2_conn_t *conn);

enum { CONN_STATE_OPEN, CONN_STATE_HALF_CLOSED, CONN_STATE_IS_CLOSING }; /* h2o_http2_conn_state_t */

typedef struct hpack_table { /* h2o_hpack_header_table_t */
    void *entries;
    size_t num_entries, entry_capacity, entry_start_index;
    size_t hpack_size, hpack_capacity, hpack_max_capacity;
} hpack_table_t;

typedef struct conn_view { /* the head of struct st_h2o_http2_conn_t, libh2o 2.2.5 */
    h2o_conn_t super;
    h2o_socket_t *sock;
    h2o_http2_settings_t peer_settings;
    void *streams;
    uint32_t pull_max_open, pull_max_processed;
    uint32_t push_max_open;
    uint32_t num_streams[3][3];          /* priority, pull, push x open, half_closed, send_body */
    h2o_http2_scheduler_node_t scheduler;
    int state;                           /* CONN_STATE_* */
    h2o_linklist_t conns;                /* in ctx->http2._conns */
    void *read_expect;
    h2o_buffer_t *http1_req_input;
    hpack_table_t input_header_table;
    ssize_t input_window;
    hpack_table_t output_header_table;
    h2o_linklist_t pending_reqs;
    h2o_timeout_entry_t timeout_entry;
    h2o_buffer_t *headers_unparsed;
    h2o_buffer_t *write_buf;
    h2o_buffer_t *write_buf_in_flight;
    h2o_linklist_t streams_to_proceed;
} conn_view_t;

#ifdef __LP64__ /* the offsets libh2o's own header gives on 64-bit Linux */
_Static_assert(offsetof(conn_view_t, state) == 168, "conn_view: state");
_Static_assert(offsetof(conn_view_t, pull_max_open) == 88, "conn_view: pull_stream_ids");
_Static_assert(offsetof(conn_view_t, write_buf) == 384, "conn_view: _write.buf");
_Static_assert(offsetof(conn_view_t, streams_to_proceed) == 400, "conn_view: _write.streams_to_proceed");
#endif

static int anchored(const h2o_linklist_t *l)
{
    return l->next != NULL && l->prev != NULL && l->next->prev == l && l->prev->next == l;
}

/* The connection as a view, or NULL when it does not hold what libh2o 2.2.5's would. */
static conn_view_t *view_of(h2o_conn_t *conn)
{
    conn_view_t *v = (conn_view_t *)conn;
    h2o_socket_t *sock = conn->callbacks->get_socket != NULL ? conn->callbacks->get_socket(conn) : NULL;
    if (sock == NULL || v->sock != sock)
        return NULL;
    if (v->state < CONN_STATE_OPEN || v->state > CONN_STATE_IS_CLOSING || v->scheduler._parent != NULL)
        return NULL;
    if (!anchored(&v->conns) || !anchored(&v->pending_reqs) || !anchored(&v->streams_to_proceed))
        return NULL;
    if (v->input_header_table.hpack_max_capacity != H2O_HTTP2_SETTINGS_HOST.header_table_size || v->write_buf == NULL)
        return NULL;
    return v;
}

h2o_socket_t *faas_http__h2_socket(h2o_context_t *ctx, h2o_conn_t *conn, uint64_t id)
{
    /* Compares list nodes to where conn's would be: conn is read only once it is known to be open. */
    const h2o_linklist_t *mine = (const h2o_linklist_t *)((char *)conn + offsetof(conn_view_t, conns));
    for (const h2o_linklist_t *n = ctx->http2._conns.next; n != &ctx->http2._conns; n = n->next)
        if (n == mine)
            return conn->id == id && conn->callbacks->get_socket != NULL ? conn->callbacks->get_socket(conn) : NULL;
    return NULL;
}

int faas_http__h2_goaway(h2o_conn_t *conn, const char *why)
{
    conn_view_t *v = view_of(conn);
    if (v == NULL)
        return -1;
    if (v->state != CONN_STATE_OPEN)
        return 0; /* a GOAWAY went out already (graceful stop, a protocol error): no new streams */
    h2o_http2_encode_goaway_frame(&v->write_buf, v->pull_max_open, H2O_HTTP2_ERROR_ENHANCE_YOUR_CALM,
                                  h2o_iovec_init(why, strlen(why)));
    h2o_http2_conn_request_write((h2o_http2_conn_t *)conn);
    v->state = CONN_STATE_HALF_CLOSED;
    return 0;
}
