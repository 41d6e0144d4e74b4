/*
 * acme.c: the ACME issuance flow (RFC 8555 section 7): directory, account
 * (key and registration kept in the store), order, HTTP-01 authorizations,
 * finalize with a CSR, polling, certificate download. Polls honour
 * Retry-After and otherwise back off from 20 ms to 1 s: the CA's validation
 * takes milliseconds, so a fixed long sleep would dominate issuance time.
 * Worker threads, except faas_acme_challenge (any thread).
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/tls/jws.h"
#include "faas/core/log.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ACCOUNT_KEY "account.key"
#define POLL_FIRST_MS 20
#define POLL_MAX_MS 1000

faas_acme_t *faas_acme_create(const faas_acme_settings_t *s)
{
    faas_acme_t *acme = calloc(1, sizeof(*acme));
    if (acme == NULL)
        return NULL;
    acme->directory = strdup(s->directory);
    acme->email = s->email != NULL ? strdup(s->email) : NULL;
    acme->ca_bundle = s->ca_bundle != NULL ? strdup(s->ca_bundle) : NULL;
    acme->store = s->store;
    acme->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : 120000;
    pthread_mutex_init(&acme->mutex, NULL);
    pthread_mutex_init(&acme->setup_mutex, NULL);
    if (acme->directory == NULL || (s->email != NULL && acme->email == NULL) ||
        (s->ca_bundle != NULL && acme->ca_bundle == NULL)) {
        faas_acme_dispose(acme);
        return NULL;
    }
    return acme;
}

void faas_acme_dispose(faas_acme_t *acme)
{
    if (acme == NULL)
        return;
    for (acme_token_t *t = acme->tokens, *next; t != NULL; t = next) {
        next = t->next;
        free(t);
    }
    EVP_PKEY_free(acme->key);
    free(acme->thumbprint);
    free(acme->directory);
    free(acme->email);
    free(acme->ca_bundle);
    pthread_mutex_destroy(&acme->mutex);
    pthread_mutex_destroy(&acme->setup_mutex);
    free(acme);
}

const char *faas_acme_directory(const faas_acme_t *acme)
{
    return acme->directory;
}

/* ---- challenges ------------------------------------------------------------- */

int faas_acme_challenge(faas_acme_t *acme, const char *token, size_t len, char *out, size_t size)
{
    int found = 0;
    pthread_mutex_lock(&acme->mutex);
    for (acme_token_t *t = acme->tokens; t != NULL && !found; t = t->next) {
        if (strlen(t->token) == len && memcmp(t->token, token, len) == 0) {
            snprintf(out, size, "%s", t->key_auth);
            found = 1;
        }
    }
    pthread_mutex_unlock(&acme->mutex);
    return found;
}

static int publish_token(faas_acme_t *acme, const char *token)
{
    acme_token_t *t = calloc(1, sizeof(*t));
    if (t == NULL || strlen(token) >= sizeof(t->token)) {
        free(t);
        return -1;
    }
    snprintf(t->token, sizeof(t->token), "%s", token);
    pthread_mutex_lock(&acme->mutex);
    snprintf(t->key_auth, sizeof(t->key_auth), "%s.%s", token, acme->thumbprint);
    t->next = acme->tokens;
    acme->tokens = t;
    pthread_mutex_unlock(&acme->mutex);
    return 0;
}

static void withdraw_token(faas_acme_t *acme, const char *token)
{
    pthread_mutex_lock(&acme->mutex);
    for (acme_token_t **p = &acme->tokens; *p != NULL; p = &(*p)->next) {
        if (strcmp((*p)->token, token) == 0) {
            acme_token_t *t = *p;
            *p = t->next;
            free(t);
            break;
        }
    }
    pthread_mutex_unlock(&acme->mutex);
}

/* ---- directory and account -------------------------------------------------- */

static cJSON *parse_body(const acme_resp_t *r, const char *what, faas_error_t *err)
{
    cJSON *doc = r->body.p != NULL ? cJSON_Parse(r->body.p) : NULL;
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        faas_error_set(err, FAAS_EUNAVAIL, "ACME CA: %s: answer %ld is not a JSON object", what, r->status);
        return NULL;
    }
    return doc;
}

static int copy_string(cJSON *obj, const char *name, char *out, size_t size)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));
    if (v == NULL || strlen(v) >= size)
        return -1;
    snprintf(out, size, "%s", v);
    return 0;
}

