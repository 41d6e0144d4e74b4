/*
 * internal.h: what the files of src/service/ share, and nothing outside it:
 * services.c (the manager), deploy.c (upload to switch), service.c (start,
 * stop, delete, logs), reconcile.c (reconcile, cleanup) and container.c
 * (Docker containers of a version, readiness, retiring) share the manager's
 * struct and the container helpers; buildctx*.c share the build context's
 * path index. Names: faas_service__*. Worker threads only.
 */
#ifndef FAAS_SERVICE_INTERNAL_H
#define FAAS_SERVICE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "faas/core/log.h"
#include "faas/core/policy.h"
#include "faas/core/scale.h"
#include "faas/docker/docker.h"
#include "faas/proxy/proxy.h"
#include "faas/service/autoscale.h"
#include "faas/service/buildctx.h"
#include "faas/service/service.h"

#define FAAS_SERVICE_ADDRESS_MAX 32
#define FAAS_SERVICE_REPLICAS_MAX 1000 /* scale.max's upper bound */

/* A container being retired: traffic moved off it, its last requests are finishing. */
typedef struct retiring {
    char id[80];
    struct retiring *next;
} retiring_t;

/* A crashed service waiting for its next restart (crash.c). */
typedef struct crash {
    char name[64];
    int64_t due_ms;        /* monotonic */
    struct crash *next;
} crash_t;

/* What the scaler (scaler.c) knows of one function between decisions. */
typedef struct faas_service__scaled {
    char name[64];
    faas_autoscale_t *window; /* requests in flight, sampled every 200 ms */
    uint64_t requests;        /* the load's request count at the last sample */
    int64_t last_active_ms;   /* monotonic: the last sample that saw a request, or the last wake */
    int64_t slept_ms;         /* monotonic: when its replicas were paused, 0 = not asleep */
    int64_t awake_ms;         /* monotonic: since when it has a ready replica, 0 = none */
    int desired;              /* the last decision, -1 before the first */
    char reason[160];         /* why, for the debug log and the API */
    int queued;               /* a change is queued on the scale pool */
} faas_service__scaled_t;

typedef struct faas_service__scaler {
    pthread_mutex_t mutex;    /* the table: the tick, wakes and the API read it */
    faas_service__scaled_t *fns;
    size_t n, cap;
    unsigned ticks;
} faas_service__scaler_t;

struct faas_services {
    faas_app_t *app;
    pthread_mutex_t mutex; /* retiring, crashes */
    retiring_t *retiring;  /* reconcile must not remove these under their requests */
    crash_t *crashes;      /* restarts waiting out their back-off */
    atomic_int resume;     /* the next reconcile pass brings every stopped container up at once */
    char network[64];      /* the Docker network service containers join */
    pthread_t events_thread;
    int events_started;
    atomic_int stopping;
    atomic_uint reconcile_passes, cleanup_passes; /* for the log: tests wait on passes */
    faas_fnlock_t *sets;   /* a function's replica set: one change at a time (a deploy's build does not hold it) */
    faas_pool_t *scale_pool; /* wakes and scaling, apart from builds so a wake never waits behind one */
    pthread_mutex_t policy_mutex;
    faas_policy_t *policy; /* the scale hook's Lua state */
    faas_service__scaler_t scaler;
    pthread_cond_t build_news;     /* with mutex: a build log grew or a build ended (followers wake) */
    unsigned build_gen;            /* counts those, under mutex */
    pthread_mutex_t secrets_mutex; /* secrets_dir, owners */
    char secrets_dir[256];         /* where containers' secret files live ("" until first needed) */
    struct {                       /* the user each recent image runs as (reading its /etc/passwd costs ~150 ms) */
        char image[FAAS_DOCKER_ID_MAX];
        long uid, gid;
    } owners[16];
    size_t owners_next;
    int swarm;                     /* backend "swarm": functions are Swarm services (swarm.c) */
    pthread_t swarm_thread;        /* follows service and node events */
    int swarm_started;
};

/* What faas reads of a container. */
typedef struct faas_service__state {
    int running;
    int paused;
    int exit_code;       /* of its last run, when not running */
    int oom_killed;
    int64_t started_ms;  /* Unix ms of its last start, -1 if unknown */
    char address[FAAS_SERVICE_ADDRESS_MAX]; /* "ip:container_port" on the functions' network, "" if none */
} faas_service__state_t;

