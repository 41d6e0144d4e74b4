/*
 * client.c: HTTP for the client over libcurl (see client.h). The one place the client names
 * libcurl: every request goes through faas_cli_client_send, every failure through
 * faas_cli_client_error. Blocking; one thread.
 */
#include "faas/cli/client.h"
#include "faas/cli/output.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_S 10
#define DEFAULT_TIMEOUT_S 60

struct faas_cli_client {
    CURL *curl;
    char *url;
    char *auth;      /* "Authorization: Bearer <key>" */
};

typedef struct transfer {
    CURL *curl;
    const faas_cli_request_t *req;
    faas_cli_response_t *resp;
    int stopped;     /* on_data asked to stop */
    int drawn_full;  /* the bar reached 100% and was cleared */
    double last_draw;
} transfer_t;

faas_cli_client_t *faas_cli_client_new(const char *url, const char *key)
{
    static int initialised;
    if (!initialised) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        initialised = 1;
    }
    faas_cli_client_t *c = calloc(1, sizeof(*c));
    size_t n = strlen(key != NULL ? key : "") + 32;
    if (c == NULL || (c->curl = curl_easy_init()) == NULL || (c->url = strdup(url)) == NULL ||
        (c->auth = malloc(n)) == NULL) {
        faas_cli_client_free(c);
        return NULL;
    }
    snprintf(c->auth, n, "Authorization: Bearer %s", key != NULL ? key : "");
    return c;
}

void faas_cli_client_free(faas_cli_client_t *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    free(c->url);
    free(c->auth);
    free(c);
}

const char *faas_cli_client_url(const faas_cli_client_t *c)
{
    return c->url;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    transfer_t *t = ud;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (t->req->on_data != NULL && (t->req->stream_all || (status >= 200 && status < 300))) {
        if (t->req->on_data(t->req->cbdata, data, len) != 0) {
            t->stopped = 1;
            return 0; /* stops the transfer: a write error */
        }
        return len;
    }
    return faas_buf_add(&t->resp->body, data, len) == 0 ? len : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    transfer_t *t = ud;
    faas_buf_add(&t->resp->headers, data, size * n);
    return size * n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The upload's progress bar on stderr (a terminal), at most ten times a second. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    transfer_t *t = ud;
    double now = now_s();
    if (ultotal <= 0 || t->drawn_full || (now - t->last_draw < 0.1 && ulnow < ultotal))
        return 0;
    t->last_draw = now;
    int pct = (int)(ulnow * 100 / ultotal), bars = pct * 30 / 100;
    char bar[31];
    memset(bar, ' ', 30);
    memset(bar, '#', (size_t)bars);
    bar[30] = '\0';
    fprintf(stderr, "\rupload [%s] %3d%% %.1f/%.1f MB", bar, pct, ulnow / 1e6, ultotal / 1e6);
    if (ulnow >= ultotal) {
        fprintf(stderr, "\r\x1b[K");
        t->drawn_full = 1;
    }
    fflush(stderr);
    return 0;
}

/* The headers of the request (libcurl owns the list); NULL on out of memory. */
static struct curl_slist *request_headers(faas_cli_client_t *c, const faas_cli_request_t *req)
{
    struct curl_slist *h = NULL;
    char line[1200];
    if (!req->no_auth) /* API requests; function traffic carries only the caller's headers */
        h = curl_slist_append(curl_slist_append(h, c->auth), "Accept: application/json, text/plain, */*");
    if (req->host != NULL && snprintf(line, sizeof(line), "Host: %s", req->host) < (int)sizeof(line))
        h = curl_slist_append(h, line);
    if (req->content_type != NULL && snprintf(line, sizeof(line), "Content-Type: %s", req->content_type) < (int)sizeof(line))
        h = curl_slist_append(h, line);
    for (size_t i = 0; i < req->nheaders; i++)
        h = curl_slist_append(h, req->headers[i]);
    return curl_slist_append(h, "Expect:"); /* no 100-continue round trip on uploads */
}

static curl_mime *request_form(CURL *curl, const faas_cli_request_t *req)
{
    curl_mime *form = curl_mime_init(curl);
    for (size_t i = 0; form != NULL && i < req->nfields; i++) {
        curl_mimepart *part = curl_mime_addpart(form);
        curl_mime_name(part, req->fields[i].name);
        curl_mime_data(part, req->fields[i].value, req->fields[i].len);
        if (req->fields[i].filename != NULL) {
            curl_mime_filename(part, req->fields[i].filename);
            curl_mime_type(part, "application/octet-stream");
        }
    }
    return form;
}

