/*
 * docker_demux.c: unit tests of the Docker client's pure parts (log frame demux, build stream
 * parser, URL/filter encoding), and of the client's transport against a canned local HTTP
 * server on a unix socket (never the real engine: this proves that odd answers give clean
 * errors, which the real engine cannot be made to send). The build context's tar writer is
 * tested in build.c.
 * Single-threaded apart from the canned server thread.
 */
#include "docker/internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

#include "faas/core/clock.h"
#include "testlib.h"

/* ---- demux ---- */

typedef struct sink {
    char out[4096], err[4096];
    size_t nout, nerr;
    int calls, zero_calls, bad_stream;
    char order[64]; /* the stream id of each call: "1212" */
} sink_t;

static void on_log(void *arg, int stream, const char *data, size_t len)
{
    sink_t *s = arg;
    s->calls++;
    s->zero_calls += len == 0;
    if ((size_t)s->calls < sizeof(s->order))
        s->order[s->calls - 1] = (char)('0' + stream);
    char *dst = stream == FAAS_DOCKER_STDOUT ? s->out : stream == FAAS_DOCKER_STDERR ? s->err : NULL;
    size_t *n = stream == FAAS_DOCKER_STDOUT ? &s->nout : &s->nerr;
    s->bad_stream += dst == NULL;
    if (dst != NULL && *n + len < 4096) {
        memcpy(dst + *n, data, len);
        *n += len;
        dst[*n] = '\0';
    }
}

static size_t frame(unsigned char *buf, int stream, const char *payload)
{
    size_t n = strlen(payload);
    unsigned char h[8] = {(unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    memcpy(buf, h, 8);
    memcpy(buf + 8, payload, n);
    return 8 + n;
}

/* stdout "hello world\n", stderr "to-stderr\n", an empty stdout frame, stdout "x" */
static size_t sample_frames(unsigned char *buf)
{
    size_t n = frame(buf, 1, "hello world\n");
    n += frame(buf + n, 2, "to-stderr\n");
    n += frame(buf + n, 1, "");
    n += frame(buf + n, 1, "x");
    return n;
}

static void check_sample(const sink_t *s, const faas_docker_demux_t *dmx)
{
    CHECK_STR(s->out, "hello world\nx");
    CHECK_STR(s->err, "to-stderr\n");
    CHECK_INT(s->zero_calls, 0);
    CHECK_INT(s->bad_stream, 0);
    CHECK(faas_docker_demux_complete(dmx));
}

TEST(demux_whole_buffer_keeps_order)
{
    unsigned char buf[256];
    size_t n = sample_frames(buf);
    sink_t s = {.calls = 0};
    faas_docker_demux_t dmx;
    faas_docker_demux_init(&dmx);
    CHECK_INT(faas_docker_demux_feed(&dmx, buf, n, on_log, &s), 0);
    check_sample(&s, &dmx);
    CHECK_STR(s.order, "121");
}

TEST(demux_byte_by_byte)
{
    unsigned char buf[256];
    size_t n = sample_frames(buf);
    sink_t s = {.calls = 0};
    faas_docker_demux_t dmx;
    faas_docker_demux_init(&dmx);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(faas_docker_demux_feed(&dmx, buf + i, 1, on_log, &s), 0);
        /* frames end at 20, 38, 46 (the empty one) and 55 */
        size_t at = i + 1;
        CHECK_INT(faas_docker_demux_complete(&dmx), at == 20 || at == 38 || at == 46 || at == n);
    }
    check_sample(&s, &dmx);
}

TEST(demux_every_two_cut_split)
{
    unsigned char buf[256];
    size_t n = sample_frames(buf);
    int bad = 0;
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = i; j <= n; j++) {
            sink_t s = {.calls = 0};
            faas_docker_demux_t dmx;
            faas_docker_demux_init(&dmx);
            int rc = faas_docker_demux_feed(&dmx, buf, i, on_log, &s);
            rc |= faas_docker_demux_feed(&dmx, buf + i, j - i, on_log, &s);
            rc |= faas_docker_demux_feed(&dmx, buf + j, n - j, on_log, &s);
            bad += rc != 0 || strcmp(s.out, "hello world\nx") != 0 || strcmp(s.err, "to-stderr\n") != 0 ||
                   !faas_docker_demux_complete(&dmx) || s.zero_calls != 0;
        }
    }
    CHECK_INT(bad, 0);
}

