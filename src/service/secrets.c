/*
 * secrets.c: the secret files of service containers. Worker threads only (the forget of a
 * destroyed container runs on the events thread: a few unlinks).
 *
 * DESIGN
 * - Mechanism: each container gets its own folder <base>/<container name>/ holding one file per
 *   secret, written just before the container is created and bound read-only, file by file, at
 *   /run/secrets/<name> (HostConfig.Mounts, which never invents a missing source). The same way
 *   Docker Swarm and Kubernetes hand secrets over: the value sits in memory (base is a tmpfs:
 *   /run, else /dev/shm), never in an image, a layer or the environment (`docker inspect` shows
 *   none of it), and the read-only bind makes a write fail even for root in the container, which
 *   a file copied into the container (PUT /archive) would not: that one could be chmod'ed and
 *   rewritten, and would stay on disk in the container's layer.
 * - base is <tmpfs>/faas-secrets-<instance>, mode 0700, owned by faas: nobody else on the host
 *   reads the files; faas refuses a base it did not make that way (a planted folder or link).
 * - Files are mode 0400 and given to the container's user (its image's USER, resolved from the
 *   container's own /etc/passwd and /etc/group between create and start), so its process can read
 *   them and nothing else in it can unless it is root.
 * - Lifetime: a folder goes with its container (the engine's destroy event, and the cleanup pass
 *   for anything missed while faas was away). A container whose folder is gone (a host reboot
 *   empties the tmpfs) fails to start; the wake then replaces it with a new one, with new files.
 */
#include "internal.h"
#include "faas/core/labels.h"
#include "faas/store/secret.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define ACCOUNTS_MAX ((size_t)1 << 20) /* the largest /etc/passwd or /etc/group read from a container */
#define SWEEP_GRACE_S 120              /* a folder younger than this may belong to a container being made */

/* ---- the base folder ---- */

static int memory_backed(const char *path)
{
    struct statfs fs;
    return statfs(path, &fs) == 0 && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC);
}

