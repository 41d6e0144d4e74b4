/*
 * keys.c (unit): named API keys. Which scope grants which route scope, the scope each API route
 * needs (the GET-reads flag, /keys/self for any key), key names, digests and new keys, the
 * in-memory table (add, check, remove, the cap, the masked compare finding a key wherever it
 * sits, last use and its saving, checks racing a revocation), the key record (no hash in the API view) and its
 * store records (create, conflict, list, last use, delete, reopen).
 */
#include "faas/api/api.h"
#include "faas/core/keys.h"
#include "faas/http/router.h"
#include "faas/store/store.h"
#include "testlib.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static faas_auth_t passkey;

static void digest_of(const char *key, unsigned char d[FAAS_KEYS_DIGEST_LEN])
{
    faas_auth_header_digest(key, strlen(key), d);
}

static int check(faas_keys_t *keys, const char *header, int64_t now, faas_key_info_t *who)
{
    return faas_keys_check(keys, header, header ? strlen(header) : 0, now, who);
}

TEST(scopes_grant)
{
    /* rows: the key's scope; columns: the route's (admin, read, invoke, deploy) */
    static const int want[FAAS_SCOPE_COUNT][FAAS_SCOPE_COUNT] = {
        [FAAS_SCOPE_ADMIN] = {1, 1, 1, 1},
        [FAAS_SCOPE_READ] = {0, 1, 0, 0},
        [FAAS_SCOPE_INVOKE] = {0, 0, 1, 0},
        [FAAS_SCOPE_DEPLOY] = {0, 1, 1, 1},
    };
    for (int have = 0; have < FAAS_SCOPE_COUNT; have++)
        for (int need = 0; need < FAAS_SCOPE_COUNT; need++)
            testlib_check(faas_scope_grants((faas_scope_t)have, (faas_scope_t)need) == want[have][need], __FILE__,
                          __LINE__, "%s grants %s", faas_scope_name((faas_scope_t)have),
                          faas_scope_name((faas_scope_t)need));
    CHECK(!faas_scope_grants((faas_scope_t)7, FAAS_SCOPE_READ));
    faas_scope_t s = FAAS_SCOPE_ADMIN;
    CHECK_INT(faas_scope_parse("deploy", &s), 0);
    CHECK_INT(s, FAAS_SCOPE_DEPLOY);
    CHECK_INT(faas_scope_parse("Deploy", &s), -1);
    CHECK_INT(faas_scope_parse("", &s), -1);
    CHECK_INT(faas_scope_parse(NULL, &s), -1);
    CHECK_INT(s, FAAS_SCOPE_DEPLOY);
    CHECK_STR(faas_scope_name(FAAS_SCOPE_INVOKE), "invoke");
    CHECK_STR(faas_scope_name((faas_scope_t)9), "?");
}

static const faas_router_route_t *route_of(const faas_router_route_t *table, const char *pattern)
{
    for (const faas_router_route_t *r = table; r->pattern != NULL; r++)
        if (strcmp(r->pattern, pattern) == 0)
            return r;
    testlib_check(0, __FILE__, __LINE__, "no route %s", pattern);
    return NULL;
}

