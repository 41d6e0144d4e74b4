/*
 * certs.c (unit): the certificate table without a CA: stored certificates are
 * served after a restart of the table, broken stored records are skipped (never
 * a crash, never served), a deleted name is gone from table and store, the
 * listing says what is there, and the listener context refuses or falls back
 * for names without a certificate. What one client can make faas spend of the
 * CA's limits and of memory: the hourly budget of new orders (as a pure bucket
 * and through real waits against a CA that refuses connections), idle names
 * without a certificate forgotten, a full table making room, and certificates
 * nobody used left to expire unrenewed and dropped.
 */
#include "faas/core/clock.h"
#include "faas/tls/certs.h"
#include "faas/tls/tls.h"
#include "testlib.h"
#include "tls/internal.h"

#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

/* A self-signed certificate for host valid from `from` to `to` days from now, as a stored record {"key","chain"}. */
static char *stored_record_between(const char *host, int from, int to)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), (long)from * 86400);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)to * 86400);
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

/* A self-signed certificate for host valid from now for days, as a stored record. */
static char *stored_record(const char *host, int days)
{
    return stored_record_between(host, 0, days);
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

/* ---- what one client can make faas spend --------------------------------------------- */

TEST(new_order_budget_is_below_the_cas_limit)
{
    int64_t tat = 0, now = 1000000000; /* monotonic ms */
    int taken = 0;
    while (faas_tls__budget_take(&tat, now))
        taken++;
    CHECK_INT(taken, FAAS_CERTS_NEW_ORDERS_PER_HOUR); /* the whole hour's budget at once, no more */
    CHECK_INT(faas_tls__budget_wait_ms(tat, now), 72000);
    CHECK_INT(faas_tls__budget_take(&tat, now + 71999), 0);
    CHECK_INT(faas_tls__budget_take(&tat, now + 72000), 1); /* then one per 72 s */
    CHECK_INT(faas_tls__budget_take(&tat, now + 72000), 0);
    /* A client asking every second for a week: never more than 300 in any 3 hours (Let's Encrypt's
     * new orders per account), nor more than 100 in any hour. */
    tat = 0;
    static int64_t at[20000];
    size_t n = 0;
    for (int64_t t = now; t < now + 7LL * 86400000 && n < 20000; t += 1000)
        if (faas_tls__budget_take(&tat, t))
            at[n++] = t;
    size_t worst_3h = 0, worst_1h = 0;
    for (size_t i = 0, j3 = 0, j1 = 0; i < n; i++) {
        while (at[i] - at[j3] >= 3 * 3600000LL)
            j3++;
        while (at[i] - at[j1] >= 3600000LL)
            j1++;
        worst_3h = i - j3 + 1 > worst_3h ? i - j3 + 1 : worst_3h;
        worst_1h = i - j1 + 1 > worst_1h ? i - j1 + 1 : worst_1h;
    }
    CHECK(worst_3h <= 200 && worst_3h >= 195);
    CHECK(worst_1h <= 100 && worst_1h >= 95);
    printf("  at most %zu new orders in 3 h, %zu in 1 h\n", worst_3h, worst_1h);
    CHECK(n > 7 * 24 * FAAS_CERTS_NEW_ORDERS_PER_HOUR - 10); /* and it does refill: 50 per hour */
}

/* An entry for host without a certificate, as a handshake or a failed order leaves it. */
static certs_entry_t *add_entry(faas_certs_t *certs, const char *host, int64_t used_ms, int64_t failed_ms,
                                int64_t rest_until_ms)
{
    pthread_rwlock_wrlock(&certs->lock);
    certs_entry_t *e = faas_tls__certs_find_or_add(certs, host);
    if (e != NULL) {
        atomic_store(&e->used_ms, used_ms);
        e->last_error_ms = failed_ms;
        e->rest_until_ms = rest_until_ms;
        if (failed_ms > 0)
            snprintf(e->last_error, sizeof(e->last_error), "the CA said no");
    }
    pthread_rwlock_unlock(&certs->lock);
    return e;
}

static size_t sweep(faas_certs_t *certs, int64_t now)
{
    pthread_rwlock_wrlock(&certs->lock);
    size_t n = faas_tls__certs_sweep(certs, now);
    pthread_rwlock_unlock(&certs->lock);
    return n;
}

static int present(faas_certs_t *certs, const char *host)
{
    pthread_rwlock_rdlock(&certs->lock);
    int found = faas_tls__certs_find(certs, host) != NULL;
    pthread_rwlock_unlock(&certs->lock);
    return found;
}

TEST(idle_names_without_a_certificate_are_forgotten)
{
    faas_store_t *store = open_store();
    char *good = stored_record("good.example.test", 90);
    put(store, "good.example.test", good);
    faas_error_t err = {0};
    faas_certs_t *certs = faas_certs_create(store, NULL, NULL, NULL, &err);
    const int64_t now = faas_clock_now_ms(), min = 60000;
    add_entry(certs, "failed.example.test", now, now + 30 * min, now + 90 * min); /* failed, rests an hour */
    add_entry(certs, "refused.example.test", now, 0, 0);                          /* asked for, never ordered */
    add_entry(certs, "asked.example.test", now + 50 * min, 0, 0);                 /* asked for again later */
    CHECK_INT(sweep(certs, now + 30 * min), 0);
    CHECK_INT(sweep(certs, now + 61 * min), 1); /* the refused one; the failed one still rests */
    CHECK(!present(certs, "refused.example.test"));
    CHECK(present(certs, "failed.example.test"));
    CHECK_INT(sweep(certs, now + 100 * min), 1); /* rested, and failed 70 minutes ago */
    CHECK(!present(certs, "failed.example.test"));
    CHECK(present(certs, "asked.example.test"));
    CHECK_INT(sweep(certs, now + 111 * min), 1);
    CHECK(!present(certs, "asked.example.test"));
    CHECK_INT(sweep(certs, now + 365LL * 24 * 60 * min), 0); /* a certificate is never swept */
    CHECK_INT(faas_certs_has(certs, "good.example.test"), 1);
    faas_certs_dispose(certs);
    free(good);
    faas_store_close(store);
}

TEST(a_full_table_makes_room)
{
    faas_store_t *store = open_store();
    faas_error_t err = {0};
    faas_certs_t *certs = faas_certs_create(store, NULL, NULL, NULL, &err);
    const int64_t now = faas_clock_now_ms();
    char host[64];
    for (int i = 0; i < CERTS_MAX_NAMES; i++) {
        snprintf(host, sizeof(host), "n%05d.example.test", i);
        add_entry(certs, host, now + i, 0, 0); /* n00000 was asked for first */
    }
    pthread_rwlock_wrlock(&certs->lock);
    faas_tls__certs_find(certs, "n00000.example.test")->issuing = 1; /* busy: never dropped */
    pthread_rwlock_unlock(&certs->lock);
    CHECK(add_entry(certs, "late.example.test", now, 0, 0) != NULL);
    CHECK_INT(certs->n, CERTS_MAX_NAMES);
    CHECK(present(certs, "late.example.test"));
    CHECK(present(certs, "n00000.example.test"));
    CHECK(!present(certs, "n00001.example.test")); /* the idle one asked for longest ago */
    CHECK(present(certs, "n00002.example.test"));
    pthread_rwlock_wrlock(&certs->lock);
    faas_tls__certs_find(certs, "n00000.example.test")->issuing = 0;
    pthread_rwlock_unlock(&certs->lock);
    faas_certs_dispose(certs);
    faas_store_close(store);
}

/* A port on loopback that refuses connections: a CA that is down. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* An inbox that runs what is posted at once, on the poster's thread. */
static void post_now(faas_pool_inbox_t *inbox, faas_pool_done_cb fn, void *data)
{
    (void)inbox;
    fn(data);
}

static void count_ready(void *data)
{
    atomic_fetch_add((atomic_int *)data, 1);
}

/* Polls until *counter reaches want or deadline_ms (monotonic) passes. */
static int wait_count(atomic_int *counter, int want, int64_t timeout_ms)
{
    int64_t deadline = faas_clock_mono_ms() + timeout_ms;
    while (atomic_load(counter) < want && faas_clock_mono_ms() < deadline)
        nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
    return atomic_load(counter) >= want;
}

static const char *last_error(faas_certs_t *certs, const char *host)
{
    static char text[FAAS_ERROR_MSG_MAX];
    text[0] = '\0';
    pthread_rwlock_rdlock(&certs->lock);
    certs_entry_t *e = faas_tls__certs_find(certs, host);
    if (e != NULL)
        snprintf(text, sizeof(text), "%s", e->last_error);
    pthread_rwlock_unlock(&certs->lock);
    return text;
}

TEST(on_demand_orders_stop_at_the_hourly_budget)
{
    faas_store_t *store = open_store();
    char directory[64];
    snprintf(directory, sizeof(directory), "https://127.0.0.1:%d/dir", closed_port());
    faas_acme_t *acme = faas_acme_create(&(faas_acme_settings_t){.directory = directory, .store = store, .timeout_ms = 5000});
    faas_pool_t *pool = faas_pool_create("test", 1);
    faas_error_t err = {0};
    faas_certs_t *certs = faas_certs_create(store, acme, pool, NULL, &err);
    faas_pool_inbox_t inbox = {.post = post_now};
    atomic_int ready = 0;
    pthread_rwlock_wrlock(&certs->lock); /* two new orders left in this hour's budget */
    certs->budget_tat_ms = faas_clock_mono_ms() + (FAAS_CERTS_NEW_ORDERS_PER_HOUR - 2) * 72000LL;
    pthread_rwlock_unlock(&certs->lock);
    CHECK_INT(faas_certs_wait(certs, "a.example.test", &inbox, count_ready, &ready), 1);
    CHECK_INT(faas_certs_wait(certs, "b.example.test", &inbox, count_ready, &ready), 1);
    CHECK_INT(faas_certs_wait(certs, "a.example.test", &inbox, count_ready, &ready), 1); /* joins a's order */
    CHECK_INT(faas_certs_wait(certs, "c.example.test", &inbox, count_ready, &ready), 0);
    CHECK_CONTAINS(last_error(certs, "c.example.test"), "the budget of 50 new certificate orders per hour is spent");
    CHECK(wait_count(&ready, 3, 10000)); /* the two orders failed (the CA refuses connections) */
    CHECK(strlen(last_error(certs, "a.example.test")) > 0);
    CHECK_INT(faas_certs_wait(certs, "a.example.test", &inbox, count_ready, &ready), 0); /* it rests now */
    cJSON *list = faas_certs_list(certs);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(listed(list, "c.example.test"), "status")), "failed");
    cJSON_Delete(list);
    faas_pool_dispose(pool, faas_clock_mono_ms() + 5000);
    faas_certs_dispose(certs);
    faas_acme_dispose(acme);
    faas_store_close(store);
}

