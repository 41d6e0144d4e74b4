/*
 * warm.c: execution containers started ahead (see warm.h). Creating and
 * starting a container is most of a short call's time; here that happens
 * before the call, and the call only hands its input over.
 *
 * DESIGN
 * - A waiting container runs faas-start (mounted read-only from
 *   <data_dir>/exec/faas-start) as its command, with the image's own
 *   entrypoint and command as arguments. faas-start blocks opening a FIFO in
 *   a folder of its own (<data_dir>/exec/<random>/input, mounted read-only at
 *   /.faas-input); a call opens it for writing, writes "NAME=value\0"..., and
 *   closes it; faas-start sets the variables and execs the command.
 * - Everything else is the sandbox of any execution (job__spec_init). One
 *   call per container: afterwards it is removed like any other.
 * - Per function a target of waiting containers: 1 after its first call, one
 *   more each time a call found none (up to limits.warm), one less each time
 *   one stays unused for limits.warm_idle. Waiting and starting containers of
 *   all functions together stay under limits.containers; when full, the
 *   container that has waited longest, of another function, makes room.
 * - Waiting containers are used newest first, so the oldest are the ones
 *   that expire when calls slow down.
 * - The list is guarded by one mutex, never held across a Docker call.
 */
#include "internal.h"
#include "faas/core/labels.h"
#include "faas/core/uuid.h"
#include "faas/core/clock.h"
#include "faas/core/fs.h"
#include "faas/core/log.h"
#include "faas/core/stats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define HELPER_NAME "faas-start"
#define HELPER_MOUNT "/.faas-start"
#define INPUT_MOUNT "/.faas-input"
#define OPEN_WAIT_MS 2000      /* a container just started may not have opened its FIFO yet */
#define EXPIRE_EVERY_MS 15000   /* at most */

typedef struct waiting {
    struct waiting *next;
    faas_job__slot_t slot;
    int64_t since_ms;          /* mono */
} waiting_t;

typedef struct pool_fn {
    struct pool_fn *next;
    char name[64];
    char image[FAAS_DOCKER_ID_MAX];
    int target;                /* containers to keep waiting */
    int starting;              /* starts in flight */
    waiting_t *waiting;        /* newest first */
} pool_fn_t;

struct faas_warm {
    faas_app_t *app;
    pthread_mutex_t mu;
    pool_fn_t *fns;
    int64_t total;             /* waiting + starting, all functions */
    atomic_int closing;
    char dir[960];             /* <data_dir>/exec (leaves room in a slot's dir for "/<uuid>") */
    char helper[1100];         /* <data_dir>/exec/faas-start */
};

/* ---- the list (mu held) ------------------------------------------------------------------ */

