/*
 * certs.c (unit): the certificate table without a CA: stored certificates are
 * served after a restart of the table, broken stored records are skipped (never
 * a crash, never served), a deleted name is gone from table and store, the
 * listing says what is there, and the listener context refuses or falls back
 * for names without a certificate.
 */
#include "faas/tls/certs.h"
#include "faas/tls/tls.h"
#include "testlib.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static faas_store_t *open_store(void)
{
    char dir[256];
    testlib_tmpdir(dir, sizeof(dir));
    faas_store_t *store = NULL;
    faas_error_t err = {0};
    CHECK_INT(faas_store_open(dir, (size_t)64 << 20, &store, &err), FAAS_OK);
    return store;
}

static char *bio_string(BIO *bio)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *out = malloc((size_t)len + 1);
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
    BIO_free(bio);
    return out;
}

/* A self-signed certificate for host valid from now for days, as a stored record {"key","chain"}. */
static char *stored_record(const char *host, int days)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)host, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    X509_sign(x, key, EVP_sha256());
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL);
    PEM_write_bio_X509(cb, x);
    char *key_pem = bio_string(kb), *chain_pem = bio_string(cb);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "key", key_pem);
    cJSON_AddStringToObject(doc, "chain", chain_pem);
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    free(key_pem);
    free(chain_pem);
    X509_free(x);
    EVP_PKEY_free(key);
    return text;
}

static void put(faas_store_t *store, const char *host, const char *value)
{
    faas_error_t err = {0};
    CHECK_INT(faas_store_blob_put(store, FAAS_STORE_CERTIFICATES, host, value, strlen(value), &err), FAAS_OK);
}

/* The one entry of host in a listing, or NULL. */
static cJSON *listed(cJSON *list, const char *host)
{
    cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "name")), host) == 0)
            return e;
    }
    return NULL;
}

TEST(stored_certificates_are_served_and_broken_ones_skipped)
{
    faas_store_t *store = open_store();
    char *good = stored_record("good.example.test", 90);
    put(store, "good.example.test", good);
    put(store, "garbage.example.test", "not json at all");
    put(store, "nokey.example.test", "{\"chain\":\"x\"}");
    put(store, "badpem.example.test", "{\"key\":\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n\",\"chain\":\"junk\"}");
    char *other = stored_record("other.example.test", 90);
    cJSON *o = cJSON_Parse(other), *g = cJSON_Parse(good); /* a key that does not match the chain */
    cJSON_ReplaceItemInObject(o, "key", cJSON_Duplicate(cJSON_GetObjectItem(g, "key"), 1));
    char *mismatched = cJSON_PrintUnformatted(o);
    put(store, "mismatch.example.test", mismatched);

    faas_error_t err = {0};
    faas_certs_t *certs = faas_certs_create(store, NULL, NULL, NULL, &err);
    CHECK(certs != NULL);
    CHECK_INT(faas_certs_has(certs, "good.example.test"), 1);
    CHECK_INT(faas_certs_has(certs, "garbage.example.test"), 0);
    CHECK_INT(faas_certs_has(certs, "nokey.example.test"), 0);
    CHECK_INT(faas_certs_has(certs, "badpem.example.test"), 0);
    CHECK_INT(faas_certs_has(certs, "mismatch.example.test"), 0);
    CHECK_INT(faas_certs_has(certs, "unknown.example.test"), 0);
    cJSON *list = faas_certs_list(certs);
    CHECK_INT(cJSON_GetArraySize(list), 1); /* broken records are not listed as certificates */
    cJSON *e = listed(list, "good.example.test");
    CHECK(e != NULL);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "status")), "valid");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "issuer")), "good.example.test");
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(e, "renewAt"))); /* Unix seconds */
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "renewAt")) > 1.7e9 &&
          cJSON_GetNumberValue(cJSON_GetObjectItem(e, "renewAt")) < 1e10);
    cJSON_Delete(list);
    /* Without an ACME client nothing is waited for and nothing is ordered. */
    CHECK_INT(faas_certs_wait(certs, "new.example.test", NULL, NULL, NULL), 0);
    faas_certs_request(certs, "new.example.test");
    CHECK_INT(faas_certs_has(certs, "new.example.test"), 0);

    /* A deleted function's certificate leaves table and store: a new table does not serve it. */
    faas_certs_forget(certs, "good.example.test");
    CHECK_INT(faas_certs_has(certs, "good.example.test"), 0);
    faas_certs_dispose(certs);
    certs = faas_certs_create(store, NULL, NULL, NULL, &err);
    CHECK_INT(faas_certs_has(certs, "good.example.test"), 0);
    faas_certs_forget(certs, "never-stored.example.test"); /* nothing to drop: no harm */
    faas_certs_dispose(certs);

    cJSON_Delete(o);
    cJSON_Delete(g);
    free(mismatched);
    free(other);
    free(good);
    faas_store_close(store);
}

TEST(renewal_is_due_in_the_last_third)
{
    faas_store_t *store = open_store();
    /* Valid from now for 3 days: renewal due after 2 days, so "valid" now. An expired one reads "expired". */
    char *fresh = stored_record("fresh.example.test", 3), *old = stored_record("old.example.test", -1);
    put(store, "fresh.example.test", fresh);
    put(store, "old.example.test", old);
    faas_error_t err = {0};
    faas_certs_t *certs = faas_certs_create(store, NULL, NULL, NULL, &err);
    cJSON *list = faas_certs_list(certs);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(listed(list, "fresh.example.test"), "status")), "valid");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(listed(list, "old.example.test"), "status")), "expired");
    cJSON_Delete(list);
    faas_certs_dispose(certs);
    free(fresh);
    free(old);
    faas_store_close(store);
}

int main(void)
{
    RUN(stored_certificates_are_served_and_broken_ones_skipped);
    RUN(renewal_is_due_in_the_last_third);
    return testlib_done();
}
