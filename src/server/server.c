/*
 * server.c: the life of `faas serve`, on the main thread: load and validate
 * the configuration, raise the open files limit, open the data directory,
 * passkey, store, named keys, Docker client, worker pool and engine watch, configure
 * libh2o (one catch-all host and handler, a logger for connections), bind
 * the listeners, start one loop thread per core, then wait for signals:
 * SIGHUP reloads the policy, SIGUSR1 reopens the access log, SIGTERM/SIGINT stop accepting, let in-flight
 * requests finish until server.shutdown_timeout, and exit 0.
 */
#include "internal.h"
#include "faas/api/api.h"
#include "faas/core/clock.h"
#include "faas/core/fs.h"
#include "faas/core/log.h"
#include "faas/docker/docker.h"
#include "faas/http/hpack_guard.h"
#include "faas/http/obs.h"
#include "faas/job/job.h"
#include "faas/job/warm.h"
#include "faas/proxy/loop.h"
#include "faas/proxy/proxy.h"
#include "faas/service/runtimes.h"
#include "faas/service/service.h"
#include "faas/store/store.h"
#include "faas/tls/acme.h"
#include "faas/tls/certs.h"
#include "faas/tls/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_CONFIG 2
#define STORE_MAP_SIZE ((size_t)1 << 30)
#define FD_RESERVE 256 /* open files kept for the store, logs, Docker calls, listeners */

static const char *env_get(const char *name)
{
    return getenv(name);
}

static faas_policy_env_t process_env(void)
{
    return (faas_policy_env_t){.getenv_fn = env_get, .home = getenv("HOME")};
}

/* ---- directories and services -------------------------------------------- */

/* The key that seals secret values: secrets.key beside the passfile, made at the first start. A
 * key file faas cannot trust (wrong size, open to other users) stops start-up: secrets sealed with
 * another key would not open, and a readable key would give them away. */
static int load_secrets_key(faas_server_t *srv, const faas_config_t *cfg)
{
    char path[4096];
    int created = 0;
    faas_error_t err = {0};
    faas_err_t rc = faas_secretbox_path(cfg->passfile, path, sizeof(path), &err);
    if (rc == FAAS_OK)
        rc = faas_secretbox_load(path, &srv->app.secretbox, &created, &err);
    if (rc != FAAS_OK) {
        faas_log_error("secrets key: %s", err.msg);
        return rc == FAAS_EINVAL ? EXIT_CONFIG : 1;
    }
    if (created)
        faas_log_info("secrets key created in %s (keep it with the data: secrets do not open without it)", path);
    return 0;
}