static pool_fn_t *find(faas_warm_t *w, const char *name, int create)
{
    for (pool_fn_t *f = w->fns; f != NULL; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    pool_fn_t *f = create ? calloc(1, sizeof(*f)) : NULL;
    if (f != NULL) {
        snprintf(f->name, sizeof(f->name), "%s", name);
        f->next = w->fns;
        w->fns = f;
    }
    return f;
}

/* Unlinks f's waiting containers older than before_ms (all: INT64_MAX) onto *out. */
static int take_older(faas_warm_t *w, pool_fn_t *f, int64_t before_ms, waiting_t **out)
{
    int n = 0;
    for (waiting_t **p = &f->waiting; *p != NULL;) {
        waiting_t *c = *p;
        if (c->since_ms < before_ms) {
            *p = c->next;
            c->next = *out;
            *out = c;
            n++;
        } else {
            p = &c->next;
        }
    }
    w->total -= n;
    return n;
}

/* Makes room: unlinks the longest-waiting container of another function onto *out; 0 if none. */
static int evict_oldest(faas_warm_t *w, const pool_fn_t *keep, waiting_t **out)
{
    waiting_t **oldest = NULL;
    pool_fn_t *owner = NULL;
    for (pool_fn_t *f = w->fns; f != NULL; f = f->next)
        for (waiting_t **p = &f->waiting; f != keep && *p != NULL; p = &(*p)->next)
            if (oldest == NULL || (*p)->since_ms < (*oldest)->since_ms) {
                oldest = p;
                owner = f;
            }
    if (oldest == NULL)
        return 0;
    waiting_t *c = *oldest;
    *oldest = c->next;
    c->next = *out;
    *out = c;
    owner->target = owner->target > 0 ? owner->target - 1 : 0;
    w->total--;
    return 1;
}

/* Frees functions with nothing waiting, starting or wanted. */
static void forget_idle(faas_warm_t *w)
{
    for (pool_fn_t **p = &w->fns; *p != NULL;) {
        pool_fn_t *f = *p;
        if (f->waiting == NULL && f->starting == 0 && f->target == 0) {
            *p = f->next;
            free(f);
        } else {
            p = &f->next;
        }
    }
}

/* ---- containers (no lock) ------------------------------------------------------------------ */

void faas_job__warm_release(const faas_job__slot_t *slot)
{
    char path[sizeof(slot->dir) + 8];
    snprintf(path, sizeof(path), "%s/input", slot->dir);
    unlink(path);
    rmdir(slot->dir);
}

static void remove_all(faas_warm_t *w, waiting_t *list)
{
    while (list != NULL) {
        waiting_t *next = list->next;
        faas_error_t err = {0};
        if (faas_docker_container_remove(w->app->docker, list->slot.id, 1, &err) != FAAS_OK)
            faas_log_warn("warm: %s", err.msg);
        faas_job__warm_release(&list->slot);
        free(list);
        list = next;
    }
}

/* A folder with the FIFO a container will wait on. */
static faas_err_t make_input(faas_warm_t *w, faas_job__slot_t *slot, faas_error_t *err)
{
    char id[FAAS_UUID_LEN], path[sizeof(slot->dir) + 8];
    faas_uuid_new(id);
    snprintf(slot->dir, sizeof(slot->dir), "%s/%s", w->dir, id);
    snprintf(path, sizeof(path), "%s/input", slot->dir);
    /* chmod after: the process umask must not decide whether nobody can read it */
    if (mkdir(slot->dir, 0755) != 0 || chmod(slot->dir, 0755) != 0 || mkfifo(path, 0644) != 0 || chmod(path, 0644) != 0) {
        faas_error_set(err, FAAS_EIO, "warm: cannot make %s: %s", path, strerror(errno));
        faas_job__warm_release(slot);
        return FAAS_EIO;
    }
    return FAAS_OK;
}

/* The image's ENTRYPOINT then CMD, as faas-start's arguments (strings borrowed from *image). */
static faas_err_t image_command(faas_warm_t *w, const char *ref, cJSON **image, const char **argv, size_t max,
                                faas_error_t *err)
{
    faas_err_t rc = faas_docker_image_inspect(w->app->docker, ref, image, err);
    if (rc != FAAS_OK)
        return rc;
    const cJSON *config = cJSON_GetObjectItem(*image, "Config"), *part;
    size_t n = 0;
    const char *keys[] = {"Entrypoint", "Cmd"};
    for (size_t k = 0; k < 2; k++)
        cJSON_ArrayForEach(part, cJSON_GetObjectItem(config, keys[k])) {
            if (!cJSON_IsString(part) || n + 1 >= max)
                return faas_error_set(err, FAAS_EINVAL, "warm: image %.19s has a command faas cannot pass on", ref);
            argv[n++] = part->valuestring;
        }
    argv[n] = NULL;
    return n > 0 ? FAAS_OK : faas_error_set(err, FAAS_EINVAL, "warm: image %.19s has no command", ref);
}

typedef struct start {
    faas_warm_t *w;
    char name[64];
    char image[FAAS_DOCKER_ID_MAX];
} start_t;

/* Creates and starts one waiting container; fills slot. */
static faas_err_t start_one(faas_warm_t *w, const start_t *s, faas_job__slot_t *slot, faas_error_t *err)
{
    faas_config_t *cfg = faas_app_config(w->app);
    cJSON *image = NULL;
    const char *argv[64], *entry[] = {HELPER_MOUNT, NULL};
    char helper_bind[1200], input_bind[1100], suffix[12];
    const char *binds[] = {helper_bind, input_bind, NULL};
    faas_job__sandbox_t spec;
    faas_err_t rc = image_command(w, s->image, &image, argv, sizeof(argv) / sizeof(argv[0]), err);
    if (rc == FAAS_OK)
        rc = make_input(w, slot, err);
    if (rc == FAAS_OK) {
        snprintf(suffix, sizeof(suffix), "w%.8s", slot->dir + strlen(w->dir) + 1);
        rc = faas_job__sandbox_init(&spec, w->app, cfg, s->name, s->image, suffix, FAAS_LABEL_WARM "=1", NULL, 0, err);
        snprintf(helper_bind, sizeof(helper_bind), "%s:%s:ro", w->helper, HELPER_MOUNT);
        snprintf(input_bind, sizeof(input_bind), "%s:%s:ro", slot->dir, INPUT_MOUNT);
        spec.docker.entrypoint = entry;
        spec.docker.cmd = argv;
        spec.docker.binds = binds;
        if (rc == FAAS_OK)
            rc = faas_docker_container_create(w->app->docker, &spec.docker, slot->id, err);
        if (rc == FAAS_OK && (rc = faas_docker_container_start(w->app->docker, slot->id, err)) != FAAS_OK)
            faas_docker_container_remove(w->app->docker, slot->id, 1, NULL);
        if (rc != FAAS_OK)
            faas_job__warm_release(slot);
        else
            faas_stats_count(FAAS_STAT_WARM, s->name, NULL);
        faas_job__sandbox_free(&spec);
    }
    cJSON_Delete(image);
    faas_config_unref(cfg);
    return rc;
}

static void on_start(void *data)
{
    start_t *s = data;
    faas_warm_t *w = s->w;
    waiting_t *c = calloc(1, sizeof(*c));
    faas_error_t err = {0};
    faas_err_t rc = c != NULL ? start_one(w, s, &c->slot, &err) : faas_error_set(&err, FAAS_ENOMEM, "out of memory");
    pthread_mutex_lock(&w->mu);
    pool_fn_t *f = find(w, s->name, 0);
    if (f != NULL)
        f->starting--;
    int keep = rc == FAAS_OK && f != NULL && strcmp(f->image, s->image) == 0 && !atomic_load(&w->closing);
    if (keep) {
        c->since_ms = faas_clock_mono_ms();
        c->next = f->waiting;
        f->waiting = c;
    } else {
        w->total--;
        if (rc != FAAS_OK && f != NULL)
            f->target = 0; /* the next call tries again; no retry storm in between */
    }
    pthread_mutex_unlock(&w->mu);
    if (rc != FAAS_OK)
        faas_log_warn("warm %s: %s (calls make their own containers)", s->name, err.msg);
    if (!keep && c != NULL && rc == FAAS_OK) {
        c->next = NULL;
        remove_all(w, c); /* the image changed or faas is stopping meanwhile */
    } else if (!keep) {
        free(c);
    }
    free(s);
}

/* ---- what an execution calls -------------------------------------------------------------- */

int faas_job__warm_take(faas_warm_t *w, const char *function, const char *image, faas_job__slot_t *slot)
{
    if (w == NULL)
        return -1;
    pthread_mutex_lock(&w->mu);
    pool_fn_t *f = find(w, function, 0);
    waiting_t *c = f != NULL && strcmp(f->image, image) == 0 ? f->waiting : NULL;
    if (c != NULL) {
        f->waiting = c->next;
        w->total--;
    }
    pthread_mutex_unlock(&w->mu);
    if (c == NULL)
        return -1;
    *slot = c->slot;
    free(c);
    return 0;
}

/* Opens the FIFO for writing: possible only once faas-start has it open for reading. */
static int open_input(const char *path, faas_error_t *err)
{
    int64_t deadline = faas_clock_mono_ms() + OPEN_WAIT_MS;
    for (;;) {
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 || errno != ENXIO) {
            if (fd < 0)
                faas_error_set(err, FAAS_EIO, "warm: cannot open %s: %s", path, strerror(errno));
            return fd;
        }
        if (faas_clock_mono_ms() >= deadline) {
            faas_error_set(err, FAAS_ETIMEOUT, "warm: the container never opened %s", path);
            return -1;
        }
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
}

faas_err_t faas_job__warm_deliver(const faas_job__slot_t *slot, const faas_env_var_t *env, size_t n, faas_error_t *err)
{
    char path[sizeof(slot->dir) + 8];
    snprintf(path, sizeof(path), "%s/input", slot->dir);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(env[i].name) + strlen(env[i].value) + 2;
    char *buf = malloc(len + 1), *p = buf;
    if (buf == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s=%s", env[i].name, env[i].value) + 1; /* each ends with its NUL */
    int fd = open_input(path, err);
    faas_err_t rc = fd >= 0 ? FAAS_OK : err->code;
    if (fd >= 0)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK); /* big input: wait for the reader */
    for (size_t off = 0; rc == FAAS_OK && off < len;) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            rc = faas_error_set(err, FAAS_EIO, "warm: writing the input: %s", strerror(errno));
        else
            off += (size_t)w;
    }
    if (fd >= 0)
        close(fd); /* EOF: faas-start goes on */
    free(buf);
    return rc;
}

