/*
 * certs.c: the table of certificates by host name: loaded from the store at
 * start, installed after each issuance, chosen per handshake by the SNI
 * callback (which notes when each was last used), listed for GET /tls/certs,
 * and kept bounded: names without a certificate that nobody asks for are
 * forgotten, and a full table makes room by dropping the oldest idle one.
 * Reads take a read lock (every handshake, loop threads); installs take the
 * write lock for a pointer swap only (workers); the sweep runs on a worker.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define STORED_KEY "key"
#define STORED_CHAIN "chain"

/* ---- the table ---------------------------------------------------------------- */

static size_t lower_bound(faas_certs_t *certs, const char *host)
{
    size_t lo = 0, hi = certs->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(certs->entries[mid]->host, host) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

certs_entry_t *faas_tls__certs_find(faas_certs_t *certs, const char *host)
{
    size_t i = lower_bound(certs, host);
    return i < certs->n && strcmp(certs->entries[i]->host, host) == 0 ? certs->entries[i] : NULL;
}

static void remove_at(faas_certs_t *certs, size_t i)
{
    memmove(certs->entries + i, certs->entries + i + 1, (certs->n - i - 1) * sizeof(*certs->entries));
    certs->n--;
}

/* Nothing waits for it and it has no certificate: it holds only what it remembers of failures. */
static int idle_without_certificate(const certs_entry_t *e)
{
    return e->ctx == NULL && !e->issuing && e->waiters == NULL;
}

size_t faas_tls__certs_sweep(faas_certs_t *certs, int64_t now_ms)
{
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < certs->n; i++) {
        certs_entry_t *e = certs->entries[i];
        int64_t used = atomic_load_explicit(&e->used_ms, memory_order_relaxed);
        int64_t last = used > e->last_error_ms ? used : e->last_error_ms;
        if (idle_without_certificate(e) && now_ms >= e->rest_until_ms && now_ms - last >= FAAS_CERTS_FORGET_MS) {
            free(e);
            dropped++;
        } else {
            certs->entries[kept++] = e; /* the order stays sorted */
        }
    }
    certs->n = kept;
    return dropped;
}

/* A full table: forgets what the sweep may, else the idle entry without a certificate asked for
 * longest ago (it may still rest: the order caps bound what forgetting that costs). 0 if none. */
static int make_room(faas_certs_t *certs)
{
    if (faas_tls__certs_sweep(certs, faas_clock_now_ms()) > 0)
        return 1;
    size_t oldest = certs->n;
    for (size_t i = 0; i < certs->n; i++) {
        const certs_entry_t *e = certs->entries[i];
        if (idle_without_certificate(e) &&
            (oldest == certs->n || atomic_load(&e->used_ms) < atomic_load(&certs->entries[oldest]->used_ms)))
            oldest = i;
    }
    if (oldest == certs->n)
        return 0;
    free(certs->entries[oldest]);
    remove_at(certs, oldest);
    return 1;
}

