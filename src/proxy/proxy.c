/*
 * proxy.c: the control side of the proxy. Holds the current routing
 * snapshot, the loopback ports reserved for functions, the waker and the
 * settings provider, and hands each new snapshot to every attached loop. Any
 * thread; publish reads the store and is meant for workers. A mutex guards
 * everything here; loops never take it on the request path (they read their
 * own copy of the snapshot), only to call the waker, once per wake.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

faas_proxy_t *faas_proxy_create(void)
{
    faas_proxy_t *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->current = faas_routes_empty()) == NULL)
        abort();
    pthread_mutex_init(&p->mutex, NULL);
    pthread_mutex_init(&p->publish_mutex, NULL);
    return p;
}

static port_claim_t *find_claim(faas_proxy_t *p, int port)
{
    for (size_t i = 0; i < p->nclaims; i++)
        if (p->claims[i].port == port)
            return &p->claims[i];
    return NULL;
}

static int bind_loopback(int port, int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), on = 1;
    if (fd < 0)
        return errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 1024) != 0) {
        int saved = errno;
        close(fd);
        return saved;
    }
    *fd_out = fd;
    return 0;
}

faas_err_t faas_proxy_reserve_port(faas_proxy_t *p, int port, const char *owner, faas_error_t *err)
{
    faas_err_t rc = FAAS_OK;
    pthread_mutex_lock(&p->mutex);
    port_claim_t *claim = find_claim(p, port);
    if (claim != NULL) {
        if (strcmp(claim->owner, owner) != 0)
            rc = faas_error_set(err, FAAS_ECONFLICT, "port %d is used by function '%s'", port, claim->owner);
    } else {
        int fd = -1, e = bind_loopback(port, &fd);
        port_claim_t *grown = e == 0 ? realloc(p->claims, (p->nclaims + 1) * sizeof(*p->claims)) : NULL;
        if (e != 0) {
            rc = faas_error_set(err, e == EADDRINUSE ? FAAS_ECONFLICT : FAAS_EIO, "port %d %s", port,
                                e == EADDRINUSE ? "is in use on this machine" : strerror(e));
        } else if (grown == NULL) {
            close(fd);
            rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
        } else {
            p->claims = grown;
            p->claims[p->nclaims] = (port_claim_t){.port = port, .fd = fd};
            snprintf(p->claims[p->nclaims].owner, sizeof(p->claims[0].owner), "%s", owner);
            p->nclaims++;
        }
    }
    pthread_mutex_unlock(&p->mutex);
    return rc;
}

void faas_proxy_release_port(faas_proxy_t *p, int port, const char *owner)
{
    pthread_mutex_lock(&p->mutex);
    port_claim_t *claim = find_claim(p, port);
    if (claim != NULL && strcmp(claim->owner, owner) == 0) {
        close(claim->fd); /* loops close their own copies when a snapshot no longer lists the port */
        *claim = p->claims[--p->nclaims];
    }
    pthread_mutex_unlock(&p->mutex);
}

int faas_proxy_port_owner(faas_proxy_t *p, int port, char *owner, size_t size)
{
    pthread_mutex_lock(&p->mutex);
    port_claim_t *claim = find_claim(p, port);
    if (claim != NULL)
        snprintf(owner, size, "%s", claim->owner);
    pthread_mutex_unlock(&p->mutex);
    return claim != NULL;
}

int faas_proxy__port_fd(faas_proxy_t *p, int port)
{
    pthread_mutex_lock(&p->mutex);
    port_claim_t *claim = find_claim(p, port);
    int fd = claim != NULL ? fcntl(claim->fd, F_DUPFD_CLOEXEC, 0) : -1;
    pthread_mutex_unlock(&p->mutex);
    return fd;
}

faas_routes_t *faas_proxy_routes(faas_proxy_t *p)
{
    pthread_mutex_lock(&p->mutex);
    faas_routes_t *r = faas_routes_ref(p->current);
    pthread_mutex_unlock(&p->mutex);
    return r;
}

void faas_proxy__attach(faas_proxy_t *p, faas_proxy_loop_t *pl)
{
    pthread_mutex_lock(&p->mutex);
    pl->next = p->loops;
    p->loops = pl;
    faas_routes_t *current = faas_routes_ref(p->current);
    pthread_mutex_unlock(&p->mutex);
    /* Applied outside the lock (opening listeners takes it). A publish in between reaches the
     * loop as a message, processed after this, so snapshots still apply in order. */
    faas_proxy__apply(pl, current);
}

