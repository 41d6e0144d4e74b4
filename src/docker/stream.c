/*
 * stream.c: the Docker calls whose answers stream (build, logs, wait, events) and the
 * pure parsers they use: the 8-byte log frame demux and the build JSON-lines parser.
 *
 * Threads: the calls are worker thread only (they block, events for as long as it listens).
 * The parsers do no I/O; each instance belongs to one thread at a time.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/core/log.h"
#include "faas/docker/swarm.h"

#define LINE_MAX_BYTES ((size_t)1 << 20) /* longer JSON lines are dropped, not buffered */

/* ---- log frame demux ---- */

void faas_docker_demux_init(faas_docker_demux_t *dmx)
{
    memset(dmx, 0, sizeof(*dmx));
}

/* Checks a complete header and starts its frame; -1 when it is not a frame header. */
static int demux_header(faas_docker_demux_t *dmx)
{
    const unsigned char *h = dmx->_hdr;
    if (h[0] > FAAS_DOCKER_STDERR || h[1] != 0 || h[2] != 0 || h[3] != 0)
        return -1;
    dmx->_left = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | (uint32_t)h[7];
    if (dmx->_left == 0)
        dmx->_hdr_len = 0; /* an empty frame: straight on to the next header */
    return 0;
}

int faas_docker_demux_feed(faas_docker_demux_t *dmx, const void *buf, size_t len, faas_docker_log_cb cb,
                           void *cbdata)
{
    const char *p = buf, *end = p + len;
    if (dmx->_failed)
        return -1;
    while (p < end) {
        if (dmx->_hdr_len < sizeof(dmx->_hdr)) {
            size_t n = sizeof(dmx->_hdr) - dmx->_hdr_len;
            n = n < (size_t)(end - p) ? n : (size_t)(end - p);
            memcpy(dmx->_hdr + dmx->_hdr_len, p, n);
            dmx->_hdr_len += n;
            p += n;
            if (dmx->_hdr_len == sizeof(dmx->_hdr) && demux_header(dmx) != 0) {
                dmx->_failed = 1;
                return -1;
            }
            continue;
        }
        size_t n = dmx->_left < (size_t)(end - p) ? dmx->_left : (size_t)(end - p);
        if (cb != NULL)
            cb(cbdata, dmx->_hdr[0], p, n);
        dmx->_left -= (uint32_t)n;
        p += n;
        if (dmx->_left == 0)
            dmx->_hdr_len = 0;
    }
    return 0;
}

int faas_docker_demux_complete(const faas_docker_demux_t *dmx)
{
    return !dmx->_failed && dmx->_hdr_len == 0;
}

/* ---- build stream parser ---- */

void faas_docker_build_parser_init(faas_docker_build_parser_t *p, faas_docker_build_line_cb on_line, void *cbdata)
{
    memset(p, 0, sizeof(*p));
    p->_on_line = on_line;
    p->_cbdata = cbdata;
}

void faas_docker_build_parser_dispose(faas_docker_build_parser_t *p)
{
    faas_buf_free(&p->_line);
}

static int is_image_id(const char *s, size_t len)
{
    if (len != 7 + 64 || strncmp(s, "sha256:", 7) != 0)
        return 0;
    for (size_t i = 7; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Copies src without ANSI escape sequences (ESC [ params final, or ESC x); returns the new length. */
static size_t strip_ansi(char *dst, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] != '\x1b') {
            dst[o++] = src[i];
        } else if (i + 1 < n && src[i + 1] == '[') {
            for (i += 2; i < n && !((unsigned char)src[i] >= 0x40 && (unsigned char)src[i] <= 0x7e); i++)
                ;
        } else {
            i++; /* a two-byte escape */
        }
    }
    return o;
}

/* Hands text (plus a newline when add_nl and it has none) to on_line, escapes removed. */
static void emit(faas_docker_build_parser_t *p, const char *text, int add_nl)
{
    size_t n = strlen(text);
    if (p->_on_line == NULL || n == 0)
        return;
    char *clean = malloc(n + 2);
    if (clean == NULL)
        return; /* progress text is best effort */
    size_t m = strip_ansi(clean, text, n);
    if (add_nl && (m == 0 || clean[m - 1] != '\n'))
        clean[m++] = '\n';
    if (m > 0)
        p->_on_line(p->_cbdata, clean, m);
    free(clean);
}

