/*
 * routes.c (unit): routing snapshots from records: states, lookups by name
 * and port, jobs left out, replicas as upstreams, the idle state, upstream
 * and load reuse across snapshots, the settings provider, refcounts, the
 * pick of an upstream, and the control side's view of the loads.
 */
#include "faas/proxy/routes.h"
#include "proxy/internal.h"
#include "testlib.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A service function with one ready replica (container, at address) when container is not NULL. */
static faas_function_t fn(const char *name, faas_function_status_t status, int port, const char *container,
                          const char *address)
{
    static faas_replica_t replicas[64];
    static size_t used;
    faas_function_t f = {.name = (char *)name, .kind = FAAS_KIND_SERVICE, .status = status, .port = port};
    if (container != NULL && used < sizeof(replicas) / sizeof(replicas[0])) {
        f.replicas = &replicas[used++];
        *f.replicas = (faas_replica_t){.id = (char *)container, .address = (char *)address, .state = FAAS_REPLICA_READY};
        f.n_replicas = 1;
    }
    return f;
}

TEST(states_and_lookups)
{
    faas_function_t fns[] = {
        fn("web", FAAS_FUNCTION_RUNNING, 9002, "c1", "172.18.0.2:8080"),
        fn("api", FAAS_FUNCTION_BUILDING, 9003, NULL, NULL),
        fn("old", FAAS_FUNCTION_FAILED, 0, "c3", "172.18.0.3:8080"),  /* redeploy failed, old version serves */
        fn("off", FAAS_FUNCTION_STOPPED, 9004, "c4", "172.18.0.4:8080"),
        fn("broken", FAAS_FUNCTION_FAILED, 0, NULL, NULL),
        fn("addrless", FAAS_FUNCTION_RUNNING, 0, "c5", NULL),
    };
    faas_function_t job = {.name = "batch", .kind = FAAS_KIND_JOB, .status = FAAS_FUNCTION_RUNNING};
    faas_function_t all[7];
    memcpy(all, fns, sizeof(fns));
    all[6] = job;
    faas_routes_t *r = faas_routes_build(all, 7, NULL, 1, NULL, NULL);
    CHECK_INT(r->n, 6); /* the job is not routed */
    const faas_route_t *web = faas_routes_find(r, "web", 3);
    CHECK(web != NULL && web->state == FAAS_ROUTE_SERVING && web->n_upstreams > 0);
    CHECK_STR(web->upstreams[0]->text, "172.18.0.2:8080");
    CHECK(web->n_upstreams == 1 && web->upstreams[0] != NULL);
    CHECK(web->load != NULL && strcmp(web->load->name, "web") == 0);
    CHECK_INT(web->settings.concurrency, FAAS_ROUTE_DEFAULT_CONCURRENCY);
    CHECK_INT(web->settings.queue, FAAS_ROUTE_DEFAULT_QUEUE);
    CHECK_INT(web->settings.wake_timeout_ms, FAAS_ROUTE_DEFAULT_WAKE_TIMEOUT_MS);
    CHECK_INT(ntohs(web->upstreams[0]->addr.sin_port), 8080);
    CHECK(faas_routes_find(r, "api", 3)->state == FAAS_ROUTE_PENDING);
    CHECK(faas_routes_find(r, "old", 3)->state == FAAS_ROUTE_SERVING);
    CHECK(faas_routes_find(r, "off", 3)->state == FAAS_ROUTE_STOPPED && faas_routes_find(r, "off", 3)->n_upstreams == 0);
    CHECK(faas_routes_find(r, "broken", 6)->state == FAAS_ROUTE_FAILED);
    CHECK(faas_routes_find(r, "addrless", 8)->state == FAAS_ROUTE_IDLE); /* running, nothing to connect to: wake */
    CHECK(faas_routes_find(r, "batch", 5) == NULL);
    CHECK(faas_routes_find(r, "we", 2) == NULL);
    CHECK(faas_routes_find(r, "webx", 4) == NULL);
    CHECK(faas_routes_find(r, "web.example.com", 3) != NULL); /* length-delimited */
    CHECK(faas_routes_find_port(r, 9003) == faas_routes_find(r, "api", 3));
    CHECK(faas_routes_find_port(r, 9005) == NULL);
    CHECK(faas_routes_find_port(r, 0) == NULL);
    faas_routes_unref(r);
}