static faas_err_t load_directory(faas_acme_t *acme, CURL *h, faas_error_t *err)
{
    acme_resp_t r = {.retry_after_s = -1};
    faas_err_t rc = faas_tls__acme_http(acme, h, acme->directory, NULL, 0, &r, err);
    if (rc == FAAS_OK && r.status != 200)
        rc = faas_error_set(err, FAAS_EUNAVAIL, "ACME directory %s answered %ld", acme->directory, r.status);
    cJSON *dir = rc == FAAS_OK ? parse_body(&r, "directory", err) : NULL;
    if (rc == FAAS_OK && dir == NULL)
        rc = FAAS_EUNAVAIL;
    if (dir != NULL && (copy_string(dir, "newNonce", acme->new_nonce, ACME_URL_MAX) ||
                        copy_string(dir, "newAccount", acme->new_account, ACME_URL_MAX) ||
                        copy_string(dir, "newOrder", acme->new_order, ACME_URL_MAX)))
        rc = faas_error_set(err, FAAS_EUNAVAIL, "ACME directory %s lacks newNonce/newAccount/newOrder", acme->directory);
    cJSON_Delete(dir);
    faas_tls__acme_resp_reset(&r);
    return rc;
}

/* The account key from the store, or a new one saved there. */
static faas_err_t load_key(faas_acme_t *acme, faas_error_t *err)
{
    void *pem = NULL;
    size_t len = 0;
    faas_err_t rc = faas_store_blob_get(acme->store, FAAS_STORE_ACME, ACCOUNT_KEY, &pem, &len, err);
    if (rc == FAAS_OK) {
        acme->key = faas_jws_key_from_pem(pem, len, err);
        free(pem);
        return acme->key != NULL ? FAAS_OK : faas_error_prefix(err, FAAS_EINVAL, "stored ACME account key");
    }
    if (rc != FAAS_ENOTFOUND)
        return rc;
    if ((acme->key = faas_jws_key_new(err)) == NULL)
        return err != NULL ? err->code : FAAS_EIO;
    char *out = faas_jws_key_to_pem(acme->key, err);
    if (out == NULL)
        return err != NULL ? err->code : FAAS_EIO;
    rc = faas_store_blob_put(acme->store, FAAS_STORE_ACME, ACCOUNT_KEY, out, strlen(out), err);
    OPENSSL_cleanse(out, strlen(out));
    free(out);
    return rc;
}

/* Registers the account (newAccount answers an existing key with its URL too) and keeps its URL. */
static faas_err_t register_account(faas_acme_t *acme, CURL *h, const char *kid_key, faas_error_t *err)
{
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddBoolToObject(payload, "termsOfServiceAgreed", 1);
    if (acme->email != NULL) {
        char mailto[300];
        snprintf(mailto, sizeof(mailto), "mailto:%s", acme->email);
        cJSON *contact = cJSON_AddArrayToObject(payload, "contact");
        cJSON_AddItemToArray(contact, cJSON_CreateString(mailto));
    }
    char *text = cJSON_PrintUnformatted(payload);
    cJSON_Delete(payload);
    acme_resp_t r = {.retry_after_s = -1};
    faas_err_t rc = text != NULL ? faas_tls__acme_post(acme, h, acme->new_account, text, 1, &r, err)
                                 : faas_error_set(err, FAAS_ENOMEM, "out of memory");
    free(text);
    if (rc == FAAS_OK && r.location[0] == '\0')
        rc = faas_error_set(err, FAAS_EUNAVAIL, "ACME CA: newAccount answered %ld without a Location", r.status);
    if (rc == FAAS_OK) {
        snprintf(acme->kid, sizeof(acme->kid), "%s", r.location);
        rc = faas_store_blob_put(acme->store, FAAS_STORE_ACME, kid_key, acme->kid, strlen(acme->kid), err);
        faas_log_info("acme: account %s at %s", acme->kid, acme->directory);
    }
    faas_tls__acme_resp_reset(&r);
    return rc;
}