static void on_error_line(faas_docker_build_parser_t *p, const cJSON *j)
{
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(j, "errorDetail");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(detail, "message");
    if (!cJSON_IsString(msg))
        msg = cJSON_GetObjectItemCaseSensitive(j, "error");
    const char *text = cJSON_IsString(msg) ? msg->valuestring : "unknown build error";
    if (!p->_failed) {
        p->_failed = 1;
        char clean[FAAS_ERROR_MSG_MAX];
        size_t n = strlen(text) < sizeof(clean) - 1 ? strlen(text) : sizeof(clean) - 1;
        n = strip_ansi(clean, text, n);
        while (n > 0 && (clean[n - 1] == '\n' || clean[n - 1] == '\r'))
            n--;
        snprintf(p->_error, sizeof(p->_error), "%.*s", (int)n, clean);
    }
    emit(p, text, 1);
}

static void on_stream_line(faas_docker_build_parser_t *p, const char *text)
{
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    if (is_image_id(text, n)) /* the only success line of a q=1 build */
        snprintf(p->_quiet_id, sizeof(p->_quiet_id), "%.*s", (int)n, text);
    emit(p, text, 0);
}

static void on_line(faas_docker_build_parser_t *p, const char *line, size_t n)
{
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
        n--;
    if (n == 0)
        return;
    cJSON *j = cJSON_ParseWithLength(line, n);
    if (!cJSON_IsObject(j)) {
        faas_log_debug("docker: build: ignoring a line that is not a JSON object (%zu bytes)", n);
        cJSON_Delete(j);
        return;
    }
    const cJSON *stream = cJSON_GetObjectItemCaseSensitive(j, "stream");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
    const cJSON *aux = cJSON_GetObjectItemCaseSensitive(j, "aux");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(aux, "ID");
    if (cJSON_HasObjectItem(j, "error") || cJSON_HasObjectItem(j, "errorDetail"))
        on_error_line(p, j);
    if (cJSON_IsString(stream))
        on_stream_line(p, stream->valuestring);
    if (cJSON_IsString(status)) /* pull progress, when a FROM image is pulled */
        emit(p, status->valuestring, 1);
    if (cJSON_IsString(id) && is_image_id(id->valuestring, strlen(id->valuestring)))
        snprintf(p->_aux_id, sizeof(p->_aux_id), "%s", id->valuestring);
    cJSON_Delete(j);
}


faas_err_t faas_docker_build_parser_feed(faas_docker_build_parser_t *p, const void *buf, size_t len,
                                         faas_error_t *err)
{
    const char *s = buf, *end = s + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
        if (nl != NULL && p->_line.len == 0 && !p->_skipping) {
            on_line(p, s, n); /* a whole line in this chunk: no copy */
        } else if (!p->_skipping) {
            if (p->_line.len + n > LINE_MAX_BYTES) {
                p->_skipping = 1;
                p->_line.len = 0;
            } else if (faas_buf_add(&p->_line, s, n) != 0) {
                return faas_error_set(err, FAAS_ENOMEM, "build output: out of memory");
            }
            if (nl != NULL && !p->_skipping)
                on_line(p, p->_line.p, p->_line.len);
        }
        if (nl == NULL)
            break;
        p->_line.len = 0;
        p->_skipping = 0;
        s = nl + 1;
    }
    return FAAS_OK;
}

faas_err_t faas_docker_build_parser_finish(faas_docker_build_parser_t *p, char image_id[FAAS_DOCKER_ID_MAX],
                                           faas_error_t *err)
{
    image_id[0] = '\0';
    if (p->_line.len > 0 && !p->_skipping)
        on_line(p, p->_line.p, p->_line.len); /* a last line without its newline */
    p->_line.len = 0;
    if (p->_failed)
        return faas_error_set(err, FAAS_EDOCKER, "build failed: %s", p->_error);
    const char *id = p->_aux_id[0] != '\0' ? p->_aux_id : p->_quiet_id;
    if (id[0] == '\0')
        return faas_error_set(err, FAAS_EDOCKER, "build failed: docker reported no image id");
    snprintf(image_id, FAAS_DOCKER_ID_MAX, "%s", id);
    return FAAS_OK;
}

/* ---- build ---- */

typedef struct build_ctx {
    faas_docker_build_parser_t parser;
    faas_error_t err;
    int failed;
} build_ctx_t;

static int on_build_body(void *arg, const char *data, size_t len)
{
    build_ctx_t *b = arg;
    b->failed = faas_docker_build_parser_feed(&b->parser, data, len, &b->err) != FAAS_OK;
    return b->failed;
}