TEST(demux_rejects_malformed_headers)
{
    static const unsigned char bad[][8] = {
        {1, 1, 0, 0, 0, 0, 0, 1}, {2, 0, 1, 0, 0, 0, 0, 1}, {1, 0, 0, 9, 0, 0, 0, 1}, {3, 0, 0, 0, 0, 0, 0, 1},
        {'o', 'u', 't', '\r', '\n', 0, 0, 0}, /* what a TTY container's raw output looks like */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sink_t s = {.calls = 0};
        faas_docker_demux_t dmx;
        faas_docker_demux_init(&dmx);
        CHECK_INT(faas_docker_demux_feed(&dmx, bad[i], 4, on_log, &s), 0); /* not judged before 8 bytes */
        CHECK_INT(faas_docker_demux_feed(&dmx, bad[i] + 4, 4, on_log, &s), -1);
        CHECK_INT(faas_docker_demux_feed(&dmx, "x", 1, on_log, &s), -1); /* and stays failed */
        CHECK(!faas_docker_demux_complete(&dmx));
        CHECK_INT(s.calls, 0);
    }
}

TEST(demux_stdin_stream_and_truncation)
{
    unsigned char buf[64];
    size_t n = frame(buf, 0, "in");
    sink_t s = {.calls = 0};
    faas_docker_demux_t dmx;
    faas_docker_demux_init(&dmx);
    CHECK_INT(faas_docker_demux_feed(&dmx, buf, n, on_log, &s), 0);
    CHECK_INT(s.bad_stream, 1); /* delivered with stream 0; the sink counts it */
    CHECK(faas_docker_demux_complete(&dmx));
    static const unsigned char big[] = {1, 0, 0, 0, 0x10, 0, 0, 0, 'a', 'b'}; /* 256 MiB announced */
    CHECK_INT(faas_docker_demux_feed(&dmx, big, sizeof(big), on_log, &s), 0);
    CHECK(!faas_docker_demux_complete(&dmx));
    CHECK_STR(s.out, "ab");
}

/* ---- build stream parser ---- */

typedef struct lines { char text[8192]; size_t len; } lines_t;

static void on_progress(void *arg, const char *text, size_t len)
{
    lines_t *l = arg;
    if (l->len + len < sizeof(l->text)) {
        memcpy(l->text + l->len, text, len);
        l->len += len;
        l->text[l->len] = '\0';
    }
}

#define ID_A "sha256:2f4f4f4140d5c9eabd45e192894ae07f065e67a808cdf5bddbf9f11b8ea708a4"
#define ID_B "sha256:910937aa5393aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const char build_ok[] =
    "{\"stream\":\"Step 1/3 : FROM busybox:latest\"}\r\n"
    "{\"stream\":\"\\n\"}\r\n"
    "{\"stream\":\" ---\\u003e 910937aa5393\\n\"}\r\n"
    "{\"aux\":{\"ID\":\"" ID_B "\"}}\r\n"
    "{\"stream\":\"Step 2/3 : RUN echo hi\\n\"}\r\n"
    "{\"stream\":\"\\u001b[91moops\\n\\u001b[0m\"}\r\n"
    "{\"aux\":{\"ID\":\"" ID_A "\"}}\r\n"
    "{\"stream\":\"Successfully built 2f4f4f4140d5\\n\"}\r\n";

/* Feeds text in chunks of size step (0 = all at once) and finishes. */
static faas_err_t parse_build(const char *text, size_t step, char id[FAAS_DOCKER_ID_MAX], lines_t *lines,
                              faas_error_t *err)
{
    faas_docker_build_parser_t p;
    faas_docker_build_parser_init(&p, lines != NULL ? on_progress : NULL, lines);
    size_t n = strlen(text);
    step = step == 0 ? n : step;
    for (size_t i = 0; i < n; i += step)
        CHECK_INT(faas_docker_build_parser_feed(&p, text + i, n - i < step ? n - i : step, err), FAAS_OK);
    faas_err_t code = faas_docker_build_parser_finish(&p, id, err);
    faas_docker_build_parser_dispose(&p);
    return code;
}

TEST(build_parser_last_aux_wins_any_split)
{
    for (size_t step = 0; step < 40; step++) {
        char id[FAAS_DOCKER_ID_MAX];
        lines_t l = {.len = 0};
        faas_error_t err = {0};
        CHECK_INT(parse_build(build_ok, step, id, &l, &err), FAAS_OK);
        CHECK_STR(id, ID_A);
        CHECK_CONTAINS(l.text, "Step 1/3 : FROM busybox:latest\n ---> 910937aa5393\n");
        CHECK_CONTAINS(l.text, "oops\n"); /* red ANSI colour removed */
        CHECK(strchr(l.text, '\x1b') == NULL);
    }
}

