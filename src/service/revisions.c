/*
 * revisions.c: the revisions of service functions (see deploy.h). A deploy that switched
 * becomes revision N+1 with its image and the settings it serves with; the newest `revisions`
 * (config) are kept, and the images of the ones that fall out are removed when nothing else
 * names them. A record written before revisions existed, or whose revision a crash kept from
 * being written, gets one for what it serves (adopt, from reconcile).
 * Worker threads only.
 */
#include "internal.h"
#include "faas/core/clock.h"
#include "faas/core/log.h"
#include "faas/service/deploy.h"

#include <stdlib.h>
#include <string.h>

/* The settings a revision keeps: the record without what belongs to one moment (replicas, build,
 * status, restarts, output). */
static faas_err_t snapshot(const faas_function_t *fn, faas_function_t *out, faas_error_t *err)
{
    cJSON *json = faas_function_to_json(fn, FAAS_RECORD_STORED);
    if (json == NULL)
        return faas_error_set(err, FAAS_ENOMEM, "out of memory");
    cJSON_DeleteItemFromObject(json, "replicas");
    cJSON_DeleteItemFromObject(json, "id");
    cJSON_DeleteItemFromObject(json, "address");
    cJSON_ReplaceItemInObject(json, "build", cJSON_CreateNull());
    cJSON_ReplaceItemInObject(json, "lastOutput", cJSON_CreateNull());
    faas_err_t rc = faas_function_from_json(json, out, err);
    cJSON_Delete(json);
    if (rc == FAAS_OK) {
        out->restarts = 0;
        out->status = FAAS_FUNCTION_RUNNING;
    }
    return rc;
}

static int named(const char *image, const faas_revision_t *kept, size_t n, const char *current)
{
    if (current != NULL && strcmp(image, current) == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(image, kept[i].image_id) == 0)
            return 1;
    return 0;
}

/* The images of pruned revisions that neither the record nor a kept revision names, NULL-ended. */
static char **unnamed_images(faas_services_t *s, const char *name, const faas_revision_t *pruned, size_t n_pruned,
                             const char *current)
{
    faas_revision_t *kept = NULL;
    size_t n_kept = 0;
    faas_error_t err = {0};
    if (n_pruned == 0)
        return NULL;
    if (faas_store_revision_list(s->app->store, name, &kept, &n_kept, &err) != FAAS_OK) {
        faas_log_warn("revisions %s: %s (the cleanup removes the images later)", name, err.msg);
        return NULL;
    }
    char **drop = calloc(n_pruned + 1, sizeof(*drop));
    for (size_t i = 0, n = 0; drop != NULL && i < n_pruned; i++) {
        if (named(pruned[i].image_id, kept, n_kept, current) || named(pruned[i].image_id, pruned, i, NULL))
            continue;
        faas_log_info("revisions %s: revision %lld is no longer kept; its image %.19s goes", name,
                      (long long)pruned[i].number, pruned[i].image_id);
        drop[n++] = strdup(pruned[i].image_id);
    }
    faas_revision_array_free(kept, n_kept);
    return drop;
}

void faas_service__drop_images(faas_services_t *s, char **images)
{
    for (size_t i = 0; images != NULL && images[i] != NULL; i++) {
        faas_service__remove(s, NULL, images[i]);
        free(images[i]);
    }
    free(images);
}

int64_t faas_service__revision_next(faas_services_t *s, const char *name)
{
    int64_t last = 0;
    faas_error_t err = {0};
    if (faas_store_revision_last(s->app->store, name, &last, &err) != FAAS_OK)
        faas_log_warn("revisions %s: %s", name, err.msg);
    faas_function_t fn = {0};
    if (faas_store_function_get(s->app->store, name, &fn, NULL) == FAAS_OK && fn.revision > last)
        last = fn.revision; /* a record may name a revision whose entry a crash kept from being written */
    faas_function_free(&fn);
    return last + 1;
}

char **faas_service__revision_commit(faas_services_t *s, const char *name, int64_t number, const char *build_id)
{
    char **drop = NULL;
    faas_function_t fn = {0};
    faas_revision_t rev = {.function = (char *)name, .number = number, .build_id = (char *)build_id,
                           .created_at = faas_clock_now_ms()};
    faas_revision_t *pruned = NULL;
    size_t n_pruned = 0;
    faas_error_t err = {0};
    faas_config_t *cfg = faas_service__config(s);
    faas_err_t rc = faas_store_function_get(s->app->store, name, &fn, &err);
    if (rc == FAAS_OK && (fn.revision != number || fn.image_id == NULL))
        rc = faas_error_set(&err, FAAS_ECONFLICT, "the record moved on to revision %lld", (long long)fn.revision);
    if (rc == FAAS_OK)
        rc = snapshot(&fn, &rev.settings, &err);
    rev.image_id = fn.image_id;
    if (rc == FAAS_OK)
        rc = faas_store_revision_add(s->app->store, &rev, (size_t)cfg->revisions, &pruned, &n_pruned, &err);
    if (rc == FAAS_OK)
        drop = unnamed_images(s, name, pruned, n_pruned, fn.image_id);
    else
        faas_log_error("revisions %s: cannot record revision %lld: %s", name, (long long)number, err.msg);
    faas_revision_array_free(pruned, n_pruned);
    faas_function_free(&rev.settings);
    faas_function_free(&fn);
    faas_config_unref(cfg);
    return drop;
}

static faas_err_t on_adopt(faas_function_t *fn, void *cbdata, faas_error_t *err)
{
    (void)err;
    if (fn->revision == 0)
        fn->revision = *(const int64_t *)cbdata;
    return FAAS_OK;
}

void faas_service__revision_adopt(faas_services_t *s, const faas_function_t *fn)
{
    if (fn->kind != FAAS_KIND_SERVICE || fn->image_id == NULL)
        return;
    int64_t number = fn->revision;
    faas_error_t err = {0};
    if (number > 0) { /* a crash between the switch and its revision entry leaves the entry to write */
        faas_revision_t rev = {0};
        faas_err_t rc = faas_store_revision_get(s->app->store, fn->name, number, &rev, NULL);
        faas_revision_free(&rev);
        if (rc != FAAS_ENOTFOUND)
            return;
    } else {
        number = faas_service__revision_next(s, fn->name);
        if (faas_store_function_update(s->app->store, fn->name, on_adopt, &number, NULL, &err) != FAAS_OK) {
            faas_log_warn("revisions %s: %s", fn->name, err.msg);
            return;
        }
    }
    faas_log_info("revisions %s: what serves becomes revision %lld", fn->name, (long long)number);
    faas_service__drop_images(s, faas_service__revision_commit(s, fn->name, number, fn->build.id));
}

int faas_service__revision_image_kept(char *const *kept, size_t n, const char *image)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kept[i], image) == 0)
            return 1;
    return 0;
}
