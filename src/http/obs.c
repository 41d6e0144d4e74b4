/*
 * obs.c: each request's record, each loop's counters and a scrape's round of the loops (see
 * obs.h). Loop threads; faas_obs_create, _reopen and _dispose on the main thread.
 *
 * DESIGN
 * - Why messages and not atomics: a loop's counters sit in a hash table that grows when a new
 *   function shows up, so a reader on another thread would need the table itself published
 *   safely, not only each counter. Instead nothing but the owning loop ever touches its table:
 *   the request path does plain increments, and a scrape sends every loop a message (libh2o's
 *   multithread queue, as routing snapshots travel) asking it to copy its table on its own
 *   thread and send the copy back. The scraping loop merges the copies. No lock or atomic is
 *   shared between loops on the request path, and the copies are consistent per loop.
 * - A request's record is allocated in its pool with a dispose callback: libh2o frees the pool
 *   once the answer is sent (or the client is gone), on the loop, while req and its connection
 *   are still whole (h2o_dispose_request runs the loggers, then clears the pool, chunks last),
 *   so the callback reads the final status, bytes and times from req itself.
 * - The router's dispatch is synchronous up to the handler: faas_obs_current hands the record
 *   to the proxy (or an API handler), which keeps it with the request it serves.
 * - A function's counters stay while faas runs, also after it is deleted (a counter must not go
 *   backwards if a function of the same name comes back); the gateway_service_* gauges follow
 *   the routing snapshot and vanish with the function.
 */
#include "internal.h"
#include "faas/http/obs.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define NBUCKETS 64            /* hash chains per loop: functions spread over them */
#define FLUSH_MS 100           /* a loop hands its log lines to the writer at least this often */
#define FLUSH_BYTES (64 * 1024) /* ... or as soon as this much waits */

struct faas_obs {
    int counting;
    faas_http__alog_t *alog;        /* NULL: no access log */
    pthread_mutex_t mutex;          /* loops */
    faas_obs_loop_t **loops;
    size_t nloops, cap;
};

struct faas_obs_loop {
    faas_obs_t *obs;
    faas_loop_t *loop;
    h2o_multithread_receiver_t receiver; /* scrapes: questions and answers */
    faas_obs_fn_t *table[NBUCKETS];
    size_t nfns;
    faas_obs_req_t *current;        /* the request the router is dispatching */
    faas_buf_t lines;               /* access log lines not yet handed to the writer */
    h2o_timeout_t flush_timeout;
    h2o_timeout_entry_t flush_entry;
};

struct faas_obs_req {
    faas_obs_loop_t *ol;
    h2o_req_t *req;
    faas_obs_fn_t *fn;              /* NULL: API traffic */
    char replica[32];
    double upstream_ms;             /* < 0: none */
    int64_t wake_ms;                /* < 0: none */
};

/* ---- the loop's table ---------------------------------------------------------------- */

static size_t hash_of(const char *name)
{
    size_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
        h = (h ^ *p) * 16777619u;
    return h % NBUCKETS;
}