TEST(build_parser_error_lines_fail)
{
    char id[FAAS_DOCKER_ID_MAX];
    lines_t l = {.len = 0};
    faas_error_t err = {0};
    char text[2048];
    snprintf(text, sizeof(text), "%s%s", build_ok,
             "{\"errorDetail\":{\"code\":3,\"message\":\"The command '/bin/sh -c exit 3' returned a non-zero "
             "code: 3\"},\"error\":\"The command '/bin/sh -c exit 3' returned a non-zero code: 3\"}\r\n");
    CHECK_INT(parse_build(text, 7, id, &l, &err), FAAS_EDOCKER);
    CHECK_CONTAINS(err.msg, "returned a non-zero code: 3");
    CHECK_STR(id, "");
    CHECK_CONTAINS(l.text, "returned a non-zero code: 3\n");
    CHECK_INT(parse_build("{\"error\":\"only error\"}\n", 0, id, NULL, &err), FAAS_EDOCKER);
    CHECK_CONTAINS(err.msg, "only error");
    CHECK_INT(parse_build("{\"aux\":{\"ID\":\"" ID_A "\"}}\n{\"errorDetail\":{}}\n", 0, id, NULL, &err),
              FAAS_EDOCKER);
}

TEST(build_parser_needs_an_id)
{
    char id[FAAS_DOCKER_ID_MAX];
    faas_error_t err = {0};
    CHECK_INT(parse_build("{\"stream\":\"Step 1/1 : FROM x\\n\"}\r\n", 0, id, NULL, &err), FAAS_EDOCKER);
    CHECK_CONTAINS(err.msg, "no image id");
    CHECK_INT(parse_build("", 0, id, NULL, &err), FAAS_EDOCKER);
    /* not JSON, not an object, an id that is not sha256:<64 hex>: all ignored */
    CHECK_INT(parse_build("garbage\n[1,2]\n{\"aux\":{\"ID\":\"sha256:xyz\"}}\n{\"aux\":\"s\"}\n", 3, id, NULL, &err),
              FAAS_EDOCKER);
    /* q=1: one stream line carrying the id; and a last line without its newline */
    CHECK_INT(parse_build("{\"stream\":\"" ID_A "\\n\"}", 5, id, NULL, &err), FAAS_OK);
    CHECK_STR(id, ID_A);
    CHECK_INT(parse_build("{\"stream\":\"" ID_B "\\n\"}\n{\"aux\":{\"ID\":\"" ID_A "\"}}\n", 0, id, NULL, &err),
              FAAS_OK);
    CHECK_STR(id, ID_A);
}

TEST(build_parser_drops_overlong_lines)
{
    size_t big = (1u << 20) + 100;
    char *text = malloc(big + 200);
    memset(text, 'x', big);
    snprintf(text + big, 200, "\n{\"aux\":{\"ID\":\"%s\"}}\n", ID_A);
    char id[FAAS_DOCKER_ID_MAX];
    faas_error_t err = {0};
    CHECK_INT(parse_build(text, 4096, id, NULL, &err), FAAS_OK);
    CHECK_STR(id, ID_A);
    free(text);
}

/* ---- encoding ---- */

TEST(escape_and_filters)
{
    faas_buf_t s = {0};
    faas_docker__add_escaped(&s, "my/img:1 a+b~._-");
    CHECK_STR(s.p, "my%2Fimg%3A1%20a%2Bb~._-");
    s.len = 0;
    const char *one[] = {"faas.function=a b\"c", NULL}, *two[] = {"faas.managed=1", "faas.instance=x", NULL};
    faas_docker__add_filters(&s, "container", one, 0);
    CHECK_STR(s.p, "%7B%22type%22%3A%5B%22container%22%5D%2C%22label%22%3A%5B%22faas.function%3Da%20b%5C%22c%22%5D%7D");
    s.len = 0; /* several labels: all of them, in one list (Docker ANDs them); dangling when asked */
    faas_docker__add_filters(&s, NULL, two, 1);
    CHECK_STR(s.p, "%7B%22dangling%22%3A%5B%22true%22%5D%2C%22label%22%3A%5B%22faas.managed%3D1%22%2C%22faas.instance%3Dx%22%5D%7D");
    s.len = 0;
    faas_docker__add_filters(&s, NULL, NULL, 0);
    CHECK_STR(s.p, "%7B%7D");
    free(s.p);
    cJSON *labels = NULL;
    faas_error_t err = {0};
    const char *ok[] = {"a=1", "b=", "c=x=y", NULL}, *bad[] = {"nokey", NULL}, *bad2[] = {"=v", NULL};
    CHECK_INT(faas_docker__labels(ok, &labels, &err), FAAS_OK);
    CHECK_STR(cJSON_GetObjectItem(labels, "c")->valuestring, "x=y");
    CHECK_STR(cJSON_GetObjectItem(labels, "b")->valuestring, "");
    cJSON_Delete(labels);
    CHECK_INT(faas_docker__labels(bad, &labels, &err), FAAS_EINVAL);
    CHECK_INT(faas_docker__labels(bad2, &labels, &err), FAAS_EINVAL);
    char longkey[400];
    memset(longkey, 'k', 300);
    snprintf(longkey + 300, 100, "=v");
    const char *bad3[] = {longkey, NULL};
    CHECK_INT(faas_docker__labels(bad3, &labels, &err), FAAS_EINVAL);
}

