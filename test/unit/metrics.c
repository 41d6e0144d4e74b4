/*
 * metrics.c (unit): the Prometheus text exposition writer: # HELP / # TYPE, label values with
 * \ " and newline escaped (and nothing else touched), values as the format writes them, the
 * default buckets and their edges, histograms cumulative with _sum and _count; the table of
 * rare events (core/stats.h): counts per label set, hidden families only through
 * faas_stats_each; /proc/<pid>/stat parsing (a name with spaces and parentheses); the
 * `metrics` and `access_log` settings.
 */
#include "faas/core/config.h"
#include "faas/core/metrics.h"
#include "faas/core/procstat.h"
#include "faas/core/stats.h"
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *written(faas_buf_t *b)
{
    static char text[8192];
    snprintf(text, sizeof(text), "%s", b->p != NULL ? b->p : "");
    faas_buf_free(b);
    return text;
}

TEST(label_values_are_escaped)
{
    faas_buf_t b = {0};
    faas_metrics_label_t labels[2] = {{"function_name", "a\\b\"c\nd"}, {"code", "200"}};
    faas_metrics_sample(&b, "x_total", labels, 2, 3);
    CHECK_STR(written(&b), "x_total{function_name=\"a\\\\b\\\"c\\nd\",code=\"200\"} 3\n");
    faas_metrics_escape(&b, "plain-name_1.2 with space / and 'quote' and tab\t");
    CHECK_STR(written(&b), "plain-name_1.2 with space / and 'quote' and tab\t");
    faas_metrics_escape(&b, "\\\\\n\n\"");
    CHECK_STR(written(&b), "\\\\\\\\\\n\\n\\\"");
    faas_metrics_escape(&b, "");
    CHECK_STR(written(&b), "");
    faas_metrics_escape(&b, "h\xc3\xa9llo"); /* UTF-8 passes through */
    CHECK_STR(written(&b), "h\xc3\xa9llo");
}

TEST(family_and_samples)
{
    faas_buf_t b = {0};
    faas_metrics_family(&b, "faas_engine_up", "gauge", "1 when up\\down\nnext");
    CHECK_STR(written(&b), "# HELP faas_engine_up 1 when up\\\\down\\nnext\n# TYPE faas_engine_up gauge\n");
    faas_metrics_sample(&b, "g", NULL, 0, 0);
    faas_metrics_sample(&b, "g", NULL, 0, 12345678901.0);
    faas_metrics_sample(&b, "g", NULL, 0, 0.25);
    faas_metrics_sample(&b, "g", NULL, 0, 0.1 + 0.2); /* 0.30000000000000004: %.15g would not read back */
    faas_metrics_sample(&b, "g", NULL, 0, -2);
    faas_metrics_sample(&b, "g", NULL, 0, INFINITY);
    faas_metrics_sample(&b, "g", NULL, 0, -INFINITY);
    faas_metrics_sample(&b, "g", NULL, 0, NAN);
    CHECK_STR(written(&b), "g 0\ng 12345678901\ng 0.25\ng 0.30000000000000004\ng -2\ng +Inf\ng -Inf\ng NaN\n");
    faas_metrics_label_t none = {"host", NULL};
    faas_metrics_sample(&b, "c", &none, 1, 1);
    CHECK_STR(written(&b), "c{host=\"\"} 1\n");
}