/* What a container of one version of a function is made from. */
typedef struct faas_version {
    const char *name;
    const char *build_id;
    const char *image;
    int container_port;
    const faas_env_var_t *env;
    size_t env_len;
    const char *binds;     /* "host:ctr[:ro],..." resolved, or NULL */
    int64_t memory;        /* bytes, 0 = limits.memory */
    int64_t nano_cpus;     /* 0 = limits.cpus */
    char *const *secrets;  /* names of the secrets mounted at /run/secrets/<name> */
    size_t n_secrets;
    char *const *placement; /* Swarm placement constraints (backend "swarm") */
    size_t n_placement;
} faas_version_t;

/* ---- secret files (secrets.c) ---- */

#define FAAS_SERVICE__SECRETS_MAX 64 /* secrets one function may mount */

/* The secret files of one container being made, and their mounts. */
typedef struct faas_service__secrets {
    char *dir;                        /* the container's folder of secret files; NULL: it has none */
    faas_docker_mount_t *mounts;      /* one read-only bind per secret */
    size_t n;
} faas_service__secrets_t;

/**
 * Writes v's secrets, opened from the store, into a folder of their own for the container called
 * name (files mode 0400, owned by faas until faas_service__secrets_own), and fills out with their
 * mounts. Nothing to do (out->n 0) without secrets. FAAS_ENOTFOUND naming a secret that is gone,
 * FAAS_EIO, FAAS_EINVAL (a value that does not open). Nothing is left behind on failure.
 */
faas_err_t faas_service__secrets_write(faas_services_t *s, const faas_version_t *v, const char *name,
                                       faas_service__secrets_t *out, faas_error_t *err);
/** Gives the files of sec to the user the created container id runs as (its image's USER, a name
    resolved from the container's /etc/passwd and /etc/group; root when none). */
faas_err_t faas_service__secrets_own(faas_services_t *s, const faas_service__secrets_t *sec, const char *id,
                                     const char *image, faas_error_t *err);
/** Frees sec; with remove, deletes its files and folder too (the container was not made). */
void faas_service__secrets_done(faas_service__secrets_t *sec, int remove);
/** Deletes the secret files of the container called name (it is gone). Any thread. */
void faas_service__secrets_forget(faas_services_t *s, const char *name);
/** Deletes the folders of secret files whose container no longer exists (the cleanup pass). */
void faas_service__secrets_sweep(faas_services_t *s);

/**
 * Brings one function back in line with its record (reconcile.c); 1 if the routes may have
 * changed. A container found exited is a crash (crash.c) unless resume: at start-up and after
 * the engine came back, containers stopped with the engine, not by a crash, and start at once.
 */
int faas_service__reconcile_one(faas_services_t *s, const char *name, int resume);

/**
 * Brings image back with spec's settings (taken over) in place of what cur serves: new replicas
 * that must answer, then the deploy's switch; the record's revision becomes revision. The caller
 * holds cur->name's lock under lock_id; it is released either way. Worker thread.
 */
struct faas_deploy_spec;
faas_err_t faas_service__rollout(faas_services_t *s, const faas_function_t *cur, struct faas_deploy_spec *spec,
                                 const char *image, int64_t revision, const char *lock_id, faas_error_t *err);

/** A build log grew or a build ended: wakes the followers of build logs. Any thread. */
void faas_service__build_news(faas_services_t *s);

/** The number the next revision of name gets: one above the highest kept or named by its record. */
int64_t faas_service__revision_next(faas_services_t *s, const char *name);

/** Records revision number of name (which its record must serve now) with its settings and keeps
 *  the newest `revisions`. Returns the images of the ones that fell out that nothing else names
 *  (NULL-ended, or NULL), for faas_service__drop_images once their containers are gone. Failures
 *  are logged: the deploy has switched either way. */
char **faas_service__revision_commit(faas_services_t *s, const char *name, int64_t number, const char *build_id);

/** Removes each image of a NULL-ended list and frees it. NULL is allowed. */
void faas_service__drop_images(faas_services_t *s, char **images);

/** What fn serves becomes a revision when none names it yet: a record from before revisions (the
 *  next number) or one whose entry a crash kept from being written (its number). */