void faas_job__warm_refill(faas_warm_t *w, const char *function, const char *image, int missed)
{
    if (w == NULL || atomic_load(&w->closing))
        return;
    faas_config_t *cfg = faas_app_config(w->app);
    int max = (int)cfg->limits.warm;
    int64_t cap = cfg->limits.containers;
    faas_config_unref(cfg);
    waiting_t *stale = NULL;
    start_t *starts[64];
    int nstarts = 0;
    pthread_mutex_lock(&w->mu);
    pool_fn_t *f = find(w, function, max > 0);
    if (f != NULL && strcmp(f->image, image) != 0) { /* a new image: the old containers go */
        take_older(w, f, INT64_MAX, &stale);
        snprintf(f->image, sizeof(f->image), "%s", image);
        f->target = 0;
    }
    if (f != NULL) {
        if (missed || f->target == 0)
            f->target++;
        f->target = f->target > max ? max : f->target;
        int have = f->starting;
        for (waiting_t *c = f->waiting; c != NULL; c = c->next)
            have++;
        /* The pool is shared: a function being called now beats one that waits unused. */
        for (; have < f->target && nstarts < 64 && (w->total < cap || evict_oldest(w, f, &stale)); have++) {
            start_t *s = calloc(1, sizeof(*s));
            if (s == NULL)
                break;
            *s = (start_t){.w = w};
            snprintf(s->name, sizeof(s->name), "%s", function);
            snprintf(s->image, sizeof(s->image), "%s", image);
            starts[nstarts++] = s;
            f->starting++;
            w->total++;
        }
    }
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < nstarts; i++)
        if (faas_pool_submit(w->app->pool, NULL, on_start, NULL, starts[i]) != 0) {
            pthread_mutex_lock(&w->mu); /* the pool is stopping */
            if ((f = find(w, function, 0)) != NULL)
                f->starting--;
            w->total--;
            pthread_mutex_unlock(&w->mu);
            free(starts[i]);
        }
    remove_all(w, stale);
}

