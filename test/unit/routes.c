/*
 * routes.c (unit): routing snapshots from records: states, lookups by name
 * and port, jobs left out, upstream reuse across snapshots, refcounts.
 */
#include "faas/proxy/routes.h"
#include "testlib.h"

#include <arpa/inet.h>
#include <string.h>

static faas_function_t fn(const char *name, faas_function_status_t status, int port, const char *container,
                          const char *address)
{
    return (faas_function_t){.name = (char *)name, .kind = FAAS_KIND_SERVICE, .status = status, .port = port,
                             .container_id = (char *)container, .address = (char *)address};
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
    faas_routes_t *r = faas_routes_build(all, 7, NULL, 1);
    CHECK_INT(r->n, 6); /* the job is not routed */
    const faas_route_t *web = faas_routes_find(r, "web", 3);
    CHECK(web != NULL && web->state == FAAS_ROUTE_SERVING && web->upstream != NULL);
    CHECK_STR(web->upstream->text, "172.18.0.2:8080");
    CHECK_INT(ntohs(web->upstream->addr.sin_port), 8080);
    CHECK(faas_routes_find(r, "api", 3)->state == FAAS_ROUTE_PENDING);
    CHECK(faas_routes_find(r, "old", 3)->state == FAAS_ROUTE_SERVING);
    CHECK(faas_routes_find(r, "off", 3)->state == FAAS_ROUTE_STOPPED && faas_routes_find(r, "off", 3)->upstream == NULL);
    CHECK(faas_routes_find(r, "broken", 6)->state == FAAS_ROUTE_FAILED);
    CHECK(faas_routes_find(r, "addrless", 8)->state == FAAS_ROUTE_FAILED);
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
    faas_routes_t *r1 = faas_routes_build(v1, 2, NULL, 1);
    faas_upstream_t *a1 = faas_routes_find(r1, "a", 1)->upstream, *b1 = faas_routes_find(r1, "b", 1)->upstream;
    faas_function_t v2[] = {fn("a", FAAS_FUNCTION_RUNNING, 0, "c9", "172.18.0.9:8080"),
                            fn("b", FAAS_FUNCTION_RUNNING, 0, "c2", "172.18.0.3:8080")};
    faas_routes_t *r2 = faas_routes_build(v2, 2, r1, 2);
    CHECK(faas_routes_find(r2, "b", 1)->upstream == b1);  /* same container: same counter of requests */
    CHECK(faas_routes_find(r2, "a", 1)->upstream != a1);  /* redeployed: a new upstream */
    CHECK(faas_routes_find(r2, "a", 1)->upstream->id != a1->id);
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

int main(void)
{
    RUN(states_and_lookups);
    RUN(upstreams_are_shared_while_the_address_stays);
    RUN(addresses);
    return testlib_done();
}
