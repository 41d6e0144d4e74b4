/*
 * access_log.c: the access log's one writer thread and the JSON line of a request (see
 * internal.h). Loops hand it whole buffers of lines (obs.c); it writes them in the order they
 * came and reopens the file on request (SIGUSR1, after logrotate moved it). Loop threads format
 * and hand; the writer thread alone writes; open and close on the main thread.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_WAITING (64u << 20) /* bytes handed but not written: past it, lines are dropped (a stuck disk) */

typedef struct chunk {
    char *bytes;
    size_t len;
    struct chunk *next;
} chunk_t;

struct faas_http__alog {
    char *path;               /* NULL: stderr */
    int fd;
    pthread_t thread;
    pthread_mutex_t mutex;    /* what follows */
    pthread_cond_t cond;
    chunk_t *head, *tail;
    size_t waiting;           /* bytes in the chunks */
    uint64_t dropped;         /* lines' bytes dropped since the last warning */
    int reopen, stop;
};

static int open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

static void write_all(faas_http__alog_t *a, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(a->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            faas_log_warn("access_log: write failed: %s (%zu bytes lost)", strerror(errno), len);
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

static void do_reopen(faas_http__alog_t *a)
{
    int fd = open_file(a->path);
    if (fd < 0) {
        faas_log_error("access_log: cannot reopen %s: %s (keeps writing to the old file)", a->path, strerror(errno));
        return;
    }
    close(a->fd);
    a->fd = fd;
    faas_log_info("access_log: reopened %s", a->path);
}

static void *writer_main(void *arg)
{
    faas_http__alog_t *a = arg;
    pthread_mutex_lock(&a->mutex);
    for (;;) {
        while (a->head == NULL && !a->reopen && !a->stop)
            pthread_cond_wait(&a->cond, &a->mutex);
        chunk_t *list = a->head;
        int reopen = a->reopen, stop = a->stop;
        uint64_t dropped = a->dropped;
        a->head = a->tail = NULL;
        a->waiting = 0;
        a->reopen = 0;
        a->dropped = 0;
        pthread_mutex_unlock(&a->mutex);
        /* Lines handed before the signal go to the old file (logrotate's copy), the rest to the new one. */
        while (list != NULL) {
            chunk_t *c = list;
            list = c->next;
            write_all(a, c->bytes, c->len);
            free(c->bytes);
            free(c);
        }
        if (dropped > 0)
            faas_log_warn("access_log: %llu bytes of lines dropped: the writer fell behind",
                          (unsigned long long)dropped);
        if (reopen && a->path != NULL)
            do_reopen(a);
        if (stop)
            return NULL;
        pthread_mutex_lock(&a->mutex);
    }
}

faas_http__alog_t *faas_http__alog_open(const char *path, faas_error_t *err)
{
    faas_http__alog_t *a = calloc(1, sizeof(*a));
    if (a == NULL || (strcmp(path, "-") != 0 && (a->path = strdup(path)) == NULL)) {
        free(a);
        faas_error_set(err, FAAS_ENOMEM, "out of memory");
        return NULL;
    }
    a->fd = a->path != NULL ? open_file(a->path) : STDERR_FILENO;
    if (a->fd < 0) {
        faas_error_set(err, FAAS_EIO, "access_log: cannot open %s: %s", path, strerror(errno));
        free(a->path);
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->mutex, NULL);
    pthread_cond_init(&a->cond, NULL);
    if (pthread_create(&a->thread, NULL, writer_main, a) != 0) {
        faas_error_set(err, FAAS_EIO, "access_log: cannot start its writer thread");
        if (a->path != NULL)
            close(a->fd);
        free(a->path);
        free(a);
        return NULL;
    }
    return a;
}

void faas_http__alog_hand(faas_http__alog_t *a, char *bytes, size_t len)
{
    chunk_t *c = malloc(sizeof(*c));
    pthread_mutex_lock(&a->mutex);
    if (c == NULL || a->waiting + len > MAX_WAITING || a->stop) {
        a->dropped += len;
        pthread_mutex_unlock(&a->mutex);
        free(c);
        free(bytes);
        return;
    }
    *c = (chunk_t){.bytes = bytes, .len = len};
    if (a->tail != NULL)
        a->tail->next = c;
    else
        a->head = c;
    a->tail = c;
    a->waiting += len;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->mutex);
}

void faas_http__alog_reopen(faas_http__alog_t *a)
{
    pthread_mutex_lock(&a->mutex);
    a->reopen = 1;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->mutex);
}

