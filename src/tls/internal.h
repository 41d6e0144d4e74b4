/*
 * internal.h: what the files of src/tls/ share, and nothing outside it:
 * certs.c (the table, SNI, store, listing) and certs_issue.c (issuance,
 * waiting handshakes, renewal) share the certificate table; acme.c (account,
 * order flow, challenges) and acme_http.c (requests, nonces, signed POSTs,
 * problem documents) share the ACME client. Names: faas_tls__*.
 */
#ifndef FAAS_TLS_INTERNAL_H
#define FAAS_TLS_INTERNAL_H

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include "faas/core/buf.h"
#include "faas/tls/acme.h"
#include "faas/tls/certs.h"
#include "faas/tls/tls.h"

/* ---- the certificate table (certs.c, certs_issue.c) ---- */

#define CERTS_HOST_MAX 254
#define CERTS_MAX_NAMES 10000 /* names tracked, with or without a certificate (the oldest idle one without goes first) */

/* A handshake waiting for the issuance of its name. */
typedef struct certs_waiter {
    struct certs_waiter *next;
    faas_pool_inbox_t *inbox; /* the waiting loop's */
    faas_certs_ready_cb ready;
    void *data;
} certs_waiter_t;

typedef struct certs_entry {
    char host[CERTS_HOST_MAX];
    SSL_CTX *ctx;              /* NULL until it has a certificate */
    faas_tls_cert_info_t info; /* of ctx's certificate */
    int issuing;
    certs_waiter_t *waiters;
    int failures;              /* in a row */
    int64_t rest_until_ms;     /* no new order before (Unix ms) */
    _Atomic int64_t used_ms;   /* when a handshake, deploy or load last asked for it (Unix ms; written under the read lock) */
    int64_t last_error_ms;
    char last_error[FAAS_ERROR_MSG_MAX];
} certs_entry_t;

struct faas_certs {
    faas_store_t *store;
    faas_acme_t *acme;
    faas_pool_t *workers;
    SSL_CTX *listener;  /* every handshake starts here */
    int has_fallback;   /* listener holds the static tls.cert */
    pthread_rwlock_t lock; /* the entries and everything in them */
    certs_entry_t **entries; /* sorted by host */
    size_t n, cap;
    int64_t window_start_ms; /* orders started in the current 10 s window */
    int window_orders;
    int64_t budget_tat_ms;   /* the hourly budget of new orders (monotonic ms; see faas_tls__budget_take) */
    int64_t last_sweep_ms;   /* of idle names without a certificate (Unix ms) */
    pthread_mutex_t policy_mutex;
    faas_policy_t *policy;
};

/** The entry for host, or NULL; lock held (read or write). */
certs_entry_t *faas_tls__certs_find(faas_certs_t *certs, const char *host);

/** The entry for host, added when missing; NULL when the table is full. Write lock held. */
certs_entry_t *faas_tls__certs_find_or_add(faas_certs_t *certs, const char *host);

/**
 * Forgets the entries nothing needs any more at now_ms (Unix ms): without a certificate, no
 * issuance or waiter, rested, and not asked for nor failed in FAAS_CERTS_FORGET_MS. Returns how
 * many. Write lock held.
 */
size_t faas_tls__certs_sweep(faas_certs_t *certs, int64_t now_ms);

/**
 * The hourly budget of new orders, a token bucket kept as one time (GCRA): FAAS_CERTS_NEW_ORDERS_PER_HOUR
 * at once, then one per 3600/N s. Takes one order at now_ms (monotonic) and returns 1 when it
 * fits, else returns 0 and leaves *tat_ms. Pure.
 */
int faas_tls__budget_take(int64_t *tat_ms, int64_t now_ms);

/** How long from now_ms until one more order fits the budget (0: now). Pure. */
int64_t faas_tls__budget_wait_ms(int64_t tat_ms, int64_t now_ms);

/** When e's certificate is due for renewal (Unix ms): a third of its lifetime before it ends. */
int64_t faas_tls__certs_renew_at(const certs_entry_t *e);

/** Builds a context from a key and chain, stores both under host, and serves it. Worker thread. */
faas_err_t faas_tls__certs_install(faas_certs_t *certs, const char *host, const char *key_pem, const char *chain_pem,
                          faas_error_t *err);

/* ---- the ACME client (acme.c, acme_http.c) ---- */

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
    faas_buf_t body;     /* NUL-terminated when not empty */
    char location[ACME_URL_MAX];
    char nonce[256];
    long retry_after_s; /* -1 when absent */
} acme_resp_t;

/** A curl handle set up for the CA (timeouts, CA bundle); NULL when out of memory. */
CURL *faas_tls__acme_handle(faas_acme_t *acme);

/** Sends one request (body NULL: GET, or HEAD when head). Fills r; frees nothing. */
faas_err_t faas_tls__acme_http(faas_acme_t *acme, CURL *h, const char *url, const char *body, int head, acme_resp_t *r,
                     faas_error_t *err);

/**
 * A JWS-signed POST of payload to url ("" = POST-as-GET), with the account's
 * kid (or its jwk when use_jwk), a fresh nonce, and badNonce retries. A CA
 * error (status >= 400) becomes FAAS_EFORBIDDEN with its type and detail.
 */
faas_err_t faas_tls__acme_post(faas_acme_t *acme, CURL *h, const char *url, const char *payload, int use_jwk, acme_resp_t *r,
                     faas_error_t *err);

/** Frees the body of r and clears it for reuse. */
void faas_tls__acme_resp_reset(acme_resp_t *r);

#endif