/* Makes (when missing and create) dir as faas's private folder: a real folder, owned by faas, mode 0700. */
static faas_err_t private_dir(const char *dir, int create, faas_error_t *err)
{
    struct stat st;
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
        return faas_error_set(err, FAAS_EIO, "cannot create %s: %s", dir, strerror(errno));
    if (lstat(dir, &st) != 0)
        return faas_error_set(err, FAAS_EIO, "cannot read %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
        return faas_error_set(err, FAAS_EFORBIDDEN, "%s is not a private folder of faas (a link, another owner, or "
                              "open to others): secrets are not written there", dir);
    return FAAS_OK;
}

/* The folder of every container's secret files, into out. create: made when missing (the first
 * container with secrets); else an error when there is none yet, so an instance that never mounts
 * a secret leaves no folder behind. */
static faas_err_t base_dir(faas_services_t *s, int create, char *out, size_t size, faas_error_t *err)
{
    static const char *const roots[] = {"/run", "/dev/shm"};
    faas_err_t rc = FAAS_OK;
    pthread_mutex_lock(&s->secrets_mutex);
    for (size_t i = 0; s->secrets_dir[0] == '\0' && i < sizeof(roots) / sizeof(roots[0]); i++) {
        char dir[sizeof(s->secrets_dir)];
        snprintf(dir, sizeof(dir), "%s/faas-secrets-%s", roots[i], s->app->instance);
        if (memory_backed(roots[i]) && private_dir(dir, create, NULL) == FAAS_OK)
            snprintf(s->secrets_dir, sizeof(s->secrets_dir), "%s", dir);
    }
    if (s->secrets_dir[0] == '\0') {
        faas_config_t *cfg = faas_service__config(s);
        char dir[sizeof(s->secrets_dir)];
        snprintf(dir, sizeof(dir), "%s/secrets-run", cfg->data_dir);
        faas_config_unref(cfg);
        if ((rc = private_dir(dir, create, err)) == FAAS_OK && create)
            faas_log_warn("secrets: neither /run nor /dev/shm is a tmpfs faas can use: secret files go to %s, on disk",
                          dir);
        if (rc == FAAS_OK)
            snprintf(s->secrets_dir, sizeof(s->secrets_dir), "%s", dir);
    }
    snprintf(out, size, "%s", s->secrets_dir);
    pthread_mutex_unlock(&s->secrets_mutex);
    return rc;
}

/* Removes the files of folder dir and the folder (no recursion: it holds files only). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && unlinkat(dirfd(d), e->d_name, 0) != 0)
            faas_log_warn("secrets: cannot remove %s/%s: %s", dir, e->d_name, strerror(errno));
    if (d != NULL)
        closedir(d);
    if (rmdir(dir) != 0 && errno != ENOENT)
        faas_log_warn("secrets: cannot remove %s: %s", dir, strerror(errno));
}

/* ---- writing a container's files ---- */

void faas_service__secrets_done(faas_service__secrets_t *sec, int remove)
{
    for (size_t i = 0; i < sec->n; i++) {
        if (remove && sec->mounts[i].source != NULL)
            unlink(sec->mounts[i].source);
        free((char *)sec->mounts[i].source);
        free((char *)sec->mounts[i].target);
    }
    if (remove && sec->dir != NULL)
        rmdir(sec->dir);
    free(sec->mounts);
    free(sec->dir);
    *sec = (faas_service__secrets_t){0};
}

/* Writes len bytes of value to a new file path (mode 0400, never through a link). */
static faas_err_t write_file(const char *path, const char *value, size_t len, faas_error_t *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
    if (fd < 0)
        return faas_error_set(err, FAAS_EIO, "cannot create %s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, value + done, len - done);
        if (n <= 0 && errno != EINTR)
            break;
        done += n > 0 ? (size_t)n : 0;
    }
    int saved = errno;
    close(fd);
    return done == len ? FAAS_OK : faas_error_set(err, FAAS_EIO, "cannot write %s: %s", path, strerror(saved));
}

/* One secret: opened from the store, written, its mount added. */
static faas_err_t write_one(faas_services_t *s, faas_service__secrets_t *out, const char *secret, faas_error_t *err)
{
    char *value = NULL, *source = NULL, *target = NULL;
    size_t len = 0;
    faas_err_t rc = faas_store_secret_reveal(s->app->store, &s->app->secretbox, secret, &value, &len, err);
    if (rc == FAAS_OK && (asprintf(&source, "%s/%s", out->dir, secret) < 0 ||
                          asprintf(&target, "/run/secrets/%s", secret) < 0))
        rc = faas_error_set(err, FAAS_ENOMEM, "out of memory");
    if (rc == FAAS_OK)
        rc = write_file(source, value, len, err);
    faas_secretbox_free(value, len);
    if (rc != FAAS_OK) {
        free(source);
        free(target);
        return rc;
    }
    out->mounts[out->n++] = (faas_docker_mount_t){.source = source, .target = target, .read_only = 1};
    return FAAS_OK;
}

faas_err_t faas_service__secrets_write(faas_services_t *s, const faas_version_t *v, const char *name,
                                       faas_service__secrets_t *out, faas_error_t *err)
{
    char base[256];
    *out = (faas_service__secrets_t){0};
    if (v->n_secrets == 0)
        return FAAS_OK;
    if (v->n_secrets > FAAS_SERVICE__SECRETS_MAX)
        return faas_error_set(err, FAAS_ETOOLARGE, "more than %d secrets", FAAS_SERVICE__SECRETS_MAX);
    faas_err_t rc = base_dir(s, 1, base, sizeof(base), err);
    if (rc != FAAS_OK)
        return faas_error_prefix(err, rc, "secrets");
    if (asprintf(&out->dir, "%s/%s", base, name) < 0 || (out->mounts = calloc(v->n_secrets, sizeof(*out->mounts))) == NULL) {
        out->dir = NULL;
        faas_service__secrets_done(out, 0);
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    }
    if (mkdir(out->dir, 0700) != 0) {
        rc = faas_error_set(err, FAAS_EIO, "secrets: cannot create %s: %s", out->dir, strerror(errno));
        faas_service__secrets_done(out, 0);
        return rc;
    }
    for (size_t i = 0; rc == FAAS_OK && i < v->n_secrets; i++)
        rc = write_one(s, out, v->secrets[i], err);
    if (rc != FAAS_OK)
        faas_service__secrets_done(out, 1);
    return rc;
}

/* ---- the container's user ---- */

/* Looks want (a name, or a number when numeric) up in an /etc/passwd or /etc/group text: the
 * entry's id (field 2) and, for passwd, its group (field 3). 0 when found. */
static int account_lookup(const char *text, const char *want, int numeric, long *id, long *group)
{
    size_t wlen = strlen(want);
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n'), *f[4] = {line, NULL, NULL, NULL};
        const char *stop = end != NULL ? end : line + strlen(line);
        for (int k = 1; k < 4; k++) {
            const char *c = f[k - 1] != NULL ? memchr(f[k - 1], ':', (size_t)(stop - f[k - 1])) : NULL;
            f[k] = c != NULL ? c + 1 : NULL;
        }
        if (f[2] != NULL) {
            long v = strtol(f[2], NULL, 10), g = f[3] != NULL ? strtol(f[3], NULL, 10) : 0;
            int hit = numeric ? v == strtol(want, NULL, 10)
                              : (size_t)(f[1] - 1 - line) == wlen && memcmp(line, want, wlen) == 0;
            if (hit) {
                *id = v;
                *group = g;
                return 0;
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
    return -1;
}

static int numeric(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Resolves part (a user or group name or number) in the container's file (/etc/passwd or /etc/group).
 * A number missing from the file stands for itself (group 0 for a user, as the engine does). */
static faas_err_t lookup(faas_services_t *s, const char *id, const char *file, const char *part, long *out,
                         long *group, faas_error_t *err)
{
    char *text = NULL;
    size_t len = 0;
    faas_err_t rc = faas_docker_container_read_file(s->app->docker, id, file, ACCOUNTS_MAX, &text, &len, err);
    *group = 0;
    if (rc == FAAS_OK && memchr(text, '\0', len) != NULL)
        rc = faas_error_set(err, FAAS_EINVAL, "the container's %s is not text", file);
    int found = rc == FAAS_OK && account_lookup(text, part, numeric(part), out, group) == 0;
    free(text);
    if (found)
        return FAAS_OK;
    if (numeric(part)) {
        *out = strtol(part, NULL, 10);
        return FAAS_OK;
    }
    return faas_error_set(err, FAAS_EINVAL, "the image's user \"%s\" is not in its %s: its secrets cannot be given to it",
                          part, file);
}

/* The uid and gid the container's process runs as, from its image's Config.User ("" is root). */
static faas_err_t container_user(faas_services_t *s, const char *id, const char *image, long *uid, long *gid,
                                 faas_error_t *err)
{
    cJSON *info = NULL;
    char user[256];
    faas_err_t rc = faas_docker_image_inspect(s->app->docker, image, &info, err);
    if (rc != FAAS_OK)
        return rc;
    const char *u = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "Config"), "User"));
    snprintf(user, sizeof(user), "%s", u != NULL ? u : "");
    cJSON_Delete(info);
    char *group = strchr(user, ':');
    if (group != NULL)
        *group++ = '\0';
    long ignored;
    *uid = *gid = 0;
    if (user[0] != '\0' && (rc = lookup(s, id, "/etc/passwd", user, uid, gid, err)) != FAAS_OK)
        return rc;
    if (group != NULL && group[0] != '\0')
        rc = lookup(s, id, "/etc/group", group, gid, &ignored, err);
    if (rc == FAAS_OK && (*uid < 0 || *gid < 0 || *uid > 0x7fffffffL || *gid > 0x7fffffffL))
        rc = faas_error_set(err, FAAS_EINVAL, "the image's user \"%s\" has no valid uid and gid", u != NULL ? u : "");
    return rc;
}

/* The cached user of image: 1 when known. An image's USER and /etc/passwd never change. */
static int owner_cached(faas_services_t *s, const char *image, long *uid, long *gid)
{
    int found = 0;
    pthread_mutex_lock(&s->secrets_mutex);
    for (size_t i = 0; !found && i < sizeof(s->owners) / sizeof(s->owners[0]); i++) {
        if ((found = strcmp(s->owners[i].image, image) == 0)) {
            *uid = s->owners[i].uid;
            *gid = s->owners[i].gid;
        }
    }
    pthread_mutex_unlock(&s->secrets_mutex);
    return found;
}

static void owner_remember(faas_services_t *s, const char *image, long uid, long gid)
{
    pthread_mutex_lock(&s->secrets_mutex);
    size_t i = s->owners_next++ % (sizeof(s->owners) / sizeof(s->owners[0]));
    snprintf(s->owners[i].image, sizeof(s->owners[i].image), "%s", image);
    s->owners[i].uid = uid;
    s->owners[i].gid = gid;
    pthread_mutex_unlock(&s->secrets_mutex);
}

faas_err_t faas_service__secrets_own(faas_services_t *s, const faas_service__secrets_t *sec, const char *id,
                                     const char *image, faas_error_t *err)
{
    long uid, gid;
    if (sec->n == 0)
        return FAAS_OK;
    faas_err_t rc = FAAS_OK;
    if (!owner_cached(s, image, &uid, &gid) && (rc = container_user(s, id, image, &uid, &gid, err)) == FAAS_OK)
        owner_remember(s, image, uid, gid);
    for (size_t i = 0; rc == FAAS_OK && i < sec->n; i++)
        if (chown(sec->mounts[i].source, (uid_t)uid, (gid_t)gid) != 0)
            rc = faas_error_set(err, FAAS_EIO, "secrets: cannot give %s to %ld:%ld: %s", sec->mounts[i].source, uid,
                                gid, strerror(errno));
    return rc;
}

/* ---- when containers go ---- */

/* 1 when name can be a container's folder under base (no path tricks). */
static int folder_name(const char *name)
{
    return name != NULL && name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

void faas_service__secrets_forget(faas_services_t *s, const char *name)
{
    char base[256], dir[600];
    if (name != NULL && name[0] == '/')
        name++; /* the engine's names start with "/" */
    if (!folder_name(name) || base_dir(s, 0, base, sizeof(base), NULL) != FAAS_OK)
        return;
    snprintf(dir, sizeof(dir), "%s/%s", base, name);
    if (access(dir, F_OK) == 0)
        remove_dir(dir);
}

/* 1 when one of the containers (the engine's list) is called name. */
static int has_container(const cJSON *containers, const char *name)
{
    const cJSON *c, *n;
    cJSON_ArrayForEach(c, containers) {
        cJSON_ArrayForEach(n, cJSON_GetObjectItem(c, "Names")) {
            const char *v = cJSON_GetStringValue(n);
            if (v != NULL && strcmp(v[0] == '/' ? v + 1 : v, name) == 0)
                return 1;
        }
    }
    return 0;
}

void faas_service__secrets_sweep(faas_services_t *s)
{
    char base[256], dir[600];
    const char *labels[3];
    cJSON *containers = NULL;
    if (base_dir(s, 0, base, sizeof(base), NULL) != FAAS_OK ||
        faas_docker_container_list(s->app->docker, faas_app_labels(s->app, NULL, labels, 3), 1, &containers, NULL) !=
            FAAS_OK)
        return; /* an engine that does not answer: try again next pass */
    DIR *d = opendir(base);
    struct dirent *e;
    time_t now = time(NULL);
    while (d != NULL && (e = readdir(d)) != NULL) {
        struct stat st;
        snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name);
        if (!folder_name(e->d_name) || has_container(containers, e->d_name) || lstat(dir, &st) != 0 ||
            !S_ISDIR(st.st_mode) || now - st.st_mtime < SWEEP_GRACE_S)
            continue;
        faas_log_info("secrets: removing the files of container %s, which is gone", e->d_name);
        remove_dir(dir);
    }
    if (d != NULL)
        closedir(d);
    cJSON_Delete(containers);
}