static void set_options(faas_cli_client_t *c, const faas_cli_request_t *req, transfer_t *t, const char *url)
{
    CURL *curl = c->curl;
    curl_easy_reset(curl); /* keeps the connection: the next request reuses it */
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, req->timeout_s < 0 ? 0L : req->timeout_s > 0 ? req->timeout_s
                                                                                        : (long)DEFAULT_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "faas-cli");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->method != NULL && strcmp(req->method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L); /* else libcurl waits for a body that never comes */
    const char *ca = getenv("FAAS_CACERT");
    if (ca != NULL && ca[0] != '\0') /* a server whose certificate a private CA signed */
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
    if (req->progress) {
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, t);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    }
    if (req->body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
}

static void fill_response(CURL *curl, faas_cli_response_t *resp)
{
    long version = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &version);
    snprintf(resp->http_version, sizeof(resp->http_version), "%s",
             version == CURL_HTTP_VERSION_2_0 ? "2" : version == CURL_HTTP_VERSION_1_0 ? "1.0" : "1.1");
    if (resp->body.len > 0)
        resp->json = cJSON_ParseWithLength(resp->body.p, resp->body.len);
}

int faas_cli_client_send(faas_cli_client_t *c, const faas_cli_request_t *req, faas_cli_response_t *resp, char *err,
                         size_t err_size)
{
    memset(resp, 0, sizeof(*resp));
    size_t n = strlen(c->url) + strlen(req->path) + 1;
    char *url = malloc(n), curl_err[CURL_ERROR_SIZE] = "";
    if (url == NULL)
        return snprintf(err, err_size, "out of memory"), -1;
    snprintf(url, n, "%s%s", c->url, req->path);
    transfer_t t = {.curl = c->curl, .req = req, .resp = resp};
    set_options(c, req, &t, url);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, curl_err);
    struct curl_slist *headers = request_headers(c, req);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    curl_mime *form = req->fields != NULL ? request_form(c->curl, req) : NULL;
    if (form != NULL)
        curl_easy_setopt(c->curl, CURLOPT_MIMEPOST, form);
    CURLcode rc = curl_easy_perform(c->curl);
    fill_response(c->curl, resp);
    if (req->progress && rc != CURLE_OK)
        fprintf(stderr, "\r\x1b[K");
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_mime_free(form);
    curl_slist_free_all(headers);
    free(url);
    if (rc == CURLE_OK || (t.stopped && rc == CURLE_WRITE_ERROR))
        return 0;
    if (resp->status == 0 || rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(err, err_size, "cannot reach %s: %s", c->url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
        return -1;
    }
    snprintf(err, err_size, "%s: the answer broke off: %s", c->url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
    return -1;
}

const char *faas_cli_client_error(const faas_cli_response_t *resp, char *out, size_t size)
{
    const char *error = faas_cli_json_str(resp->json, "error"), *details = faas_cli_json_str(resp->json, "details");
    if (resp->status == 401)
        snprintf(out, size, "bad key (faas login URL)");
    else if (error != NULL && details != NULL && details[0] != '\0')
        snprintf(out, size, "%s: %s", error, details);
    else if (error != NULL)
        snprintf(out, size, "%s", error);
    else
        snprintf(out, size, "HTTP %ld%s%.*s", resp->status, resp->body.len ? ": " : "",
                 (int)(resp->body.len < 200 ? resp->body.len : 200), resp->body.p ? resp->body.p : "");
    return out;
}

int faas_cli_client_call(faas_cli_client_t *c, const faas_cli_request_t *req, faas_cli_response_t *resp)
{
    char err[1024];
    if (faas_cli_client_send(c, req, resp, err, sizeof(err)) != 0)
        return faas_cli_fail("%s", err);
    if (resp->status < 200 || resp->status >= 300)
        return faas_cli_fail("%s", faas_cli_client_error(resp, err, sizeof(err)));
    return 0;
}

cJSON *faas_cli_response_data(const faas_cli_response_t *resp)
{
    cJSON *data = cJSON_GetObjectItemCaseSensitive(resp->json, "data");
    return data != NULL ? data : resp->json;
}

void faas_cli_response_free(faas_cli_response_t *resp)
{
    faas_buf_free(&resp->body);
    faas_buf_free(&resp->headers);
    cJSON_Delete(resp->json);
    resp->json = NULL;
}

char *faas_cli_escape(const char *s, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            if (n + 1 >= size)
                return NULL;
            out[n++] = (char)ch;
        } else {
            if (n + 3 >= size)
                return NULL;
            out[n++] = '%';
            out[n++] = hex[ch >> 4];
            out[n++] = hex[ch & 15];
        }
    }
    if (size == 0)
        return NULL;
    out[n] = '\0';
    return out;
}