void faas_job__warm_drop(faas_warm_t *w, const char *function)
{
    if (w == NULL)
        return;
    waiting_t *stale = NULL;
    pthread_mutex_lock(&w->mu);
    pool_fn_t *f = find(w, function, 0);
    if (f != NULL) {
        take_older(w, f, INT64_MAX, &stale);
        f->image[0] = '\0'; /* starts in flight see the change and remove what they made */
        f->target = 0;
    }
    forget_idle(w);
    pthread_mutex_unlock(&w->mu);
    remove_all(w, stale);
}

/* ---- expiry, start-up, shutdown -------------------------------------------------------------- */

/* Often enough that a container goes within half its idle time of expiring. */
static int64_t expire_every(void *data)
{
    faas_warm_t *w = data;
    faas_config_t *cfg = faas_app_config(w->app);
    int64_t every = cfg->limits.warm_idle_ms / 2;
    faas_config_unref(cfg);
    return every < 500 ? 500 : every > EXPIRE_EVERY_MS ? EXPIRE_EVERY_MS : every;
}

static void on_expire(void *data)
{
    faas_warm_t *w = data;
    faas_config_t *cfg = faas_app_config(w->app);
    int64_t before = faas_clock_mono_ms() - cfg->limits.warm_idle_ms;
    int max = (int)cfg->limits.warm;
    faas_config_unref(cfg);
    waiting_t *stale = NULL;
    pthread_mutex_lock(&w->mu);
    for (pool_fn_t *f = w->fns; f != NULL; f = f->next) {
        int n = take_older(w, f, max > 0 ? before : INT64_MAX, &stale);
        f->target = f->target - n < 0 ? 0 : f->target - n;
        f->target = f->target > max ? max : f->target;
    }
    forget_idle(w);
    pthread_mutex_unlock(&w->mu);
    remove_all(w, stale);
}