/* Appends "<param><URL-encoded JSON object of the k=v list>", when the list is not empty. */
static faas_err_t add_json_map(faas_buf_t *path, const char *param, const char *const *kv, faas_error_t *err)
{
    if (kv == NULL || kv[0] == NULL)
        return FAAS_OK;
    cJSON *map = NULL;
    if (faas_docker__labels(kv, &map, err) != FAAS_OK)
        return err != NULL ? err->code : FAAS_EINVAL;
    char *json = cJSON_PrintUnformatted(map);
    faas_buf_adds(path, param);
    if (json != NULL)
        faas_docker__add_escaped(path, json);
    path->oom |= json == NULL;
    cJSON_free(json);
    cJSON_Delete(map);
    return FAAS_OK;
}

/* The query of POST /build. */
static faas_err_t build_path(const faas_docker_build_opts_t *o, faas_buf_t *path, faas_error_t *err)
{
    faas_buf_adds(path, "/build?version=1&rm=1&forcerm=1&dockerfile=");
    faas_docker__add_escaped(path, o->dockerfile != NULL ? o->dockerfile : "Dockerfile");
    if (o->tag != NULL) {
        faas_buf_adds(path, "&t=");
        faas_docker__add_escaped(path, o->tag);
    }
    if (o->nocache)
        faas_buf_adds(path, "&nocache=1");
    if (add_json_map(path, "&labels=", o->labels, err) != FAAS_OK ||
        add_json_map(path, "&buildargs=", o->buildargs, err) != FAAS_OK)
        return err != NULL ? err->code : FAAS_EINVAL;
    return path->oom ? faas_error_set(err, FAAS_ENOMEM, "build: out of memory") : FAAS_OK;
}

faas_err_t faas_docker_build(faas_docker_t *d, const void *tar, size_t len, const faas_docker_build_opts_t *opts,
                             char image_id[FAAS_DOCKER_ID_MAX], faas_error_t *err)
{
    static const faas_docker_build_opts_t defaults;
    const faas_docker_build_opts_t *o = opts != NULL ? opts : &defaults;
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "build %.100s", o->tag != NULL ? o->tag : "image");
    image_id[0] = '\0';
    if (tar == NULL || len == 0)
        return faas_error_set(err, FAAS_EINVAL, "%s: empty build context", what);
    faas_buf_t path = {0};
    faas_err_t code = build_path(o, &path, err);
    build_ctx_t b = {.failed = 0};
    faas_docker_build_parser_init(&b.parser, o->on_line, o->cbdata);
    faas_docker__req_t rq = {.method = "POST", .path = path.p, .what = what, .content_type = "application/x-tar",
                             .body = tar, .body_len = len, .timeout_ms = o->timeout_ms,
                             .on_body = on_build_body, .ctx = &b};
    if (code == FAAS_OK)
        code = faas_docker__call(d, &rq, err);
    if (code == FAAS_OK && rq.stopped)
        code = faas_error_set(err, b.err.code, "%s: %s", what, b.err.msg);
    if (code == FAAS_OK && rq.status != 200)
        code = faas_error_set(err, FAAS_EDOCKER, "%s: unexpected HTTP %ld", what, rq.status);
    if (code == FAAS_OK)
        code = faas_docker_build_parser_finish(&b.parser, image_id, err);
    faas_docker_build_parser_dispose(&b.parser);
    free(rq.body_out.p);
    free(path.p);
    faas_error_t perr = {0};
    if (opts->leftovers_labels != NULL && faas_docker_image_prune(d, opts->leftovers_labels, &perr) != FAAS_OK)
        faas_log_warn("docker: %s", perr.msg); /* the cleanup task finds them by their label later */
    return code;
}

/* ---- logs ---- */

typedef struct logs_ctx {
    faas_docker_demux_t dmx;
    faas_docker_log_cb cb;
    void *cbdata;
    int whole;          /* deliver each frame in one call */
    faas_buf_t frame;   /* the frame being assembled */
} logs_ctx_t;

/* Assembles pieces into whole frames: a piece ends its frame when it is all the demux still expects. */
static void on_frame_piece(void *arg, int stream, const char *data, size_t len)
{
    logs_ctx_t *l = arg;
    int last = len == l->dmx._left; /* called before the demux counts this piece */
    if (faas_buf_add(&l->frame, data, len) != 0)
        return;
    if (last) {
        l->cb(l->cbdata, stream, l->frame.p, l->frame.len);
        l->frame.len = 0;
    }
}

