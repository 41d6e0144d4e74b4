/*
 * certs_issue.c: getting certificates. One issuance per name at a time on the
 * worker pool; handshakes waiting for that name are woken on their loops when
 * it ends. A failure makes the name rest (5 min, doubling to 1 h: Let's
 * Encrypt allows 5 failed validations per name and hour), and new orders are
 * capped per window so a flood of allowed names cannot exhaust the CA's
 * limits. The renewal check runs when the earliest certificate is due.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"

#include <stdlib.h>
#include <string.h>

#define REST_FIRST_MS (5 * 60 * 1000)
#define REST_MAX_MS (60 * 60 * 1000)
#define ORDER_WINDOW_MS 10000
#define ORDERS_PER_WINDOW 10
#define RENEW_CHECK_MAX_MS (10 * 60 * 1000)
#define RENEW_CHECK_MIN_MS 1000

typedef struct issue_task {
    faas_certs_t *certs;
    char host[CERTS_HOST_MAX];
    int check_policy; /* asked by a deploy or renewal: the worker-side policy decides */
} issue_task_t;

/* Whether the policy allows host now (the table's own policy: workers have no loop). */
static int policy_allows(faas_certs_t *certs, const char *host)
{
    int allowed = 0;
    faas_error_t err = {0};
    pthread_mutex_lock(&certs->policy_mutex);
    if (certs->policy != NULL && faas_policy_tls_allowed(certs->policy, host, &allowed, &err) != FAAS_OK) {
        faas_log_warn("certs: tls_allowed(%s): %s; treated as false", host, err.msg);
        allowed = 0;
    }
    pthread_mutex_unlock(&certs->policy_mutex);
    return allowed;
}

/* Records the end of an issuance for host and wakes its waiters. */
static void finish(faas_certs_t *certs, const char *host, const faas_error_t *failed)
{
    pthread_rwlock_wrlock(&certs->lock);
    certs_entry_t *e = faas_tls__certs_find(certs, host);
    certs_waiter_t *waiters = NULL;
    if (e != NULL) {
        e->issuing = 0;
        waiters = e->waiters;
        e->waiters = NULL;
        if (failed != NULL) {
            int64_t rest = REST_FIRST_MS << (e->failures < 4 ? e->failures : 4);
            e->failures++;
            e->rest_until_ms = faas_clock_now_ms() + (rest < REST_MAX_MS ? rest : REST_MAX_MS);
            e->last_error_ms = faas_clock_now_ms();
            snprintf(e->last_error, sizeof(e->last_error), "%s", failed->msg);
        } else {
            e->failures = 0;
            e->rest_until_ms = 0;
        }
    }
    pthread_rwlock_unlock(&certs->lock);
    faas_pool_reschedule(certs->workers, certs); /* a new lifetime may make the next check due sooner */
    for (certs_waiter_t *w = waiters, *next; w != NULL; w = next) {
        next = w->next;
        faas_pool_post(w->inbox, w->ready, w->data);
        free(w);
    }
}

static void on_issue(void *data)
{
    issue_task_t *task = data;
    faas_certs_t *certs = task->certs;
    faas_error_t err = {0};
    int64_t started = faas_clock_mono_ms();
    if (task->check_policy && !policy_allows(certs, task->host)) {
        faas_log_info("certs: %s is not allowed by the policy; no order", task->host);
        finish(certs, task->host, NULL);
        free(task);
        return;
    }
    char *key = NULL, *chain = NULL;
    faas_err_t rc = faas_acme_issue(certs->acme, task->host, &key, &chain, &err);
    if (rc == FAAS_OK)
        rc = faas_tls__certs_install(certs, task->host, key, chain, &err);
    if (key != NULL)
        OPENSSL_cleanse(key, strlen(key));
    free(key);
    free(chain);
    if (rc == FAAS_OK)
        faas_log_info("certs: %s: certificate issued in %lld ms", task->host,
                      (long long)(faas_clock_mono_ms() - started));
    else
        faas_log_warn("certs: %s: no certificate: %s", task->host, err.msg);
    finish(certs, task->host, rc == FAAS_OK ? NULL : &err);
    free(task);
}

