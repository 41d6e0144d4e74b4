/*
 * config.c (unit): every setting's parser and validator, defaults, environment
 * overrides, path resolution and reload carry-over, the nearest name for a
 * typo, settings as text with their origin (faas check) and the reload log,
 * without Lua.
 */
#include "faas/core/config.h"
#include "faas/core/log.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static faas_config_value_t S(const char *s)
{
    return (faas_config_value_t){.type = FAAS_CV_STRING, .s = s};
}

static faas_config_value_t N(double n)
{
    return (faas_config_value_t){.type = FAAS_CV_NUMBER, .n = n};
}

/* Sets name from v and returns the error text ("" on success). */
static const char *try_set(faas_config_t *cfg, const char *name, faas_config_value_t v)
{
    static faas_error_t err;
    memset(&err, 0, sizeof(err));
    if (faas_config_set(cfg, name, &v, &err) == FAAS_OK)
        return "";
    return err.msg;
}

TEST(defaults_are_documented_values)
{
    faas_config_t *cfg = faas_config_new();
    char buf[96];
    CHECK_STR(faas_config_format_listen(&cfg->listen, buf, sizeof(buf)), "127.0.0.1:8080");
    CHECK_STR(cfg->domain, "localhost");
    CHECK_STR(cfg->data_dir, "/var/lib/faas");
    CHECK_STR(cfg->passfile, "~/.passfile");
    CHECK(cfg->temp_dir == NULL);
    CHECK_INT(cfg->prod, 0);
    CHECK_INT(cfg->log_level, FAAS_LOG_INFO);
    CHECK_INT(cfg->cleanup_interval_ms, 120000);
    CHECK_INT(cfg->restart_interval_ms, 120000);
    CHECK_INT(cfg->allowlist_len, 0);
    CHECK_INT(cfg->limits.max_file_size, 10 << 20);
    CHECK_INT(cfg->limits.max_body_size, 64 << 20);
    CHECK_INT(cfg->limits.memory, 256 << 20);
    CHECK_INT(cfg->limits.nano_cpus, 1000000000);
    CHECK_INT(cfg->limits.containers, 10);
    CHECK_INT(cfg->limits.run_timeout_ms, 30000);
    CHECK_INT(cfg->limits.build_timeout_ms, 120000);
    CHECK_INT(cfg->server.read_timeout_ms, 300000);
    CHECK_INT(cfg->server.shutdown_timeout_ms, 5000);
    CHECK_INT(cfg->server.workers, 16);
    CHECK_INT(cfg->server.header_timeout_ms, 60000);
    CHECK_INT(cfg->server.keepalive_timeout_ms, 60000);
    CHECK_INT(cfg->server.max_connections, 4096);
    CHECK_INT(cfg->limits.max_unauth_body, 64 << 10);
    CHECK_INT(cfg->tls.https_port, 443);
    CHECK_INT(cfg->tls.http_port, 80);
    CHECK_STR(cfg->docker.socket, "/var/run/docker.sock");
    CHECK_STR(cfg->docker.image_prefix, "faas");
    CHECK_INT(cfg->scale.min, 0);
    CHECK_INT(cfg->scale.max, 1);
    CHECK_INT(cfg->scale.target, 10);
    CHECK_INT(cfg->scale.concurrency, 0);
    CHECK_INT(cfg->scale.window_ms, 60000);
    CHECK_INT(cfg->scale.pause_after_ms, 300000);
    CHECK_INT(cfg->scale.stop_after_ms, 3600000);
    CHECK_INT(cfg->scale.wake_timeout_ms, 60000);
    CHECK_INT(cfg->scale.queue, 1000);
    CHECK(faas_config_port_reserved(cfg, 80) && faas_config_port_reserved(cfg, 8080) && faas_config_port_reserved(cfg, 9001));
    CHECK(!faas_config_port_reserved(cfg, 9002) && !faas_config_port_reserved(cfg, 0) && !faas_config_port_reserved(cfg, 70000));
    faas_config_unref(cfg);
}

TEST(durations)
{
    static const struct { const char *s; int64_t ms; } ok[] = {
        {"30", 30000}, {"30s", 30000}, {"500ms", 500}, {"2m", 120000}, {"1h", 3600000}, {"1.5", 1500},
        {"1.5s", 1500}, {" 30 s ", 30000}, {"0", 0}, {"2min", 120000}, {"10S", 10000},
        {"7d", 7 * 86400000LL}, {"1d", 86400000}, {"0.5d", 43200000}, {"2D", 2 * 86400000LL},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t ms = -1;
        faas_config_value_t v = S(ok[i].s);
        CHECK_INT(faas_config_parse_duration(&v, &ms), 0);
        CHECK_INT(ms, ok[i].ms);
    }
    static const char *const bad[] = {"", "s", "-1", "abc", "30x", "30 s s", "1e400", "nan", "inf", "3w", "d", "1dd"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms;
        faas_config_value_t v = S(bad[i]);
        testlib_check(faas_config_parse_duration(&v, &ms) == -1, __FILE__, __LINE__, "duration \"%s\" refused", bad[i]);
    }
    int64_t ms;
    faas_config_value_t n = N(2.5);
    CHECK_INT(faas_config_parse_duration(&n, &ms), 0);
    CHECK_INT(ms, 2500);
    n = N(-1);
    CHECK_INT(faas_config_parse_duration(&n, &ms), -1);
    faas_config_value_t b = {.type = FAAS_CV_BOOL, .b = 1};
    CHECK_INT(faas_config_parse_duration(&b, &ms), -1);
}