static int open_services(faas_server_t *srv, const faas_config_t *cfg)
{
    faas_error_t err = {0};
    char store_dir[4096], instance[FAAS_STORE_INSTANCE_MAX];
    snprintf(store_dir, sizeof(store_dir), "%s/store", cfg->data_dir);
    if (faas_fs_mkdirs(cfg->data_dir, 0700, "data_dir", &err) != FAAS_OK ||
        faas_fs_mkdirs(cfg->temp_dir, 0700, "temp_dir", &err) != FAAS_OK ||
        faas_store_open(store_dir, STORE_MAP_SIZE, &srv->app.store, &err) != FAAS_OK ||
        faas_store_instance(srv->app.store, instance, &err) != FAAS_OK ||
        faas_runtimes_seed(srv->app.store, cfg->data_dir, &err) != FAAS_OK) {
        faas_log_error("%s", err.msg);
        return 1;
    }
    faas_app_set_instance(&srv->app, instance); /* before anything makes a Docker object */
    int created = 0;
    faas_err_t rc = faas_auth_load(cfg->passfile, &srv->app.auth, &created, &err);
    if (rc != FAAS_OK) {
        faas_log_error("passfile: %s", err.msg);
        return rc == FAAS_EINVAL ? EXIT_CONFIG : 1;
    }
    if (created) {
        /* Printed once, on stdout, like the seed: the operator copies it from here. */
        printf("Set up first time passcode, copy this somewhere to access the server later: %s\n"
               "(stored in %s)\n", srv->app.auth.key, cfg->passfile);
        fflush(stdout);
    }
    int key_exit = load_secrets_key(srv, cfg);
    if (key_exit != 0)
        return key_exit;
    srv->app.docker = faas_docker_create(cfg->docker.socket);
    srv->app.pool = faas_pool_create("workers", (size_t)cfg->server.workers);
    if (srv->app.docker == NULL || srv->app.pool == NULL) {
        faas_log_error("cannot start the Docker client or the worker pool");
        return 1;
    }
    if (faas_server__keys_start(srv) != 0)
        return 1;
    faas_err_t pinged = faas_docker_ping(srv->app.docker, 2000, &err);
    if (pinged != FAAS_OK)
        faas_log_warn("%s (faas keeps serving; /health reports it)", err.msg);
    if (faas_server__engine_watch_start(srv, pinged) != 0)
        return 1;
    faas_job_remove_leftovers(&srv->app); /* executions of a faas that stopped mid-run */
    if ((srv->app.warm = faas_warm_create(&srv->app, &err)) == NULL)
        faas_log_warn("%s (each execution makes its own container)", err.msg);
    srv->app.proxy = faas_proxy_create();
    srv->app.services = faas_services_create(&srv->app);
    if (faas_services_start(srv->app.services, &err) != FAAS_OK) {
        faas_log_error("services: %s", err.msg);
        return 1;
    }
    return 0;
}

/* ---- libh2o and listeners ------------------------------------------------ */

