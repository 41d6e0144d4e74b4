/*
 * certs_issue.c: getting certificates. One issuance per name at a time on the
 * worker pool; handshakes waiting for that name are woken on their loops when
 * it ends. A failure makes the name rest (5 min, doubling to 1 h: Let's
 * Encrypt allows 5 failed validations per name and hour); at most 10 orders
 * start per 10 s, and orders for new names have an hourly budget
 * (FAAS_CERTS_NEW_ORDERS_PER_HOUR), so a flood of allowed names cannot
 * exhaust the CA's limits. The renewal check runs when the earliest
 * certificate is due; it also forgets idle names without a certificate, and
 * lets certificates nobody used for FAAS_CERTS_UNUSED_MS expire unrenewed.
 * Called from loop threads (waits), workers (issuance, renewal) and deploys.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/core/stats.h"

#include <stdlib.h>
#include <string.h>

#define REST_FIRST_MS (5 * 60 * 1000)
#define REST_MAX_MS (60 * 60 * 1000)
#define ORDER_WINDOW_MS 10000
#define ORDERS_PER_WINDOW 10
#define BUDGET_INTERVAL_MS (3600000 / FAAS_CERTS_NEW_ORDERS_PER_HOUR) /* one more new order per 72 s */
#define SWEEP_EVERY_MS (10 * 60 * 1000)
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

/* Records the end of an issuance for host (failed: why; refused: the policy said no, so a name
 * with a certificate rests an hour instead of being asked about at every renewal check; a new
 * name does not, so a deploy right after the operator allowed it gets its order) and wakes its
 * waiters. */
static void finish(faas_certs_t *certs, const char *host, const faas_error_t *failed, int refused)
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
            e->rest_until_ms = refused && e->ctx != NULL ? faas_clock_now_ms() + REST_MAX_MS : 0;
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
        finish(certs, task->host, NULL, 1);
        free(task);
        return;
    }
    char *key = NULL, *chain = NULL;
    faas_err_t rc = faas_acme_issue(certs->acme, task->host, &key, &chain, &err);
    faas_stats_count(FAAS_STAT_ACME, rc == FAAS_OK ? "success" : "failure", NULL);
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
    finish(certs, task->host, rc == FAAS_OK ? NULL : &err, 0);
    free(task);
}

int faas_tls__budget_take(int64_t *tat_ms, int64_t now_ms)
{
    if (faas_tls__budget_wait_ms(*tat_ms, now_ms) > 0)
        return 0;
    *tat_ms = (*tat_ms > now_ms ? *tat_ms : now_ms) + BUDGET_INTERVAL_MS;
    return 1;
}