TEST(sizes)
{
    static const struct { const char *s; int64_t bytes; } ok[] = {
        {"1048576", 1048576}, {"512k", 524288}, {"10m", 10485760}, {"10MB", 10485760}, {"1g", 1073741824},
        {"2GiB", 2147483648LL}, {"1.5k", 1536}, {"100b", 100}, {"7 KiB", 7168},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t b = -1;
        faas_config_value_t v = S(ok[i].s);
        CHECK_INT(faas_config_parse_size(&v, &b), 0);
        CHECK_INT(b, ok[i].bytes);
    }
    static const char *const bad[] = {"", "k", "-5", "10q", "10 m b", "1t", "0x10", "1e3", "inf", ".", "1.2.3m"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t b;
        faas_config_value_t v = S(bad[i]);
        testlib_check(faas_config_parse_size(&v, &b) == -1, __FILE__, __LINE__, "size \"%s\" refused", bad[i]);
    }
}

TEST(listen_forms)
{
    faas_config_t *cfg = faas_config_new();
    char buf[96];
    CHECK_STR(try_set(cfg, "listen", N(8081)), "");
    CHECK_STR(faas_config_format_listen(&cfg->listen, buf, sizeof(buf)), "*:8081");
    CHECK_STR(try_set(cfg, "listen", S("localhost:0")), "");
    CHECK_STR(faas_config_format_listen(&cfg->listen, buf, sizeof(buf)), "127.0.0.1:0");
    CHECK_STR(try_set(cfg, "listen", S("[::1]:9000")), "");
    CHECK_STR(faas_config_format_listen(&cfg->listen, buf, sizeof(buf)), "[::1]:9000");
    CHECK_STR(try_set(cfg, "listen", S("*:80")), "");
    CHECK_STR(cfg->listen.host, "");
    CHECK_STR(try_set(cfg, "listen", S("9090")), "");
    CHECK_INT(cfg->listen.port, 9090);
    CHECK_CONTAINS(try_set(cfg, "listen", S("example.com:80")), "listen: host must be an IP address");
    CHECK_CONTAINS(try_set(cfg, "listen", S("1.2.3.4:99999")), "listen: bad port");
    CHECK_CONTAINS(try_set(cfg, "listen", N(-1)), "listen: port -1 out of range");
    CHECK_CONTAINS(try_set(cfg, "listen", S("nope")), "listen: must be a port number or \"host:port\"");
    faas_config_value_t b = {.type = FAAS_CV_BOOL, .b = 1};
    CHECK_CONTAINS(try_set(cfg, "listen", b), "got a boolean");
    CHECK_INT(cfg->listen.port, 9090); /* a refused value changes nothing */
    CHECK_CONTAINS(try_set(cfg, "listen.port", N(1)), "unknown setting"); /* only SERVER_PORT reaches it */
    faas_config_unref(cfg);
}

TEST(ports_and_hosts)
{
    faas_config_t *cfg = faas_config_new();
    faas_config_value_t items[] = {N(5000), S("10-12")};
    faas_config_value_t list = {.type = FAAS_CV_LIST, .items = items, .n_items = 2};
    CHECK_STR(try_set(cfg, "reserved_ports", list), "");
    CHECK(faas_config_port_reserved(cfg, 5000) && faas_config_port_reserved(cfg, 10) && faas_config_port_reserved(cfg, 12));
    CHECK(!faas_config_port_reserved(cfg, 13) && !faas_config_port_reserved(cfg, 80)); /* replaced, not merged */
    faas_config_value_t bad_items[] = {N(80), N(0)};
    faas_config_value_t bad = {.type = FAAS_CV_LIST, .items = bad_items, .n_items = 2};
    CHECK_CONTAINS(try_set(cfg, "reserved_ports", bad), "reserved_ports: entry 2 is outside 1..65535");
    CHECK(faas_config_port_reserved(cfg, 5000) && !faas_config_port_reserved(cfg, 80));
    CHECK_CONTAINS(try_set(cfg, "reserved_ports", S("12-10")), "bad port range");
    CHECK_CONTAINS(try_set(cfg, "reserved_ports", N(1.5)), "not a port number");
    CHECK_STR(try_set(cfg, "reserved_ports", S("80,81")), "");
    CHECK(faas_config_port_reserved(cfg, 81));

    CHECK_STR(try_set(cfg, "allowlist", S("A.example.com, *.Example.org,,")), "");
    CHECK_INT(cfg->allowlist_len, 2);
    CHECK_STR(cfg->allowlist[0], "a.example.com");
    CHECK_STR(cfg->allowlist[1], "*.example.org");
    CHECK_STR(try_set(cfg, "allowlist", S("\"mydo.main,otherdo.main\"")), ""); /* the seed's .env quoting */
    CHECK_STR(cfg->allowlist[1], "otherdo.main");
    faas_config_value_t hosts[] = {S("x.example.com"), N(3)};
    faas_config_value_t hl = {.type = FAAS_CV_LIST, .items = hosts, .n_items = 2};
    CHECK_CONTAINS(try_set(cfg, "allowlist", hl), "allowlist: entry 2 is not a string");
    CHECK_CONTAINS(try_set(cfg, "allowlist", S("ok.com,bad_host.com")), "\"bad_host.com\" is not a host name");
    CHECK_CONTAINS(try_set(cfg, "allowlist", S("*.*.com")), "is not a host name");
    CHECK_INT(cfg->allowlist_len, 2); /* kept after a refused value */

    CHECK_STR(try_set(cfg, "domain", S("Functions.Example.COM")), "");
    CHECK_STR(cfg->domain, "functions.example.com");
    CHECK_CONTAINS(try_set(cfg, "domain", S("a..b")), "not a valid domain name");
    char label64[80];
    memset(label64, 'a', 64);
    label64[64] = '\0';
    CHECK_CONTAINS(try_set(cfg, "domain", S(label64)), "not a valid domain name");
    label64[63] = '\0';
    CHECK_STR(try_set(cfg, "domain", S(label64)), "");
    faas_config_unref(cfg);
}