/* ---- transport against a canned local server ---- */

enum { FAKE_REPLY, FAKE_HANG, FAKE_FLOOD, FAKE_REPLY_THEN_IDLE };

/* One scenario at a time: the thread accepts one connection, reads the request, answers. */
static struct {
    int lfd;
    char dir[256], path[300];
    int mode;
    char reply[8192];
    size_t reply_len;
    char request[16384]; /* what the client sent, NUL-terminated (the body may hold NULs) */
    size_t request_len;
    pthread_t thread;
} fake;

static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads the headers and a Content-Length body. */
static void read_request(int fd)
{
    size_t want = SIZE_MAX;
    fake.request_len = 0;
    while (fake.request_len < want && fake.request_len < sizeof(fake.request) - 1) {
        ssize_t n = read(fd, fake.request + fake.request_len, sizeof(fake.request) - 1 - fake.request_len);
        if (n <= 0)
            break;
        fake.request_len += (size_t)n;
        fake.request[fake.request_len] = '\0';
        char *end = strstr(fake.request, "\r\n\r\n");
        if (end != NULL && want == SIZE_MAX) {
            char *cl = strcasestr(fake.request, "\r\nContent-Length:");
            want = (size_t)(end + 4 - fake.request) + (cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
        }
    }
}

static void *fake_main(void *arg)
{
    int c = accept(fake.lfd, NULL, NULL);
    if (c < 0)
        return NULL;
    read_request(c);
    char buf[65536];
    int rc = send_all(c, fake.reply, fake.reply_len);
    if (fake.mode == FAKE_FLOOD) {
        memset(buf, ' ', sizeof(buf));
        while (rc == 0)
            rc = send_all(c, buf, sizeof(buf));
    }
    if (fake.mode == FAKE_HANG || fake.mode == FAKE_REPLY_THEN_IDLE)
        while (read(c, buf, sizeof(buf)) > 0) /* until the client gives up */
            ;
    close(c);
    return NULL;
}

/* Fills sa with path; 0 when it does not fit. */
static int unix_addr(struct sockaddr_un *sa, const char *path)
{
    size_t n = strlen(path);
    if (n >= sizeof(sa->sun_path))
        return 0;
    memcpy(sa->sun_path, path, n + 1);
    return 1;
}

static void fake_setup(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    testlib_tmpdir(fake.dir, sizeof(fake.dir));
    snprintf(fake.path, sizeof(fake.path), "%s/d.sock", fake.dir);
    if (!unix_addr(&sa, fake.path)) {
        fprintf(stderr, "fake server: socket path too long: %s\n", fake.path);
        exit(2);
    }
    fake.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fake.lfd < 0 || bind(fake.lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fake.lfd, 4) != 0) {
        perror("fake server");
        exit(2);
    }
}

/* Starts a scenario: an HTTP/1.1 answer with status, headers and body (len bytes). */
static void serve(int mode, const char *status, const char *headers, const void *body, size_t len)
{
    int n = snprintf(fake.reply, sizeof(fake.reply), "HTTP/1.1 %s\r\nConnection: close\r\n%s\r\n", status, headers);
    memcpy(fake.reply + n, body, len);
    fake.reply_len = (size_t)n + len;
    fake.mode = mode;
    fake.request[0] = '\0';
    pthread_create(&fake.thread, NULL, fake_main, NULL);
}