/* Directory, key and account, once (under setup_mutex: issuances may start together). */
static faas_err_t ensure_account(faas_acme_t *acme, CURL *h, faas_error_t *err)
{
    pthread_mutex_lock(&acme->setup_mutex);
    faas_err_t rc = FAAS_OK;
    if (acme->new_order[0] == '\0')
        rc = load_directory(acme, h, err);
    if (rc == FAAS_OK && acme->key == NULL) {
        rc = load_key(acme, err);
        char *thumb = rc == FAAS_OK ? faas_jws_thumbprint(acme->key, err) : NULL;
        if (rc == FAAS_OK && thumb == NULL)
            rc = err != NULL ? err->code : FAAS_EIO;
        pthread_mutex_lock(&acme->mutex);
        acme->thumbprint = thumb;
        pthread_mutex_unlock(&acme->mutex);
    }
    if (rc == FAAS_OK && acme->kid[0] == '\0') {
        char kid_key[ACME_URL_MAX + 8];
        snprintf(kid_key, sizeof(kid_key), "kid:%s", acme->directory);
        void *kid = NULL;
        size_t len = 0;
        rc = faas_store_blob_get(acme->store, FAAS_STORE_ACME, kid_key, &kid, &len, NULL);
        if (rc == FAAS_OK && len < sizeof(acme->kid)) {
            memcpy(acme->kid, kid, len);
            acme->kid[len] = '\0';
        } else {
            rc = register_account(acme, h, kid_key, err);
        }
        free(kid);
    }
    if (rc != FAAS_OK) { /* start over next time: the CA may have been down */
        acme->new_order[0] = '\0';
    }
    pthread_mutex_unlock(&acme->setup_mutex);
    return rc;
}

/* ---- order ------------------------------------------------------------------ */

/* Sleeps before the next poll: Retry-After when the CA sent one, else *wait_ms, doubled for next time. */
static int poll_wait(const acme_resp_t *r, int64_t *wait_ms, int64_t deadline)
{
    int64_t ms = r->retry_after_s >= 0 ? r->retry_after_s * 1000 : *wait_ms;
    *wait_ms = *wait_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : *wait_ms * 2;
    if (faas_clock_mono_ms() + ms > deadline)
        return -1;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
    return 0;
}

/* POST-as-GET url until its "status" is none of the waiting ones; *doc holds the last answer. */
static faas_err_t poll_status(faas_acme_t *acme, CURL *h, const char *url, const char *const waiting[2],
                              int64_t deadline, cJSON **doc, faas_error_t *err)
{
    int64_t wait_ms = POLL_FIRST_MS;
    acme_resp_t r = {.retry_after_s = -1};
    for (;;) {
        faas_err_t rc = faas_tls__acme_post(acme, h, url, "", 0, &r, err);
        cJSON *d = rc == FAAS_OK ? parse_body(&r, url, err) : NULL;
        if (d == NULL) {
            faas_tls__acme_resp_reset(&r);
            return rc != FAAS_OK ? rc : FAAS_EUNAVAIL;
        }
        const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "status"));
        if (status == NULL || (strcmp(status, waiting[0]) != 0 && strcmp(status, waiting[1]) != 0)) {
            *doc = d;
            faas_tls__acme_resp_reset(&r);
            return FAAS_OK;
        }
        cJSON_Delete(d);
        if (poll_wait(&r, &wait_ms, deadline) != 0) {
            faas_tls__acme_resp_reset(&r);
            return faas_error_set(err, FAAS_ETIMEOUT, "ACME: %s still %s at the deadline", url, status);
        }
    }
}

/* The error of an invalid authorization, from its challenges, into err. */
static faas_err_t authz_failed(cJSON *authz, const char *host, faas_error_t *err)
{
    cJSON *ch;
    cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(authz, "challenges"))
    {
        cJSON *e = cJSON_GetObjectItemCaseSensitive(ch, "error");
        const char *detail = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "detail"));
        if (detail != NULL)
            return faas_error_set(err, FAAS_EFORBIDDEN, "ACME: validation of %s failed: %s", host, detail);
    }
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(authz, "status"));
    return faas_error_set(err, FAAS_EFORBIDDEN, "ACME: authorization of %s is %s", host, status ? status : "unknown");
}

