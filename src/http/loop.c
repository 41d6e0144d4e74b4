/*
 * loop.c: what every loop thread does for HTTP: accepting connections, and the inbox through
 * which the worker pool hands results back (libh2o's message queue: a worker's send wakes the
 * loop only when its inbox was empty). Loop threads; post from any thread.
 */
#include "faas/http/loop.h"

#include <stdlib.h>

#define ACCEPTS_PER_WAKEUP 16

typedef struct inbox {
    faas_pool_inbox_t super;             /* first: the pool holds a faas_pool_inbox_t * */
    h2o_multithread_receiver_t receiver;
} inbox_t;

typedef struct message {
    h2o_multithread_message_t super;     /* first: the queue links messages */
    faas_pool_done_cb fn;
    void *data;
} message_t;

void faas_loop_on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    h2o_accept_ctx_t *accept = listener->data;
    faas_loop_t *loop = (faas_loop_t *)accept->ctx; /* the context is the loop's first member */
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            break;
        if (loop->admit != NULL && loop->admit(loop, sock) != 0)
            continue; /* past server.max_connections with nothing idle to close: closed */
        h2o_accept(accept, sock);
    }
}

static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        message_t *msg = H2O_STRUCT_FROM_MEMBER(message_t, super.link, messages->next);
        h2o_linklist_unlink(&msg->super.link);
        msg->fn(msg->data);
        free(msg);
    }
}

static void post(faas_pool_inbox_t *super, faas_pool_done_cb fn, void *data)
{
    inbox_t *inbox = (inbox_t *)super;
    message_t *msg = h2o_mem_alloc(sizeof(*msg)); /* dies when out of memory, as pool.h promises */
    *msg = (message_t){.fn = fn, .data = data};
    h2o_multithread_send_message(&inbox->receiver, &msg->super);
}

faas_pool_inbox_t *faas_loop_inbox_create(h2o_multithread_queue_t *queue)
{
    inbox_t *inbox = calloc(1, sizeof(*inbox));
    if (inbox == NULL)
        return NULL;
    inbox->super.post = post;
    h2o_multithread_register_receiver(queue, &inbox->receiver, on_messages);
    return &inbox->super;
}

void faas_loop_inbox_dispose(faas_pool_inbox_t *super)
{
    if (super == NULL)
        return;
    inbox_t *inbox = (inbox_t *)super;
    h2o_multithread_unregister_receiver(inbox->receiver.queue, &inbox->receiver);
    free(inbox);
}
