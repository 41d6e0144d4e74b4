/*
 * upload.c (fuzz): the fields of a function upload that are parsed (src/api/upload.c): env lines
 * (faas_upload_parse_env, an exact-size copy: the text is not NUL-terminated), volume entries
 * (faas_upload_parse_volumes, then the Docker bind list), the image tag (faas_upload_valid_tag)
 * secret names (faas_upload_parse_secrets) and placement constraints (faas_upload_parse_placement).
 * Input: one byte choosing the field, then its text.
 * Properties: env names are [A-Za-z_][A-Za-z0-9_]*, never PORT, never twice, at most 200; volume
 * sides are absolute and normalised (no "." or ".." component, no "//"); a host side that is not
 * under the function's folder is marked for the policy; the container side is never "/"; each
 * entry is one volume, read-only exactly when it ends in ":ro"; a valid tag has no space or '@';
 * secret names are valid file names (no '/', not "." or ".."), never twice, at most 64; constraints
 * are valid (faas_record_valid_constraint), hold "==" or "!=", no ',' and no edge space, never
 * twice, at most FAAS_RECORD_PLACEMENT_MAX.
 */
#include "fuzz.h"
#include "faas/api/upload.h"

#include <ctype.h>

FUZZ_QUIET_INIT

#define BASE "/var/lib/faas/volumes/web"

/* 1 when path is absolute and normalised. */
static int normal_abs(const char *path)
{
    if (path[0] != '/')
        return 0;
    if (path[1] == '\0')
        return 1;
    for (const char *c = path + 1;;) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        if (c[n] == '\0')
            return 1;
        c += n + 1;
    }
}

static void env(const uint8_t *p, size_t len)
{
    char *text = fuzz_dup(p, len);
    faas_env_var_t *vars = NULL;
    size_t n = 0;
    faas_error_t err = {0};
    if (faas_upload_parse_env(text, len, &vars, &n, &err) == FAAS_OK) {
        FUZZ_CHECK(n <= FAAS_UPLOAD_MAX_ENV);
        for (size_t i = 0; i < n; i++) {
            const char *name = vars[i].name;
            FUZZ_CHECK((isalpha((unsigned char)name[0]) || name[0] == '_') && strcmp(name, "PORT") != 0);
            for (const char *c = name; *c != '\0'; c++)
                FUZZ_CHECK(isalnum((unsigned char)*c) || *c == '_');
            FUZZ_CHECK(vars[i].value != NULL);
            for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(strcmp(vars[j].name, name) != 0);
        }
        faas_env_free(vars, n);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0');
    }
    free(text);
}

static void volumes(const uint8_t *p, size_t len)
{
    char *text = fuzz_strdup(p, len);
    faas_upload_volume_t v[FAAS_UPLOAD_MAX_VOLUMES];
    size_t n = 0;
    faas_error_t err = {0};
    if (faas_upload_parse_volumes(text, BASE, v, FAAS_UPLOAD_MAX_VOLUMES, &n, &err) == FAAS_OK) {
        FUZZ_CHECK(n <= FAAS_UPLOAD_MAX_VOLUMES);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(normal_abs(v[i].host) && normal_abs(v[i].container) && strcmp(v[i].container, "/") != 0);
            int under = strncmp(v[i].host, BASE "/", sizeof(BASE)) == 0 || strcmp(v[i].host, BASE) == 0;
            FUZZ_CHECK(under || v[i].needs_policy);
            FUZZ_CHECK(strchr(v[i].host, ',') == NULL && strchr(v[i].container, ',') == NULL &&
                       strchr(v[i].container, ':') == NULL); /* one bind each in the list below */
        }
        /* Each non-empty entry is one volume, read-only exactly when it ends in ":ro" after two ':'. */
        size_t k = 0;
        for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
            while (isspace((unsigned char)*tok))
                tok++;
            size_t l = strlen(tok);
            while (l > 0 && isspace((unsigned char)tok[l - 1]))
                l--;
            if (l == 0)
                continue;
            FUZZ_CHECK(k < n);
            const char *colon = memchr(tok, ':', l);
            int ro = colon != NULL && memchr(colon + 1, ':', l - (size_t)(colon + 1 - tok)) != NULL && l >= 3 &&
                     memcmp(tok + l - 3, ":ro", 3) == 0;
            FUZZ_CHECK(v[k].read_only == ro);
            k++;
        }
        FUZZ_CHECK(k == n);
        char *binds = faas_upload_binds(v, n);
        FUZZ_CHECK(binds != NULL);
        free(binds);
    }
    free(text);
}

static void tag(const uint8_t *p, size_t len)
{
    char *text = fuzz_strdup(p, len);
    if (faas_upload_valid_tag(text)) {
        FUZZ_CHECK(text[0] != '\0'); /* the text ends at a NUL, as a multipart field read as a C string does */
        for (const char *c = text; *c != '\0'; c++)
            FUZZ_CHECK(isgraph((unsigned char)*c) && *c != '@');
    }
    free(text);
}

static void secrets(const uint8_t *p, size_t len)
{
    char *text = fuzz_dup(p, len);
    char **names = NULL;
    size_t n = 0;
    faas_error_t err = {0};
    if (faas_upload_parse_secrets(text, len, &names, &n, &err) == FAAS_OK) {
        FUZZ_CHECK(n <= FAAS_UPLOAD_MAX_SECRETS && (n == 0) == (names == NULL));
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(faas_record_valid_secret_name(names[i]) && strchr(names[i], '/') == NULL);
            FUZZ_CHECK(names[i][0] != '.' && strchr(names[i], ',') == NULL && strchr(names[i], ' ') == NULL);
            for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(strcmp(names[j], names[i]) != 0);
        }
        faas_secret_names_free(names, n);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0' && names == NULL && n == 0);
    }
    free(text);
}

static void placement(const uint8_t *p, size_t len)
{
    char *text = fuzz_dup(p, len);
    char **c = NULL;
    size_t n = 0;
    faas_error_t err = {0};
    if (faas_upload_parse_placement(text, len, &c, &n, &err) == FAAS_OK) {
        FUZZ_CHECK(n <= FAAS_RECORD_PLACEMENT_MAX && (n == 0) == (c == NULL));
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(c[i]);
            FUZZ_CHECK(faas_record_valid_constraint(c[i]) && strchr(c[i], ',') == NULL);
            FUZZ_CHECK(strstr(c[i], "==") != NULL || strstr(c[i], "!=") != NULL);
            FUZZ_CHECK(l > 0 && c[i][0] != ' ' && c[i][l - 1] != ' ');
            for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(strcmp(c[j], c[i]) != 0);
        }
        faas_secret_names_free(c, n);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0' && c == NULL && n == 0);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    switch (fuzz_byte(&in) % 5) {
    case 0:
        env(in.p, in.len);
        break;
    case 1:
        volumes(in.p, in.len);
        break;
    case 2:
        tag(in.p, in.len);
        break;
    case 3:
        secrets(in.p, in.len);
        break;
    default:
        placement(in.p, in.len);
        break;
    }
    return 0;
}