TEST(default_buckets)
{
    const double want[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
    for (size_t i = 0; i < 11; i++)
        CHECK(faas_metrics_bucket_le(i) == want[i]);
    CHECK(isinf(faas_metrics_bucket_le(11)));
    CHECK_INT(faas_metrics_bucket_of(0), 0);
    CHECK_INT(faas_metrics_bucket_of(0.005), 0); /* le is inclusive */
    CHECK_INT(faas_metrics_bucket_of(0.0051), 1);
    CHECK_INT(faas_metrics_bucket_of(1), 7);
    CHECK_INT(faas_metrics_bucket_of(10), 10);
    CHECK_INT(faas_metrics_bucket_of(10.5), 11);
    CHECK_INT(faas_metrics_bucket_of(NAN), 11);
}

TEST(histogram_is_cumulative)
{
    faas_metrics_hist_t h = {0}, other = {0};
    faas_metrics_hist_observe(&h, 0.001);
    faas_metrics_hist_observe(&h, 0.3);
    faas_metrics_hist_observe(&h, 0.3);
    faas_metrics_hist_observe(&other, 20);
    faas_metrics_hist_add(&h, &other);
    CHECK_INT(h.count, 4);
    CHECK(fabs(h.sum - 20.601) < 1e-9);
    faas_buf_t b = {0};
    faas_metrics_label_t label = {"function_name", "f\"n"};
    faas_metrics_histogram(&b, "s", &label, 1, &h);
    CHECK_STR(written(&b), "s_bucket{function_name=\"f\\\"n\",le=\"0.005\"} 1\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"0.01\"} 1\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"0.025\"} 1\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"0.05\"} 1\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"0.1\"} 1\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"0.25\"} 1\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"0.5\"} 3\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"1\"} 3\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"2.5\"} 3\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"5\"} 3\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"10\"} 3\n"
                           "s_bucket{function_name=\"f\\\"n\",le=\"+Inf\"} 4\n"
                           "s_sum{function_name=\"f\\\"n\"} 20.601\n"
                           "s_count{function_name=\"f\\\"n\"} 4\n");
    faas_metrics_hist_t empty = {0};
    faas_metrics_histogram(&b, "e", NULL, 0, &empty);
    CHECK_CONTAINS(written(&b), "e_bucket{le=\"+Inf\"} 0\ne_sum 0\ne_count 0\n");
}

static void collect(void *arg, const char *l1, const char *l2, double value, const faas_metrics_hist_t *h)
{
    char *out = arg;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "%s/%s=%g%s;", l1, l2, value, h != NULL ? "h" : "");
}

TEST(stats_table)
{
    faas_stats_reset();
    faas_stats_count(FAAS_STAT_WAKES, "fn", "paused");
    faas_stats_count(FAAS_STAT_WAKES, "fn", "paused");
    faas_stats_count(FAAS_STAT_WAKES, "fn", "stopped");
    faas_stats_count(FAAS_STAT_ACME, "failure", NULL);
    faas_stats_count(FAAS_STAT_INVOCATIONS, "job", "200");
    faas_stats_observe(FAAS_STAT_WAKE_SECONDS, "fn", 0.07);
    faas_stats_count(FAAS_STAT_COUNT, "x", "y"); /* out of range: ignored */
    CHECK(faas_stats_value(FAAS_STAT_WAKES, "fn", "paused") == 2);
    CHECK(faas_stats_value(FAAS_STAT_WAKES, "fn", "new") == 0);
    faas_buf_t b = {0};
    faas_stats_write(&b);
    char *text = written(&b);
    CHECK_CONTAINS(text, "# TYPE faas_wakes_total counter\n"
                         "faas_wakes_total{function_name=\"fn\",from=\"paused\"} 2\n"
                         "faas_wakes_total{function_name=\"fn\",from=\"stopped\"} 1\n");
    CHECK_CONTAINS(text, "faas_acme_orders_total{result=\"failure\"} 1\n");
    CHECK_CONTAINS(text, "# TYPE faas_builds_total counter\n# HELP"); /* announced, no sample yet */
    CHECK_CONTAINS(text, "faas_wake_seconds_bucket{function_name=\"fn\",le=\"0.1\"} 1\n");
    CHECK(strstr(text, "\"job\"") == NULL); /* the invocations of jobs are GET /metrics's to merge */
    char each[512] = "";
    faas_stats_each(0, FAAS_STAT_INVOCATIONS, collect, each);
    faas_stats_each(1, FAAS_STAT_WAKE_SECONDS, collect, each);
    CHECK_STR(each, "job/200=1;fn/=0h;");
    faas_stats_reset();
    CHECK(faas_stats_value(FAAS_STAT_WAKES, "fn", "paused") == 0);
}

