/*
 * stream.h: a response body written by a thread that blocks (a Docker log stream, a build log
 * being written) and sent by the loop as it comes: HTTP/1.1 chunks, HTTP/2 DATA frames. The
 * writer blocks while too much waits to be sent (backpressure from a slow client), and learns
 * that the client went away from faas_stream_write's answer or the gone flag, which Docker
 * calls take as their stop. A loop that begins to shut down ends its streams at once.
 *
 * Threads: faas_stream_start and faas_stream_end_all on the loop; write, end and gone on the
 * writer's thread (any thread but the loop's).
 */
#ifndef FAAS_HTTP_STREAM_H
#define FAAS_HTTP_STREAM_H

#include <stdatomic.h>
#include <stddef.h>

#include "faas/http/loop.h"

typedef struct faas_stream faas_stream_t;

/**
 * Starts a 200 response on req with content_type whose body the returned stream carries; the
 * caller hands the stream to its writer, which must call faas_stream_end exactly once. NULL
 * (after answering 500) when out of memory. Loop thread.
 */
faas_stream_t *faas_stream_start(faas_loop_t *loop, h2o_req_t *req, const char *content_type);

/**
 * Appends len bytes to the body; blocks while more than the stream's window waits to be sent.
 * 0, or -1 once the client went away or the loop shut down (then stop writing). Writer thread.
 */
int faas_stream_write(faas_stream_t *st, const void *data, size_t len);

/** Nonzero once the client went away or the loop shut down; for calls that poll a stop flag. */
const atomic_int *faas_stream_gone(faas_stream_t *st);

/** Ends the body and drops the writer's hold on st (which must not be used afterwards). Writer thread. */
void faas_stream_end(faas_stream_t *st);

/** Ends every stream of loop now (shutdown): their writers see them gone. Loop thread. */
void faas_stream_end_all(faas_loop_t *loop);

#endif