TEST(other_settings)
{
    faas_config_t *cfg = faas_config_new();
    CHECK_STR(try_set(cfg, "mode", S("prod")), "");
    CHECK_INT(cfg->prod, 1);
    CHECK_STR(try_set(cfg, "mode", S("not_prod")), "");
    CHECK_INT(cfg->prod, 0);
    CHECK_CONTAINS(try_set(cfg, "mode", S("staging")), "mode: must be \"dev\" or \"prod\"");
    CHECK_STR(try_set(cfg, "log_level", S("WARN")), "");
    CHECK_INT(cfg->log_level, FAAS_LOG_WARN);
    CHECK_CONTAINS(try_set(cfg, "log_level", N(1)), "log_level: must be");
    CHECK_STR(try_set(cfg, "limits.cpus", N(0.5)), "");
    CHECK_INT(cfg->limits.nano_cpus, 500000000);
    CHECK_CONTAINS(try_set(cfg, "limits.cpus", N(0)), "limits.cpus: must be a number of CPUs");
    CHECK_CONTAINS(try_set(cfg, "limits.pids", N(3)), "limits.pids: 3 is out of range 8..4194304");
    CHECK_CONTAINS(try_set(cfg, "limits.pids", N(9.5)), "limits.pids: must be a whole number");
    CHECK_CONTAINS(try_set(cfg, "limits.memory", S("1m")), "limits.memory: 1MiB is out of range (6MiB to 1024GiB)");
    CHECK_CONTAINS(try_set(cfg, "cleanup_interval", S("500ms")), "cleanup_interval: 500ms is out of range (1s to 7d)");
    CHECK_STR(try_set(cfg, "cleanup_interval", S("7d")), ""); /* the top of the range, as the message says */
    CHECK_INT(cfg->cleanup_interval_ms, 7 * 86400000LL);
    CHECK_CONTAINS(try_set(cfg, "restart_interval", S("8d")), "restart_interval: 8d is out of range (1s to 7d)");
    CHECK_CONTAINS(try_set(cfg, "limits.run_timeout", S("soon")), "\"1h\" or \"7d\"");
    CHECK_STR(try_set(cfg, "server.shutdown_timeout", N(0)), "");
    CHECK_CONTAINS(try_set(cfg, "server.header_timeout", S("500ms")), "server.header_timeout: 500ms is out of range (1s to 1d)");
    CHECK_STR(try_set(cfg, "server.header_timeout", S("5s")), "");
    CHECK_INT(cfg->server.header_timeout_ms, 5000);
    CHECK_CONTAINS(try_set(cfg, "server.keepalive_timeout", N(0)), "server.keepalive_timeout: 0ms is out of range (1s to 1d)");
    CHECK_STR(try_set(cfg, "server.keepalive_timeout", S("2m")), "");
    CHECK_INT(cfg->server.keepalive_timeout_ms, 120000);
    CHECK_CONTAINS(try_set(cfg, "server.max_connections", N(8)), "server.max_connections: 8 is out of range 16..1000000");
    CHECK_CONTAINS(try_set(cfg, "server.max_connections", S("lots")), "server.max_connections: must be a whole number");
    CHECK_STR(try_set(cfg, "server.max_connections", N(100000)), "");
    CHECK_INT(cfg->server.max_connections, 100000);
    CHECK_STR(try_set(cfg, "limits.max_unauth_body", N(0)), ""); /* 0: any body without the passkey is cut */
    CHECK_INT(cfg->limits.max_unauth_body, 0);
    CHECK_STR(try_set(cfg, "limits.max_unauth_body", S("1m")), "");
    CHECK_INT(cfg->limits.max_unauth_body, 1 << 20);
    CHECK_CONTAINS(try_set(cfg, "limits.max_unauth_body", S("-1")), "limits.max_unauth_body: must be a size");
    CHECK_STR(try_set(cfg, "limits.nope", N(1)), "limits.nope: unknown setting");
    CHECK_CONTAINS(try_set(cfg, "docker.socket", S("tcp://1.2.3.4:2375")), "only unix:// sockets");
    CHECK_STR(try_set(cfg, "docker.socket", S("unix:///run/d.sock")), "");
    CHECK_STR(cfg->docker.socket, "/run/d.sock");
    CHECK_CONTAINS(try_set(cfg, "docker.socket", S("relative.sock")), "absolute socket path");
    CHECK_CONTAINS(try_set(cfg, "docker.image_prefix", S("Bad Prefix")), "not a valid image name prefix");
    CHECK_CONTAINS(try_set(cfg, "tls.acme.directory", S("ftp://x")), "must be an http(s):// URL");
    CHECK_CONTAINS(try_set(cfg, "tls.acme.email", S("nobody")), "not an e-mail address");
    CHECK_CONTAINS(try_set(cfg, "data_dir", S("")), "data_dir: must not be empty");
    CHECK_CONTAINS(try_set(cfg, "data_dir", N(3)), "data_dir: must be a string, got a number");
    CHECK(faas_config_is_section("limits") && faas_config_is_section("tls.acme") && !faas_config_is_section("domain"));
    faas_config_unref(cfg);
}