static void configure_h2o(faas_server_t *srv, const faas_config_t *cfg)
{
    h2o_globalconf_t *gc = &srv->globalconf;
    h2o_config_init(gc);
    gc->server_name = h2o_iovec_init(NULL, 0); /* no Server: header, never a duplicate of the upstream's */
    int64_t upload = cfg->limits.max_file_size + (1 << 20); /* multipart framing around the largest file */
    gc->max_request_entity_size = (size_t)(cfg->limits.max_body_size > upload ? cfg->limits.max_body_size : upload);
    gc->http1.req_timeout = (uint64_t)cfg->server.read_timeout_ms;
    gc->http2.idle_timeout = (uint64_t)cfg->server.write_timeout_ms;
    gc->http2.graceful_shutdown_timeout = (uint64_t)cfg->server.shutdown_timeout_ms;
    /* HTTP/2 streams: libh2o 2.2.5 advertises a fixed SETTINGS frame (MAX_CONCURRENT_STREAMS 100,
     * INITIAL_WINDOW_SIZE 16 MiB), refuses a 101st open stream (REFUSED_STREAM) and runs at most this
     * many at once; nginx's http2_max_concurrent_streams is 128, Go's and Caddy's 250. Streams
     * cancelled before their answer are budgeted in src/http/resets.c (Rapid Reset). */
    gc->http2.max_concurrent_requests_per_connection = 100;
    gc->http2.max_streams_for_priority = 16; /* idle/closed streams kept for PRIORITY; past it ENHANCE_YOUR_CALM */
    h2o_hostconf_t *host = h2o_config_register_host(gc, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    host->http2.push_preload = 0; /* tenant functions must not trigger server push */
    /* ACME challenges first (the CA asks on a function's own name), then function traffic, then the API. */
    static const faas_router_route_t *const tables[] = {faas_api_health_routes, faas_api_functions_routes, faas_api_revisions_routes,
        faas_api_logs_routes,
                                                         faas_api_jobs_routes, faas_api_runtimes_routes,
                                                         faas_api_tls_routes, faas_api_keys_routes, faas_api_secrets_routes,
                                                         faas_api_config_routes, faas_api_ui_routes, faas_api_metrics_routes};
    srv->router = (faas_router_config_t){.front = {faas_server__acme_challenge, faas_proxy_loop_on_req},
                                         .tables = tables, .ntables = sizeof(tables) / sizeof(tables[0])};
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    faas_router_register(path, &srv->router);
    h2o_create_logger(path, sizeof(h2o_logger_t))->log_access = faas_server__on_request_done;
    if (faas_config_acme_mode(cfg)) {
        /* The plain-HTTP listener of ACME mode has hosts of its own: challenges, else 308 to HTTPS. */
        h2o_config_init(&srv->redirect_conf);
        srv->redirect_conf.server_name = h2o_iovec_init(NULL, 0);
        h2o_hostconf_t *rhost = h2o_config_register_host(&srv->redirect_conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
        h2o_pathconf_t *rpath = h2o_config_register_path(rhost, "/", 0);
        h2o_create_handler(rpath, sizeof(h2o_handler_t))->on_req = faas_server__redirect_on_req;
        h2o_create_logger(rpath, sizeof(h2o_logger_t))->log_access = faas_server__on_request_done;
    }
    /* Request bodies past 32 MB spill to a file: keep those under temp_dir, not /tmp. */
    snprintf(h2o_socket_buffer_mmap_settings.fn_template, sizeof(h2o_socket_buffer_mmap_settings.fn_template),
             "%s/h2o.b.XXXXXX", cfg->temp_dir);
}

/* The certificate table (and in ACME mode the client and its workers) behind the HTTPS listener. */
static int open_tls(faas_server_t *srv, const faas_config_t *cfg)
{
    int acme_mode = faas_config_acme_mode(cfg);
    if (!acme_mode && cfg->tls.cert == NULL)
        return 0; /* no HTTPS */
    faas_error_t err = {0};
    SSL_CTX *fallback = NULL;
    if (cfg->tls.cert != NULL && (fallback = faas_tls_ctx_from_files(cfg->tls.cert, cfg->tls.key, &err)) == NULL) {
        fprintf(stderr, "faas: %s\n", err.msg);
        return EXIT_CONFIG;
    }
    faas_app_t *app = &srv->app;
    if (acme_mode) {
        faas_acme_settings_t settings = {.directory = faas_config_acme_directory(cfg), .email = cfg->tls.acme.email,
                                         .ca_bundle = cfg->tls.acme.ca_bundle, .store = app->store,
                                         .timeout_ms = 120000};
        app->acme = faas_acme_create(&settings);
        app->acme_pool = faas_pool_create("acme", 2);
        if (app->acme == NULL || app->acme_pool == NULL) {
            SSL_CTX_free(fallback);
            faas_log_error("cannot start the ACME client");
            return 1;
        }
    }
    app->certs = faas_certs_create(app->store, app->acme, app->acme_pool, fallback, &err);
    if (app->certs == NULL) {
        faas_log_error("certificates: %s", err.msg);
        return 1;
    }
    if (acme_mode)
        faas_log_info("ACME mode: certificates from %s", faas_config_acme_directory(cfg));
    return 0;
}

static int bind_listener(server_listener_t *l, const char *host, int port, const char *scheme, faas_error_t *err)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    int family = host[0] == '\0' || strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (host[0] != '\0' && inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            return faas_error_set(err, FAAS_EINVAL, "listen: bad IPv6 address %s", host);
        len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return faas_error_set(err, FAAS_EINVAL, "listen: bad IPv4 address %s", host);
        len = sizeof(*a);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1, off = 0;
    if (fd < 0)
        return faas_error_set(err, FAAS_EIO, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (family == AF_INET6 && host[0] == '\0') /* "*": IPv4 and IPv6 on one socket */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
        int saved = errno;
        close(fd);
        return faas_error_set(err, FAAS_EIO, "cannot listen on %s port %d: %s", host[0] ? host : "*", port,
                              strerror(saved));
    }
    getsockname(fd, (struct sockaddr *)&ss, &len); /* port 0 picked a free one */
    int bound = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    l->port = bound;
    faas_listen_t shown = {.port = bound};
    snprintf(shown.host, sizeof(shown.host), "%s", host);
    char addr[96];
    snprintf(l->url, sizeof(l->url), "%s://%s", scheme, faas_config_format_listen(&shown, addr, sizeof(addr)));
    l->fd = fd;
    return FAAS_OK;
}

static int open_listeners(faas_server_t *srv, const faas_config_t *cfg)
{
    faas_error_t err = {0};
    server_listener_t *plain = &srv->listeners[0], *secure = &srv->listeners[1];
    int acme_mode = faas_config_acme_mode(cfg);
    /* ACME mode serves like the seed's prod mode: tls.http_port (challenges, redirects) and HTTPS only. */
    int plain_port = acme_mode ? (int)cfg->tls.http_port : cfg->listen.port;
    if (bind_listener(plain, cfg->listen.host, plain_port, "http", &err) != FAAS_OK) {
        faas_log_error("%s%s", acme_mode ? "tls.http_port: " : "", err.msg);
        return 1;
    }
    plain->hosts = acme_mode ? srv->redirect_conf.hosts : NULL;
    srv->nlisteners = 1;
    if (srv->app.certs != NULL) {
        secure->ssl_ctx = faas_certs_listener_ctx(srv->app.certs);
        secure->peek_sni = srv->app.acme != NULL;
        if (bind_listener(secure, cfg->listen.host, (int)cfg->tls.https_port, "https", &err) != FAAS_OK) {
            faas_log_error("tls.https_port: %s", err.msg);
            return 1;
        }
        srv->app.https_port = secure->port;
        srv->nlisteners = 2;
    }
    return 0;
}

/* ---- reload and stop ------------------------------------------------------ */

static void reload(faas_server_t *srv)
{
    faas_config_t *cur = faas_app_config(&srv->app), *next = NULL;
    faas_policy_t *first = NULL;
    faas_error_t err = {0};
    faas_policy_env_t env = process_env();
    if (faas_policy_load(cur->path, &env, &next, &first, &err) != FAAS_OK) {
        faas_log_error("reload failed, keeping the running configuration: %s", err.msg);
        faas_config_unref(cur);
        return;
    }
    faas_policy_t **clones = calloc(srv->nthreads, sizeof(*clones));
    size_t made = 0;
    if (clones != NULL)
        for (clones[made++] = first; made < srv->nthreads; made++)
            if (faas_policy_clone(first, &clones[made], &err) != FAAS_OK)
                break;
    if (clones == NULL || made < srv->nthreads) {
        faas_log_error("reload failed, keeping the running configuration: %s", clones ? err.msg : "out of memory");
        for (size_t i = 0; clones && i < made; i++)
            faas_policy_dispose(clones[i]);
        if (clones == NULL)
            faas_policy_dispose(first);
        free(clones);
        faas_config_unref(next);
        faas_config_unref(cur);
        return;
    }
    faas_log_set_level(next->log_level);
    if (faas_log_open_file(next->log_file, &err) != FAAS_OK)
        faas_log_error("reload: log_file: %s", err.msg);
    /* One line per changed setting (at the new level, in the new file); then the restart-only
       ones get their running values back, before any thread sees next. */
    size_t applied = faas_config_log_changes(cur, next);
    faas_config_keep_fixed(next, cur, NULL, 0);
    faas_policy_t *for_certs = NULL;
    if (srv->app.certs != NULL && faas_policy_clone(first, &for_certs, &err) != FAAS_OK)
        faas_log_error("reload: certificates keep the previous policy: %s", err.msg);
    if (for_certs != NULL)
        faas_certs_set_policy(srv->app.certs, for_certs);
    faas_policy_t *for_scale = NULL;
    if (faas_policy_clone(first, &for_scale, &err) != FAAS_OK)
        faas_log_error("reload: the scale hook keeps the previous policy: %s", err.msg);
    else
        faas_services_set_policy(srv->app.services, for_scale);
    for (size_t i = 0; i < srv->nthreads; i++)
        faas_server__post_policy(&srv->threads[i], clones[i]);
    free(clones);
    faas_app_set_config(&srv->app, next);
    faas_config_unref(cur);
    faas_log_info("reloaded %s (%zu setting%s changed)", next->path ? next->path : "(built-in defaults)", applied,
                  applied == 1 ? "" : "s");
}

static int wait_for_signals(faas_server_t *srv)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            reload(srv);
            continue;
        }
        if (sig == SIGUSR1) { /* logrotate moved the access log: the next lines go to a new file */
            faas_obs_reopen(srv->obs);
            continue;
        }
        faas_log_info("%s received: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        return sig;
    }
}