/* Completes one authorization with HTTP-01 (skipped when the CA already holds it valid). */
static faas_err_t authorize(faas_acme_t *acme, CURL *h, const char *url, const char *host, int64_t deadline,
                            faas_error_t *err)
{
    acme_resp_t r = {.retry_after_s = -1};
    faas_err_t rc = faas_tls__acme_post(acme, h, url, "", 0, &r, err);
    cJSON *authz = rc == FAAS_OK ? parse_body(&r, "authorization", err) : NULL;
    faas_tls__acme_resp_reset(&r);
    if (authz == NULL)
        return rc != FAAS_OK ? rc : FAAS_EUNAVAIL;
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(authz, "status"));
    char token[128] = "", ch_url[ACME_URL_MAX] = "";
    cJSON *ch;
    cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(authz, "challenges"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "type"));
        if (type != NULL && strcmp(type, "http-01") == 0 && copy_string(ch, "token", token, sizeof(token)) == 0 &&
            copy_string(ch, "url", ch_url, sizeof(ch_url)) == 0)
            break;
        token[0] = '\0';
    }
    if (status != NULL && strcmp(status, "valid") == 0) {
        cJSON_Delete(authz);
        return FAAS_OK;
    }
    cJSON_Delete(authz);
    if (token[0] == '\0')
        return faas_error_set(err, FAAS_EFORBIDDEN, "ACME: the CA offers no http-01 challenge for %s", host);
    if (publish_token(acme, token) != 0)
        return faas_error_set(err, FAAS_EINVAL, "ACME: unusable challenge token for %s", host);
    /* The responder is ready before the CA is told so. */
    rc = faas_tls__acme_post(acme, h, ch_url, "{}", 0, &r, err);
    faas_tls__acme_resp_reset(&r);
    static const char *const waiting[2] = {"pending", "processing"};
    if (rc == FAAS_OK)
        rc = poll_status(acme, h, url, waiting, deadline, &authz, err);
    withdraw_token(acme, token);
    if (rc != FAAS_OK)
        return rc;
    status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(authz, "status"));
    rc = status != NULL && strcmp(status, "valid") == 0 ? FAAS_OK : authz_failed(authz, host, err);
    cJSON_Delete(authz);
    return rc;
}

/* newOrder for host; its URL into order_url and the answer into *order. */
static faas_err_t new_order(faas_acme_t *acme, CURL *h, const char *host, char *order_url, cJSON **order,
                            faas_error_t *err)
{
    cJSON *payload = cJSON_CreateObject(), *ids = cJSON_AddArrayToObject(payload, "identifiers");
    cJSON *id = cJSON_CreateObject();
    cJSON_AddStringToObject(id, "type", "dns");
    cJSON_AddStringToObject(id, "value", host);
    cJSON_AddItemToArray(ids, id);
    char *text = cJSON_PrintUnformatted(payload);
    cJSON_Delete(payload);
    acme_resp_t r = {.retry_after_s = -1};
    faas_err_t rc = text != NULL ? faas_tls__acme_post(acme, h, acme->new_order, text, 0, &r, err)
                                 : faas_error_set(err, FAAS_ENOMEM, "out of memory");
    free(text);
    if (rc == FAAS_OK && (r.location[0] == '\0' || (*order = parse_body(&r, "newOrder", err)) == NULL))
        rc = faas_error_set(err, FAAS_EUNAVAIL, "ACME CA: newOrder answered %ld without an order", r.status);
    if (rc == FAAS_OK)
        snprintf(order_url, ACME_URL_MAX, "%s", r.location);
    faas_tls__acme_resp_reset(&r);
    return rc;
}

/* Finalizes the order with a CSR for a new key and waits until it is valid; the certificate URL into cert_url. */
static faas_err_t finalize(faas_acme_t *acme, CURL *h, cJSON *order, const char *order_url, const char *host,
                           EVP_PKEY *cert_key, int64_t deadline, char *cert_url, faas_error_t *err)
{
    char fin_url[ACME_URL_MAX];
    if (copy_string(order, "finalize", fin_url, sizeof(fin_url)) != 0)
        return faas_error_set(err, FAAS_EUNAVAIL, "ACME CA: the order has no finalize URL");
    char *csr = faas_jws_csr(cert_key, host, err);
    if (csr == NULL)
        return err != NULL ? err->code : FAAS_EIO;
    char *payload = malloc(strlen(csr) + 16);
    if (payload != NULL)
        sprintf(payload, "{\"csr\":\"%s\"}", csr); /* base64url needs no escaping */
    free(csr);
    acme_resp_t r = {.retry_after_s = -1};
    faas_err_t rc = payload != NULL ? faas_tls__acme_post(acme, h, fin_url, payload, 0, &r, err)
                                    : faas_error_set(err, FAAS_ENOMEM, "out of memory");
    free(payload);
    faas_tls__acme_resp_reset(&r);
    static const char *const waiting[2] = {"processing", "ready"};
    cJSON *done = NULL;
    if (rc == FAAS_OK)
        rc = poll_status(acme, h, order_url, waiting, deadline, &done, err);
    if (rc == FAAS_OK && copy_string(done, "certificate", cert_url, ACME_URL_MAX) != 0) {
        const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(done, "status"));
        rc = faas_error_set(err, FAAS_EFORBIDDEN, "ACME: the order for %s ended %s", host, status ? status : "without a certificate");
    }
    cJSON_Delete(done);
    return rc;
}