TEST(scale_settings)
{
    faas_config_t *cfg = faas_config_new();
    CHECK(faas_config_is_section("scale"));
    CHECK_STR(try_set(cfg, "scale.min", N(2)), "");
    CHECK_STR(try_set(cfg, "scale.max", N(1000)), "");
    CHECK_STR(try_set(cfg, "scale.target", S("25")), "");
    CHECK_STR(try_set(cfg, "scale.concurrency", N(100000)), "");
    CHECK_STR(try_set(cfg, "scale.window", S("2s")), "");
    CHECK_STR(try_set(cfg, "scale.pause_after", S("30d")), "");
    CHECK_STR(try_set(cfg, "scale.stop_after", S("365d")), "");
    CHECK_STR(try_set(cfg, "scale.wake_timeout", S("100ms")), "");
    CHECK_STR(try_set(cfg, "scale.queue", N(0)), "");
    CHECK_INT(cfg->scale.min, 2);
    CHECK_INT(cfg->scale.max, 1000);
    CHECK_INT(cfg->scale.target, 25);
    CHECK_INT(cfg->scale.concurrency, 100000);
    CHECK_INT(cfg->scale.window_ms, 2000);
    CHECK_INT(cfg->scale.pause_after_ms, 30 * 86400000LL);
    CHECK_INT(cfg->scale.stop_after_ms, 365 * 86400000LL);
    CHECK_INT(cfg->scale.wake_timeout_ms, 100);
    CHECK_INT(cfg->scale.queue, 0);
    CHECK_STR(try_set(cfg, "scale.min", N(-1)), "scale.min: -1 is out of range 0..1000");
    CHECK_STR(try_set(cfg, "scale.min", N(1001)), "scale.min: 1001 is out of range 0..1000");
    CHECK_STR(try_set(cfg, "scale.max", N(0)), "scale.max: 0 is out of range 1..1000");
    CHECK_STR(try_set(cfg, "scale.target", N(0)), "scale.target: 0 is out of range 1..100000");
    CHECK_STR(try_set(cfg, "scale.target", N(2.5)), "scale.target: must be a whole number");
    CHECK_STR(try_set(cfg, "scale.concurrency", N(100001)), "scale.concurrency: 100001 is out of range 0..100000");
    CHECK_STR(try_set(cfg, "scale.window", S("1s")), "scale.window: 1s is out of range (2s to 1h)");
    CHECK_STR(try_set(cfg, "scale.window", S("61m")), "scale.window: 61m is out of range (2s to 1h)");
    CHECK_STR(try_set(cfg, "scale.pause_after", S("500ms")), "scale.pause_after: 500ms is out of range (1s to 30d)");
    CHECK_STR(try_set(cfg, "scale.stop_after", S("366d")), "scale.stop_after: 366d is out of range (1s to 365d)");
    CHECK_STR(try_set(cfg, "scale.wake_timeout", S("11m")), "scale.wake_timeout: 11m is out of range (100ms to 10m)");
    CHECK_STR(try_set(cfg, "scale.queue", N(1000001)), "scale.queue: 1000001 is out of range 0..1000000");
    CHECK_STR(try_set(cfg, "scale.mni", N(1)), "scale.mni: unknown setting (did you mean \"scale.min\"?)");
    CHECK_INT(cfg->scale.min, 2); /* refused values changed nothing */
    CHECK_INT(cfg->scale.window_ms, 2000);
    faas_error_t err = {0};
    CHECK_INT(faas_config_finish(cfg, "/x", "/root", &err), FAAS_OK);
    CHECK_STR(try_set(cfg, "scale.max", N(1)), "");
    CHECK_INT(faas_config_finish(cfg, "/x", "/root", &err), FAAS_EINVAL); /* min 2 above max 1 */
    CHECK_STR(err.msg, "scale.min: 2 is above scale.max (1)");
    faas_config_unref(cfg);
}

static const char *const *env_table;

static const char *fake_getenv(const char *name)
{
    for (const char *const *e = env_table; *e != NULL; e += 2)
        if (strcmp(e[0], name) == 0)
            return e[1];
    return NULL;
}