static int stop(faas_server_t *srv)
{
    faas_config_t *cfg = faas_app_config(&srv->app);
    int64_t deadline = faas_clock_mono_ms() + cfg->server.shutdown_timeout_ms;
    faas_config_unref(cfg);
    for (size_t i = 0; i < srv->nthreads; i++)
        faas_server__post_stop(&srv->threads[i], deadline);
    /* Loops end their drain by the deadline; the extra second only covers a loop stuck in a callback. */
    if (faas_server__wait_drained(srv, deadline + 1000) != 0)
        faas_log_warn("a loop thread did not finish draining; exiting anyway");
    else
        faas_obs_dispose(srv->obs); /* every loop handed its last lines: write them, stop the writer */
    for (size_t i = 0; i < srv->nlisteners; i++)
        close(srv->listeners[i].fd);
    /* The loops ended their followed logs; their threads notice within about a second. */
    while (atomic_load(&srv->app.log_followers) > 0 && faas_clock_mono_ms() < deadline + 2000) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    int scale_stopped = faas_services_stop(srv->app.services, deadline) == 0;
    /* Workers may still hold a task whose request is gone; wait for them until the deadline. */
    if (faas_pool_dispose(srv->app.acme_pool, deadline) == 0) {
        faas_certs_dispose(srv->app.certs);
        faas_acme_dispose(srv->app.acme);
    }
    int watch_stopped = faas_pool_dispose(srv->engine_pool, deadline) == 0;
    if (faas_pool_dispose(srv->app.pool, deadline) == 0 && scale_stopped) {
        faas_warm_dispose(srv->app.warm);
        faas_server__keys_stop(srv);
        faas_store_close(srv->app.store);
        if (watch_stopped)
            faas_docker_dispose(srv->app.docker);
    }
    faas_log_info("stopped");
    return 0;
}