void faas_service__revision_adopt(faas_services_t *s, const faas_function_t *fn);

/** 1 when image is one of the n ids of kept (faas_store_revision_images). */
int faas_service__revision_image_kept(char *const *kept, size_t n, const char *image);

/** One reconcile pass over every function (what the periodic task runs); resumes when s->resume is set. */
void faas_service__reconcile_all(faas_services_t *s);

/**
 * A service's replicas died on its own (crash.c): records status crashing, one more restart and
 * the last output of container id (one of them), and schedules the restart after a back-off that doubles with each
 * crash (1 s, 2 s, 4 s ... up to 5 minutes). The caller holds fn's name. Worker thread.
 */
void faas_service__crashed(faas_services_t *s, const faas_function_t *fn, const char *id,
                           const faas_service__state_t *st);

/** 1 while name waits for a restart. */
int faas_service__crash_pending(faas_services_t *s, const char *name);

/** Starts the periodic task that restarts crashed services when their back-off ends. Start-up. */
int faas_service__crash_start(faas_services_t *s);

/** Forgets that a service stays up now: restarts back to 0 once it ran long enough. Caller holds the name. */
void faas_service__crash_settled(faas_services_t *s, const faas_function_t *fn, const faas_service__state_t *st);

/** One cleanup pass (orphan runtime files, stale temp files, unused images). */
void faas_service__cleanup(faas_services_t *s);

/** 1 if container id is being retired by a switch (reconcile leaves it alone). */
int faas_service__retiring(faas_services_t *s, const char *id);
/** Marks container id as being retired (its death is expected), and forgets it again. */
void faas_service__retiring_add(faas_services_t *s, const char *id);
void faas_service__retiring_remove(faas_services_t *s, const char *id);

/**
 * Makes the folders of the function's own volumes among binds (those under
 * <data_dir>/volumes/<name>) one component at a time, opening each without
 * following a symlink: one on the way is FAAS_EFORBIDDEN, with nothing created
 * through it. Other binds (allowed by volume_allowed) are left alone.
 */
faas_err_t faas_service__volume_dirs(const faas_config_t *cfg, const char *name, const char *binds, faas_error_t *err);

/**
 * FAAS_ECONFLICT when a bind of binds and a mount of any container of function
 * name lie one inside the other with the outer one writable: that container
 * could swap the inner folder for a symlink between faas's check and Docker's
 * bind, which follows it.
 */
faas_err_t faas_service__volumes_apart(faas_services_t *s, const char *name, const char *binds, faas_error_t *err);

/** Creates and starts a container for v (its volume folders checked again first); writes its id and
    "ip:port" address. Removes it on failure. */
faas_err_t faas_service__run_container(faas_services_t *s, const faas_version_t *v, char id[FAAS_DOCKER_ID_MAX],
                                       char address[FAAS_SERVICE_ADDRESS_MAX], faas_error_t *err);


/** Reads a container's state. FAAS_ENOTFOUND when it is gone. */
faas_err_t faas_service__inspect(faas_services_t *s, const char *id, int container_port, faas_service__state_t *st,
                                 faas_error_t *err);

/** The end of a container's output (its last lines), for records and messages. */
void faas_service__last_output(faas_services_t *s, const char *id, faas_log_tail_t *tail);

/**
 * Waits until the container answers HTTP on address (any status line), or
 * fails: the container exited (FAAS_EINVAL), or it runs but nothing answers
 * on its port in time (FAAS_ETIMEOUT); both messages carry its last output,
 * the second also the port it was given.
 */
faas_err_t faas_service__wait_ready(faas_services_t *s, const char *id, const char *address, int64_t timeout_ms,
                                    faas_error_t *err);

/** One HTTP request to address ("ip:port"): 0 if a status line came back within timeout_ms. */
int faas_service__probe(const char *address, int timeout_ms);

/** Removes a container (forced) and, when image is not NULL, that image; errors are logged. */
void faas_service__remove(faas_services_t *s, const char *container_id, const char *image);

/**
 * Moves traffic to what the store now says and retires the replicas old (n_old) that served before:
 * publishes a snapshot, waits until every loop uses it and the old snapshot's requests in flight to
 * this function are done, then removes the old containers and old_image (unless the record still
 * uses them) and releases old_port if the function no longer holds it.
 */
