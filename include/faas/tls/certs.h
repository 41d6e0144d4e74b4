/*
 * certs.h: the certificates faas serves, one per host name. They come from
 * the ACME client, live in the store (a restart reuses them), and are served
 * through the SNI callback of the HTTPS listener's context, each host with
 * its own TLS context; a new or renewed one replaces the old while the
 * server runs. Issuance is asked for at deploy time, on the first handshake
 * for a name without one, and for renewal when a third of the lifetime is
 * left; a name gets a certificate only when the policy allows it
 * (tls_allowed hook, else the allowlist), never for an IP literal. One
 * issuance per name at a time; handshakes for that name wait for it; after
 * a failure the name rests (5 minutes, doubling to an hour).
 *
 * What one client can make faas spend of the CA's limits is bounded: the
 * handshake path asks for names that reach a function only (server/tls_accept.c);
 * at most 10 orders start per 10 s, and new names (renewals aside) have an
 * hourly budget below Let's Encrypt's limit on new orders; names without a
 * certificate that nobody asks for are forgotten, certificates nobody uses
 * are not renewed, and the table holds at most 10,000 names.
 */
#ifndef FAAS_TLS_CERTS_H
#define FAAS_TLS_CERTS_H

#include <cjson/cJSON.h>
#include <openssl/ssl.h>

#include "faas/tls/acme.h"
#include "faas/core/pool.h"
#include "faas/core/policy.h"
#include "faas/store/store.h"

typedef struct faas_certs faas_certs_t;

/*
 * New orders (for names without a certificate; renewals are not counted, as Let's Encrypt
 * exempts renewals of the same names from its new-order limit): this many at once, then one per
 * 3600/N s (72 s). In any 3 hours that is at most 50 + 150 = 200, below Let's Encrypt's 300 new
 * orders per account per 3 hours. Its 50 new certificates per registered domain and week stay
 * the CA's to enforce: an order it refuses fails, and the name rests.
 */
#define FAAS_CERTS_NEW_ORDERS_PER_HOUR 50
/* A name without a certificate (failed, refused, or over a budget) is forgotten once it has
 * rested and neither asked for nor failed for this long. */
#define FAAS_CERTS_FORGET_MS (60LL * 60 * 1000)
/* A certificate no handshake (nor deploy) asked for in this long is not renewed, and is dropped
 * from the table and the store once it expires; a later handshake for a name that reaches a
 * function gets a new one on demand. */
#define FAAS_CERTS_UNUSED_MS (30LL * 24 * 60 * 60 * 1000)

/* Called on the waiting loop's thread once the name has a certificate or will not get one now. */
typedef void (*faas_certs_ready_cb)(void *data);

/**
 * The certificate table over store, issuing through acme (NULL: serve the
 * stored and static ones only) on workers. fallback (may be NULL; owned
 * from now on) serves names without a certificate of their own. Loads every
 * stored certificate. NULL on failure. Main thread.
 */
faas_certs_t *faas_certs_create(faas_store_t *store, faas_acme_t *acme, faas_pool_t *workers, SSL_CTX *fallback,
                                faas_error_t *err);

/** Stops renewals; issuances in flight must have ended (dispose the workers first). NULL-safe. */
void faas_certs_dispose(faas_certs_t *certs);

/** The context the HTTPS listener starts every handshake with (its SNI callback picks the host's). */
SSL_CTX *faas_certs_listener_ctx(faas_certs_t *certs);

/** Gives the table its own policy for checks made on workers (deploys, renewals); takes ownership. */
void faas_certs_set_policy(faas_certs_t *certs, faas_policy_t *policy);

/** Starts the periodic renewal check. Main thread. */
int faas_certs_start_renewals(faas_certs_t *certs);

/** 1 when host has a certificate of its own now. Any thread. */
int faas_certs_has(faas_certs_t *certs, const char *host);

/**
 * Asks for a certificate for host in the background when the policy allows
 * it and there is none (deploy time). Any thread; never blocks on the CA.
 */
void faas_certs_request(faas_certs_t *certs, const char *host);

/** Drops host's certificate from the table and the store (its function is deleted). Worker thread. */
void faas_certs_forget(faas_certs_t *certs, const char *host);

/**
 * For a handshake that asks for host, already allowed by the caller's
 * policy (and, by default, known to reach a function): 0 when there is
 * nothing to wait for (a certificate exists, or the name rests after a
 * failure, or the 10 s cap or the hourly budget of new orders is spent, or
 * the table is full, or no ACME client), else 1 and ready(data) runs
 * on inbox's thread (the waiting loop) when the issuance for host (started now or in flight) ends.
 * Loop thread.
 */
int faas_certs_wait(faas_certs_t *certs, const char *host, faas_pool_inbox_t *inbox, faas_certs_ready_cb ready,
                    void *data);

/** An array of {name, issuer, notBefore, notAfter, renewAt, status, lastError, lastErrorAt}. Any thread. */
cJSON *faas_certs_list(faas_certs_t *certs);

#endif