/* ---- entry point ------------------------------------------------------------ */

/* Each connection is a file descriptor: take the hard limit of open files, and keep
   server.max_connections where a connection and one to its function still fit under it. */
static void raise_nofile(faas_server_t *srv, const faas_config_t *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        rl.rlim_cur = rl.rlim_max = 1024;
    } else if (rl.rlim_cur < rl.rlim_max) {
        rlim_t before = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            faas_log_info("open files limit raised from %llu to %llu", (unsigned long long)before,
                          (unsigned long long)rl.rlim_cur);
        else
            rl.rlim_cur = before;
    }
    srv->conn_fd_cap = rl.rlim_cur > 2 * FD_RESERVE + 32 ? (size_t)(rl.rlim_cur - FD_RESERVE) / 2 : 16;
    if ((uint64_t)cfg->server.max_connections > srv->conn_fd_cap)
        faas_log_warn("server.max_connections is %lld but %llu open files leave room for %zu connections: "
                      "the cap is %zu", (long long)cfg->server.max_connections, (unsigned long long)rl.rlim_cur,
                      srv->conn_fd_cap, srv->conn_fd_cap);
}

static int start(faas_server_t *srv, const char *config_path)
{
    faas_config_t *cfg = NULL;
    faas_policy_t *policy = NULL;
    faas_error_t err = {0};
    faas_policy_env_t env = process_env();
    if (faas_policy_load(config_path, &env, &cfg, &policy, &err) != FAAS_OK) {
        fprintf(stderr, "faas: config: %s\n", err.msg);
        return EXIT_CONFIG;
    }
    faas_app_init(&srv->app, cfg);
    srv->app.started_ms = faas_clock_now_ms();
    srv->app.locks = faas_fnlock_create();
    faas_log_set_level(cfg->log_level);
    if (faas_log_open_file(cfg->log_file, &err) != FAAS_OK) {
        fprintf(stderr, "faas: config: log_file: %s\n", err.msg);
        faas_policy_dispose(policy);
        return EXIT_CONFIG;
    }
    raise_nofile(srv, cfg);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    srv->nthreads = cfg->server.threads > 0 ? (size_t)cfg->server.threads : (size_t)(cores > 0 ? cores : 1);
    srv->threads = calloc(srv->nthreads, sizeof(*srv->threads));
    int rc = srv->threads == NULL ? 1 : open_services(srv, cfg);
    /* After open_services: the access log's default place is under data_dir, which now exists. */
    if (rc == 0 && (srv->obs = faas_obs_create((int)cfg->metrics, cfg->access_log, &err)) == NULL) {
        faas_log_error("%s", err.msg);
        rc = 1;
    }
    if (rc == 0) {
        configure_h2o(srv, cfg);
        rc = open_tls(srv, cfg);
    }
    if (rc == 0)
        rc = open_listeners(srv, cfg);
    /* Each loop gets its own Lua state: the first takes the loaded one, the others clones. */
    if (rc == 0) {
        srv->threads[0].loop.policy = policy;
        policy = NULL;
    }
    for (size_t i = 1; rc == 0 && i < srv->nthreads; i++) {
        if (faas_policy_clone(srv->threads[0].loop.policy, &srv->threads[i].loop.policy, &err) != FAAS_OK) {
            faas_log_error("%s", err.msg);
            rc = 1;
        }
    }
    faas_policy_dispose(policy);
    if (rc == 0) {
        /* The scale hook runs on the scale pool: a Lua state of its own too. */
        faas_policy_t *own = NULL;
        if (faas_policy_clone(srv->threads[0].loop.policy, &own, &err) != FAAS_OK) {
            faas_log_error("%s", err.msg);
            rc = 1;
        }
        faas_services_set_policy(srv->app.services, own);
    }
    if (rc == 0 && srv->app.certs != NULL) {
        /* Deploy-time and renewal checks run on workers: the table gets a Lua state of its own. */
        faas_policy_t *own = NULL;
        if (faas_policy_clone(srv->threads[0].loop.policy, &own, &err) != FAAS_OK) {
            faas_log_error("%s", err.msg);
            rc = 1;
        }
        faas_certs_set_policy(srv->app.certs, own);
        if (rc == 0 && faas_certs_start_renewals(srv->app.certs) != 0)
            rc = 1;
    }
    if (rc == 0 && faas_server__start_threads(srv) != 0)
        rc = 1;
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < srv->nlisteners; i++) {
        faas_log_info("listening on %s", srv->listeners[i].url);
        srv->app.own_ports[srv->app.n_own_ports++] = srv->listeners[i].port;
    }
    faas_log_debug("HTTP/2 header blocks: at most %d fields each", faas_hpack_guard_max_fields());
    faas_log_info("faas ready: pid %d, instance %s, %zu loop threads, %lld workers, data in %s", (int)getpid(),
                  srv->app.instance, srv->nthreads, (long long)cfg->server.workers, cfg->data_dir);
    return 0;
}

int faas_server_run(const char *config_path)
{
    /* Signals go to the main thread's sigwait only: block them before any thread starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    static faas_server_t srv; /* lives until exit: loop threads and workers point into it */
    pthread_mutex_init(&srv.ready_mutex, NULL);
    pthread_cond_init(&srv.ready_cond, NULL);
    int rc = start(&srv, config_path);
    if (rc != 0)
        return rc;
    wait_for_signals(&srv);
    return stop(&srv);
}