TEST(routes_need_scopes)
{
    const faas_router_route_t *fn = route_of(faas_api_jobs_routes, "/api/functions/*id");
    CHECK_INT(faas_router_scope_needed(fn, FAAS_M_GET), FAAS_SCOPE_READ);
    CHECK_INT(faas_router_scope_needed(fn, FAAS_M_HEAD), FAAS_SCOPE_READ);
    CHECK_INT(faas_router_scope_needed(fn, FAAS_M_DELETE), FAAS_SCOPE_DEPLOY);
    const faas_router_route_t *start = route_of(faas_api_functions_routes, "/function/start/:name");
    CHECK_INT(faas_router_scope_needed(start, FAAS_M_GET), FAAS_SCOPE_DEPLOY); /* GET, but it starts things */
    CHECK_INT(faas_router_scope_needed(route_of(faas_api_jobs_routes, "/api/execute"), FAAS_M_POST),
              FAAS_SCOPE_INVOKE);
    CHECK_INT(faas_router_scope_needed(route_of(faas_api_functions_routes, "/function/list"), FAAS_M_GET),
              FAAS_SCOPE_READ);
    CHECK_INT(faas_router_scope_needed(route_of(faas_api_keys_routes, "/keys"), FAAS_M_GET), FAAS_SCOPE_ADMIN);
    CHECK_INT(faas_router_scope_needed(route_of(faas_api_keys_routes, "/keys"), FAAS_M_POST), FAAS_SCOPE_ADMIN);
    CHECK_INT(faas_router_scope_needed(route_of(faas_api_keys_routes, "/keys/:name"), FAAS_M_DELETE),
              FAAS_SCOPE_ADMIN);
    const faas_router_route_t *self = route_of(faas_api_keys_routes, "/keys/self");
    CHECK(self != NULL && (self->flags & FAAS_ROUTE_ANY_KEY));
    /* /keys/self is matched before /keys/:name */
    faas_router_params_t p;
    for (const faas_router_route_t *r = faas_api_keys_routes; r->pattern != NULL; r++) {
        if (faas_router_match(r->pattern, "/keys/self", 10, &p)) {
            CHECK_STR(r->pattern, "/keys/self");
            break;
        }
    }
}

