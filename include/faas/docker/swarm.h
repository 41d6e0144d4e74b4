/*
 * swarm.h: the Docker Swarm part of the Engine API client (see docker.h for threads and
 * errors): the engine's swarm state, services (create, inspect, update, scale, roll back,
 * remove, list), their tasks, the nodes, pushing an image to a registry, and the
 * service and node events. Every call blocks: worker thread only.
 *
 * Services are made for faas's way of routing: the container port is published in host
 * mode on a port Swarm picks on each task's node, and the endpoint mode is dnsrr, so no
 * virtual IP and no ingress routing mesh (which needs IPVS) are involved.
 */
#ifndef FAAS_DOCKER_SWARM_H
#define FAAS_DOCKER_SWARM_H

#include "faas/docker/docker.h"

/* What the engine says of its swarm (GET /info). */
typedef struct faas_docker_swarm_info {
    char state[16];       /* LocalNodeState: "inactive", "pending", "active", "error", "locked" */
    char node_id[64];     /* this engine's node, "" when not in a swarm */
    char node_addr[64];   /* its advertised address */
    int manager;          /* ControlAvailable: services can be managed through this engine */
    int nodes;            /* nodes in the swarm (0 when unknown) */
} faas_docker_swarm_info_t;

/** GET /info's Swarm part. Worker thread only: blocks. */
faas_err_t faas_docker_swarm_info(faas_docker_t *d, faas_docker_swarm_info_t *out, faas_error_t *err);

/* A replicated service. Zero/NULL means unset, as in faas_docker_container_spec_t. */
typedef struct faas_docker_service_spec {
    const char *name;                /* required; unique in the swarm */
    const char *const *labels;       /* "k=v" of the service, NULL-terminated */
    const char *image;               /* required: "name:tag", "name@sha256:..." or a local image id */
    const char *const *env;          /* "K=V", NULL-terminated */
    const char *const *container_labels; /* "k=v" each task's container gets, NULL-terminated */
    const faas_docker_mount_t *mounts; /* bind mounts; their sources must exist on the node a task runs on */
    size_t n_mounts;
    int64_t memory_bytes;
    int64_t nano_cpus;
    int64_t pids_limit;
    int cap_drop_all;
    const char *const *cap_add;      /* with cap_drop_all, the whole set, NULL-terminated */
    int init;                        /* docker-init as PID 1 */
    const char *stop_signal;         /* what a task's container gets when the task is shut down; NULL: image's */
    int64_t stop_grace_ms;           /* then SIGKILL after this (0: Docker's 10 s) */
    int target_port;                 /* required: the container port, published in host mode on a port Swarm picks */
    int64_t replicas;
    const char *const *constraints;  /* placement constraints ("node.role==manager"), NULL-terminated */
    int64_t restart_delay_ms;        /* between a failed task and its replacement (0: Swarm's 5 s) */
    const char *log_max_size;        /* json-file max-size, e.g. "10m" */
} faas_docker_service_spec_t;

/**
 * Creates the service: rolling updates start a new task before stopping an old one
 * (start-first, one at a time) and roll back by themselves when new tasks fail. Writes its id.
 * Bad spec: FAAS_EINVAL (nothing sent); name in use: FAAS_ECONFLICT. Worker thread only: blocks.
 */
faas_err_t faas_docker_service_create(faas_docker_t *d, const faas_docker_service_spec_t *spec,
                                      char id[FAAS_DOCKER_ID_MAX], faas_error_t *err);
/** GET /services/<ref> (id or name); *out is an object the caller deletes. Missing: FAAS_ENOTFOUND.
    Worker thread only: blocks. */
faas_err_t faas_docker_service_inspect(faas_docker_t *d, const char *ref, cJSON **out, faas_error_t *err);
/** POST /services/<ref>/update with spec as the whole new spec, at the service's current version (a
    rolling update when the task template changed). Worker thread only: blocks. */
faas_err_t faas_docker_service_update(faas_docker_t *d, const char *ref, const faas_docker_service_spec_t *spec,
                                      faas_error_t *err);
/** Sets the replica count, the rest of the spec unchanged (no task is replaced). Worker thread only: blocks. */
faas_err_t faas_docker_service_scale(faas_docker_t *d, const char *ref, int64_t replicas, faas_error_t *err);
/**
 * Puts spec (a service Spec as JSON, read before an update) back as the service's spec. Not
 * Swarm's rollback=previous: any update between (a scale) makes "previous" the failed spec.
 * Worker thread only: blocks.
 */
faas_err_t faas_docker_service_restore(faas_docker_t *d, const char *ref, const char *spec, faas_error_t *err);
/** DELETE /services/<ref>; its tasks stop. Missing: FAAS_ENOTFOUND. Worker thread only: blocks. */
faas_err_t faas_docker_service_remove(faas_docker_t *d, const char *ref, faas_error_t *err);
/** GET /services of the services carrying every label of labels ("k=v", NULL-terminated; NULL for all);
    *out is an array the caller deletes. Worker thread only: blocks. */
faas_err_t faas_docker_service_list(faas_docker_t *d, const char *const *labels, cJSON **out, faas_error_t *err);
/** GET /tasks of service (id or name; NULL: every task); *out is an array the caller deletes.
    Worker thread only: blocks. */
faas_err_t faas_docker_task_list(faas_docker_t *d, const char *service, cJSON **out, faas_error_t *err);
/** GET /nodes; *out is an array the caller deletes. Worker thread only: blocks. */
faas_err_t faas_docker_node_list(faas_docker_t *d, cJSON **out, faas_error_t *err);

/**
 * Pushes repo:tag to the registry its name starts with ("127.0.0.1:5000/x") and writes the
 * pushed manifest's digest ("sha256:<64 hex>"). A failed push (registry unreachable, refused)
 * is FAAS_EDOCKER with the engine's message. Worker thread only: blocks up to timeout_ms (0: none).
 */
faas_err_t faas_docker_image_push(faas_docker_t *d, const char *repo, const char *tag, int timeout_ms,
                                  char digest[FAAS_DOCKER_ID_MAX], faas_error_t *err);

/** Like faas_docker_events, for the events of services and nodes (no label filter: those events
    carry only names). Worker thread only: blocks for as long as it listens. */
faas_err_t faas_docker_swarm_events(faas_docker_t *d, int64_t since_unix, faas_docker_event_cb cb, void *cbdata,
                                    const atomic_int *stop, faas_error_t *err);

/** The digest of a push's JSON-lines answer (its last aux.Digest) into digest; -1 with the first
    error's message in msg (size bytes) when a line has "error", or no digest came. Pure. */
int faas_docker_push_result(const char *body, size_t len, char digest[FAAS_DOCKER_ID_MAX], char *msg, size_t size);

#endif
