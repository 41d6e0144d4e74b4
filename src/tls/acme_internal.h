/*
 * acme_internal.h: what acme.c (account, order flow, challenges) and
 * acme_http.c (requests, nonces, signed POSTs, problem documents) share.
 */
#ifndef FAAS_ACME_INTERNAL_H
#define FAAS_ACME_INTERNAL_H

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "faas/tls/acme.h"

#define ACME_URL_MAX 1024

/* A token being validated and the key authorization the responder answers with. */
typedef struct acme_token {
    struct acme_token *next;
    char token[128];
    char key_auth[256];
} acme_token_t;

struct faas_acme {
    char *directory, *email, *ca_bundle;
    faas_store_t *store;
    int64_t timeout_ms;
    pthread_mutex_t setup_mutex; /* directory, key and account are set up by one issuance */
    pthread_mutex_t mutex; /* everything below */
    /* From the directory, fetched once. */
    char new_nonce[ACME_URL_MAX], new_account[ACME_URL_MAX], new_order[ACME_URL_MAX];
    EVP_PKEY *key;          /* the account key, loaded or made on first use */
    char *thumbprint;
    char kid[ACME_URL_MAX]; /* the account URL */
    char nonce[256];        /* the last unused Replay-Nonce; "" when none */
    acme_token_t *tokens;
};

/* One response: status, body, and the headers the protocol needs. */
typedef struct acme_resp {
    long status;
    char *body;
    size_t len;
    char location[ACME_URL_MAX];
    char nonce[256];
    long retry_after_s; /* -1 when absent */
} acme_resp_t;

/** A curl handle set up for the CA (timeouts, CA bundle); NULL when out of memory. */
CURL *acme_http_handle(faas_acme_t *acme);

/** Sends one request (body NULL: GET, or HEAD when head). Fills r; frees nothing. */
faas_err_t acme_http(faas_acme_t *acme, CURL *h, const char *url, const char *body, int head, acme_resp_t *r,
                     faas_error_t *err);

/**
 * A JWS-signed POST of payload to url ("" = POST-as-GET), with the account's
 * kid (or its jwk when use_jwk), a fresh nonce, and badNonce retries. A CA
 * error (status >= 400) becomes FAAS_EFORBIDDEN with its type and detail.
 */
faas_err_t acme_post(faas_acme_t *acme, CURL *h, const char *url, const char *payload, int use_jwk, acme_resp_t *r,
                     faas_error_t *err);

/** Frees the body of r and clears it for reuse. */
void acme_resp_reset(acme_resp_t *r);

#endif