TEST(upstreams_are_shared_while_the_address_stays)
{
    faas_function_t v1[] = {fn("a", FAAS_FUNCTION_RUNNING, 0, "c1", "172.18.0.2:8080"),
                            fn("b", FAAS_FUNCTION_RUNNING, 0, "c2", "172.18.0.3:8080")};
    faas_routes_t *r1 = faas_routes_build(v1, 2, NULL, 1, NULL, NULL);
    faas_upstream_t *a1 = faas_routes_find(r1, "a", 1)->upstreams[0], *b1 = faas_routes_find(r1, "b", 1)->upstreams[0];
    faas_function_t v2[] = {fn("a", FAAS_FUNCTION_RUNNING, 0, "c9", "172.18.0.9:8080"),
                            fn("b", FAAS_FUNCTION_RUNNING, 0, "c2", "172.18.0.3:8080")};
    faas_routes_t *r2 = faas_routes_build(v2, 2, r1, 2, NULL, NULL);
    CHECK(faas_routes_find(r2, "b", 1)->upstreams[0] == b1);  /* same container: same counter of requests */
    CHECK(faas_routes_find(r2, "a", 1)->upstreams[0] != a1);  /* redeployed: a new upstream */
    CHECK(faas_routes_find(r2, "a", 1)->upstreams[0]->id != a1->id);
    atomic_fetch_add(&a1->inflight, 1);
    faas_upstream_t *held = faas_upstream_ref(a1); /* a request still on the old container */
    faas_routes_unref(r1);
    CHECK_INT(atomic_load(&held->inflight), 1); /* still readable after its snapshot went */
    atomic_fetch_sub(&held->inflight, 1);
    faas_upstream_unref(held);
    CHECK(faas_routes_ref(r2) == r2);
    faas_routes_unref(r2);
    faas_routes_unref(r2);
}

TEST(addresses)
{
    struct sockaddr_in a;
    CHECK_INT(faas_routes_parse_address("172.18.0.2:8080", &a), 0);
    CHECK_INT(ntohs(a.sin_port), 8080);
    CHECK_INT(faas_routes_parse_address("172.18.0.2", &a), -1);
    CHECK_INT(faas_routes_parse_address("172.18.0.2:0", &a), -1);
    CHECK_INT(faas_routes_parse_address("172.18.0.2:70000", &a), -1);
    CHECK_INT(faas_routes_parse_address("host:80", &a), -1);
    CHECK_INT(faas_routes_parse_address(NULL, &a), -1);
    faas_routes_t *e = faas_routes_empty();
    CHECK(e != NULL && e->n == 0 && faas_routes_find(e, "x", 1) == NULL);
    faas_routes_unref(e);
    faas_routes_unref(NULL);
}

static faas_function_t with_replicas(const char *name, faas_function_status_t status, faas_replica_t *replicas,
                                     size_t n)
{
    faas_function_t f = fn(name, status, 0, "c0", "172.18.0.99:8080"); /* replicas win over the old fields */
    f.replicas = replicas;
    f.n_replicas = n;
    return f;
}