void faas_http__alog_close(faas_http__alog_t *a)
{
    if (a == NULL)
        return;
    pthread_mutex_lock(&a->mutex);
    a->stop = 1;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->mutex);
    pthread_join(a->thread, NULL);
    if (a->path != NULL)
        close(a->fd);
    pthread_mutex_destroy(&a->mutex);
    pthread_cond_destroy(&a->cond);
    free(a->path);
    free(a);
}

/* ---- one request's line ------------------------------------------------------------------------ */

static void add_iovec(cJSON *o, const char *name, h2o_iovec_t v)
{
    char *s = strndup(v.base != NULL ? v.base : "", v.len);
    cJSON_AddStringToObject(o, name, s != NULL ? s : "");
    free(s);
}

static void add_client(cJSON *o, h2o_req_t *req)
{
    struct sockaddr_storage ss;
    char host[NI_MAXHOST];
    socklen_t len = req->conn->callbacks->get_peername != NULL
                        ? req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss) : 0;
    size_t n = len > 0 ? h2o_socket_getnumerichost((struct sockaddr *)&ss, len, host) : SIZE_MAX;
    if (n == SIZE_MAX)
        cJSON_AddNullToObject(o, "client");
    else
        add_iovec(o, "client", h2o_iovec_init(host, n));
}

/* A number rounded to microseconds, or null when negative (not measured). */
static void add_ms(cJSON *o, const char *name, double ms)
{
    if (ms < 0)
        cJSON_AddNullToObject(o, name);
    else
        cJSON_AddNumberToObject(o, name, (double)(int64_t)(ms * 1000 + 0.5) / 1000);
}

char *faas_http__alog_format(h2o_req_t *req, const char *function, const char *replica, double upstream_ms,
                             int64_t wake_ms, double duration_ms)
{
    cJSON *o = cJSON_CreateObject();
    char time[FAAS_CLOCK_RFC3339_MAX];
    int64_t begin_ms = (int64_t)req->timestamps.request_begin_at.tv_sec * 1000 +
                       req->timestamps.request_begin_at.tv_usec / 1000;
    cJSON_AddStringToObject(o, "time", faas_clock_format_rfc3339(time, begin_ms > 0 ? begin_ms : faas_clock_now_ms(), 1));
    add_client(o, req);
    add_iovec(o, "host", req->authority);
    add_iovec(o, "method", req->method);
    add_iovec(o, "path", req->path);
    cJSON_AddStringToObject(o, "proto", req->version >= 0x200 ? "HTTP/2" : req->version == 0x100 ? "HTTP/1.0" : "HTTP/1.1");
    cJSON_AddNumberToObject(o, "status", req->res.status);
    cJSON_AddNumberToObject(o, "bytes", (double)req->bytes_sent);
    add_ms(o, "duration_ms", duration_ms);
    if (function != NULL)
        cJSON_AddStringToObject(o, "function", function);
    else
        cJSON_AddNullToObject(o, "function");
    if (replica != NULL && replica[0] != '\0')
        cJSON_AddStringToObject(o, "replica", replica);
    else
        cJSON_AddNullToObject(o, "replica");
    add_ms(o, "upstream_ms", upstream_ms);
    add_ms(o, "wake_ms", wake_ms < 0 ? -1 : (double)wake_ms);
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return line;
}