static faas_err_t run_order(faas_acme_t *acme, CURL *h, const char *host, EVP_PKEY *cert_key, char **chain_pem,
                            faas_error_t *err)
{
    int64_t deadline = faas_clock_mono_ms() + acme->timeout_ms;
    char order_url[ACME_URL_MAX], cert_url[ACME_URL_MAX];
    cJSON *order = NULL;
    faas_err_t rc = new_order(acme, h, host, order_url, &order, err);
    cJSON *authz;
    if (rc == FAAS_OK)
        cJSON_ArrayForEach(authz, cJSON_GetObjectItemCaseSensitive(order, "authorizations"))
        {
            const char *url = cJSON_GetStringValue(authz);
            if (url != NULL && (rc = authorize(acme, h, url, host, deadline, err)) != FAAS_OK)
                break;
        }
    if (rc == FAAS_OK)
        rc = finalize(acme, h, order, order_url, host, cert_key, deadline, cert_url, err);
    cJSON_Delete(order);
    acme_resp_t r = {.retry_after_s = -1};
    if (rc == FAAS_OK)
        rc = faas_tls__acme_post(acme, h, cert_url, "", 0, &r, err);
    if (rc == FAAS_OK && (r.body.p == NULL || strstr(r.body.p, "-----BEGIN CERTIFICATE-----") == NULL))
        rc = faas_error_set(err, FAAS_EUNAVAIL, "ACME CA: the certificate download is not PEM");
    if (rc == FAAS_OK) {
        *chain_pem = faas_buf_take(&r.body, NULL);
    }
    faas_tls__acme_resp_reset(&r);
    return rc;
}

/* The CA no longer knows the account (a reset CA, a deactivated account): register anew next time. */
static void forget_account(faas_acme_t *acme, const char *why)
{
    char kid_key[ACME_URL_MAX + 8];
    snprintf(kid_key, sizeof(kid_key), "kid:%s", acme->directory);
    pthread_mutex_lock(&acme->setup_mutex);
    faas_log_warn("acme: account %s: %s; registering again", acme->kid, why);
    acme->kid[0] = '\0';
    faas_store_blob_delete(acme->store, FAAS_STORE_ACME, kid_key, NULL);
    pthread_mutex_unlock(&acme->setup_mutex);
}

faas_err_t faas_acme_issue(faas_acme_t *acme, const char *host, char **key_pem, char **chain_pem,
                           faas_error_t *err)
{
    *key_pem = *chain_pem = NULL;
    CURL *h = faas_tls__acme_handle(acme);
    if (h == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    faas_error_t e = {0};
    faas_err_t rc = ensure_account(acme, h, &e);
    EVP_PKEY *cert_key = rc == FAAS_OK ? faas_jws_key_new(&e) : NULL;
    if (rc == FAAS_OK && cert_key == NULL)
        rc = e.code;
    if (rc == FAAS_OK)
        rc = run_order(acme, h, host, cert_key, chain_pem, &e);
    if (rc == FAAS_EFORBIDDEN && strstr(e.msg, "accountDoesNotExist") != NULL) {
        forget_account(acme, e.msg);
        if ((rc = ensure_account(acme, h, &e)) == FAAS_OK)
            rc = run_order(acme, h, host, cert_key, chain_pem, &e);
    }
    if (rc != FAAS_OK && err != NULL)
        *err = e;
    if (rc == FAAS_OK && (*key_pem = faas_jws_key_to_pem(cert_key, err)) == NULL) {
        rc = err != NULL ? err->code : FAAS_EIO;
        free(*chain_pem);
        *chain_pem = NULL;
    }
    EVP_PKEY_free(cert_key);
    curl_easy_cleanup(h);
    return rc;
}