/* Whether one more order fits in the current window; write lock held. */
static int order_allowed(faas_certs_t *certs)
{
    int64_t now = faas_clock_mono_ms();
    if (now - certs->window_start_ms >= ORDER_WINDOW_MS) {
        certs->window_start_ms = now;
        certs->window_orders = 0;
    }
    return certs->window_orders++ < ORDERS_PER_WINDOW;
}

/* Starts an issuance for e unless one runs, it rests, or nothing is due; 1 if one runs now. Write lock held. */
static int start_issue(faas_certs_t *certs, certs_entry_t *e, int check_policy)
{
    int64_t now = faas_clock_now_ms();
    if (e->issuing)
        return 1;
    if (certs->acme == NULL || now < e->rest_until_ms || (e->ctx != NULL && now < faas_tls__certs_renew_at(e)))
        return 0;
    if (!order_allowed(certs)) {
        snprintf(e->last_error, sizeof(e->last_error), "too many new orders at once; try again shortly");
        e->last_error_ms = now;
        return 0;
    }
    issue_task_t *task = calloc(1, sizeof(*task));
    if (task == NULL)
        return 0;
    *task = (issue_task_t){.certs = certs, .check_policy = check_policy};
    snprintf(task->host, sizeof(task->host), "%s", e->host);
    if (faas_pool_submit(certs->workers, NULL, on_issue, NULL, task) != 0) {
        free(task);
        return 0;
    }
    e->issuing = 1;
    return 1;
}

void faas_certs_request(faas_certs_t *certs, const char *host)
{
    if (certs == NULL || certs->acme == NULL || faas_tls_is_ip_literal(host))
        return;
    pthread_rwlock_wrlock(&certs->lock);
    certs_entry_t *e = faas_tls__certs_find_or_add(certs, host);
    if (e != NULL)
        start_issue(certs, e, 1);
    pthread_rwlock_unlock(&certs->lock);
}

int faas_certs_wait(faas_certs_t *certs, const char *host, faas_pool_inbox_t *inbox, faas_certs_ready_cb ready,
                    void *data)
{
    if (certs->acme == NULL || faas_tls_is_ip_literal(host))
        return 0;
    certs_waiter_t *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return 0;
    *w = (certs_waiter_t){.inbox = inbox, .ready = ready, .data = data};
    int waiting = 0;
    pthread_rwlock_wrlock(&certs->lock);
    certs_entry_t *e = faas_tls__certs_find_or_add(certs, host);
    if (e != NULL && e->ctx == NULL && start_issue(certs, e, 0)) {
        w->next = e->waiters;
        e->waiters = w;
        waiting = 1;
    }
    pthread_rwlock_unlock(&certs->lock);
    if (!waiting)
        free(w);
    return waiting;
}

/* ---- renewal --------------------------------------------------------------------- */

static void on_renew_check(void *data)
{
    faas_certs_t *certs = data;
    pthread_rwlock_wrlock(&certs->lock);
    for (size_t i = 0; i < certs->n; i++) {
        certs_entry_t *e = certs->entries[i];
        if (e->ctx != NULL && !e->issuing && start_issue(certs, e, 1))
            faas_log_info("certs: renewing %s (expires %lld s from now)", e->host,
                          (long long)((e->info.not_after_ms - faas_clock_now_ms()) / 1000));
    }
    pthread_rwlock_unlock(&certs->lock);
}

/* The next check when the earliest certificate falls due, within [1 s, 10 min]. */
static int64_t renew_interval(void *data)
{
    faas_certs_t *certs = data;
    int64_t now = faas_clock_now_ms(), next = RENEW_CHECK_MAX_MS;
    pthread_rwlock_rdlock(&certs->lock);
    for (size_t i = 0; i < certs->n; i++) {
        const certs_entry_t *e = certs->entries[i];
        if (e->ctx == NULL)
            continue;
        int64_t due = faas_tls__certs_renew_at(e) - now;
        if (e->rest_until_ms > now && e->rest_until_ms - now > due)
            due = e->rest_until_ms - now;
        if (due < next)
            next = due;
    }
    pthread_rwlock_unlock(&certs->lock);
    return next < RENEW_CHECK_MIN_MS ? RENEW_CHECK_MIN_MS : next;
}

int faas_certs_start_renewals(faas_certs_t *certs)
{
    if (certs->acme == NULL)
        return 0;
    return faas_pool_every(certs->workers, RENEW_CHECK_MIN_MS, renew_interval, on_renew_check, certs);
}
