/*
 * faas_tls__acme_http.c: the ACME client's transport. Plain requests over libcurl, the
 * Replay-Nonce every response carries (kept for the next signed request),
 * signed POSTs retried on badNonce, and CA problem documents turned into
 * faas errors. Worker threads only.
 */
#include "internal.h"
#include "faas/tls/jws.h"
#include "faas/core/log.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REQUEST_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS 10000
#define MAX_BODY (4 << 20)
/* Each retry costs one round trip; a CA may refuse nonces at random (pebble, some load balancers). */
#define BAD_NONCE_RETRIES 20

CURL *faas_tls__acme_handle(faas_acme_t *acme)
{
    CURL *h = curl_easy_init();
    if (h == NULL)
        return NULL;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "faas-acme/1");
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    if (acme->ca_bundle != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, acme->ca_bundle);
    return h;
}

void faas_tls__acme_resp_reset(acme_resp_t *r)
{
    faas_buf_free(&r->body);
    *r = (acme_resp_t){.retry_after_s = -1};
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    acme_resp_t *r = arg;
    size_t len = size * n;
    if (r->body.len + len > MAX_BODY || faas_buf_add(&r->body, data, len) != 0)
        return 0; /* a CA never sends this much: abort the transfer */
    return len;
}

/* Copies the value of "Name: value\r\n" into out when line is that header. */
static int header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return 0;
    const char *v = line + nlen + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    if ((size_t)(end - v) >= size)
        return 0; /* too long to be what we expect: ignore it */
    memcpy(out, v, (size_t)(end - v));
    out[end - v] = '\0';
    return 1;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    acme_resp_t *r = arg;
    size_t len = size * n;
    char retry[32];
    header_value(data, len, "Location", r->location, sizeof(r->location));
    header_value(data, len, "Replay-Nonce", r->nonce, sizeof(r->nonce));
    /* Retry-After may also be an HTTP date; only the seconds form is used by ACME CAs. */
    if (header_value(data, len, "Retry-After", retry, sizeof(retry)) && isdigit((unsigned char)retry[0]))
        r->retry_after_s = strtol(retry, NULL, 10);
    return len;
}

faas_err_t faas_tls__acme_http(faas_acme_t *acme, CURL *h, const char *url, const char *body, int head, acme_resp_t *r,
                     faas_error_t *err)
{
    faas_tls__acme_resp_reset(r);
    struct curl_slist *headers = NULL;
    if (body != NULL)
        headers = curl_slist_append(headers, "Content-Type: application/jose+json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_NOBODY, head ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_HTTPGET, body == NULL ? 1L : 0L);
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode cc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    if (cc != CURLE_OK)
        return faas_error_set(err, cc == CURLE_OPERATION_TIMEDOUT ? FAAS_ETIMEOUT : FAAS_EUNAVAIL,
                              "ACME CA %s: %s", url, curl_easy_strerror(cc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->nonce[0] != '\0') {
        pthread_mutex_lock(&acme->mutex);
        snprintf(acme->nonce, sizeof(acme->nonce), "%s", r->nonce);
        pthread_mutex_unlock(&acme->mutex);
    }
    return FAAS_OK;
}

/* A nonce for the next signed request: the one kept from the last response, else a new one. */
static faas_err_t take_nonce(faas_acme_t *acme, CURL *h, char *out, size_t size, faas_error_t *err)
{
    pthread_mutex_lock(&acme->mutex);
    snprintf(out, size, "%s", acme->nonce);
    acme->nonce[0] = '\0'; /* each nonce is used once */
    pthread_mutex_unlock(&acme->mutex);
    if (out[0] != '\0')
        return FAAS_OK;
    acme_resp_t r = {.retry_after_s = -1};
    faas_err_t rc = faas_tls__acme_http(acme, h, acme->new_nonce, NULL, 1, &r, err);
    if (rc == FAAS_OK && r.nonce[0] == '\0')
        rc = faas_error_set(err, FAAS_EUNAVAIL, "ACME CA: newNonce answered %ld without a Replay-Nonce", r.status);
    if (rc == FAAS_OK) {
        snprintf(out, size, "%s", r.nonce);
        pthread_mutex_lock(&acme->mutex);
        if (strcmp(acme->nonce, r.nonce) == 0)
            acme->nonce[0] = '\0';
        pthread_mutex_unlock(&acme->mutex);
    }
    faas_tls__acme_resp_reset(&r);
    return rc;
}

/* Reads a problem document ("type", "detail") into err; returns 1 when its type is badNonce. */
static int problem(const acme_resp_t *r, const char *url, faas_error_t *err)
{
    cJSON *doc = r->body.p != NULL ? cJSON_Parse(r->body.p) : NULL;
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "type"));
    const char *detail = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "detail"));
    int bad_nonce = type != NULL && strcmp(type, "urn:ietf:params:acme:error:badNonce") == 0;
    const char *shown = type != NULL && strncmp(type, "urn:ietf:params:acme:error:", 27) == 0 ? type + 27 : type;
    faas_error_set(err, r->status == 429 || r->status >= 500 ? FAAS_EUNAVAIL : FAAS_EFORBIDDEN,
                   "ACME CA refused (%ld %s): %s%s", r->status, shown ? shown : "no problem document",
                   detail ? detail : url, r->retry_after_s >= 0 ? " (retry later)" : "");
    cJSON_Delete(doc);
    return bad_nonce;
}

faas_err_t faas_tls__acme_post(faas_acme_t *acme, CURL *h, const char *url, const char *payload, int use_jwk, acme_resp_t *r,
                     faas_error_t *err)
{
    for (int attempt = 0;; attempt++) {
        char nonce[256];
        faas_err_t rc = take_nonce(acme, h, nonce, sizeof(nonce), err);
        if (rc != FAAS_OK)
            return rc;
        char *jws = faas_jws_sign(acme->key, use_jwk ? NULL : acme->kid, nonce, url, payload, err);
        if (jws == NULL)
            return err != NULL ? err->code : FAAS_ENOMEM;
        rc = faas_tls__acme_http(acme, h, url, jws, 0, r, err);
        free(jws);
        if (rc != FAAS_OK)
            return rc;
        if (r->status < 400)
            return FAAS_OK;
        /* A badNonce answer carries a fresh nonce (kept by faas_tls__acme_http): sign again with it. */
        if (!problem(r, url, err) || attempt >= BAD_NONCE_RETRIES)
            return err != NULL ? err->code : FAAS_EFORBIDDEN;
        faas_log_debug("acme: badNonce from %s; signing again with the new nonce", url);
    }
}