static void serve_json(const char *status, const char *body)
{
    char h[128];
    snprintf(h, sizeof(h), "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(body));
    serve(FAKE_REPLY, status, h, body, strlen(body));
}

#define fake_done() pthread_join(fake.thread, NULL)

TEST(fake_error_answers)
{
    faas_docker_t *d = faas_docker_create(fake.path);
    faas_error_t err = {0};
    cJSON *out = NULL;
    int code = -1;
    serve_json("200 OK", "not json");
    CHECK_INT(faas_docker_image_inspect(d, "my/img:1", &out, &err), FAAS_EDOCKER);
    fake_done();
    CHECK(out == NULL);
    CHECK_CONTAINS(fake.request, "GET /v1.41/images/my%2Fimg%3A1/json HTTP/1.1");
    serve(FAKE_REPLY, "500 Internal Server Error", "Content-Length: 0\r\n", "", 0);
    CHECK_INT(faas_docker_container_remove(d, "c1", 1, &err), FAAS_EDOCKER);
    fake_done();
    CHECK_CONTAINS(err.msg, "remove container c1: empty answer (HTTP 500)");
    CHECK_CONTAINS(fake.request, "DELETE /v1.41/containers/c1?v=1&force=1 HTTP/1.1");
    serve_json("409 Conflict", "{\"message\":\"You cannot remove a running container\"}");
    CHECK_INT(faas_docker_container_remove(d, "c1", 0, &err), FAAS_ECONFLICT);
    fake_done();
    CHECK_CONTAINS(err.msg, "You cannot remove a running container (HTTP 409)");
    serve_json("404 Not Found", "<html>\x01oops");
    CHECK_INT(faas_docker_container_kill(d, "c1", "TERM", &err), FAAS_ENOTFOUND);
    fake_done();
    CHECK_CONTAINS(err.msg, "<html> oops");
    CHECK_CONTAINS(fake.request, "POST /v1.41/containers/c1/kill?signal=TERM HTTP/1.1");
    serve_json("400 Bad Request", "{\"message\":\"bad\"}");
    CHECK_INT(faas_docker_container_stop(d, "c1", 1, &err), FAAS_EINVAL);
    fake_done();
    serve(FAKE_REPLY, "304 Not Modified", "", "", 0); /* start: already running */
    CHECK_INT(faas_docker_container_start(d, "c1", &err), FAAS_OK);
    fake_done();
    serve_json("200 OK", "[1,2]");
    CHECK_INT(faas_docker_container_inspect(d, "c1", &out, &err), FAAS_EDOCKER);
    fake_done();
    serve_json("200 OK", "{\"Error\":{\"Message\":\"boom\"},\"StatusCode\":0}");
    CHECK_INT(faas_docker_container_wait(d, "c1", 0, &code, &err), FAAS_EDOCKER);
    fake_done();
    CHECK_CONTAINS(err.msg, "boom");
    serve_json("200 OK", "{\"StatusCode\":\"x\"}");
    CHECK_INT(faas_docker_container_wait(d, "c1", 0, &code, &err), FAAS_EDOCKER);
    fake_done();
    serve_json("200 OK", "{\"Error\":null,\"StatusCode\":137}\n");
    CHECK_INT(faas_docker_container_wait(d, "c 1", 0, &code, &err), FAAS_OK);
    fake_done();
    CHECK_INT(code, 137);
    CHECK_CONTAINS(fake.request, "POST /v1.41/containers/c%201/wait?condition=not-running HTTP/1.1");
    faas_docker_dispose(d);
}

TEST(fake_create_body)
{
    faas_docker_t *d = faas_docker_create(fake.path);
    faas_error_t err = {0};
    char id[FAAS_DOCKER_ID_MAX];
    const char *cmd[] = {"sh", "-c", "echo hi", NULL}, *env[] = {"A=1", NULL}, *labels[] = {"faas.kind=job", NULL};
    const char *binds[] = {"/tmp:/data:ro", NULL};
    faas_docker_container_spec_t spec = {
        .name = "fn x", .image = "img:1", .cmd = cmd, .env = env, .labels = labels, .binds = binds,
        .network_mode = "none", .memory_bytes = 134217728, .nano_cpus = 500000000, .pids_limit = 64,
        .readonly_rootfs = 1, .tmpfs_tmp = "rw,size=16m", .cap_drop_all = 1, .no_new_privileges = 1, .init = 1,
        .restart_policy = "on-failure", .restart_max_retries = 3, .exposed_port = "8080/tcp",
        .publish_loopback = 1, .log_max_size = "1m"};
    serve_json("201 Created", "{\"Warnings\":[]}");
    CHECK_INT(faas_docker_container_create(d, &spec, id, &err), FAAS_EDOCKER); /* no Id in the answer */
    fake_done();
    serve_json("201 Created", "{\"Id\":\"abc123\",\"Warnings\":[\"w1\"]}");
    CHECK_INT(faas_docker_container_create(d, &spec, id, &err), FAAS_OK);
    fake_done();
    CHECK_STR(id, "abc123");
    CHECK_CONTAINS(fake.request, "POST /v1.41/containers/create?name=fn%20x HTTP/1.1");
    CHECK_CONTAINS(fake.request, "Content-Type: application/json");
    cJSON *j = cJSON_Parse(strstr(fake.request, "\r\n\r\n") + 4);
    cJSON *hc = cJSON_GetObjectItem(j, "HostConfig");
    CHECK_STR(cJSON_GetObjectItem(j, "Image")->valuestring, "img:1");
    CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "Cmd"), 2)->valuestring, "echo hi");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "Labels"), "faas.kind")->valuestring, "job");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "NetworkDisabled")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "Tty")));
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ExposedPorts"), "8080/tcp") != NULL);
    CHECK_STR(cJSON_GetObjectItem(hc, "NetworkMode")->valuestring, "none");
    CHECK_INT(cJSON_GetObjectItem(hc, "Memory")->valuedouble, 134217728);
    CHECK_INT(cJSON_GetObjectItem(hc, "MemorySwap")->valuedouble, 134217728);
    CHECK_INT(cJSON_GetObjectItem(hc, "NanoCpus")->valuedouble, 500000000);
    CHECK_INT(cJSON_GetObjectItem(hc, "PidsLimit")->valueint, 64);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(hc, "ReadonlyRootfs")) && cJSON_IsTrue(cJSON_GetObjectItem(hc, "Init")));
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(hc, "Tmpfs"), "/tmp")->valuestring, "rw,size=16m");
    CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(hc, "CapDrop"), 0)->valuestring, "ALL");
    CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(hc, "SecurityOpt"), 0)->valuestring, "no-new-privileges");
    CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(hc, "Binds"), 0)->valuestring, "/tmp:/data:ro");
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(hc, "RestartPolicy"), "MaximumRetryCount")->valueint, 3);
    cJSON *pb = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(hc, "PortBindings"), "8080/tcp"), 0);
    CHECK_STR(cJSON_GetObjectItem(pb, "HostIp")->valuestring, "127.0.0.1");
    CHECK_STR(cJSON_GetObjectItem(pb, "HostPort")->valuestring, "");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(hc, "LogConfig"), "Config"), "max-size")
                  ->valuestring,
              "1m");
    cJSON_Delete(j);
    faas_docker_dispose(d);
}