static const char *allowlist_env(const char *name)
{
    return strcmp(name, "ALLOWLIST") == 0 ? "*.example.test" : NULL;
}

/* A policy (the built-in defaults) whose allowlist is "*.example.test", for the table's renewals. */
static faas_policy_t *allow_example_test(void)
{
    faas_policy_env_t env = {.getenv_fn = allowlist_env, .home = "/h"};
    faas_config_t *cfg = NULL;
    faas_policy_t *pol = NULL;
    faas_error_t err = {0};
    CHECK_INT(faas_policy_load(NULL, &env, &cfg, &pol, &err), FAAS_OK);
    faas_config_unref(cfg);
    return pol;
}

static int stored(faas_store_t *store, const char *host)
{
    void *data = NULL;
    size_t len = 0;
    faas_error_t err = {0};
    int found = faas_store_blob_get(store, FAAS_STORE_CERTIFICATES, host, &data, &len, &err) == FAAS_OK;
    free(data);
    return found;
}

TEST(unused_certificates_expire_unrenewed)
{
    faas_store_t *store = open_store();
    char *used = stored_record_between("used.example.test", -3, -1), *idle = stored_record_between("idle.example.test", -3, -1);
    char *due = stored_record_between("due.example.test", -3, 1); /* a third of its life left: renewal due */
    put(store, "used.example.test", used);
    put(store, "idle.example.test", idle);
    put(store, "due.example.test", due);
    char directory[64];
    snprintf(directory, sizeof(directory), "https://127.0.0.1:%d/dir", closed_port());
    faas_acme_t *acme = faas_acme_create(&(faas_acme_settings_t){.directory = directory, .store = store, .timeout_ms = 5000});
    faas_pool_t *pool = faas_pool_create("test", 1);
    faas_error_t err = {0};
    faas_certs_t *certs = faas_certs_create(store, acme, pool, NULL, &err);
    faas_certs_set_policy(certs, allow_example_test());
    int64_t long_ago = faas_clock_now_ms() - FAAS_CERTS_UNUSED_MS - 1000;
    pthread_rwlock_wrlock(&certs->lock);
    atomic_store(&faas_tls__certs_find(certs, "idle.example.test")->used_ms, long_ago);
    atomic_store(&faas_tls__certs_find(certs, "due.example.test")->used_ms, long_ago);
    pthread_rwlock_unlock(&certs->lock);
    CHECK_INT(faas_certs_start_renewals(certs), 0);
    /* The first check (after 1 s): the used one is renewed (the order fails: the CA is down), the
     * unused expired one leaves table and store, the unused one not yet expired waits, unrenewed. */
    int64_t deadline = faas_clock_mono_ms() + 10000;
    while ((present(certs, "idle.example.test") || last_error(certs, "used.example.test")[0] == '\0') &&
           faas_clock_mono_ms() < deadline)
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    CHECK(!present(certs, "idle.example.test"));
    CHECK(!stored(store, "idle.example.test"));
    CHECK(strlen(last_error(certs, "used.example.test")) > 0);
    CHECK(stored(store, "used.example.test"));
    CHECK_INT(faas_certs_has(certs, "due.example.test"), 1);
    CHECK_STR(last_error(certs, "due.example.test"), ""); /* no order */
    faas_pool_dispose(pool, faas_clock_mono_ms() + 5000);
    faas_certs_dispose(certs);
    faas_acme_dispose(acme);
    free(used);
    free(idle);
    free(due);
    faas_store_close(store);
}

int main(void)
{
    RUN(stored_certificates_are_served_and_broken_ones_skipped);
    RUN(renewal_is_due_in_the_last_third);
    RUN(new_order_budget_is_below_the_cas_limit);
    RUN(idle_names_without_a_certificate_are_forgotten);
    RUN(a_full_table_makes_room);
    RUN(on_demand_orders_stop_at_the_hourly_budget);
    RUN(unused_certificates_expire_unrenewed);
    return testlib_done();
}