int64_t faas_tls__budget_wait_ms(int64_t tat_ms, int64_t now_ms)
{
    /* tat - now: the orders taken and not yet paid back, in time; the bucket holds N of them */
    int64_t backlog = tat_ms > now_ms ? tat_ms - now_ms : 0;
    int64_t over = backlog - (int64_t)(FAAS_CERTS_NEW_ORDERS_PER_HOUR - 1) * BUDGET_INTERVAL_MS;
    return over > 0 ? over : 0;
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

/* Whether an order for e fits the caps (10 per 10 s; the hourly budget for a new name), taking
 * its place when it does; else e's last error says which and 0. Write lock held. */
static int order_fits(faas_certs_t *certs, certs_entry_t *e, int64_t now)
{
    int64_t wait = e->ctx == NULL ? faas_tls__budget_wait_ms(certs->budget_tat_ms, faas_clock_mono_ms()) : 0;
    if (wait > 0) {
        snprintf(e->last_error, sizeof(e->last_error),
                 "the budget of %d new certificate orders per hour is spent; the next fits in %lld s",
                 FAAS_CERTS_NEW_ORDERS_PER_HOUR, (long long)(wait + 999) / 1000);
        faas_log_warn("certs: the budget of %d new certificate orders per hour is spent: new names get none "
                      "until it refills (one per %d s)", FAAS_CERTS_NEW_ORDERS_PER_HOUR, BUDGET_INTERVAL_MS / 1000);
    } else if (!order_allowed(certs)) {
        snprintf(e->last_error, sizeof(e->last_error), "too many new orders at once; try again shortly");
    } else {
        if (e->ctx == NULL)
            faas_tls__budget_take(&certs->budget_tat_ms, faas_clock_mono_ms());
        return 1;
    }
    e->last_error_ms = now;
    return 0;
}

/* Starts an issuance for e unless one runs, it rests, or nothing is due; 1 if one runs now. Write lock held. */
static int start_issue(faas_certs_t *certs, certs_entry_t *e, int check_policy)
{
    int64_t now = faas_clock_now_ms();
    if (e->issuing)
        return 1;
    if (certs->acme == NULL || now < e->rest_until_ms || (e->ctx != NULL && now < faas_tls__certs_renew_at(e)))
        return 0;
    if (!order_fits(certs, e, now))
        return 0;
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
    if (e != NULL) {
        atomic_store(&e->used_ms, faas_clock_now_ms()); /* a deploy counts as use */
        start_issue(certs, e, 1);
    }
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
    if (e != NULL)
        atomic_store(&e->used_ms, faas_clock_now_ms());
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

/* Whether no handshake or deploy asked for e's certificate in FAAS_CERTS_UNUSED_MS. */
static int unused(const certs_entry_t *e, int64_t now)
{
    return now - atomic_load(&e->used_ms) > FAAS_CERTS_UNUSED_MS;
}

/* When the renewal check next has work for e (Unix ms): its renewal (or the end of its rest), or,
 * unused, its expiry (then it is dropped). */
static int64_t next_work_ms(const certs_entry_t *e, int64_t now)
{
    if (unused(e, now))
        return e->info.not_after_ms;
    int64_t due = faas_tls__certs_renew_at(e);
    return e->rest_until_ms > due ? e->rest_until_ms : due;
}

typedef char host_name_t[CERTS_HOST_MAX];

/* Renews what is due and used; returns the names of unused expired certificates (malloc, n in *n_out). Write lock held. */
static host_name_t *renew_due(faas_certs_t *certs, int64_t now, size_t *n_out)
{
    host_name_t *expired = NULL;
    size_t n = 0;
    for (size_t i = 0; i < certs->n; i++) {
        certs_entry_t *e = certs->entries[i];
        if (e->ctx == NULL || e->issuing)
            continue;
        if (!unused(e, now)) {
            if (start_issue(certs, e, 1))
                faas_log_info("certs: renewing %s (expires %lld s from now)", e->host,
                              (long long)((e->info.not_after_ms - now) / 1000));
        } else if (now >= e->info.not_after_ms) {
            host_name_t *grown = realloc(expired, (n + 1) * sizeof(*expired));
            if (grown == NULL)
                break;
            expired = grown;
            snprintf(expired[n++], CERTS_HOST_MAX, "%s", e->host);
        }
    }
    *n_out = n;
    return expired;
}

static void on_renew_check(void *data)
{
    faas_certs_t *certs = data;
    int64_t now = faas_clock_now_ms();
    size_t n_expired = 0, swept = 0;
    pthread_rwlock_wrlock(&certs->lock);
    host_name_t *expired = renew_due(certs, now, &n_expired);
    if (now - certs->last_sweep_ms >= SWEEP_EVERY_MS) {
        swept = faas_tls__certs_sweep(certs, now);
        certs->last_sweep_ms = now;
    }
    pthread_rwlock_unlock(&certs->lock);
    if (swept > 0)
        faas_log_info("certs: forgot %zu name(s) without a certificate that nobody asked for in an hour", swept);
    for (size_t i = 0; i < n_expired; i++) {
        faas_log_info("certs: %s: expired, and unused for %lld days: dropped, not renewed", expired[i],
                      (long long)(FAAS_CERTS_UNUSED_MS / 86400000));
        faas_certs_forget(certs, expired[i]);
    }
    free(expired);
}

/* The next check when the earliest certificate falls due, within [1 s, 10 min]. */
static int64_t renew_interval(void *data)
{
    faas_certs_t *certs = data;
    int64_t now = faas_clock_now_ms(), next = RENEW_CHECK_MAX_MS;
    pthread_rwlock_rdlock(&certs->lock);
    for (size_t i = 0; i < certs->n; i++) {
        const certs_entry_t *e = certs->entries[i];
        if (e->ctx != NULL && next_work_ms(e, now) - now < next)
            next = next_work_ms(e, now) - now;
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