certs_entry_t *faas_tls__certs_find_or_add(faas_certs_t *certs, const char *host)
{
    size_t i = lower_bound(certs, host);
    if (i < certs->n && strcmp(certs->entries[i]->host, host) == 0)
        return certs->entries[i];
    if (strlen(host) >= CERTS_HOST_MAX || (certs->n >= CERTS_MAX_NAMES && !make_room(certs)))
        return NULL;
    if (certs->n == certs->cap) {
        size_t cap = certs->cap ? certs->cap * 2 : 16;
        certs_entry_t **grown = realloc(certs->entries, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        certs->entries = grown;
        certs->cap = cap;
    }
    certs_entry_t *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    snprintf(e->host, sizeof(e->host), "%s", host);
    atomic_init(&e->used_ms, faas_clock_now_ms());
    i = lower_bound(certs, host); /* make_room may have moved it */
    memmove(certs->entries + i + 1, certs->entries + i, (certs->n - i) * sizeof(*certs->entries));
    certs->entries[i] = e;
    certs->n++;
    return e;
}

int64_t faas_tls__certs_renew_at(const certs_entry_t *e)
{
    return e->info.not_after_ms - (e->info.not_after_ms - e->info.not_before_ms) / 3;
}

int faas_certs_has(faas_certs_t *certs, const char *host)
{
    pthread_rwlock_rdlock(&certs->lock);
    certs_entry_t *e = faas_tls__certs_find(certs, host);
    int has = e != NULL && e->ctx != NULL;
    pthread_rwlock_unlock(&certs->lock);
    return has;
}

/* ---- serving ------------------------------------------------------------------ */

/* OpenSSL's servername callback: switch the connection to the host's own context. */
static int on_servername(SSL *ssl, int *alert, void *arg)
{
    faas_certs_t *certs = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    char host[CERTS_HOST_MAX];
    int found = 0;
    if (name != NULL && strlen(name) < sizeof(host)) {
        size_t i = 0;
        for (; name[i] != '\0'; i++)
            host[i] = (char)tolower((unsigned char)name[i]);
        host[i] = '\0';
        pthread_rwlock_rdlock(&certs->lock);
        certs_entry_t *e = faas_tls__certs_find(certs, host);
        if (e != NULL && e->ctx != NULL) {
            SSL_set_SSL_CTX(ssl, e->ctx); /* takes its own reference */
            atomic_store_explicit(&e->used_ms, faas_clock_now_ms(), memory_order_relaxed);
            found = 1;
        }
        pthread_rwlock_unlock(&certs->lock);
    }
    if (found || certs->has_fallback)
        return SSL_TLSEXT_ERR_OK;
    *alert = SSL_AD_UNRECOGNIZED_NAME; /* a clear refusal beats a handshake with no certificate */
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

SSL_CTX *faas_certs_listener_ctx(faas_certs_t *certs)
{
    return certs->listener;
}

/* Serves ctx for host from now on (takes ownership). */
static void serve(faas_certs_t *certs, const char *host, SSL_CTX *ctx, const faas_tls_cert_info_t *info)
{
    pthread_rwlock_wrlock(&certs->lock);
    certs_entry_t *e = faas_tls__certs_find_or_add(certs, host);
    SSL_CTX *old = NULL;
    if (e != NULL) {
        old = e->ctx;
        e->ctx = ctx;
        e->info = *info;
    } else {
        old = ctx;
    }
    pthread_rwlock_unlock(&certs->lock);
    SSL_CTX_free(old); /* handshakes in progress hold their own reference */
}

static char *stored_json(const char *key_pem, const char *chain_pem)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, STORED_KEY, key_pem);
    cJSON_AddStringToObject(doc, STORED_CHAIN, chain_pem);
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

faas_err_t faas_tls__certs_install(faas_certs_t *certs, const char *host, const char *key_pem, const char *chain_pem,
                          faas_error_t *err)
{
    faas_tls_cert_info_t info;
    if (faas_tls_cert_info(chain_pem, &info, err) != FAAS_OK)
        return err != NULL ? err->code : FAAS_EINVAL;
    SSL_CTX *ctx = faas_tls_ctx_from_pem(key_pem, chain_pem, err);
    if (ctx == NULL)
        return err != NULL ? err->code : FAAS_EINVAL;
    char *text = stored_json(key_pem, chain_pem);
    faas_err_t rc = text != NULL ? faas_store_blob_put(certs->store, FAAS_STORE_CERTIFICATES, host, text, strlen(text), err)
                                 : faas_error_set(err, FAAS_ENOMEM, "out of memory");
    free(text);
    if (rc != FAAS_OK) {
        SSL_CTX_free(ctx);
        return rc;
    }
    serve(certs, host, ctx, &info);
    return FAAS_OK;
}

void faas_certs_forget(faas_certs_t *certs, const char *host)
{
    faas_error_t err = {0};
    pthread_rwlock_wrlock(&certs->lock);
    certs_entry_t *e = faas_tls__certs_find(certs, host);
    SSL_CTX *old = NULL;
    if (e != NULL && !e->issuing) { /* one being issued stays: its waiters hold the entry */
        remove_at(certs, lower_bound(certs, host));
        old = e->ctx;
        free(e);
    }
    pthread_rwlock_unlock(&certs->lock);
    SSL_CTX_free(old);
    faas_err_t rc = faas_store_blob_delete(certs->store, FAAS_STORE_CERTIFICATES, host, &err);
    if (rc == FAAS_OK)
        faas_log_info("certs: %s: certificate dropped", host);
    else if (rc != FAAS_ENOTFOUND)
        faas_log_warn("certs: %s: %s", host, err.msg);
}

/* Serves one stored certificate; a broken record is logged and skipped. */
static void load_one(faas_certs_t *certs, const char *host)
{
    void *data = NULL;
    size_t len = 0;
    faas_error_t err = {0};
    if (faas_store_blob_get(certs->store, FAAS_STORE_CERTIFICATES, host, &data, &len, &err) != FAAS_OK) {
        faas_log_warn("certs: %s: %s", host, err.msg);
        return;
    }
    cJSON *doc = cJSON_ParseWithLength(data, len);
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, STORED_KEY));
    const char *chain = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, STORED_CHAIN));
    faas_tls_cert_info_t info;
    SSL_CTX *ctx = NULL;
    if (key == NULL || chain == NULL)
        faas_error_set(&err, FAAS_EINVAL, "stored record is not a key and chain");
    else if (faas_tls_cert_info(chain, &info, &err) == FAAS_OK)
        ctx = faas_tls_ctx_from_pem(key, chain, &err);
    if (ctx != NULL)
        serve(certs, host, ctx, &info);
    else
        faas_log_warn("certs: stored certificate of %s not served: %s", host, err.msg);
    cJSON_Delete(doc);
    OPENSSL_cleanse(data, len);
    free(data);
}