TEST(environment_overrides)
{
    faas_config_t *cfg = faas_config_new();
    faas_config_value_t l = S("10.0.0.1:8000");
    faas_config_set(cfg, "listen", &l, NULL);
    static const char *const env[] = {"SERVER_PORT", "9123", "ENV", "prod", "MAX_FILE_SIZE", "5m",
                                      "DOCKER_RUN_TIMEOUT", "45", "ALLOWLIST", "a.example.com,*.b.example.com",
                                      "LOG_TO_FILE", "1", "DOCKER_HOST", "unix:///tmp/d.sock", "CLEANUP_INTERVAL", "60s",
                                      "SERVER_SHUTDOWN_TIMEOUT", "2s", NULL};
    env_table = env;
    faas_error_t err = {0};
    CHECK_INT(faas_config_apply_env(cfg, fake_getenv, &err), FAAS_OK);
    CHECK_STR(cfg->listen.host, "10.0.0.1");
    CHECK_INT(cfg->listen.port, 9123);
    CHECK_INT(cfg->prod, 1);
    CHECK_INT(cfg->limits.max_file_size, 5 << 20);
    CHECK_INT(cfg->limits.run_timeout_ms, 45000);
    CHECK_INT(cfg->allowlist_len, 2);
    CHECK_STR(cfg->log_file, "faas.log");
    CHECK_STR(cfg->docker.socket, "/tmp/d.sock");
    CHECK_INT(cfg->cleanup_interval_ms, 60000);
    CHECK_INT(cfg->server.shutdown_timeout_ms, 2000);

    static const char *const bad[] = {"DOCKER_CONTAINER_LIMIT", "many", NULL};
    env_table = bad;
    CHECK_INT(faas_config_apply_env(cfg, fake_getenv, &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "DOCKER_CONTAINER_LIMIT (environment, for limits.containers): must be a whole number (got \"many\")");
    static const char *const port[] = {"SERVER_PORT", "65536", NULL};
    env_table = port;
    CHECK_INT(faas_config_apply_env(cfg, fake_getenv, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "SERVER_PORT");
    static const char *const off[] = {"LOG_TO_FILE", "0", NULL};
    env_table = off;
    CHECK_INT(faas_config_apply_env(cfg, fake_getenv, &err), FAAS_OK);
    CHECK(cfg->log_file == NULL);
    faas_config_unref(cfg);
}

TEST(acme_mode)
{
    faas_config_t *cfg = faas_config_new();
    CHECK_INT(faas_config_acme_mode(cfg), 0); /* dev, no tls.acme: plain HTTP */
    CHECK_STR(try_set(cfg, "mode", S("prod")), "");
    CHECK_INT(faas_config_acme_mode(cfg), 1);
    CHECK_STR(faas_config_acme_directory(cfg), "https://acme-v02.api.letsencrypt.org/directory");
    CHECK_STR(try_set(cfg, "mode", S("dev")), "");
    CHECK_STR(try_set(cfg, "tls.acme.directory", S("https://127.0.0.1:14000/dir")), "");
    CHECK_INT(faas_config_acme_mode(cfg), 1); /* a directory alone turns it on */
    CHECK_STR(faas_config_acme_directory(cfg), "https://127.0.0.1:14000/dir");
    CHECK_CONTAINS(try_set(cfg, "tls.acme.directory", S("ftp://x/dir")), "tls.acme.directory");
    CHECK_CONTAINS(try_set(cfg, "tls.acme.email", S("not an email")), "tls.acme.email");
    /* The two ports of ACME mode must differ. */
    CHECK_STR(try_set(cfg, "tls.https_port", N(8443)), "");
    CHECK_STR(try_set(cfg, "tls.http_port", N(8443)), "");
    faas_error_t err = {0};
    CHECK_INT(faas_config_finish(cfg, "/x", "/root", &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "tls.https_port: 8443 is also tls.http_port");
    faas_config_unref(cfg);
}

TEST(finish_resolves_paths)
{
    faas_config_t *cfg = faas_config_new();
    faas_config_value_t d = S("state"), p = S("~/keys/pass"), lf = S("logs/faas.log");
    faas_config_set(cfg, "data_dir", &d, NULL);
    faas_config_set(cfg, "passfile", &p, NULL);
    faas_config_set(cfg, "log_file", &lf, NULL);
    faas_error_t err = {0};
    CHECK_INT(faas_config_finish(cfg, "/etc/faas", "/home/op", &err), FAAS_OK);
    CHECK_STR(cfg->data_dir, "/etc/faas/state");
    CHECK_STR(cfg->passfile, "/home/op/keys/pass");
    CHECK_STR(cfg->temp_dir, "/etc/faas/state/tmp");
    CHECK_STR(cfg->log_file, "/etc/faas/state/logs/faas.log");
    faas_config_unref(cfg);

    cfg = faas_config_new();
    CHECK_INT(faas_config_finish(cfg, "/x", NULL, &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "passfile: \"~/.passfile\" uses ~ but HOME is not set");
    faas_config_unref(cfg);

    cfg = faas_config_new();
    faas_config_value_t c = S("cert.pem");
    faas_config_set(cfg, "tls.cert", &c, NULL);
    CHECK_INT(faas_config_finish(cfg, "/x", "/root", &err), FAAS_EINVAL);
    CHECK_STR(err.msg, "tls.cert and tls.key: set both or neither");
    faas_config_set(cfg, "tls.key", &c, NULL);
    CHECK_INT(faas_config_finish(cfg, "/nonexistent", "/root", &err), FAAS_EINVAL);
    CHECK_CONTAINS(err.msg, "tls.cert: cannot read /x/cert.pem"); /* resolved by the first finish */
    faas_config_unref(cfg);
}

TEST(reload_keeps_fixed_settings)
{
    faas_config_t *cur = faas_config_new(), *next = faas_config_new();
    faas_config_value_t l = S("127.0.0.1:9999"), dom = S("new.example.com"), dd = S("/other"), lvl = S("debug");
    faas_config_set(next, "listen", &l, NULL);
    faas_config_set(next, "domain", &dom, NULL);
    faas_config_set(next, "data_dir", &dd, NULL);
    faas_config_set(next, "log_level", &lvl, NULL);
    char changed[256];
    faas_config_keep_fixed(next, cur, changed, sizeof(changed));
    CHECK_STR(changed, "listen, data_dir");
    CHECK_INT(next->listen.port, 8080);
    CHECK_STR(next->data_dir, "/var/lib/faas");
    CHECK_STR(next->domain, "new.example.com"); /* reloadable: the new value stays */
    CHECK_INT(next->log_level, FAAS_LOG_DEBUG);
    faas_config_keep_fixed(next, cur, changed, sizeof(changed));
    CHECK_STR(changed, "");
    faas_config_unref(cur);
    faas_config_unref(next);
}

TEST(nearest_name_for_a_typo)
{
    static const char *const hooks[] = {"route", "port_allowed", "tls_allowed", "volume_allowed", "scale"};
    static const struct { const char *typo, *want; } near[] = {
        {"domian", "domain"}, {"DOMAIN", "domain"}, {"loglevel", "log_level"}, {"data-dir", "data_dir"},
        {"cleanup_intervall", "cleanup_interval"}, {"limts", "limits"}, {"sever", "server"},
        {"limits.memroy", "limits.memory"}, {"limits.max_filesize", "limits.max_file_size"},
        {"tls.acem", "tls.acme"}, {"tls.acme.emial", "tls.acme.email"}, {"rout", "route"}, {"tls_alowed", "tls_allowed"},
        {"threads", "server.threads"}, {"memory", "limits.memory"}, {"limits.domain", "domain"}, {"acme", "tls.acme"},
        {"tls.acme.memory", "limits.memory"}, {"limits.memry", "limits.memory"}, /* a typo in its table first */
        {"scael", "scale"}, {"scale.pause_afer", "scale.pause_after"}, {"scale.wake_timout", "scale.wake_timeout"},
        {"pause_after", "scale.pause_after"}, {"limits.concurrency", "scale.concurrency"},
    };
    for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
        const char *got = faas_config_nearest(near[i].typo, hooks, 5);
        testlib_check(got != NULL && strcmp(got, near[i].want) == 0, __FILE__, __LINE__, "nearest(\"%s\") == \"%s\", want \"%s\"",
                      near[i].typo, got ? got : "(null)", near[i].want);
    }
    /* Nothing close, a hook inside a table, the SERVER_PORT-only part of listen. */
    static const char *const far[] = {"x", "helper", "unknown_value", "limits.route", "listen.prot", "port", "dns"};
    for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
        const char *got = faas_config_nearest(far[i], hooks, 5);
        testlib_check(got == NULL, __FILE__, __LINE__, "nearest(\"%s\") == \"%s\", want none", far[i], got ? got : "(null)");
    }
    CHECK(faas_config_nearest("rout", NULL, 0) == NULL); /* hooks only when the caller names them */
    faas_error_t err = {0};
    CHECK_INT(faas_config_unknown("domian", NULL, 0, &err), FAAS_ENOTFOUND);
    CHECK_STR(err.msg, "domian: unknown setting (did you mean \"domain\"?)");
    faas_config_t *cfg = faas_config_new();
    CHECK_STR(try_set(cfg, "limits.memroy", S("1g")), "limits.memroy: unknown setting (did you mean \"limits.memory\"?)");
    faas_config_unref(cfg);
}

/* The item of cfg named name (its fields in *out); 0 if found. */
static int item_named(const faas_config_t *cfg, const char *name, faas_config_item_t *out)
{
    for (size_t i = 0; faas_config_item(cfg, i, out) == 0; i++)
        if (strcmp(out->name, name) == 0)
            return 0;
    return -1;
}

#define CHECK_ITEM(cfg, name, want_value, want_origin)                                                         \
    do {                                                                                                       \
        faas_config_item_t it_;                                                                                \
        testlib_check(item_named(cfg, name, &it_) == 0, __FILE__, __LINE__, "item %s exists", name);          \
        CHECK_STR(it_.value, want_value);                                                                      \
        CHECK_STR(it_.origin, want_origin);                                                                    \
    } while (0)

TEST(items_show_values_and_origins)
{
    faas_config_t *cfg = faas_config_new();
    faas_config_item_t it;
    size_t n = 0;
    for (; faas_config_item(cfg, n, &it) == 0; n++) {
        testlib_check(faas_config_known(it.name), __FILE__, __LINE__, "item %s is a setting of the file", it.name);
        CHECK_STR(it.origin, "default");
    }
    CHECK_INT(n, 57); /* every setting of faas.conf.lua; listen.port (SERVER_PORT) is shown with listen */
    CHECK_ITEM(cfg, "metrics", "true", "default");
    CHECK_ITEM(cfg, "access_log", "-", "default");
    CHECK_ITEM(cfg, "backend", "docker", "default");
    CHECK_ITEM(cfg, "docker.registry", "-", "default");
    CHECK_INT(faas_config_item(cfg, n, &it), -1);
    CHECK_INT(faas_config_item(cfg, 0, &it), 0);
    CHECK_STR(it.name, "listen");
    CHECK_INT(it.restart, 1);
    CHECK_ITEM(cfg, "listen", "127.0.0.1:8080", "default");
    CHECK_ITEM(cfg, "reserved_ports", "80, 8080, 9001", "default");
    CHECK_ITEM(cfg, "allowlist", "-", "default");
    CHECK_ITEM(cfg, "temp_dir", "-", "default");
    CHECK_ITEM(cfg, "cleanup_interval", "2m", "default");
    CHECK_ITEM(cfg, "limits.max_file_size", "10MiB", "default");
    CHECK_ITEM(cfg, "limits.cpus", "1", "default");
    CHECK_ITEM(cfg, "log_level", "info", "default");
    CHECK_ITEM(cfg, "mode", "dev", "default");
    CHECK_ITEM(cfg, "server.shutdown_timeout", "5s", "default");
    CHECK(item_named(cfg, "domain", &it) == 0 && it.restart == 0);
    CHECK_ITEM(cfg, "server.header_timeout", "1m", "default");
    CHECK_ITEM(cfg, "server.max_connections", "4096", "default");
    CHECK_ITEM(cfg, "limits.max_unauth_body", "64KiB", "default");
    /* applied by a reload: each loop reads them from its config at every accept and sweep */
    CHECK(item_named(cfg, "server.header_timeout", &it) == 0 && it.restart == 0);
    CHECK(item_named(cfg, "server.keepalive_timeout", &it) == 0 && it.restart == 0);
    CHECK(item_named(cfg, "server.max_connections", &it) == 0 && it.restart == 0);
    CHECK(item_named(cfg, "limits.max_unauth_body", &it) == 0 && it.restart == 0);
    CHECK_ITEM(cfg, "scale.min", "0", "default");
    CHECK_ITEM(cfg, "scale.max", "1", "default");
    CHECK_ITEM(cfg, "scale.target", "10", "default");
    CHECK_ITEM(cfg, "scale.concurrency", "0", "default");
    CHECK_ITEM(cfg, "scale.window", "1m", "default");
    CHECK_ITEM(cfg, "scale.pause_after", "5m", "default");
    CHECK_ITEM(cfg, "scale.stop_after", "1h", "default");
    CHECK_ITEM(cfg, "scale.wake_timeout", "1m", "default");
    CHECK_ITEM(cfg, "scale.queue", "1000", "default");
    /* the scale settings change with a reload: the service side reads them where it uses them */
    for (size_t i = 0; faas_config_item(cfg, i, &it) == 0; i++)
        if (strncmp(it.name, "scale.", 6) == 0)
            testlib_check(it.restart == 0, __FILE__, __LINE__, "%s applies on reload", it.name);

    faas_config_value_t ports[] = {N(5000), S("10-12"), N(14)};
    faas_config_value_t list = {.type = FAAS_CV_LIST, .items = ports, .n_items = 3};
    faas_config_set(cfg, "reserved_ports", &list, NULL);
    CHECK_STR(try_set(cfg, "cleanup_interval", S("7d")), "");
    CHECK_STR(try_set(cfg, "limits.cpus", N(0.5)), "");
    CHECK_STR(try_set(cfg, "log_level", S("debug")), "");
    CHECK_STR(try_set(cfg, "allowlist", S("a.example.com,*.b.example.com")), "");
    CHECK_STR(try_set(cfg, "limits.memory", S("1.5g")), "");
    CHECK_STR(try_set(cfg, "limits.run_timeout", S("1500ms")), "");
    CHECK_ITEM(cfg, "reserved_ports", "10-12, 14, 5000", "file");
    CHECK_ITEM(cfg, "cleanup_interval", "7d", "file");
    CHECK_ITEM(cfg, "limits.cpus", "0.5", "file");
    CHECK_ITEM(cfg, "log_level", "debug", "file");
    CHECK_ITEM(cfg, "allowlist", "a.example.com, *.b.example.com", "file");
    CHECK_ITEM(cfg, "limits.memory", "1536MiB", "file");
    CHECK_ITEM(cfg, "limits.run_timeout", "1500ms", "file");
    CHECK_STR(try_set(cfg, "limits.pids", N(1)), "limits.pids: 1 is out of range 8..4194304");
    CHECK_ITEM(cfg, "limits.pids", "256", "default"); /* a refused value changes neither */

    static const char *const env[] = {"MAX_FILE_SIZE", "5m", "SERVER_PORT", "9123", "ENV", "prod", NULL};
    env_table = env;
    faas_error_t err = {0};
    CHECK_INT(faas_config_apply_env(cfg, fake_getenv, &err), FAAS_OK);
    CHECK_ITEM(cfg, "limits.max_file_size", "5MiB", "env MAX_FILE_SIZE");
    CHECK_ITEM(cfg, "mode", "prod", "env ENV");
    CHECK_ITEM(cfg, "listen", "127.0.0.1:9123", "default, port from env SERVER_PORT");
    CHECK_STR(try_set(cfg, "listen", S("*:80")), "");
    CHECK_ITEM(cfg, "listen", "*:80", "file, port from env SERVER_PORT");
    faas_config_unref(cfg);
}

TEST(long_values_are_cut)
{
    faas_config_t *cfg = faas_config_new();
    char many[4096] = "";
    for (int i = 0; i < 200; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sname%d.example.com", i ? "," : "", i);
    CHECK_STR(try_set(cfg, "allowlist", S(many)), "");
    faas_config_item_t it;
    CHECK(item_named(cfg, "allowlist", &it) == 0);
    CHECK(strlen(it.value) < sizeof(it.value));
    CHECK_CONTAINS(it.value, "name0.example.com, name1.example.com");
    CHECK(strcmp(it.value + strlen(it.value) - 3, "...") == 0);
    CHECK_STR(try_set(cfg, "reserved_ports", S("1-65535")), "");
    CHECK_ITEM(cfg, "reserved_ports", "1-65535", "file");
    faas_config_unref(cfg);
}

/* Reads a whole small file into a static buffer ("" if it cannot). */
static const char *slurp(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

TEST(reload_logs_changes)
{
    char dir[256], log[300];
    testlib_tmpdir(dir, sizeof(dir));
    snprintf(log, sizeof(log), "%s/reload.log", dir);
    faas_error_t err = {0};
    CHECK_INT(faas_log_open_file(log, &err), FAAS_OK);
    faas_config_t *cur = faas_config_new(), *next = faas_config_new();
    CHECK_INT(faas_config_log_changes(cur, next), 0);
    faas_config_value_t dom = S("new.example.com"), l = S("127.0.0.1:9999"), lvl = S("debug"), mem = S("512m");
    faas_config_set(next, "domain", &dom, NULL);
    faas_config_set(next, "listen", &l, NULL);
    faas_config_set(next, "log_level", &lvl, NULL);
    faas_config_set(next, "limits.memory", &mem, NULL);
    faas_config_value_t max = N(4);
    faas_config_set(next, "scale.max", &max, NULL);
    CHECK_INT(faas_config_log_changes(cur, next), 4); /* listen is not applied */
    faas_log_open_file(NULL, &err);
    const char *text = slurp(log);
    CHECK_CONTAINS(text, "info  reload: domain: localhost -> new.example.com\n");
    CHECK_CONTAINS(text, "info  reload: log_level: info -> debug\n");
    CHECK_CONTAINS(text, "info  reload: limits.memory: 256MiB -> 512MiB\n");
    CHECK_CONTAINS(text, "info  reload: scale.max: 1 -> 4\n");
    CHECK_CONTAINS(text, "warn  reload: listen: 127.0.0.1:8080 -> 127.0.0.1:9999: restart faas to apply (kept 127.0.0.1:8080)\n");
    CHECK(strstr(text, "data_dir") == NULL);
    faas_config_keep_fixed(next, cur, NULL, 0);
    CHECK_INT(next->listen.port, 8080);
    faas_config_item_t it;
    CHECK(item_named(next, "listen", &it) == 0);
    CHECK_STR(it.origin, "default"); /* the running value, with its origin */
    faas_config_unref(cur);
    faas_config_unref(next);
}

TEST(backend_and_registry)
{
    faas_config_t *cfg = faas_config_new();
    CHECK_STR(cfg->backend, "docker");
    CHECK(!faas_config_swarm(cfg));
    CHECK(cfg->docker.registry == NULL);
    CHECK_STR(try_set(cfg, "backend", S("swarm")), "");
    CHECK(faas_config_swarm(cfg));
    CHECK_CONTAINS(try_set(cfg, "backend", S("kubernetes")), "backend: must be \"docker\" or \"swarm\" (got \"kubernetes\")");
    CHECK_CONTAINS(try_set(cfg, "backend", S("Swarm")), "must be \"docker\" or \"swarm\"");
    CHECK_CONTAINS(try_set(cfg, "backend", N(1)), "backend: must be a string, got a number");
    CHECK_CONTAINS(try_set(cfg, "backend", S("")), "backend: must not be empty");
    CHECK(faas_config_swarm(cfg)); /* a refused value changes nothing */
    static const char *const good[] = {"127.0.0.1:5000", "registry.example.com", "localhost", "reg-1.lan:443",
                                       "localhost:65535"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CHECK_STR(try_set(cfg, "docker.registry", S(good[i])), "");
        CHECK_STR(cfg->docker.registry, good[i]);
    }
    static const char *const bad[] = {"registry", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:", "host:5000x",
                                      "Registry.lan:5000", "http://127.0.0.1:5000", "a b:1", ":5000", "-x.lan:1",
                                      "127.0.0.1:5000/path"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_CONTAINS(try_set(cfg, "docker.registry", S(bad[i])), "is not a registry address");
    CHECK_STR(cfg->docker.registry, "localhost:65535");
    CHECK_CONTAINS(try_set(cfg, "docker.registry", N(5000)), "docker.registry: must be a string");
    CHECK_STR(faas_config_nearest("backnd", NULL, 0), "backend");
    faas_config_unref(cfg);
}

TEST(backend_is_fixed_on_reload)
{
    faas_config_t *cur = faas_config_new(), *next = faas_config_new();
    CHECK_STR(try_set(next, "backend", S("swarm")), "");
    CHECK_STR(try_set(next, "docker.registry", S("127.0.0.1:5000")), "");
    char changed[256];
    faas_config_keep_fixed(next, cur, changed, sizeof(changed));
    CHECK_CONTAINS(changed, "backend");
    CHECK_STR(next->backend, "docker");
    CHECK_STR(next->docker.registry, "127.0.0.1:5000"); /* taken by the next deploy */
    faas_config_unref(cur);
    faas_config_unref(next);
}

TEST(refcount)
{
    faas_config_t *cfg = faas_config_new();
    CHECK(faas_config_ref(cfg) == cfg);
    faas_config_unref(cfg);
    CHECK_STR(cfg->domain, "localhost"); /* still alive: one reference left */
    faas_config_unref(cfg);
    faas_config_unref(NULL);
}

int main(void)
{
    RUN(defaults_are_documented_values);
    RUN(durations);
    RUN(sizes);
    RUN(listen_forms);
    RUN(ports_and_hosts);
    RUN(other_settings);
    RUN(scale_settings);
    RUN(environment_overrides);
    RUN(acme_mode);
    RUN(finish_resolves_paths);
    RUN(reload_keeps_fixed_settings);
    RUN(nearest_name_for_a_typo);
    RUN(items_show_values_and_origins);
    RUN(long_values_are_cut);
    RUN(reload_logs_changes);
    RUN(backend_and_registry);
    RUN(backend_is_fixed_on_reload);
    RUN(refcount);
    return testlib_done();
}
