/*
 * acme.h: an RFC 8555 client that obtains one certificate per host name with
 * the HTTP-01 challenge. One account (a P-256 key, ES256) per faas, kept in
 * the store with its registration URL per directory. Issuing blocks (network,
 * polling): call it on a worker thread. The challenge responder reads the
 * pending key authorizations from any thread.
 */
#ifndef FAAS_TLS_ACME_H
#define FAAS_TLS_ACME_H

#include <stddef.h>
#include <stdint.h>

#include "faas/core/error.h"
#include "faas/store/store.h"

typedef struct faas_acme faas_acme_t;

typedef struct faas_acme_settings {
    const char *directory; /* the CA's directory URL */
    const char *email;     /* account contact; NULL: none */
    const char *ca_bundle; /* PEM file to trust the CA's HTTPS with; NULL: the system's */
    faas_store_t *store;   /* where the account key and registration live */
    int64_t timeout_ms;    /* bound on one issuance, polling included */
} faas_acme_settings_t;

/** A client for settings->directory (copied; nothing is fetched yet); NULL when out of memory. */
faas_acme_t *faas_acme_create(const faas_acme_settings_t *settings);

/** Frees the client. No issuance may be running. NULL-safe. */
void faas_acme_dispose(faas_acme_t *acme);

/**
 * Orders, validates and downloads a certificate for host. On FAAS_OK,
 * *key_pem (a new P-256 key) and *chain_pem (leaf first) are malloc'd.
 * Errors: FAAS_EUNAVAIL (CA unreachable), FAAS_EFORBIDDEN (the CA refused;
 * its problem type and detail in err), FAAS_ETIMEOUT. Worker thread.
 */
faas_err_t faas_acme_issue(faas_acme_t *acme, const char *host, char **key_pem, char **chain_pem,
                           faas_error_t *err);

/**
 * Copies into out the key authorization for an HTTP-01 token that an
 * issuance is waiting to have validated. 1 when known, 0 otherwise. Any thread.
 */
int faas_acme_challenge(faas_acme_t *acme, const char *token, size_t len, char *out, size_t size);

/** The directory URL this client uses. */
const char *faas_acme_directory(const faas_acme_t *acme);

#endif
