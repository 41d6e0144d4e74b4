/*
 * fs.h: file-system helpers shared by the modules that own folders under
 * data_dir. Blocking: worker threads or start-up only.
 */
#ifndef FAAS_CORE_FS_H
#define FAAS_CORE_FS_H

#include <sys/types.h>

#include "faas/core/error.h"

/** mkdir -p path with mode for each created level; FAAS_EIO naming what (a setting or purpose). */
faas_err_t faas_fs_mkdirs(const char *path, mode_t mode, const char *what, faas_error_t *err);

#endif