TEST(spec_checks_before_sending)
{
    /* No scenario is served: any request would hang, so these must fail before sending. */
    faas_docker_t *d = faas_docker_create(fake.path);
    faas_error_t err = {0};
    char id[FAAS_DOCKER_ID_MAX];
    const char *rel[] = {"data:/data", NULL}, *missing[] = {"/nonexistent/faas-x:/data", NULL};
    const char *nolabel[] = {"nokey", NULL};
    faas_docker_container_spec_t s1 = {.image = "i", .binds = rel}, s2 = {.image = "i", .binds = missing};
    faas_docker_container_spec_t s3 = {.image = "i", .restart_policy = "sometimes"};
    faas_docker_container_spec_t s4 = {.image = "i", .labels = nolabel};
    faas_docker_container_spec_t s5 = {.image = "i", .publish_loopback = 1}, s6 = {.image = NULL};
    CHECK_INT(faas_docker_container_create(d, &s1, id, &err), FAAS_EINVAL);
    CHECK_INT(faas_docker_container_create(d, &s2, id, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "/nonexistent/faas-x does not exist");
    CHECK_INT(faas_docker_container_create(d, &s3, id, &err), FAAS_EINVAL);
    CHECK_INT(faas_docker_container_create(d, &s4, id, &err), FAAS_EINVAL);
    CHECK_INT(faas_docker_container_create(d, &s5, id, &err), FAAS_EINVAL);
    CHECK_INT(faas_docker_container_create(d, &s6, id, &err), FAAS_EINVAL);
    CHECK_INT(faas_docker_container_start(d, "", &err), FAAS_EINVAL);
    CHECK_INT(faas_docker_build(d, NULL, 0, NULL, id, &err), FAAS_EINVAL);
    CHECK_INT(faas_docker_events(d, NULL, 0, NULL, NULL, NULL, &err), FAAS_EINVAL);
    faas_docker_dispose(d);
}

TEST(fake_timeout_and_flood)
{
    faas_docker_t *d = faas_docker_create(fake.path);
    faas_error_t err = {0};
    serve(FAKE_HANG, "200 OK", "", "", 0);
    fake.reply_len = 0; /* say nothing at all */
    int64_t t0 = faas_clock_mono_ms();
    CHECK_INT(faas_docker_ping(d, 300, &err), FAAS_ETIMEOUT);
    fake_done();
    CHECK(faas_clock_mono_ms() - t0 < 2000);
    serve(FAKE_FLOOD, "200 OK", "Content-Type: application/json\r\nContent-Length: 200000000\r\n", "", 0);
    cJSON *out = NULL;
    t0 = faas_clock_mono_ms();
    CHECK_INT(faas_docker_container_list(d, NULL, 1, &out, &err), FAAS_ETOOLARGE);
    fake_done();
    fprintf(stderr, "  flood refused after %lld ms\n", (long long)(faas_clock_mono_ms() - t0));
    CHECK(out == NULL);
    faas_docker_dispose(d);
}

TEST(fake_logs_and_build)
{
    faas_docker_t *d = faas_docker_create(fake.path);
    faas_error_t err = {0};
    unsigned char frames[128];
    size_t n = frame(frames, 1, "a\n");
    n += frame(frames + n, 2, "b\n");
    char h[64];
    snprintf(h, sizeof(h), "Content-Length: %zu\r\n", n);
    sink_t s = {.calls = 0};
    serve(FAKE_REPLY, "200 OK", h, frames, n);
    CHECK_INT(faas_docker_container_logs(d, "c1", -1, on_log, &s, &err), FAAS_OK);
    fake_done();
    CHECK_STR(s.out, "a\n");
    CHECK_STR(s.err, "b\n");
    CHECK_CONTAINS(fake.request, "GET /v1.41/containers/c1/logs?stdout=1&stderr=1&tail=all HTTP/1.1");
    serve(FAKE_REPLY, "200 OK", "Content-Length: 9\r\n", "out\r\nerr\n", 9); /* a TTY container's raw text */
    CHECK_INT(faas_docker_container_logs(d, "c1", 5, on_log, &s, &err), FAAS_EDOCKER);
    fake_done();
    CHECK_CONTAINS(err.msg, "malformed log frame");
    CHECK_CONTAINS(fake.request, "tail=5 ");
    serve(FAKE_REPLY, "200 OK", "Content-Length: 10\r\n", "\1\0\0\0\0\0\0\10ab", 10);
    CHECK_INT(faas_docker_container_logs(d, "c1", 0, on_log, &s, &err), FAAS_EDOCKER);
    fake_done();
    CHECK_CONTAINS(err.msg, "ends inside a frame");

    char id[FAAS_DOCKER_ID_MAX];
    const char *labels[] = {"faas.managed=1", NULL};
    faas_docker_build_opts_t o = {.tag = "fn:1", .labels = labels, .nocache = 1};
    serve_json("200 OK", build_ok);
    CHECK_INT(faas_docker_build(d, "TARBYTES", 8, &o, id, &err), FAAS_OK);
    fake_done();
    CHECK_STR(id, ID_A);
    CHECK_CONTAINS(fake.request, "POST /v1.41/build?version=1&rm=1&forcerm=1&dockerfile=Dockerfile&t=fn%3A1"
                                 "&nocache=1&labels=%7B%22faas.managed%22%3A%221%22%7D HTTP/1.1");
    CHECK_CONTAINS(fake.request, "Content-Type: application/x-tar");
    CHECK_CONTAINS(fake.request, "\r\n\r\nTARBYTES");
    serve_json("400 Bad Request", "{\"message\":\"dockerfile parse error line 2: unknown instruction: FOOBAR\"}");
    CHECK_INT(faas_docker_build(d, "T", 1, &o, id, &err), FAAS_EINVAL);
    fake_done();
    CHECK_CONTAINS(err.msg, "unknown instruction: FOOBAR");
    serve_json("200 OK", "{\"stream\":\"Step 1/1\\n\"}\r\n{\"error\":\"no space left\"}\r\n");
    CHECK_INT(faas_docker_build(d, "T", 1, &o, id, &err), FAAS_EDOCKER);
    fake_done();
    CHECK_CONTAINS(err.msg, "no space left");
    faas_docker_dispose(d);
}

typedef struct ev_seen { int n, stop_after; char actions[64]; } ev_seen_t;

static int on_event(void *arg, const cJSON *ev)
{
    ev_seen_t *e = arg;
    const cJSON *action = cJSON_GetObjectItem(ev, "Action");
    size_t used = strlen(e->actions);
    if (cJSON_IsString(action))
        snprintf(e->actions + used, sizeof(e->actions) - used, "%s,", action->valuestring);
    return ++e->n == e->stop_after;
}

/* Chunked body: two events split across chunks, then (when end) the last chunk. */
static size_t chunked_events(char *buf, int end)
{
    const char *c1 = "{\"Action\":\"start", *c2 = "\",\"id\":\"x\"}\n{\"Action\":\"die\"}\n";
    return (size_t)snprintf(buf, 256, "%zx\r\n%s\r\n%zx\r\n%s\r\n%s", strlen(c1), c1, strlen(c2), c2,
                            end ? "0\r\n\r\n" : "");
}

static atomic_int ev_stop;
static int64_t ev_stop_at;

static void *set_stop_later(void *arg)
{
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL); /* the scenario: an idle stream, then a stop request */
    ev_stop_at = faas_clock_mono_ms();
    atomic_store(&ev_stop, 1);
    return NULL;
}