/* name's counters on this loop, created when new; NULL when out of memory. */
static faas_obs_fn_t *fn_of(faas_obs_loop_t *ol, const char *name)
{
    size_t b = hash_of(name);
    for (faas_obs_fn_t *f = ol->table[b]; f != NULL; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    faas_obs_fn_t *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->next = ol->table[b];
    ol->table[b] = f;
    ol->nfns++;
    return f;
}

/* ---- the record ---------------------------------------------------------------------- */

static double ms_between(const struct timeval *from, const struct timeval *to)
{
    return (double)(to->tv_sec - from->tv_sec) * 1000.0 + (double)(to->tv_usec - from->tv_usec) / 1000.0;
}

static void count(faas_obs_req_t *r, int status, double seconds)
{
    if (r->fn == NULL || status < FAAS_OBS_CODE_MIN || status > FAAS_OBS_CODE_MAX)
        return; /* API traffic, or no answer went out */
    r->fn->codes[status - FAAS_OBS_CODE_MIN]++;
    faas_metrics_hist_observe(&r->fn->seconds, seconds);
}

static void on_flush(h2o_timeout_entry_t *entry)
{
    faas_obs_loop_flush(H2O_STRUCT_FROM_MEMBER(faas_obs_loop_t, flush_entry, entry));
}

void faas_obs_loop_flush(faas_obs_loop_t *ol)
{
    if (h2o_timeout_is_linked(&ol->flush_entry))
        h2o_timeout_unlink(&ol->flush_entry);
    if (ol->lines.len == 0 || ol->obs->alog == NULL)
        return;
    size_t len;
    char *bytes = faas_buf_take(&ol->lines, &len);
    faas_http__alog_hand(ol->obs->alog, bytes, len);
}

static void log_line(faas_obs_req_t *r, double duration_ms)
{
    h2o_req_t *req = r->req;
    char *line = faas_http__alog_format(req, r->fn != NULL ? r->fn->name : NULL, r->replica, r->upstream_ms,
                                        r->wake_ms, duration_ms);
    if (line == NULL)
        return;
    faas_obs_loop_t *ol = r->ol;
    faas_buf_adds(&ol->lines, line);
    faas_buf_adds(&ol->lines, "\n");
    free(line);
    if (ol->lines.oom) {
        faas_buf_free(&ol->lines); /* lines lost rather than the loop stopped */
        return;
    }
    if (ol->lines.len >= FLUSH_BYTES)
        faas_obs_loop_flush(ol);
    else if (!h2o_timeout_is_linked(&ol->flush_entry))
        h2o_timeout_link(ol->loop->ctx.loop, &ol->flush_timeout, &ol->flush_entry);
}

/* The request is freed (answered, or its client gone): its status and times go to the counters and the log. */
static void on_req_freed(void *p)
{
    faas_obs_req_t *r = p;
    h2o_req_t *req = r->req;
    struct timeval now;
    gettimeofday(&now, NULL);
    double ms = h2o_timeval_is_null(&req->timestamps.request_begin_at)
                    ? 0 : ms_between(&req->timestamps.request_begin_at, &now);
    if (ms < 0)
        ms = 0;
    if (r->ol->obs->counting)
        count(r, req->res.status, ms / 1000.0);
    if (r->ol->obs->alog != NULL && req->res.status != 0)
        log_line(r, ms);
    if (r->ol->current == r)
        r->ol->current = NULL;
}

faas_obs_req_t *faas_obs_begin(faas_loop_t *loop, h2o_req_t *req)
{
    faas_obs_loop_t *ol = loop->obs;
    if (ol == NULL || (!ol->obs->counting && ol->obs->alog == NULL))
        return NULL;
    faas_obs_req_t *r = h2o_mem_alloc_shared(&req->pool, sizeof(*r), on_req_freed);
    *r = (faas_obs_req_t){.ol = ol, .req = req, .upstream_ms = -1, .wake_ms = -1};
    ol->current = r;
    return r;
}

void faas_obs_end_dispatch(faas_loop_t *loop)
{
    if (loop->obs != NULL)
        loop->obs->current = NULL;
}

faas_obs_req_t *faas_obs_current(faas_loop_t *loop)
{
    return loop->obs != NULL ? loop->obs->current : NULL;
}

void faas_obs_function(faas_obs_req_t *r, const char *name)
{
    if (r == NULL || (r->fn = fn_of(r->ol, name)) == NULL)
        return;
    if (r->ol->obs->counting)
        r->fn->started++;
}

void faas_obs_waited(faas_obs_req_t *r)
{
    if (r != NULL && r->fn != NULL && r->ol->obs->counting)
        r->fn->waited++;
}

void faas_obs_refused(faas_obs_req_t *r)
{
    if (r != NULL && r->fn != NULL && r->ol->obs->counting)
        r->fn->refused++;
}

void faas_obs_wake(faas_obs_req_t *r, int64_t wake_ms)
{
    if (r != NULL)
        r->wake_ms = wake_ms;
}

void faas_obs_replica(faas_obs_req_t *r, const char *replica)
{
    if (r == NULL)
        return;
    size_t n = strnlen(replica, sizeof(r->replica) - 1); /* per request: no printf */
    memcpy(r->replica, replica, n);
    r->replica[n] = '\0';
}

void faas_obs_upstream(faas_obs_req_t *r, double upstream_ms)
{
    if (r != NULL)
        r->upstream_ms = upstream_ms;
}

void faas_obs_upstream_error(faas_obs_req_t *r, faas_obs_upstream_error_t reason)
{
    if (r != NULL && r->fn != NULL && r->ol->obs->counting && reason < FAAS_OBS_UPSTREAM_NREASONS)
        r->fn->upstream_errors[reason]++;
}

const char *faas_obs_upstream_error_name(faas_obs_upstream_error_t reason)
{
    switch (reason) {
    case FAAS_OBS_UPSTREAM_CONNECT:
        return "connect";
    case FAAS_OBS_UPSTREAM_CLOSED:
        return "closed";
    case FAAS_OBS_UPSTREAM_TIMEOUT:
        return "timeout";
    case FAAS_OBS_UPSTREAM_INVALID:
        return "invalid";
    case FAAS_OBS_UPSTREAM_NREASONS:
        break;
    }
    return "other";
}

/* ---- a scrape: every loop's copy ------------------------------------------------------- */

typedef struct collect {
    faas_obs_loop_t *home;          /* the scraping loop: only it touches what follows */
    size_t pending;                 /* loops that have not answered yet */
    faas_obs_fn_t *merged;
    size_t n, cap;
    int oom;
    faas_obs_collect_cb cb;
    void *data;
} collect_t;

typedef struct obs_msg {
    h2o_multithread_message_t super; /* first: the queue links messages */
    collect_t *c;
    faas_obs_fn_t *copy;             /* an answer: the loop's functions (NULL in a question) */
    size_t n;
    int answer;
} obs_msg_t;

/* ol's table as an array (its own thread). NULL with *n 0 when empty or out of memory (*oom). */
static faas_obs_fn_t *copy_table(faas_obs_loop_t *ol, size_t *n, int *oom)
{
    *n = 0;
    faas_obs_fn_t *copy = ol->nfns ? malloc(ol->nfns * sizeof(*copy)) : NULL;
    if (ol->nfns && copy == NULL) {
        *oom = 1;
        return NULL;
    }
    for (size_t b = 0; b < NBUCKETS; b++)
        for (faas_obs_fn_t *f = ol->table[b]; f != NULL; f = f->next)
            copy[(*n)++] = *f;
    return copy;
}

static void merge(collect_t *c, const faas_obs_fn_t *fns, size_t n)
{
    for (size_t i = 0; i < n && !c->oom; i++) {
        size_t k = 0;
        while (k < c->n && strcmp(c->merged[k].name, fns[i].name) != 0)
            k++;
        if (k == c->n) {
            if (c->n == c->cap) {
                size_t cap = c->cap ? 2 * c->cap : 16;
                faas_obs_fn_t *m = realloc(c->merged, cap * sizeof(*m));
                if (m == NULL) {
                    c->oom = 1;
                    return;
                }
                c->merged = m;
                c->cap = cap;
            }
            memset(&c->merged[c->n], 0, sizeof(c->merged[0]));
            snprintf(c->merged[c->n].name, sizeof(c->merged[0].name), "%s", fns[i].name);
            c->n++;
        }
        faas_obs_fn_t *m = &c->merged[k];
        m->started += fns[i].started;
        m->waited += fns[i].waited;
        m->refused += fns[i].refused;
        for (size_t j = 0; j < sizeof(m->codes) / sizeof(m->codes[0]); j++)
            m->codes[j] += fns[i].codes[j];
        for (size_t j = 0; j < FAAS_OBS_UPSTREAM_NREASONS; j++)
            m->upstream_errors[j] += fns[i].upstream_errors[j];
        faas_metrics_hist_add(&m->seconds, &fns[i].seconds);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const faas_obs_fn_t *)a)->name, ((const faas_obs_fn_t *)b)->name);
}