void faas_service__switch(faas_services_t *s, const char *name, const faas_replica_t *old, size_t n_old,
                          const char *old_image, int old_port);

/**
 * Makes fn's version run and answer HTTP: starts its container, or recreates
 * it from fn's image when it is gone; then records status running, the
 * container and its address. The caller publishes the routes.
 */
faas_err_t faas_service__bring_up(faas_services_t *s, const faas_function_t *fn, faas_error_t *err);

/** The config now (a reference: unref it). */
faas_config_t *faas_service__config(faas_services_t *s);

/** The HTTPS name of function name, <name>.<domain>, into out; 0 when faas serves no HTTPS or has no domain. */
int faas_service__tls_host(faas_services_t *s, const faas_config_t *cfg, const char *name, char *out, size_t size);

/* ---- replica sets (replicas.c, wake.c, scaler.c) ---- */

/** How many of fn's replicas are in state. */
size_t faas_service__count(const faas_function_t *fn, faas_replica_state_t state);
/** Appends a replica to fn's in-memory set (copies id and address; "" or NULL address: none). */
faas_err_t faas_service__set_add(faas_function_t *fn, const char *id, const char *address, faas_replica_state_t state,
                                 faas_error_t *err);
/** 1 if a and b list the same replicas in the same states at the same addresses. */
int faas_service__same_set(const faas_function_t *a, const faas_function_t *b);
/** Removes replica i from fn's in-memory set. */
void faas_service__set_drop(faas_function_t *fn, size_t i);
/** Replaces to's set with a copy of from's. */
faas_err_t faas_service__set_copy(const faas_function_t *from, faas_function_t *to, faas_error_t *err);
/** Writes fn's set (and status, if >= 0) into its record. */
faas_err_t faas_service__set_store(faas_services_t *s, const faas_function_t *fn, int status, faas_error_t *err);
/**
 * Stores fn's set, publishes the routes, and waits until every loop uses them and the requests in
 * flight to the replicas no longer ready are done (errors are logged).
 */
void faas_service__set_publish(faas_services_t *s, const faas_function_t *fn, int status);
/** The version fn's record serves, as a container spec's source. */
void faas_service__version_of(const faas_function_t *fn, faas_version_t *v);
/** A new replica of v, answering HTTP, appended to fn's set as ready (not stored). */
faas_err_t faas_service__replica_run(faas_services_t *s, const faas_version_t *v, faas_function_t *fn,
                                     faas_error_t *err);
/** faas_service__replica_run of fn's own version. */
faas_err_t faas_service__replica_new(faas_services_t *s, faas_function_t *fn, faas_error_t *err);
/** Makes replica i ready: unpaused, or started and answering (its address re-read). Not stored. */
faas_err_t faas_service__replica_wake(faas_services_t *s, faas_function_t *fn, size_t i, faas_error_t *err);
/* What faas_service__set_refresh found missing among the replicas the record had up. */
typedef struct faas_service__lost {
    size_t died;                       /* exited on their own */
    size_t gone;                       /* removed behind faas's back */
    char died_id[FAAS_DOCKER_ID_MAX];  /* the first that died */
} faas_service__lost_t;

/**
 * Reads each replica's container and sets its state from what Docker says: a gone one is dropped,
 * a running one ready (or paused), a stopped one stopped; what was up and is not goes into lost
 * (may be NULL). An engine error stops it (the set is then partly refreshed).
 */
faas_err_t faas_service__set_refresh(faas_services_t *s, faas_function_t *fn, faas_service__lost_t *lost,
                                     faas_error_t *err);
/** Puts fn's ready replicas (and for STOPPED the paused ones; with paused_only those alone) to sleep: out of
    the routes, then paused or stopped. */
void faas_service__set_sleep(faas_services_t *s, faas_function_t *fn, faas_replica_state_t to, int paused_only);
/** Retires ready replicas beyond the first keep_ready: out of the routes, their requests done, removed. */
void faas_service__set_retire(faas_services_t *s, faas_function_t *fn, size_t keep_ready);
/** Keeps at most max replicas: sleeping ones removed first (stopped, then paused), then ready ones retired. */
void faas_service__set_trim(faas_services_t *s, faas_function_t *fn, size_t max);
/**
 * Makes want replicas ready (bounded by the max in force): paused ones thawed first, then stopped ones
 * started, then new ones; publishes. load, when not NULL, gets the first one's kind before the routes
 * go out (Server-Timing of the requests that waited).
 */