TEST(fake_events)
{
    faas_docker_t *d = faas_docker_create(fake.path);
    faas_error_t err = {0};
    char body[256];
    const char *chunked = "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n";
    ev_seen_t e = {.stop_after = -1};
    serve(FAKE_REPLY, "200 OK", chunked, body, chunked_events(body, 1));
    const char *managed[] = {"faas.managed=1", NULL};
    CHECK_INT(faas_docker_events(d, managed, 123, on_event, &e, NULL, &err), FAAS_EUNAVAIL);
    fake_done();
    CHECK_STR(e.actions, "start,die,");
    CHECK_CONTAINS(fake.request, "GET /v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22label%22"
                                 "%3A%5B%22faas.managed%3D1%22%5D%7D&since=123 HTTP/1.1");
    ev_seen_t e2 = {.stop_after = 1};
    serve(FAKE_REPLY_THEN_IDLE, "200 OK", chunked, body, chunked_events(body, 0));
    CHECK_INT(faas_docker_events(d, NULL, 0, on_event, &e2, NULL, &err), FAAS_OK);
    fake_done();
    CHECK_STR(e2.actions, "start,");
    ev_seen_t e3 = {.stop_after = -1};
    serve(FAKE_REPLY, "200 OK", chunked, body, chunked_events(body, 0) - 10); /* cut mid-chunk */
    CHECK_INT(faas_docker_events(d, NULL, 0, on_event, &e3, NULL, &err), FAAS_EUNAVAIL);
    fake_done();
    CHECK_CONTAINS(err.msg, "lost");
    pthread_t t;
    ev_seen_t e4 = {.stop_after = -1};
    serve(FAKE_REPLY_THEN_IDLE, "200 OK", chunked, "", 0);
    pthread_create(&t, NULL, set_stop_later, NULL);
    CHECK_INT(faas_docker_events(d, NULL, 0, on_event, &e4, &ev_stop, &err), FAAS_OK);
    int64_t took = faas_clock_mono_ms() - ev_stop_at;
    pthread_join(t, NULL);
    fake_done();
    fprintf(stderr, "  idle events stream stopped %lld ms after the flag\n", (long long)took);
    CHECK(took < 2000);
    faas_docker_dispose(d);
}