/* ---- life ---------------------------------------------------------------------- */

faas_certs_t *faas_certs_create(faas_store_t *store, faas_acme_t *acme, faas_pool_t *workers, SSL_CTX *fallback,
                                faas_error_t *err)
{
    faas_certs_t *certs = calloc(1, sizeof(*certs));
    if (certs == NULL) {
        SSL_CTX_free(fallback);
        faas_error_set(err, FAAS_ENOMEM, "out of memory");
        return NULL;
    }
    *certs = (faas_certs_t){.store = store, .acme = acme, .workers = workers, .has_fallback = fallback != NULL};
    pthread_rwlock_init(&certs->lock, NULL);
    pthread_mutex_init(&certs->policy_mutex, NULL);
    certs->listener = fallback != NULL ? fallback : faas_tls_ctx_new(err);
    if (certs->listener == NULL) {
        faas_certs_dispose(certs);
        return NULL;
    }
    SSL_CTX_set_tlsext_servername_callback(certs->listener, on_servername);
    SSL_CTX_set_tlsext_servername_arg(certs->listener, certs);
    char **hosts = NULL;
    size_t n = 0;
    if (faas_store_blob_keys(store, FAAS_STORE_CERTIFICATES, &hosts, &n, err) != FAAS_OK) {
        faas_certs_dispose(certs);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        load_one(certs, hosts[i]);
    faas_store_keys_free(hosts, n);
    if (n > 0)
        faas_log_info("certs: %zu stored certificate(s) loaded", certs->n);
    return certs;
}

void faas_certs_dispose(faas_certs_t *certs)
{
    if (certs == NULL)
        return;
    for (size_t i = 0; i < certs->n; i++) {
        SSL_CTX_free(certs->entries[i]->ctx);
        free(certs->entries[i]);
    }
    free(certs->entries);
    SSL_CTX_free(certs->listener);
    faas_policy_dispose(certs->policy);
    pthread_rwlock_destroy(&certs->lock);
    pthread_mutex_destroy(&certs->policy_mutex);
    free(certs);
}

void faas_certs_set_policy(faas_certs_t *certs, faas_policy_t *policy)
{
    pthread_mutex_lock(&certs->policy_mutex);
    faas_policy_t *old = certs->policy;
    certs->policy = policy;
    pthread_mutex_unlock(&certs->policy_mutex);
    faas_policy_dispose(old);
}

/* ---- listing ------------------------------------------------------------------- */

/* Times are Unix seconds, as everywhere in the API; null when there is none. */
static void add_time(cJSON *obj, const char *name, int64_t ms)
{
    if (ms > 0)
        cJSON_AddNumberToObject(obj, name, (double)(ms / 1000));
    else
        cJSON_AddNullToObject(obj, name);
}

static const char *entry_status(const certs_entry_t *e, int64_t now)
{
    if (e->issuing)
        return "issuing";
    if (e->ctx == NULL)
        return "failed";
    if (now >= e->info.not_after_ms)
        return "expired";
    return now >= faas_tls__certs_renew_at(e) ? "renewal due" : "valid";
}

cJSON *faas_certs_list(faas_certs_t *certs)
{
    cJSON *list = cJSON_CreateArray();
    int64_t now = faas_clock_now_ms();
    pthread_rwlock_rdlock(&certs->lock);
    for (size_t i = 0; i < certs->n; i++) {
        const certs_entry_t *e = certs->entries[i];
        if (e->ctx == NULL && !e->issuing && e->last_error[0] == '\0')
            continue; /* asked for, then refused by the policy: nothing to show */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", e->host);
        cJSON_AddStringToObject(o, "status", entry_status(e, now));
        if (e->ctx != NULL)
            cJSON_AddStringToObject(o, "issuer", e->info.issuer);
        else
            cJSON_AddNullToObject(o, "issuer");
        add_time(o, "notBefore", e->ctx != NULL ? e->info.not_before_ms : 0);
        add_time(o, "notAfter", e->ctx != NULL ? e->info.not_after_ms : 0);
        add_time(o, "renewAt", e->ctx != NULL ? faas_tls__certs_renew_at(e) : 0);
        if (e->last_error[0] != '\0')
            cJSON_AddStringToObject(o, "lastError", e->last_error);
        else
            cJSON_AddNullToObject(o, "lastError");
        add_time(o, "lastErrorAt", e->last_error_ms);
        cJSON_AddItemToArray(list, o);
    }
    pthread_rwlock_unlock(&certs->lock);
    return list;
}