static void finish(collect_t *c)
{
    static const faas_obs_fn_t none[1];
    if (c->n > 1) /* never qsort(NULL, 0): UB */
        qsort(c->merged, c->n, sizeof(*c->merged), by_name);
    /* Counts that miss a loop would go backwards: no answer rather than a wrong one. */
    c->cb(c->oom ? NULL : c->n > 0 ? c->merged : none, c->oom ? 0 : c->n, c->data);
    free(c->merged);
    free(c);
}

static void post(faas_obs_loop_t *to, collect_t *c, faas_obs_fn_t *copy, size_t n, int answer)
{
    obs_msg_t *msg = h2o_mem_alloc(sizeof(*msg)); /* dies when out of memory, like the worker inbox */
    *msg = (obs_msg_t){.c = c, .copy = copy, .n = n, .answer = answer};
    h2o_multithread_send_message(&to->receiver, &msg->super);
}

static void on_message(faas_obs_loop_t *ol, obs_msg_t *msg)
{
    collect_t *c = msg->c;
    if (!msg->answer) {
        int oom = 0;
        size_t n;
        faas_obs_fn_t *copy = copy_table(ol, &n, &oom);
        if (oom)
            faas_log_warn("metrics: out of memory copying loop %zu's counters", ol->loop->index);
        post(c->home, c, copy, oom ? SIZE_MAX : n, 1);
        return;
    }
    if (msg->n == SIZE_MAX)
        c->oom = 1;
    else
        merge(c, msg->copy, msg->n);
    free(msg->copy);
    if (--c->pending == 0)
        finish(c);
}