faas_err_t faas_service__set_grow(faas_services_t *s, faas_function_t *fn, size_t want, faas_load_t *load,
                                  faas_error_t *err);
/** The proxy's waker: queues a wake of name on the scale pool. Loop thread: does not block. */
void faas_service__on_wake(void *arg, const char *name);
/** The scale settings in force for fn: its own, then the hook's, then the config's. */
void faas_service__scale_in_force(faas_services_t *s, const faas_function_t *fn, faas_scale_t *out);
/** The scaler's entry for name (made when create and missing; NULL when out of memory). scaler.mutex held. */
faas_service__scaled_t *faas_service__scaled(faas_services_t *s, const char *name, int create);
/** Notes activity of name now (a wake): its idle time starts again. */
void faas_service__active(faas_services_t *s, const char *name);
/** Starts the sampling and decision task on the scale pool. Start-up. */
int faas_service__scaler_start(faas_services_t *s);
/** Frees the scaler's table (after the scale pool stopped). */
void faas_service__scaler_dispose(faas_services_t *s);

/* ---- the swarm backend (swarm.c, swarm_tasks.c) ---- */

#define FAAS_SERVICE__SWARM_NAME_MAX 192
#define FAAS_SERVICE__TASK_ADDRESSES 4

/* What faas reads of one task of a function's service. */
typedef struct faas_service__task {
    char id[64];
    char node[64];
    char state[16];                      /* Status.State */
    char err[200];                       /* Status.Err */
    char container[FAAS_DOCKER_ID_MAX];  /* its container on its node */
    char build[64];                      /* the faas.build label of its spec: the version it runs */
    char addresses[FAAS_SERVICE__TASK_ADDRESSES][FAAS_SERVICE_ADDRESS_MAX]; /* "node ip:published port" */
    size_t n_addresses;
    int up;        /* should run and runs, on a ready node */
    int draining;  /* Swarm is shutting it down; it still runs */
} faas_service__task_t;

/** The Swarm service name of function name: "<image_prefix>-<name>". */
void faas_service__swarm_name(faas_services_t *s, const char *name, char *out, size_t size);
/** The running tasks among tasks (GET /tasks) on ready nodes of nodes (GET /nodes), at most max,
    with the addresses of target_port. Pure. */
size_t faas_service__swarm_parse(const cJSON *tasks, const cJSON *nodes, int target_port, faas_service__task_t *out,
                                 size_t max);
/**
 * The replica set of n parsed tasks into out (which was, the set before, may be): up tasks, ready
 * when they answered before at a listed address or (probe) answer now, else starting; with none
 * ready and replicas > 0, was's ready tasks that are draining stay ready. Pure when !probe.
 */
faas_err_t faas_service__swarm_set(const faas_function_t *was, const faas_service__task_t *tasks, size_t n,
                                   int64_t replicas, int probe, faas_function_t *out, faas_error_t *err);
/** Reads service's tasks (malloc'd *tasks, caller frees) and its replica count. FAAS_ENOTFOUND: no service. */
faas_err_t faas_service__swarm_read(faas_services_t *s, const char *service, int target_port,
                                    faas_service__task_t **tasks, size_t *n, int64_t *replicas, faas_error_t *err);
/** fn's set from its service's tasks now; the service's replica count into *replicas (may be NULL), -1
    (and an empty set) when the service does not exist. */
faas_err_t faas_service__swarm_refresh(faas_services_t *s, faas_function_t *fn, int64_t *replicas, faas_error_t *err);
/** Start-up: the engine must be an active swarm manager. Starts the service/node events thread. */
faas_err_t faas_service__swarm_start(faas_services_t *s, faas_error_t *err);
/** Stops the events thread. */
void faas_service__swarm_stop(faas_services_t *s);
/**
 * Deploys v as fn's service: created with want replicas, or updated (a rolling update, start-first,
 * rolled back by Swarm when new tasks fail, by faas when they never answer); returns once want new
 * tasks answer (at least one; the others may come later), with the set in next. The caller holds
 * v->name's operation lock. Worker thread.
 */
