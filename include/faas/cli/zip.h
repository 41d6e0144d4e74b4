/*
 * zip.h: a folder as a zip in memory (libarchive), the way deploy and submit upload code: the
 * folder's contents at the top, in name order, without what its .faasignore and .git/ name.
 * Regular files only: a symbolic link or a special file is refused with a message naming it
 * (the server refuses links in zips, and following one could leave the folder). Blocking file
 * I/O; one thread.
 */
#ifndef FAAS_CLI_ZIP_H
#define FAAS_CLI_ZIP_H

#include <stddef.h>

/* The server's cap on entries (README, "Uploads and builds"). */
#define FAAS_CLI_ZIP_MAX_FILES 10000

typedef struct faas_cli_zip {
    char *data;        /* malloc'd */
    size_t len;
    size_t files;      /* files in it */
    size_t ignored;    /* files and folders left out by .faasignore */
} faas_cli_zip_t;

/** Zips dir into out. 0, or -1 with a one-line message in err. */
int faas_cli_zip_dir(const char *dir, faas_cli_zip_t *out, char *err, size_t err_size);

void faas_cli_zip_free(faas_cli_zip_t *z);

#endif