TEST(replicas_become_upstreams)
{
    faas_replica_t reps[] = {
        {"r1", "172.18.0.11:8080", FAAS_REPLICA_READY},
        {"r2", "172.18.0.12:8080", FAAS_REPLICA_PAUSED},
        {"r3", "172.18.0.13:8080", FAAS_REPLICA_READY},
        {"r4", "172.18.0.14:8080", FAAS_REPLICA_STARTING},
        {"r5", "not-an-address", FAAS_REPLICA_READY},
        {"r6", NULL, FAAS_REPLICA_READY},
        {"r7", "172.18.0.17:8080", FAAS_REPLICA_STOPPED},
        {"r8", "172.18.0.11:8080", FAAS_REPLICA_READY}, /* the same address twice: one upstream */
    };
    faas_replica_t asleep[] = {{"p1", "172.18.0.21:8080", FAAS_REPLICA_PAUSED},
                               {"p2", "172.18.0.22:8080", FAAS_REPLICA_STOPPED}};
    faas_replica_t coming[] = {{"s1", "172.18.0.31:8080", FAAS_REPLICA_STARTING}};
    faas_function_t fns[] = {
        with_replicas("many", FAAS_FUNCTION_RUNNING, reps, 8),
        with_replicas("asleep", FAAS_FUNCTION_RUNNING, asleep, 2),
        with_replicas("coming", FAAS_FUNCTION_STARTING, coming, 1),
        fn("first", FAAS_FUNCTION_STARTING, 0, NULL, NULL),
        with_replicas("off", FAAS_FUNCTION_STOPPED, reps, 8),
        with_replicas("rebuilt", FAAS_FUNCTION_FAILED, reps, 1), /* a failed redeploy: the old version serves */
        fn("legacy", FAAS_FUNCTION_RUNNING, 0, "c1", "172.18.0.41:8080"),
    };
    faas_routes_t *r = faas_routes_build(fns, 7, NULL, 1, NULL, NULL);
    const faas_route_t *many = faas_routes_find(r, "many", 4);
    CHECK(many->state == FAAS_ROUTE_SERVING);
    CHECK_INT(many->n_upstreams, 2); /* ready ones with an address, in record order */
    CHECK_STR(many->upstreams[0]->text, "172.18.0.11:8080");
    CHECK_STR(many->upstreams[1]->text, "172.18.0.13:8080");
    CHECK(many->upstreams[0] == many->upstreams[0]);
    const faas_route_t *asleep_r = faas_routes_find(r, "asleep", 6);
    CHECK(asleep_r->state == FAAS_ROUTE_IDLE && asleep_r->n_upstreams == 0 && asleep_r->n_upstreams == 0);
    CHECK(faas_routes_find(r, "coming", 6)->state == FAAS_ROUTE_IDLE);
    CHECK(faas_routes_find(r, "first", 5)->state == FAAS_ROUTE_PENDING);
    const faas_route_t *off = faas_routes_find(r, "off", 3);
    CHECK(off->state == FAAS_ROUTE_STOPPED && off->n_upstreams == 0);
    CHECK(faas_routes_find(r, "rebuilt", 7)->state == FAAS_ROUTE_SERVING);
    const faas_route_t *legacy = faas_routes_find(r, "legacy", 6);
    CHECK(legacy->state == FAAS_ROUTE_SERVING && legacy->n_upstreams == 1);
    CHECK_STR(legacy->upstreams[0]->text, "172.18.0.41:8080");
    faas_routes_unref(r);
}

TEST(upstreams_and_loads_carry_over_by_function)
{
    faas_replica_t v1[] = {{"r1", "172.18.0.11:8080", FAAS_REPLICA_READY},
                           {"r2", "172.18.0.12:8080", FAAS_REPLICA_READY}};
    faas_function_t f1[] = {with_replicas("a", FAAS_FUNCTION_RUNNING, v1, 2),
                            fn("b", FAAS_FUNCTION_RUNNING, 0, "c2", "172.18.0.50:8080")};
    faas_routes_t *r1 = faas_routes_build(f1, 2, NULL, 1, NULL, NULL);
    const faas_route_t *a1 = faas_routes_find(r1, "a", 1);
    faas_load_t *load_a = a1->load, *load_b = faas_routes_find(r1, "b", 1)->load;
    faas_upstream_t *u11 = a1->upstreams[0], *u12 = a1->upstreams[1];
    atomic_fetch_add(&load_a->inflight, 3);
    /* r2 paused, r3 new; b is deleted and c is new; c has b's old address but is another function */
    faas_replica_t v2[] = {{"r3", "172.18.0.13:8080", FAAS_REPLICA_READY},
                           {"r2", "172.18.0.12:8080", FAAS_REPLICA_PAUSED},
                           {"r1", "172.18.0.11:8080", FAAS_REPLICA_READY}};
    faas_function_t f2[] = {with_replicas("a", FAAS_FUNCTION_RUNNING, v2, 3),
                            fn("c", FAAS_FUNCTION_RUNNING, 0, "c3", "172.18.0.50:8080")};
    faas_routes_t *r2 = faas_routes_build(f2, 2, r1, 2, NULL, NULL);
    const faas_route_t *a2 = faas_routes_find(r2, "a", 1), *c2 = faas_routes_find(r2, "c", 1);
    CHECK(a2->load == load_a); /* the same function: the same counters */
    CHECK_INT(atomic_load(&a2->load->inflight), 3);
    CHECK_INT(a2->n_upstreams, 2);
    CHECK(a2->upstreams[0] != u11 && a2->upstreams[0] != u12); /* new replica, new upstream */
    CHECK(a2->upstreams[1] == u11);                              /* same replica address: same object */
    CHECK(c2->load != load_b && strcmp(c2->load->name, "c") == 0);
    CHECK(c2->upstreams[0] != faas_routes_find(r1, "b", 1)->upstreams[0]);
    faas_load_t *kept = faas_load_ref(load_b); /* a control side still sampling the deleted function */
    faas_routes_unref(r1);
    CHECK_STR(kept->name, "b");
    faas_load_unref(kept);
    faas_load_unref(NULL);
    /* a function deleted and made again gets fresh counters */
    faas_routes_t *r3 = faas_routes_build(f1, 2, r2, 3, NULL, NULL);
    CHECK(faas_routes_find(r3, "a", 1)->load == load_a);
    const faas_load_t *again = faas_routes_find(r3, "b", 1)->load;
    CHECK(again != NULL && atomic_load(&again->inflight) == 0);
    faas_routes_unref(r2);
    faas_routes_unref(r3);
}