faas_err_t faas_service__swarm_deploy(faas_services_t *s, const faas_version_t *v, size_t want, faas_function_t *next,
                                      faas_error_t *err);
/** Sets fn's service to want replicas and, with wait, publishes each new one as it answers until want
    are ready (or the start timeout). The caller holds fn's set lock. */
faas_err_t faas_service__swarm_scale(faas_services_t *s, faas_function_t *fn, size_t want, int wait,
                                     faas_load_t *load, faas_error_t *err);
/** Removes fn's service (its tasks stop). Missing: FAAS_OK. */
faas_err_t faas_service__swarm_remove(faas_services_t *s, const char *name, faas_error_t *err);
/** Brings fn's set in line with its service (and its min); 1 if the routes may have changed. Caller holds fn's name. */
int faas_service__swarm_reconcile(faas_services_t *s, const faas_function_t *fn);
/** Removes the services of this instance that no record names and no operation owns. */
void faas_service__swarm_orphans(faas_services_t *s, const faas_function_t *fns, size_t n);

/* ---- build contexts (buildctx.c, buildctx_zip.c) ---- */

/* Kinds of path in an index. */
enum {
    FAAS_SERVICE__FILE = 1,
    FAAS_SERVICE__DIR = 2,          /* implied by a file or folder below it */
    FAAS_SERVICE__DIR_EXPLICIT = 3, /* listed as a folder of its own (a zip's "x/" entry) */
};

/* What a new path would clash with (faas_service__pathset_clash). */
enum {
    FAAS_SERVICE__CLASH_NONE = 0,
    FAAS_SERVICE__CLASH_SAME = 1, /* the same file again */
    FAAS_SERVICE__CLASH_KIND = 2, /* a file where a folder is, or the other way round */
};

typedef struct faas_service__slot {
    char *key; /* owned; NULL: empty slot */
    int kind;
    size_t index; /* files: index in faas_buildctx.files */
} faas_service__slot_t;

/* A set of paths (files and every folder they imply): open addressing, never shrinks. */
typedef struct faas_service__pathset {
    faas_service__slot_t *slots;
    size_t cap, used;
} faas_service__pathset_t;

typedef struct faas_service__file {
    char *path; /* normalised */
    char *data; /* NULL when empty, and after finish */
    size_t len;
    int mode;
} faas_service__file_t;

struct faas_buildctx {
    faas_service__file_t *files;
    size_t nfiles, files_cap;
    char **dirs; /* explicit folders (from zips): written to the tar even when empty */
    size_t ndirs, dirs_cap;
    faas_service__pathset_t paths;
    int finished;
};

/** realloc that aborts on OOM (bookkeeping only; file data fails softly). n 0 is fine. */
void *faas_service__realloc(void *p, size_t n);
char *faas_service__strndup(const char *s, size_t n);

/**
 * A normalised copy of path (len bytes): empty and "." components dropped, so "./a//b/" is "a/b".
 * NULL with *why ("is absolute", "has a \"..\" component", ...) when it is empty, starts with '/',
 * has a ".." component, or names nothing ("./"). Backslashes are not separators here.
 */
char *faas_service__clean_path(const char *path, size_t len, const char **why);

/** The entry of key (len bytes) in set, or NULL. */
const faas_service__slot_t *faas_service__pathset_get(const faas_service__pathset_t *set, const char *key, size_t len);
/** Records path (kind FILE or DIR_EXPLICIT, index for files) and every folder it implies. */
void faas_service__pathset_record(faas_service__pathset_t *set, const char *path, int kind, size_t index);
/** FAAS_SERVICE__CLASH_*: what adding path as kind would clash with; *at is the length of the clashing prefix. */
int faas_service__pathset_clash(const faas_service__pathset_t *set, const char *path, int kind, size_t *at);
void faas_service__pathset_free(faas_service__pathset_t *set);

/** Appends a file to ctx (taking path and data) and indexes it. The caller checked for clashes. */
void faas_service__append_file(faas_buildctx_t *ctx, char *path, char *data, size_t len, int mode);
/** Appends an explicit folder to ctx (taking path), once. The caller checked for clashes. */
void faas_service__append_dir(faas_buildctx_t *ctx, char *path);

#endif