static int on_logs_body(void *arg, const char *data, size_t len)
{
    logs_ctx_t *l = arg;
    if (l->whole)
        return faas_docker_demux_feed(&l->dmx, data, len, on_frame_piece, l) != 0 || l->frame.oom;
    return faas_docker_demux_feed(&l->dmx, data, len, l->cb, l->cbdata) != 0;
}

faas_err_t faas_docker_container_logs_opts(faas_docker_t *d, const char *id, const faas_docker_logs_opts_t *o,
                                           faas_docker_log_cb cb, void *cbdata, faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX], q[96];
    snprintf(what, sizeof(what), "logs of container %.80s", id != NULL ? id : "");
    if (id == NULL || id[0] == '\0')
        return faas_error_set(err, FAAS_EINVAL, "%s: empty id", what);
    char tail[16] = "all";
    if (o->tail >= 0)
        snprintf(tail, sizeof(tail), "%d", o->tail);
    snprintf(q, sizeof(q), "/logs?stdout=1&stderr=1&tail=%s%s%s", tail, o->timestamps ? "&timestamps=1" : "",
             o->follow ? "&follow=1" : "");
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/containers/");
    faas_docker__add_escaped(&path, id);
    faas_buf_adds(&path, q);
    logs_ctx_t l = {.cb = cb, .cbdata = cbdata, .whole = o->whole_frames};
    faas_docker_demux_init(&l.dmx);
    /* A followed stream is silent while the container is: no deadline, only the stop flag. */
    faas_docker__req_t rq = {.method = "GET", .path = path.p, .what = what,
                             .timeout_ms = o->follow ? 0 : FAAS_DOCKER_CALL_TIMEOUT_MS, .on_body = on_logs_body,
                             .ctx = &l, .stop = o->follow ? o->stop : NULL};
    faas_err_t code = path.oom ? faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what)
                               : faas_docker__call(d, &rq, err);
    if (code == FAAS_OK && l.frame.oom)
        code = faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what);
    else if (code == FAAS_OK && rq.stopped && rq.stop != NULL && atomic_load(rq.stop) != 0)
        code = FAAS_OK; /* the caller stopped following */
    else if (code == FAAS_OK && rq.stopped)
        code = faas_error_set(err, FAAS_EDOCKER, "%s: malformed log frame (is the container a TTY?)", what);
    else if (code == FAAS_OK && !faas_docker_demux_complete(&l.dmx))
        code = faas_error_set(err, FAAS_EDOCKER, "%s: log stream ends inside a frame", what);
    faas_buf_free(&l.frame);
    free(rq.body_out.p);
    free(path.p);
    return code;
}

faas_err_t faas_docker_container_logs(faas_docker_t *d, const char *id, int tail, faas_docker_log_cb cb,
                                      void *cbdata, faas_error_t *err)
{
    faas_docker_logs_opts_t o = {.tail = tail};
    return faas_docker_container_logs_opts(d, id, &o, cb, cbdata, err);
}

/* ---- wait ---- */

/* {"Error":null|{"Message":...},"StatusCode":N} */
static faas_err_t parse_wait(const faas_docker__req_t *rq, int *exit_code, faas_error_t *err)
{
    cJSON *j = rq->body_out.len > 0 ? cJSON_ParseWithLength(rq->body_out.p, rq->body_out.len) : NULL;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "StatusCode");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "Error"), "Message");
    faas_err_t rc = FAAS_OK;
    if (cJSON_IsString(msg) && msg->valuestring[0] != '\0')
        rc = faas_error_set(err, FAAS_EDOCKER, "%s: %s", rq->what, msg->valuestring);
    else if (!cJSON_IsNumber(code))
        rc = faas_error_set(err, FAAS_EDOCKER, "%s: answer has no StatusCode", rq->what);
    else
        *exit_code = code->valueint;
    cJSON_Delete(j);
    return rc;
}

faas_err_t faas_docker_container_wait(faas_docker_t *d, const char *id, int timeout_ms, int *exit_code,
                                      faas_error_t *err)
{
    char what[FAAS_DOCKER__WHAT_MAX];
    snprintf(what, sizeof(what), "wait for container %.80s", id != NULL ? id : "");
    *exit_code = -1;
    if (id == NULL || id[0] == '\0')
        return faas_error_set(err, FAAS_EINVAL, "%s: empty id", what);
    faas_buf_t path = {0};
    faas_buf_adds(&path, "/containers/");
    faas_docker__add_escaped(&path, id);
    faas_buf_adds(&path, "/wait?condition=not-running");
    faas_docker__req_t rq = {.method = "POST", .path = path.p, .what = what, .timeout_ms = timeout_ms};
    faas_err_t code = path.oom ? faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what)
                               : faas_docker__call(d, &rq, err);
    if (code == FAAS_OK)
        code = parse_wait(&rq, exit_code, err);
    free(rq.body_out.p);
    free(path.p);
    return code;
}

