/*
 * stats.c: the counters and histograms of rare events (see core/stats.h): one table of label
 * sets behind a mutex, written out as Prometheus families. Any thread.
 */
#include "faas/core/stats.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX 64

typedef struct entry entry_t;

struct entry {
    int hist;                       /* 0: counter `which`; 1: histogram `which` */
    int which;
    char l1[LABEL_MAX], l2[LABEL_MAX];
    double value;                   /* counters */
    faas_metrics_hist_t h;          /* histograms */
    entry_t *next;
};

typedef struct family {
    const char *name, *help, *label1, *label2;
} family_t;

static const family_t counters[FAAS_STAT_COUNT] = {
    [FAAS_STAT_WAKES] = {"faas_wakes_total", "Wakes of service functions by the state the replica left (paused, stopped, new).",
                         "function_name", "from"},
    [FAAS_STAT_BUILDS] = {"faas_builds_total", "Image builds by result (success, failure).", "function_name", "result"},
    [FAAS_STAT_JOBS] = {"faas_job_executions_total",
                        "Job executions by result (success, error: non-zero exit, timeout, failure: not run).",
                        "function_name", "result"},
    [FAAS_STAT_WARM] = {"faas_warm_containers_started_total", "Execution containers started ahead of requests.",
                        "function_name", NULL},
    [FAAS_STAT_ACME] = {"faas_acme_orders_total", "ACME certificate orders by result (success, failure).", "result", NULL},
    [FAAS_STAT_INVOCATIONS] = {NULL, NULL, "function_name", "code"}, /* no name: merged by GET /metrics */
};

static const family_t hists[FAAS_STAT_HIST_COUNT] = {
    [FAAS_STAT_WAKE_SECONDS] = {"faas_wake_seconds", "Time a wake took, from the request until a replica was ready.",
                                "function_name", NULL},
    [FAAS_STAT_BUILD_SECONDS] = {"faas_build_seconds", "Time an image build took.", "function_name", NULL},
    [FAAS_STAT_JOB_SECONDS] = {"faas_job_execution_seconds", "Time a job execution took.", "function_name", NULL},
    [FAAS_STAT_INVOCATION_SECONDS] = {NULL, NULL, "function_name", NULL},
};

/* The one table of the process (see stats.h). */
static struct {
    pthread_mutex_t mutex;
    entry_t *entries; /* every label set seen, newest first */
} table = {PTHREAD_MUTEX_INITIALIZER, NULL};

void faas_stats_reset(void)
{
    pthread_mutex_lock(&table.mutex);
    while (table.entries != NULL) {
        entry_t *e = table.entries;
        table.entries = e->next;
        free(e);
    }
    pthread_mutex_unlock(&table.mutex);
}

/* The entry for the label set, created when new; NULL when out of memory. Under the mutex. */
static entry_t *entry(int hist, int which, const char *l1, const char *l2, int create)
{
    l1 = l1 != NULL ? l1 : "";
    l2 = l2 != NULL ? l2 : "";
    for (entry_t *e = table.entries; e != NULL; e = e->next)
        if (e->hist == hist && e->which == which && strncmp(e->l1, l1, LABEL_MAX - 1) == 0 &&
            strncmp(e->l2, l2, LABEL_MAX - 1) == 0)
            return e;
    entry_t *e = create ? calloc(1, sizeof(*e)) : NULL;
    if (e == NULL)
        return NULL;
    e->hist = hist;
    e->which = which;
    snprintf(e->l1, sizeof(e->l1), "%s", l1);
    snprintf(e->l2, sizeof(e->l2), "%s", l2);
    e->next = table.entries;
    table.entries = e;
    return e;
}

void faas_stats_count(faas_stat_t which, const char *l1, const char *l2)
{
    if (which >= FAAS_STAT_COUNT)
        return;
    pthread_mutex_lock(&table.mutex);
    entry_t *e = entry(0, (int)which, l1, l2, 1);
    if (e != NULL)
        e->value += 1;
    pthread_mutex_unlock(&table.mutex);
}

void faas_stats_observe(faas_stat_hist_t which, const char *name, double seconds)
{
    if (which >= FAAS_STAT_HIST_COUNT)
        return;
    pthread_mutex_lock(&table.mutex);
    entry_t *e = entry(1, (int)which, name, NULL, 1);
    if (e != NULL)
        faas_metrics_hist_observe(&e->h, seconds < 0 ? 0 : seconds);
    pthread_mutex_unlock(&table.mutex);
}

double faas_stats_value(faas_stat_t which, const char *l1, const char *l2)
{
    pthread_mutex_lock(&table.mutex);
    entry_t *e = entry(0, (int)which, l1, l2, 0);
    double v = e != NULL ? e->value : 0;
    pthread_mutex_unlock(&table.mutex);
    return v;
}

/* Calls fn for the entries of one family, oldest first (entries are kept newest first). Under the mutex. */
static void walk(int hist, int which, void (*fn)(void *arg, const entry_t *e), void *arg)
{
    size_t n = 0;
    for (entry_t *e = table.entries; e != NULL; e = e->next)
        n += e->hist == hist && e->which == which;
    const entry_t **all = n ? calloc(n, sizeof(*all)) : NULL;
    size_t k = n;
    for (entry_t *e = table.entries; all != NULL && e != NULL; e = e->next)
        if (e->hist == hist && e->which == which)
            all[--k] = e;
    for (size_t i = 0; all != NULL && i < n; i++)
        fn(arg, all[i]);
    free(all);
}

typedef struct each {
    faas_stats_each_cb cb;
    void *arg;
} each_t;

static void each_one(void *arg, const entry_t *e)
{
    each_t *each = arg;
    each->cb(each->arg, e->l1, e->l2, e->value, e->hist ? &e->h : NULL);
}

void faas_stats_each(int hist, int which, faas_stats_each_cb cb, void *arg)
{
    each_t each = {cb, arg};
    pthread_mutex_lock(&table.mutex);
    walk(hist, which, each_one, &each);
    pthread_mutex_unlock(&table.mutex);
}

typedef struct writing {
    faas_buf_t *b;
    const family_t *f;
} writing_t;

static void write_one(void *arg, const entry_t *e)
{
    writing_t *w = arg;
    faas_metrics_label_t labels[2] = {{w->f->label1, e->l1}, {w->f->label2, e->l2}};
    size_t nl = w->f->label2 != NULL ? 2 : 1;
    if (e->hist)
        faas_metrics_histogram(w->b, w->f->name, labels, nl, &e->h);
    else
        faas_metrics_sample(w->b, w->f->name, labels, nl, e->value);
}

void faas_stats_write(faas_buf_t *b)
{
    pthread_mutex_lock(&table.mutex);
    for (int hist = 0; hist < 2; hist++) {
        const family_t *fams = hist ? hists : counters;
        for (int i = 0; i < (hist ? FAAS_STAT_HIST_COUNT : FAAS_STAT_COUNT); i++) {
            if (fams[i].name == NULL)
                continue;
            writing_t w = {b, &fams[i]};
            faas_metrics_family(b, fams[i].name, hist ? "histogram" : "counter", fams[i].help);
            walk(hist, i, write_one, &w);
        }
    }
    pthread_mutex_unlock(&table.mutex);
}
