/*
 * certs_internal.h: what certs.c (the table, SNI, store, listing) and
 * certs_issue.c (issuance, waiting handshakes, renewal) share.
 */
#ifndef FAAS_CERTS_INTERNAL_H
#define FAAS_CERTS_INTERNAL_H

#include <pthread.h>

#include "faas/tls/certs.h"
#include "faas/tls/tls.h"

#define CERTS_HOST_MAX 254
#define CERTS_MAX_NAMES 10000 /* names tracked, with or without a certificate */

/* A handshake waiting for the issuance of its name. */
typedef struct certs_waiter {
    struct certs_waiter *next;
    faas_jobs_loop_t *loop;
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
    int64_t last_error_ms;
    char last_error[FAAS_ERROR_MSG_MAX];
} certs_entry_t;

struct faas_certs {
    faas_store_t *store;
    faas_acme_t *acme;
    faas_jobs_t *workers;
    SSL_CTX *listener;  /* every handshake starts here */
    int has_fallback;   /* listener holds the static tls.cert */
    pthread_rwlock_t lock; /* the entries and everything in them */
    certs_entry_t **entries; /* sorted by host */
    size_t n, cap;
    int64_t window_start_ms; /* new orders started in the current rate window */
    int window_orders;
    pthread_mutex_t policy_mutex;
    faas_policy_t *policy;
};

/** The entry for host, or NULL; lock held (read or write). */
certs_entry_t *certs__find(faas_certs_t *certs, const char *host);

/** The entry for host, added when missing; NULL when the table is full. Write lock held. */
certs_entry_t *certs__find_or_add(faas_certs_t *certs, const char *host);

/** When e's certificate is due for renewal (Unix ms): a third of its lifetime before it ends. */
int64_t certs__renew_at(const certs_entry_t *e);

/** Builds a context from a key and chain, stores both under host, and serves it. Worker thread. */
faas_err_t certs__install(faas_certs_t *certs, const char *host, const char *key_pem, const char *chain_pem,
                          faas_error_t *err);

#endif