static void settings_for_test(void *arg, const faas_function_t *f, faas_route_settings_t *out)
{
    (*(int *)arg)++;
    if (strcmp(f->name, "capped") == 0)
        *out = (faas_route_settings_t){.concurrency = 4, .queue = 10, .wake_timeout_ms = 2500};
    else if (strcmp(f->name, "odd") == 0)
        *out = (faas_route_settings_t){.concurrency = -1, .queue = -5, .wake_timeout_ms = -1};
}

TEST(settings_come_from_the_provider)
{
    faas_function_t fns[] = {fn("capped", FAAS_FUNCTION_RUNNING, 0, "c1", "172.18.0.2:8080"),
                             fn("plain", FAAS_FUNCTION_RUNNING, 0, "c2", "172.18.0.3:8080"),
                             fn("odd", FAAS_FUNCTION_RUNNING, 0, "c3", "172.18.0.4:8080")};
    int calls = 0;
    faas_routes_t *r = faas_routes_build(fns, 3, NULL, 1, settings_for_test, &calls);
    CHECK_INT(calls, 3);
    const faas_route_settings_t *c = &faas_routes_find(r, "capped", 6)->settings;
    CHECK(c->concurrency == 4 && c->queue == 10 && c->wake_timeout_ms == 2500);
    const faas_route_settings_t *p = &faas_routes_find(r, "plain", 5)->settings; /* left alone: defaults */
    CHECK(p->concurrency == 0 && p->queue == 1000 && p->wake_timeout_ms == 60000);
    const faas_route_settings_t *o = &faas_routes_find(r, "odd", 3)->settings; /* negative: 0 */
    CHECK(o->concurrency == 0 && o->queue == 0 && o->wake_timeout_ms == 0);
    faas_routes_unref(r);
}

static faas_upstream_t up(int inflight)
{
    faas_upstream_t u = {0};
    atomic_init(&u.inflight, inflight);
    return u;
}

TEST(pick_least_in_flight_ties_round_robin)
{
    faas_upstream_t u[3] = {up(0), up(0), up(0)};
    faas_upstream_t *ups[3] = {&u[0], &u[1], &u[2]};
    faas_route_t route = {.upstreams = ups, .n_upstreams = 3};
    size_t cursor = 0;
    int seen[6];
    for (int i = 0; i < 6; i++)
        seen[i] = faas_routes_pick(&route, &cursor); /* equal loads: each in turn */
    CHECK(seen[0] == 0 && seen[1] == 1 && seen[2] == 2 && seen[3] == 0 && seen[4] == 1 && seen[5] == 2);
    atomic_store(&u[0].inflight, 5);
    atomic_store(&u[1].inflight, 2);
    atomic_store(&u[2].inflight, 7);
    cursor = 0;
    CHECK_INT(faas_routes_pick(&route, &cursor), 1); /* the least loaded, wherever the cursor is */
    cursor = 2;
    CHECK_INT(faas_routes_pick(&route, &cursor), 1);
    CHECK_INT(cursor, 2);
    atomic_store(&u[2].inflight, 2); /* a tie between 1 and 2: the first from the cursor */
    cursor = 2;
    CHECK_INT(faas_routes_pick(&route, &cursor), 2);
    CHECK_INT(faas_routes_pick(&route, &cursor), 1);
    cursor = 1000; /* any cursor value works */
    CHECK(faas_routes_pick(&route, &cursor) >= 1);
}