TEST(names_and_digests)
{
    CHECK(faas_keys_valid_name("ci"));
    CHECK(faas_keys_valid_name("deploy_bot-2"));
    CHECK(faas_keys_valid_name("0"));
    char long_name[80];
    memset(long_name, 'a', sizeof(long_name));
    long_name[63] = '\0';
    CHECK(faas_keys_valid_name(long_name));
    long_name[63] = 'a';
    long_name[64] = '\0';
    CHECK(!faas_keys_valid_name(long_name));
    const char *bad[] = {"", "_x", "-x", "Ci", "a b", "a/b", "a.b", "self", "passkey", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        testlib_check(!faas_keys_valid_name(bad[i]), __FILE__, __LINE__, "'%s' refused", bad[i]);
    CHECK(!faas_keys_valid_name(NULL));

    unsigned char d[FAAS_KEYS_DIGEST_LEN], back[FAAS_KEYS_DIGEST_LEN];
    char hex[FAAS_KEYS_HEX_LEN + 1];
    digest_of("abc", d);
    faas_keys_hex(d, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); /* SHA-256("abc") */
    CHECK_INT(faas_keys_unhex(hex, back), 0);
    CHECK(memcmp(d, back, sizeof(d)) == 0);
    CHECK_INT(faas_keys_unhex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", back), 0);
    CHECK(memcmp(d, back, sizeof(d)) == 0);
    CHECK_INT(faas_keys_unhex("ba78", back), -1);
    CHECK_INT(faas_keys_unhex("zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", back), -1);
    CHECK_INT(faas_keys_unhex(NULL, back), -1);
    /* "Bearer " and leading spaces are not part of the key */
    unsigned char bearer[FAAS_KEYS_DIGEST_LEN];
    digest_of("Bearer  abc", bearer);
    CHECK(memcmp(d, bearer, sizeof(d)) == 0);
}

TEST(generated_keys)
{
    char a[FAAS_KEYS_TEXT_SIZE], b[FAAS_KEYS_TEXT_SIZE];
    unsigned char da[FAAS_KEYS_DIGEST_LEN], db[FAAS_KEYS_DIGEST_LEN];
    faas_error_t err = {0};
    CHECK_INT(faas_keys_generate(a, da, &err), FAAS_OK);
    CHECK_INT(faas_keys_generate(b, db, &err), FAAS_OK);
    CHECK_INT(strlen(a), 5 + 43);
    CHECK(strncmp(a, "faas_", 5) == 0);
    CHECK_INT(strspn(a + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    CHECK(strcmp(a, b) != 0);
    CHECK(memcmp(da, db, sizeof(da)) != 0);
    faas_keys_t *keys = faas_keys_create(&passkey);
    CHECK_INT(faas_keys_add(keys, "gen", FAAS_SCOPE_READ, da, 1, 0, &err), FAAS_OK);
    faas_key_info_t who;
    char bearer[FAAS_KEYS_TEXT_SIZE + 16];
    snprintf(bearer, sizeof(bearer), "Bearer %s", a);
    CHECK(check(keys, bearer, 0, &who)); /* the digest is the one a check computes */
    CHECK_STR(who.name, "gen");
    CHECK(!check(keys, b, 0, NULL));
    faas_keys_dispose(keys);
}

TEST(table_add_check_remove)
{
    faas_keys_t *keys = faas_keys_create(&passkey);
    faas_error_t err = {0};
    unsigned char d[FAAS_KEYS_DIGEST_LEN];
    faas_key_info_t who;
    CHECK(!check(keys, "faas_reader", 0, NULL));
    digest_of("faas_reader", d);
    CHECK_INT(faas_keys_add(keys, "reader", FAAS_SCOPE_READ, d, 5000, 0, &err), FAAS_OK);
    digest_of("faas_deployer", d);
    CHECK_INT(faas_keys_add(keys, "deployer", FAAS_SCOPE_DEPLOY, d, 6000, 0, &err), FAAS_OK);
    CHECK_INT(faas_keys_add(keys, "reader", FAAS_SCOPE_ADMIN, d, 1, 0, &err), FAAS_ECONFLICT);
    CHECK_CONTAINS(err.msg, "exists already");
    CHECK_INT(faas_keys_can_add(keys, "deployer", &err), FAAS_ECONFLICT);
    CHECK_INT(faas_keys_can_add(keys, "other", &err), FAAS_OK);
    CHECK_INT(faas_keys_add(keys, "Bad Name", FAAS_SCOPE_READ, d, 1, 0, &err), FAAS_EINVAL);
    CHECK_INT(faas_keys_add(keys, "scoped", (faas_scope_t)4, d, 1, 0, &err), FAAS_EINVAL);

    CHECK(check(keys, "faas_reader", 0, &who));
    CHECK_STR(who.name, "reader");
    CHECK_INT(who.scope, FAAS_SCOPE_READ);
    CHECK_INT(who.created_ms, 5000);
    CHECK(check(keys, "Bearer faas_deployer", 0, &who));
    CHECK_STR(who.name, "deployer");
    CHECK_INT(who.scope, FAAS_SCOPE_DEPLOY);
    CHECK(!check(keys, "faas_reade", 0, NULL));
    CHECK(!check(keys, "faas_readerr", 0, NULL));
    CHECK(!check(keys, "", 0, NULL));
    CHECK(!check(keys, NULL, 0, NULL));

    CHECK(check(keys, "Bearer the-passkey", 0, &who)); /* the root key */
    CHECK_STR(who.name, "passkey");
    CHECK_INT(who.scope, FAAS_SCOPE_ADMIN);

    CHECK_INT(faas_keys_remove(keys, "reader"), 1);
    CHECK(!check(keys, "faas_reader", 0, NULL)); /* refused at once */
    CHECK_INT(faas_keys_remove(keys, "reader"), 0);
    CHECK(check(keys, "faas_deployer", 0, &who));
    CHECK_STR(who.name, "deployer");
    digest_of("faas_reader-2", d); /* the name is free again */
    CHECK_INT(faas_keys_add(keys, "reader", FAAS_SCOPE_INVOKE, d, 7000, 0, &err), FAAS_OK);
    CHECK(check(keys, "faas_reader-2", 0, &who));
    CHECK_INT(who.scope, FAAS_SCOPE_INVOKE);
    CHECK(!check(keys, "faas_reader", 0, NULL));
    faas_keys_dispose(keys);
}

/* The match is selected by a mask over every entry: a key is found with its own name wherever it
 * sits, and a digest one bit off matches nothing. */
TEST(masked_compare_finds_each_position)
{
    faas_keys_t *keys = faas_keys_create(&passkey);
    faas_error_t err = {0};
    char name[32], key[32];
    unsigned char d[FAAS_KEYS_DIGEST_LEN];
    for (int i = 0; i < 37; i++) {
        snprintf(name, sizeof(name), "k%02d", i);
        snprintf(key, sizeof(key), "faas_key-%02d", i);
        digest_of(key, d);
        CHECK_INT(faas_keys_add(keys, name, (faas_scope_t)(i % FAAS_SCOPE_COUNT), d, i, 0, &err), FAAS_OK);
    }
    faas_key_info_t who;
    for (int i = 0; i < 37; i++) {
        snprintf(key, sizeof(key), "faas_key-%02d", i);
        snprintf(name, sizeof(name), "k%02d", i);
        CHECK(check(keys, key, 0, &who));
        CHECK_STR(who.name, name);
        CHECK_INT(who.scope, i % FAAS_SCOPE_COUNT);
    }
    /* removing from the middle moves the last entry there: both still resolve to themselves */
    CHECK_INT(faas_keys_remove(keys, "k05"), 1);
    CHECK(!check(keys, "faas_key-05", 0, NULL));
    CHECK(check(keys, "faas_key-36", 0, &who));
    CHECK_STR(who.name, "k36");
    CHECK(check(keys, "faas_key-00", 0, &who));
    CHECK_STR(who.name, "k00");
    faas_keys_dispose(keys);
}

TEST(table_cap)
{
    faas_keys_t *keys = faas_keys_create(&passkey);
    faas_error_t err = {0};
    unsigned char d[FAAS_KEYS_DIGEST_LEN] = {0};
    char name[32];
    for (int i = 0; i < FAAS_KEYS_MAX; i++) {
        snprintf(name, sizeof(name), "k%d", i);
        memcpy(d, &i, sizeof(i));
        if (faas_keys_add(keys, name, FAAS_SCOPE_READ, d, 1, 0, &err) != FAAS_OK)
            CHECK_STR(err.msg, "");
    }
    CHECK_INT(faas_keys_can_add(keys, "one-more", &err), FAAS_ECONFLICT);
    CHECK_INT(faas_keys_add(keys, "one-more", FAAS_SCOPE_READ, d, 1, 0, &err), FAAS_ECONFLICT);
    CHECK_CONTAINS(err.msg, "revoke one first");
    CHECK_INT(faas_keys_remove(keys, "k7"), 1);
    CHECK_INT(faas_keys_add(keys, "one-more", FAAS_SCOPE_READ, d, 1, 0, &err), FAAS_OK);
    faas_keys_dispose(keys);
}

TEST(last_use_noted_and_saved)
{
    faas_keys_t *keys = faas_keys_create(&passkey);
    faas_error_t err = {0};
    unsigned char d[FAAS_KEYS_DIGEST_LEN];
    digest_of("faas_b", d);
    CHECK_INT(faas_keys_add(keys, "b", FAAS_SCOPE_READ, d, 100, 0, &err), FAAS_OK);
    digest_of("faas_a", d);
    CHECK_INT(faas_keys_add(keys, "a", FAAS_SCOPE_ADMIN, d, 200, 42000, &err), FAAS_OK); /* loaded with a use */
    faas_key_info_t *arr;
    int oom;
    CHECK_INT(faas_keys_uses(keys, &arr, &oom), 0); /* what was loaded is saved already */
    CHECK(check(keys, "faas_b", 0, NULL));          /* looking is no use */
    CHECK_INT(faas_keys_uses(keys, &arr, &oom), 0);
    CHECK(check(keys, "faas_b", 1000000, NULL));
    CHECK(check(keys, "faas_b", 1000500, NULL)); /* within the second: not noted again */
    size_t n = faas_keys_list(keys, &arr, &oom);
    CHECK_INT(n, 2);
    CHECK_STR(arr[0].name, "a"); /* sorted */
    CHECK_INT(arr[0].last_used_ms, 42000);
    CHECK_STR(arr[1].name, "b");
    CHECK_INT(arr[1].last_used_ms, 1000000);
    CHECK_INT(arr[1].created_ms, 100);
    free(arr);
    n = faas_keys_uses(keys, &arr, &oom);
    CHECK_INT(n, 1);
    CHECK_STR(arr[0].name, "b");
    faas_keys_saved(keys, arr, n);
    free(arr);
    CHECK_INT(faas_keys_uses(keys, &arr, &oom), 0);
    CHECK(check(keys, "faas_b", 1002000, NULL));
    CHECK_INT(faas_keys_uses(keys, &arr, &oom), 1);
    CHECK_INT(arr[0].last_used_ms, 1002000);
    free(arr);
    faas_keys_dispose(keys);
}

typedef struct racer {
    faas_keys_t *keys;
    atomic_int stop;
} racer_t;

/* Checks (noting uses) while the table changes under it. */
static void *check_loop(void *data)
{
    racer_t *r = data;
    for (int64_t now = 1; !atomic_load(&r->stop); now += 1000) {
        check(r->keys, "faas_racer", now, NULL);
        check(r->keys, "faas_steady", now, NULL);
    }
    return NULL;
}

/* Checks on two threads while keys come and go: the steady key always passes, the revoked one
 * never passes once faas_keys_remove has returned. */
TEST(checks_race_revocation)
{
    racer_t r = {.keys = faas_keys_create(&passkey)};
    faas_error_t err = {0};
    unsigned char d[FAAS_KEYS_DIGEST_LEN];
    digest_of("faas_steady", d);
    CHECK_INT(faas_keys_add(r.keys, "steady", FAAS_SCOPE_READ, d, 1, 0, &err), FAAS_OK);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, check_loop, &r);
    int late = 0, steady_lost = 0;
    char name[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "racer%d", i % 7);
        digest_of("faas_racer", d);
        faas_keys_add(r.keys, name, FAAS_SCOPE_DEPLOY, d, 1, 0, &err);
        faas_keys_remove(r.keys, name);
        late += check(r.keys, "faas_racer", 0, NULL);
        steady_lost += !check(r.keys, "faas_steady", 0, NULL);
    }
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(late, 0);
    CHECK_INT(steady_lost, 0);
    faas_keys_dispose(r.keys);
}

TEST(record_hides_hash_from_the_api)
{
    faas_apikey_t k = {.name = "ci", .scope = FAAS_SCOPE_DEPLOY,
                       .hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                       .created_at = 1700000000123, .last_used_at = 0};
    cJSON *stored = faas_apikey_to_json(&k, FAAS_RECORD_STORED), *api = faas_apikey_to_json(&k, FAAS_RECORD_API);
    char *s = cJSON_PrintUnformatted(stored), *a = cJSON_PrintUnformatted(api);
    CHECK_STR(s, "{\"name\":\"ci\",\"scope\":\"deploy\",\"hash\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb4"
                 "10ff61f20015ad\",\"createdAt\":1700000000123,\"lastUsedAt\":0}");
    CHECK_STR(a, "{\"name\":\"ci\",\"scope\":\"deploy\",\"createdAt\":1700000000,\"lastUsedAt\":0}");
    faas_apikey_t back;
    faas_error_t err = {0};
    CHECK_INT(faas_apikey_from_json(stored, &back, &err), FAAS_OK);
    CHECK_STR(back.name, "ci");
    CHECK_INT(back.scope, FAAS_SCOPE_DEPLOY);
    CHECK_INT(back.created_at, 1700000000123);
    faas_apikey_free(&back);
    CHECK_INT(faas_apikey_from_json(api, &back, &err), FAAS_EINVAL); /* no hash */
#define HASH "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    const char *bad[] = {
        "{\"name\":\"ci\",\"scope\":\"root\",\"hash\":\"" HASH "\"}",
        "{\"name\":\"self\",\"scope\":\"read\",\"hash\":\"" HASH "\"}",
        "{\"name\":\"ci\",\"scope\":\"read\",\"hash\":\"faas_plaintext\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        CHECK_INT(faas_apikey_from_json(j, &back, &err), FAAS_EINVAL);
        CHECK(back.name == NULL && back.hash == NULL);
        cJSON_Delete(j);
    }
    free(s);
    free(a);
    cJSON_Delete(stored);
    cJSON_Delete(api);
}

TEST(store_records)
{
    char base[256], dir[300];
    testlib_tmpdir(base, sizeof(base));
    snprintf(dir, sizeof(dir), "%s/db", base);
    faas_store_t *s = NULL;
    faas_error_t err = {0};
    CHECK_INT(faas_store_open(dir, 0, &s, &err), FAAS_OK);
    char hex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    faas_apikey_t k = {.name = "zeta", .scope = FAAS_SCOPE_INVOKE, .hash = hex, .created_at = 1000};
    CHECK_INT(faas_store_apikey_create(s, &k, &err), FAAS_OK);
    k.name = "alpha";
    k.scope = FAAS_SCOPE_READ;
    CHECK_INT(faas_store_apikey_create(s, &k, &err), FAAS_OK);
    CHECK_INT(faas_store_apikey_create(s, &k, &err), FAAS_ECONFLICT);
    k.name = "Not A Name";
    CHECK_INT(faas_store_apikey_create(s, &k, &err), FAAS_EINVAL);
    k.name = "nohash";
    k.hash = "xyz";
    CHECK_INT(faas_store_apikey_create(s, &k, &err), FAAS_EINVAL);
    faas_key_info_t uses[2] = {{.name = "zeta", .last_used_ms = 5000}, {.name = "gone", .last_used_ms = 6000}};
    CHECK_INT(faas_store_apikey_set_used(s, uses, 2, &err), FAAS_OK); /* "gone" is skipped */
    uses[0].last_used_ms = 4000;
    CHECK_INT(faas_store_apikey_set_used(s, uses, 1, &err), FAAS_OK); /* never back */
    faas_store_close(s);
    CHECK_INT(faas_store_open(dir, 0, &s, &err), FAAS_OK);
    faas_apikey_t *arr;
    size_t n;
    CHECK_INT(faas_store_apikey_list(s, &arr, &n, &err), FAAS_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(arr[0].name, "alpha");
        CHECK_INT(arr[0].scope, FAAS_SCOPE_READ);
        CHECK_INT(arr[0].last_used_at, 0);
        CHECK_STR(arr[1].name, "zeta");
        CHECK_INT(arr[1].scope, FAAS_SCOPE_INVOKE);
        CHECK_STR(arr[1].hash, hex);
        CHECK_INT(arr[1].created_at, 1000);
        CHECK_INT(arr[1].last_used_at, 5000);
    }
    faas_apikey_array_free(arr, n);
    CHECK_INT(faas_store_apikey_delete(s, "zeta", &err), FAAS_OK);
    CHECK_INT(faas_store_apikey_delete(s, "zeta", &err), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_apikey_delete(s, "Bad/Name", &err), FAAS_ENOTFOUND);
    CHECK_INT(faas_store_apikey_list(s, &arr, &n, &err), FAAS_OK);
    CHECK_INT(n, 1);
    faas_apikey_array_free(arr, n);
    faas_store_close(s);
}

int main(void)
{
    faas_error_t err = {0};
    faas_auth_set_key(&passkey, "the-passkey", 11, &err);
    RUN(scopes_grant);
    RUN(routes_need_scopes);
    RUN(names_and_digests);
    RUN(generated_keys);
    RUN(table_add_check_remove);
    RUN(masked_compare_finds_each_position);
    RUN(table_cap);
    RUN(last_use_noted_and_saved);
    RUN(checks_race_revocation);
    RUN(record_hides_hash_from_the_api);
    RUN(store_records);
    return testlib_done();
}