/* A bind mount keeps its source's noexec: faas-start could not run from there. */
static faas_err_t check_exec(faas_warm_t *w, faas_error_t *err)
{
    struct statvfs st;
    if (statvfs(w->dir, &st) == 0 && (st.f_flag & ST_NOEXEC))
        return faas_error_set(err, FAAS_EINVAL, "warm: %s is on a noexec file system: no containers started ahead",
                              w->dir);
    return FAAS_OK;
}

/* Writes the helper program (atomically: a rename) where containers can mount it. */
static faas_err_t write_helper(faas_warm_t *w, faas_error_t *err)
{
    size_t len;
    const unsigned char *bytes = faas_job__helper_program(&len);
    char tmp[sizeof(w->helper) + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", w->helper);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    size_t off = 0;
    while (fd >= 0 && off < len) {
        ssize_t n = write(fd, bytes + off, len - off);
        if (n < 0 && errno != EINTR)
            break;
        off += n > 0 ? (size_t)n : 0;
    }
    int ok = fd >= 0 && off == len && fchmod(fd, 0755) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    if (!ok || rename(tmp, w->helper) != 0) {
        faas_error_set(err, FAAS_EIO, "warm: cannot write %s: %s", w->helper, strerror(errno));
        unlink(tmp);
        return FAAS_EIO;
    }
    return FAAS_OK;
}

/* Removes the FIFO folders an earlier run left (their containers are gone already). */
static void clear_inputs(faas_warm_t *w)
{
    DIR *d = opendir(w->dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        faas_job__slot_t slot;
        if (strlen(e->d_name) != 36) /* the uuid folders only */
            continue;
        snprintf(slot.dir, sizeof(slot.dir), "%s/%.36s", w->dir, e->d_name);
        faas_job__warm_release(&slot);
    }
    if (d != NULL)
        closedir(d);
}

faas_warm_t *faas_warm_create(faas_app_t *app, faas_error_t *err)
{
    faas_warm_t *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        faas_error_set(err, FAAS_ENOMEM, "out of memory");
        return NULL;
    }
    faas_config_t *cfg = faas_app_config(app);
    w->app = app;
    pthread_mutex_init(&w->mu, NULL);
    int toolong = snprintf(w->dir, sizeof(w->dir), "%s/exec", cfg->data_dir) >= (int)sizeof(w->dir);
    snprintf(w->helper, sizeof(w->helper), "%s/%s", w->dir, HELPER_NAME);
    faas_config_unref(cfg);
    if (toolong)
        faas_error_set(err, FAAS_EINVAL, "warm: data_dir is too long a path");
    if (toolong || faas_fs_mkdirs(w->dir, 0700, "data_dir/exec", err) != FAAS_OK || check_exec(w, err) != FAAS_OK ||
        write_helper(w, err) != FAAS_OK) {
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    clear_inputs(w);
    faas_pool_every(app->pool, EXPIRE_EVERY_MS, expire_every, on_expire, w);
    return w;
}

void faas_warm_dispose(faas_warm_t *w)
{
    if (w == NULL)
        return;
    atomic_store(&w->closing, 1);
    waiting_t *stale = NULL;
    pthread_mutex_lock(&w->mu);
    for (pool_fn_t *f = w->fns; f != NULL; f = f->next) {
        take_older(w, f, INT64_MAX, &stale);
        f->target = 0;
        f->starting = 0; /* the pool is stopped: nothing is in flight any more */
    }
    forget_idle(w);
    pthread_mutex_unlock(&w->mu);
    remove_all(w, stale);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