faas_err_t faas_proxy_publish(faas_proxy_t *p, faas_store_t *store, faas_routes_t **old, faas_error_t *err)
{
    /* One publisher at a time, so snapshots reach the loops in version order. */
    pthread_mutex_lock(&p->publish_mutex);
    faas_function_t *fns = NULL;
    size_t n = 0;
    faas_err_t rc = faas_store_function_list(store, &fns, &n, err);
    faas_routes_t *next = NULL;
    if (rc == FAAS_OK) {
        pthread_mutex_lock(&p->mutex);
        faas_route_settings_cb settings = p->settings;
        void *settings_arg = p->settings_arg;
        pthread_mutex_unlock(&p->mutex);
        faas_routes_t *cur = faas_proxy_routes(p);
        next = faas_routes_build(fns, n, cur, cur->version + 1, settings, settings_arg);
        faas_routes_unref(cur);
        if (next == NULL)
            rc = faas_error_set(err, FAAS_ENOMEM, "out of memory building the routing snapshot");
    }
    faas_function_array_free(fns, n);
    if (rc == FAAS_OK) {
        pthread_mutex_lock(&p->mutex);
        faas_routes_t *prev = p->current;
        p->current = next;
        for (faas_proxy_loop_t *pl = p->loops; pl != NULL; pl = pl->next)
            faas_proxy__post(pl, faas_routes_ref(next));
        pthread_mutex_unlock(&p->mutex);
        if (old != NULL)
            *old = prev;
        else
            faas_routes_unref(prev);
    }
    pthread_mutex_unlock(&p->publish_mutex);
    return rc;
}

static void nap_ms(int ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000};
    nanosleep(&ts, NULL);
}

int faas_proxy_wait_switched(faas_routes_t *old, int64_t deadline_ms)
{
    /* The caller holds one reference; every loop drops its own when it applies a newer snapshot. */
    while (atomic_load(&old->_refs) > 1) {
        if (faas_clock_mono_ms() >= deadline_ms)
            return -1;
        nap_ms(5);
    }
    return 0;
}

int faas_proxy_wait_drained(faas_upstream_t *u, int64_t deadline_ms)
{
    while (atomic_load(&u->inflight) > 0) {
        if (faas_clock_mono_ms() >= deadline_ms)
            return -1;
        nap_ms(10);
    }
    return 0;
}

/* ---- scaling: waker, settings, loads ------------------------------------------------ */

void faas_proxy_set_waker(faas_proxy_t *p, faas_proxy_wake_cb wake, void *arg)
{
    pthread_mutex_lock(&p->mutex);
    p->wake = wake;
    p->wake_arg = arg;
    atomic_store(&p->has_waker, wake != NULL);
    pthread_mutex_unlock(&p->mutex);
}

int faas_proxy__has_waker(faas_proxy_t *p)
{
    return atomic_load_explicit(&p->has_waker, memory_order_relaxed);
}

void faas_proxy__wake(faas_proxy_t *p, faas_load_t *load)
{
    if (atomic_exchange(&load->wake_wanted, 1) != 0)
        return; /* one wake at a time: the control side clears it when this one is over */
    pthread_mutex_lock(&p->mutex);
    faas_proxy_wake_cb wake = p->wake;
    void *arg = p->wake_arg;
    pthread_mutex_unlock(&p->mutex);
    if (wake != NULL)
        wake(arg, load->name); /* outside the mutex: it may publish, or ask for the snapshot */
}

void faas_proxy_set_settings(faas_proxy_t *p, faas_route_settings_cb fill, void *arg)
{
    pthread_mutex_lock(&p->mutex);
    p->settings = fill;
    p->settings_arg = arg;
    pthread_mutex_unlock(&p->mutex);
}

faas_load_t *faas_proxy_load(faas_proxy_t *p, const char *name)
{
    faas_routes_t *r = faas_proxy_routes(p);
    const faas_route_t *route = faas_routes_find(r, name, strlen(name));
    faas_load_t *load = route != NULL ? faas_load_ref(route->load) : NULL;
    faas_routes_unref(r);
    return load;
}

int faas_proxy_loads(faas_proxy_t *p, faas_load_t ***out, size_t *n)
{
    faas_routes_t *r = faas_proxy_routes(p);
    faas_load_t **loads = malloc((r->n > 0 ? r->n : 1) * sizeof(*loads));
    if (loads != NULL)
        for (size_t i = 0; i < r->n; i++)
            loads[i] = faas_load_ref(r->routes[i].load);
    *out = loads;
    *n = loads != NULL ? r->n : 0;
    faas_routes_unref(r);
    return loads != NULL ? 0 : -1;
}

void faas_proxy_loads_free(faas_load_t **loads, size_t n)
{
    for (size_t i = 0; loads != NULL && i < n; i++)
        faas_load_unref(loads[i]);
    free(loads);
}