static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    faas_obs_loop_t *ol = H2O_STRUCT_FROM_MEMBER(faas_obs_loop_t, receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        obs_msg_t *msg = H2O_STRUCT_FROM_MEMBER(obs_msg_t, super.link, messages->next);
        h2o_linklist_unlink(&msg->super.link);
        on_message(ol, msg);
        free(msg);
    }
}

int faas_obs_collect(faas_loop_t *loop, faas_obs_collect_cb cb, void *data)
{
    faas_obs_loop_t *home = loop->obs;
    if (home == NULL || !home->obs->counting)
        return -1;
    collect_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -1;
    *c = (collect_t){.home = home, .cb = cb, .data = data};
    faas_obs_t *obs = home->obs;
    pthread_mutex_lock(&obs->mutex);
    size_t n = obs->nloops;
    faas_obs_loop_t **others = malloc(n * sizeof(*others));
    size_t k = 0;
    for (size_t i = 0; others != NULL && i < n; i++)
        if (obs->loops[i] != home)
            others[k++] = obs->loops[i];
    pthread_mutex_unlock(&obs->mutex);
    if (others == NULL) {
        free(c);
        return -1;
    }
    size_t own_n;
    faas_obs_fn_t *own = copy_table(home, &own_n, &c->oom);
    merge(c, own, own_n);
    free(own);
    c->pending = k + 1; /* the last one, below, stands for this loop: finish never runs inside the loop over others */
    for (size_t i = 0; i < k; i++)
        post(others[i], c, NULL, 0, 0);
    free(others);
    if (--c->pending == 0)
        finish(c);
    return 0;
}

/* ---- the process and its loops --------------------------------------------------------------- */

faas_obs_t *faas_obs_create(int counting, const char *access_log, faas_error_t *err)
{
    faas_obs_t *obs = calloc(1, sizeof(*obs));
    if (obs == NULL) {
        faas_error_set(err, FAAS_ENOMEM, "out of memory");
        return NULL;
    }
    obs->counting = counting;
    pthread_mutex_init(&obs->mutex, NULL);
    if (access_log != NULL && (obs->alog = faas_http__alog_open(access_log, err)) == NULL) {
        pthread_mutex_destroy(&obs->mutex);
        free(obs);
        return NULL;
    }
    return obs;
}

int faas_obs_counting(const faas_obs_t *obs)
{
    return obs != NULL && obs->counting;
}

int faas_obs_loop_counting(const faas_loop_t *loop)
{
    return loop->obs != NULL && loop->obs->obs->counting;
}

void faas_obs_reopen(faas_obs_t *obs)
{
    if (obs != NULL && obs->alog != NULL)
        faas_http__alog_reopen(obs->alog);
}

void faas_obs_dispose(faas_obs_t *obs)
{
    if (obs == NULL)
        return;
    /* The loops are parked, not freed (threads.c): their tables stay, only the writer stops. */
    faas_http__alog_close(obs->alog);
    obs->alog = NULL;
}

faas_obs_loop_t *faas_obs_loop_create(faas_obs_t *obs, faas_loop_t *loop)
{
    faas_obs_loop_t *ol = calloc(1, sizeof(*ol));
    if (ol == NULL)
        return NULL;
    ol->obs = obs;
    ol->loop = loop;
    h2o_timeout_init(loop->ctx.loop, &ol->flush_timeout, FLUSH_MS);
    ol->flush_entry.cb = on_flush;
    pthread_mutex_lock(&obs->mutex);
    if (obs->nloops == obs->cap) {
        size_t cap = obs->cap ? 2 * obs->cap : 8;
        faas_obs_loop_t **loops = realloc(obs->loops, cap * sizeof(*loops));
        if (loops == NULL) {
            pthread_mutex_unlock(&obs->mutex);
            free(ol);
            return NULL;
        }
        obs->loops = loops;
        obs->cap = cap;
    }
    /* Registered before it is listed: a scrape on another loop may post to it at once. */
    h2o_multithread_register_receiver(loop->ctx.queue, &ol->receiver, on_messages);
    obs->loops[obs->nloops++] = ol;
    pthread_mutex_unlock(&obs->mutex);
    loop->obs = ol;
    return ol;
}