/* ---- events ---- */

typedef struct events_ctx {
    faas_buf_t line;
    int skipping; /* dropping the rest of an overlong line */
    faas_docker_event_cb cb;
    void *cbdata;
} events_ctx_t;

/* Returns nonzero when cb asks to stop. */
static int on_event_line(events_ctx_t *e, const char *line, size_t n)
{
    cJSON *j = n > 0 ? cJSON_ParseWithLength(line, n) : NULL;
    int stop = 0;
    if (cJSON_IsObject(j))
        stop = e->cb(e->cbdata, j);
    else if (n > 0)
        faas_log_warn("docker: events: ignoring a line that is not a JSON object (%zu bytes)", n);
    cJSON_Delete(j);
    return stop;
}

static int on_events_body(void *arg, const char *data, size_t len)
{
    events_ctx_t *e = arg;
    const char *s = data, *end = data + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
        if (!e->skipping && e->line.len + n > LINE_MAX_BYTES) {
            e->skipping = 1;
            e->line.len = 0;
        }
        if (!e->skipping)
            faas_buf_add(&e->line, s, n);
        if (e->line.oom)
            return 1;
        if (nl == NULL)
            break;
        if (!e->skipping && on_event_line(e, e->line.p, e->line.len))
            return 1;
        e->line.len = 0;
        e->skipping = 0;
        s = nl + 1;
    }
    return 0;
}

/* "/events?filters=..." for the container events of labels, or (labels NULL and swarm) those of
   services and nodes. */
static void events_path(faas_buf_t *path, const char *const *labels, int swarm, int64_t since_unix)
{
    faas_buf_adds(path, "/events?filters=");
    if (swarm)
        faas_docker__add_escaped(path, "{\"type\":[\"service\",\"node\"]}");
    else
        faas_docker__add_filters(path, "container", labels, 0);
    if (since_unix > 0) {
        char since[32];
        snprintf(since, sizeof(since), "&since=%lld", (long long)since_unix);
        faas_buf_adds(path, since);
    }
}

static faas_err_t follow(faas_docker_t *d, const char *const *labels, int swarm, int64_t since_unix,
                         faas_docker_event_cb cb, void *cbdata, const atomic_int *stop, faas_error_t *err)
{
    const char *what = swarm ? "follow swarm events" : "follow events";
    if (cb == NULL)
        return faas_error_set(err, FAAS_EINVAL, "%s: no callback", what);
    faas_buf_t path = {0};
    events_path(&path, labels, swarm, since_unix);
    events_ctx_t e = {.cb = cb, .cbdata = cbdata};
    /* No timeout: the stream is silent while nothing happens. */
    faas_docker__req_t rq = {.method = "GET", .path = path.p, .what = what, .on_body = on_events_body,
                             .ctx = &e, .stop = stop};
    faas_err_t code = path.oom ? faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what)
                               : faas_docker__call(d, &rq, err);
    if (code == FAAS_OK && e.line.oom)
        code = faas_error_set(err, FAAS_ENOMEM, "%s: out of memory", what);
    else if (code == FAAS_OK && !rq.stopped)
        code = faas_error_set(err, FAAS_EUNAVAIL, "%s: the stream from docker at %s ended", what,
                              faas_docker_socket(d));
    free(e.line.p);
    free(rq.body_out.p);
    free(path.p);
    return code;
}

faas_err_t faas_docker_events(faas_docker_t *d, const char *const *labels, int64_t since_unix, faas_docker_event_cb cb,
                              void *cbdata, const atomic_int *stop, faas_error_t *err)
{
    return follow(d, labels, 0, since_unix, cb, cbdata, stop, err);
}

faas_err_t faas_docker_swarm_events(faas_docker_t *d, int64_t since_unix, faas_docker_event_cb cb, void *cbdata,
                                    const atomic_int *stop, faas_error_t *err)
{
    return follow(d, NULL, 1, since_unix, cb, cbdata, stop, err);
}