TEST(procstat_parse)
{
    /* pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
       cutime cstime priority nice threads itrealvalue starttime vsize rss ... */
    const char *line = "4242 (fa (a) s) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 4 0 1000 "
                       "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    faas_procstat_t p = {0};
    CHECK_INT(faas_procstat_parse(line, 100, 4096, 1700000000, &p), 0);
    CHECK(fabs(p.cpu_seconds - 3.0) < 1e-9);
    CHECK(fabs(p.start_time_seconds - 1700000010.0) < 1e-6);
    CHECK_INT(p.virtual_bytes, 123456789);
    CHECK_INT(p.resident_bytes, 2048 * 4096);
    CHECK_INT(faas_procstat_parse("4242 no parenthesis 1 2 3", 100, 4096, 0, &p), -1);
    CHECK_INT(faas_procstat_parse("4242 (short) S 1 2 3", 100, 4096, 0, &p), -1);
    faas_procstat_t self;
    CHECK_INT(faas_procstat_read(&self), 0);
    CHECK(self.resident_bytes > 0 && self.open_fds >= 3 && self.max_fds >= self.open_fds);
    CHECK(self.start_time_seconds > 1600000000);
}

static const char *set(faas_config_t *cfg, const char *name, faas_config_value_t v)
{
    static faas_error_t err;
    memset(&err, 0, sizeof(err));
    return faas_config_set(cfg, name, &v, &err) == FAAS_OK ? "" : err.msg;
}

TEST(settings)
{
    faas_config_t *cfg = faas_config_new();
    CHECK_INT(cfg->metrics, 1);
    CHECK(cfg->access_log == NULL);
    CHECK_STR(set(cfg, "metrics", (faas_config_value_t){.type = FAAS_CV_BOOL, .b = 0}), "");
    CHECK_INT(cfg->metrics, 0);
    CHECK_CONTAINS(set(cfg, "metrics", (faas_config_value_t){.type = FAAS_CV_STRING, .s = "maybe"}),
                   "metrics: must be true or false");
    CHECK_INT(cfg->metrics, 0);
    CHECK_STR(set(cfg, "access_log", (faas_config_value_t){.type = FAAS_CV_BOOL, .b = 1}), "");
    CHECK_STR(cfg->access_log, "-");
    faas_config_item_t item;
    for (size_t i = 0; faas_config_item(cfg, i, &item) == 0; i++)
        if (strcmp(item.name, "access_log") == 0)
            CHECK_STR(item.value, "stderr"); /* faas check: not "-", which reads as off */
    CHECK_STR(set(cfg, "access_log", (faas_config_value_t){.type = FAAS_CV_STRING, .s = "logs/access.log"}), "");
    faas_error_t err = {0};
    CHECK_INT(faas_config_finish(cfg, "/etc/faas", "/root", &err), FAAS_OK);
    CHECK_STR(cfg->access_log, "/var/lib/faas/logs/access.log"); /* under data_dir */
    CHECK_STR(set(cfg, "access_log", (faas_config_value_t){.type = FAAS_CV_BOOL, .b = 0}), "");
    CHECK(cfg->access_log == NULL);
    CHECK_CONTAINS(set(cfg, "access_log", (faas_config_value_t){.type = FAAS_CV_NUMBER, .n = 3}), "access_log: ");
    faas_config_unref(cfg);
}

int main(void)
{
    RUN(label_values_are_escaped);
    RUN(family_and_samples);
    RUN(default_buckets);
    RUN(histogram_is_cumulative);
    RUN(stats_table);
    RUN(procstat_parse);
    RUN(settings);
    return testlib_done();
}