TEST(unreachable_socket)
{
    faas_error_t err = {0};
    faas_docker_t *d = faas_docker_create("/nonexistent/faas-test.sock");
    CHECK_STR(faas_docker_socket(d), "/nonexistent/faas-test.sock");
    CHECK_INT(faas_docker_ping(d, 0, &err), FAAS_EUNAVAIL);
    CHECK_CONTAINS(err.msg, "docker unreachable at /nonexistent/faas-test.sock: No such file or directory (errno 2)");
    faas_docker_dispose(d);
    /* A stale socket file (the daemon died): nobody listens. */
    char stale[320];
    snprintf(stale, sizeof(stale), "%s/stale.sock", fake.dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    CHECK(unix_addr(&sa, stale));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_INT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    d = faas_docker_create(stale);
    CHECK_INT(faas_docker_ping(d, 0, &err), FAAS_EUNAVAIL);
    CHECK_CONTAINS(err.msg, "Connection refused (errno 111)");
    faas_docker_dispose(d);
    unlink(stale);
}

static void run_fake_server_tests(void)
{
    fake_setup();
    RUN(fake_error_answers);
    RUN(fake_create_body);
    RUN(spec_checks_before_sending);
    RUN(fake_timeout_and_flood);
    RUN(fake_logs_and_build);
    RUN(fake_events);
    RUN(unreachable_socket);
    close(fake.lfd);
    unlink(fake.path);
}

int main(void)
{
    RUN(demux_whole_buffer_keeps_order);
    RUN(demux_byte_by_byte);
    RUN(demux_every_two_cut_split);
    RUN(demux_rejects_malformed_headers);
    RUN(demux_stdin_stream_and_truncation);
    RUN(build_parser_last_aux_wins_any_split);
    RUN(build_parser_error_lines_fail);
    RUN(build_parser_needs_an_id);
    RUN(build_parser_drops_overlong_lines);
    RUN(escape_and_filters);
    run_fake_server_tests();
    return testlib_done();
}
