/*
 * config.c: the login file of the client (see config.h). Its format is "name = value" lines
 * (url, key) and # comments. Blocking file I/O; one thread.
 */
#include "faas/cli/config.h"
#include "faas/core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOT_LOGGED_IN "not logged in: run faas login URL (or set FAAS_URL and FAAS_KEY)"

const char *faas_cli_config_path(char *out, size_t size)
{
    const char *home = getenv("HOME");
    if (home == NULL || home[0] == '\0' || snprintf(out, size, "%s/.config/faas/config", home) >= (int)size)
        return NULL;
    return out;
}

int faas_cli_config_url(const char *in, char *out, size_t size)
{
    size_t len = strlen(in);
    while (len > 0 && in[len - 1] == '/')
        len--;
    const char *host = strncmp(in, "http://", 7) == 0 ? in + 7 : strncmp(in, "https://", 8) == 0 ? in + 8 : NULL;
    if (host == NULL || host >= in + len || len >= size || strpbrk(in, " \t\r\n") != NULL)
        return -1;
    memcpy(out, in, len);
    out[len] = '\0';
    return 0;
}

/* Reads the file's url and key into out (fields it lacks stay as they are); 0, or -1 when absent. */
static int read_file(faas_cli_login_t *out)
{
    char path[1024], line[2048];
    FILE *f = faas_cli_config_path(path, sizeof(path)) ? fopen(path, "r") : NULL;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *eq = strchr(line, '='), *name = line, *value;
        if (line[0] == '#' || eq == NULL)
            continue;
        *eq = '\0';
        value = eq + 1;
        value += strspn(value, " \t");
        value[strcspn(value, "\r\n")] = '\0';
        name[strcspn(name, " \t")] = '\0';
        if (strcmp(name, "url") == 0)
            snprintf(out->url, sizeof(out->url), "%s", value);
        else if (strcmp(name, "key") == 0)
            snprintf(out->key, sizeof(out->key), "%s", value);
    }
    fclose(f);
    return 0;
}

int faas_cli_config_load(faas_cli_login_t *out, char *err, size_t size)
{
    const char *url = getenv("FAAS_URL"), *key = getenv("FAAS_KEY");
    memset(out, 0, sizeof(*out));
    read_file(out);
    if (url != NULL && url[0] != '\0')
        snprintf(out->url, sizeof(out->url), "%s", url);
    if (key != NULL && key[0] != '\0')
        snprintf(out->key, sizeof(out->key), "%s", key);
    if (out->url[0] == '\0' || out->key[0] == '\0') {
        snprintf(err, size, "%s", NOT_LOGGED_IN);
        return -1;
    }
    char clean[sizeof(out->url)];
    if (faas_cli_config_url(out->url, clean, sizeof(clean)) != 0) {
        snprintf(err, size, "bad server URL '%.200s': expected http://HOST[:PORT] or https://...", out->url);
        return -1;
    }
    memcpy(out->url, clean, sizeof(clean));
    return 0;
}

/* The folder part of path into dir. */
static void dirname_of(const char *path, char *dir, size_t size)
{
    snprintf(dir, size, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
}

int faas_cli_config_save(const char *url, const char *key, char *err, size_t size)
{
    char path[1024], dir[1024], tmp[1100];
    faas_error_t ferr = {0};
    if (faas_cli_config_path(path, sizeof(path)) == NULL)
        return snprintf(err, size, "HOME is not set: nowhere to store the login"), -1;
    dirname_of(path, dir, sizeof(dir));
    if (faas_fs_mkdirs(dir, 0700, "login", &ferr) != FAAS_OK)
        return snprintf(err, size, "%s", ferr.msg), -1;
    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    int fd = mkstemp(tmp); /* 0600 from the start: the key is never readable by others */
    if (fd < 0)
        return snprintf(err, size, "cannot write %s: %s", path, strerror(errno)), -1;
    FILE *f = fdopen(fd, "w");
    int ok = f != NULL && fprintf(f, "# faas login (faas login URL); FAAS_URL and FAAS_KEY override it\n"
                                     "url = %s\nkey = %s\n", url, key) > 0;
    ok = ok && fflush(f) == 0 && fsync(fd) == 0;
    if (f != NULL)
        ok = fclose(f) == 0 && ok;
    else
        close(fd);
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, size, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int faas_cli_config_remove(char *err, size_t size)
{
    char path[1024];
    if (faas_cli_config_path(path, sizeof(path)) == NULL)
        return 1;
    if (unlink(path) == 0)
        return 0;
    if (errno == ENOENT)
        return 1;
    snprintf(err, size, "cannot remove %s: %s", path, strerror(errno));
    return -1;
}