TEST(pick_skips_upstreams_at_the_cap)
{
    faas_upstream_t u[3] = {up(2), up(1), up(2)};
    faas_upstream_t *ups[3] = {&u[0], &u[1], &u[2]};
    faas_route_t route = {.upstreams = ups, .n_upstreams = 3, .settings = {.concurrency = 2}};
    size_t cursor = 0;
    CHECK_INT(faas_routes_pick(&route, &cursor), 1);
    atomic_store(&u[1].inflight, 2);
    CHECK_INT(faas_routes_pick(&route, &cursor), -1); /* all full: the request waits */
    route.settings.concurrency = 3;
    CHECK(faas_routes_pick(&route, &cursor) >= 0);
    route.settings.concurrency = 0; /* no cap: never full */
    atomic_store(&u[0].inflight, 100000);
    atomic_store(&u[1].inflight, 100000);
    atomic_store(&u[2].inflight, 100000);
    CHECK(faas_routes_pick(&route, &cursor) >= 0);
    faas_route_t none = {0};
    CHECK_INT(faas_routes_pick(&none, &cursor), -1);
}

TEST(wake_kinds)
{
    CHECK_STR(faas_wake_kind_name(FAAS_WAKE_PAUSED), "paused");
    CHECK_STR(faas_wake_kind_name(FAAS_WAKE_STOPPED), "stopped");
    CHECK_STR(faas_wake_kind_name(FAAS_WAKE_NEW), "new");
    CHECK_STR(faas_wake_kind_name(FAAS_WAKE_NONE), "new");
}

static void wake_for_test(void *arg, const char *name)
{
    snprintf(arg, 64, "%s", name);
}

TEST(control_side_reads_loads)
{
    faas_proxy_t *p = faas_proxy_create();
    CHECK(faas_proxy_load(p, "a") == NULL);
    faas_function_t fns[] = {fn("b", FAAS_FUNCTION_RUNNING, 0, "c1", "172.18.0.2:8080"),
                             fn("a", FAAS_FUNCTION_RUNNING, 0, "c2", "172.18.0.3:8080")};
    faas_routes_t *r = faas_routes_build(fns, 2, NULL, 1, NULL, NULL);
    faas_routes_unref(p->current); /* as a publish would */
    p->current = r;
    faas_load_t *a = faas_proxy_load(p, "a");
    CHECK(a != NULL && a == faas_routes_find(r, "a", 1)->load);
    faas_load_t **loads = NULL;
    size_t n = 0;
    CHECK_INT(faas_proxy_loads(p, &loads, &n), 0);
    CHECK_INT(n, 2);
    CHECK(n == 2 && strcmp(loads[0]->name, "a") == 0 && strcmp(loads[1]->name, "b") == 0);
    faas_proxy_loads_free(loads, n);
    /* the waker runs once per wake: until the control side clears wake_wanted */
    char woken[64] = "";
    CHECK(!faas_proxy__has_waker(p));
    faas_proxy_set_waker(p, wake_for_test, woken);
    CHECK(faas_proxy__has_waker(p));
    faas_proxy__wake(p, a);
    CHECK_STR(woken, "a");
    woken[0] = '\0';
    faas_proxy__wake(p, a);
    CHECK_STR(woken, "");
    atomic_store(&a->wake_wanted, 0);
    faas_proxy__wake(p, a);
    CHECK_STR(woken, "a");
    faas_load_unref(a);
    faas_routes_unref(p->current); /* faas has no faas_proxy_dispose: the proxy lives as long as the process */
    free(p->claims);
    free(p);
}

int main(void)
{
    RUN(states_and_lookups);
    RUN(upstreams_are_shared_while_the_address_stays);
    RUN(addresses);
    RUN(replicas_become_upstreams);
    RUN(upstreams_and_loads_carry_over_by_function);
    RUN(settings_come_from_the_provider);
    RUN(pick_least_in_flight_ties_round_robin);
    RUN(pick_skips_upstreams_at_the_cap);
    RUN(wake_kinds);
    RUN(control_side_reads_loads);
    return testlib_done();
}
