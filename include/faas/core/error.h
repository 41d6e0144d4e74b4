/*
 * error.h: the one error vocabulary of faas.
 *
 * Every fallible function returns a faas_err_t and, when the caller passes a
 * faas_error_t, a human-readable message in it. Foreign errors (LMDB, libcurl,
 * Docker, Lua, errno) are translated into these codes at the adapter that meets
 * them. Codes are numbered explicitly and never reused.
 */
#ifndef FAAS_CORE_ERROR_H
#define FAAS_CORE_ERROR_H

#include <stdarg.h>

typedef enum faas_err {
    FAAS_OK = 0,
    FAAS_EINVAL = 1,        /* bad input from a client or the operator */
    FAAS_ENOTFOUND = 2,     /* no such record, container, image, file */
    FAAS_ECONFLICT = 3,     /* exists already / in use / wrong state */
    FAAS_EFORBIDDEN = 4,    /* refused by a fixed rule */
    FAAS_ETOOLARGE = 5,     /* over a size or count limit */
    FAAS_EPOLICY = 6,       /* the Lua policy failed (error, bad return type, budget) */
    FAAS_EDOCKER = 7,       /* the Docker engine answered with an error */
    FAAS_ESTORE = 8,        /* LMDB failed */
    FAAS_ETIMEOUT = 9,      /* a deadline passed */
    FAAS_EUNAVAIL = 10,     /* a dependency does not answer (Docker socket, ...) */
    FAAS_EIO = 11,          /* a local system call failed */
    FAAS_ENOMEM = 12,       /* allocation failed */
    FAAS_EUNAUTHORIZED = 13,/* missing or wrong passkey */
    FAAS_EBUSY = 14,        /* a concurrency limit is reached */
    FAAS_ENOSPACE = 15,     /* the disk that holds data_dir (or temp_dir) is full */
} faas_err_t;

/* Message buffer size; messages are truncated, never overflowed. */
#define FAAS_ERROR_MSG_MAX 512

/* An error code plus its message; zero-initialise before use. */
typedef struct faas_error {
    faas_err_t code;
    char msg[FAAS_ERROR_MSG_MAX];
} faas_error_t;

/** Fills err (if not NULL) with code and a printf-style message; returns code. */
faas_err_t faas_error_set(faas_error_t *err, faas_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Same as faas_error_set with a va_list. */
faas_err_t faas_error_vset(faas_error_t *err, faas_err_t code, const char *fmt, va_list ap);

/** Prepends "prefix: " to err->msg (if err is not NULL); returns err->code or code. */
faas_err_t faas_error_prefix(faas_error_t *err, faas_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** A short constant description of code ("not found"). Never NULL. */
const char *faas_strerror(faas_err_t code);

/** The HTTP status an API handler answers for code (FAAS_ENOTFOUND -> 404). */
int faas_err_http_status(faas_err_t code);

/** FAAS_ENOSPACE for ENOSPC and EDQUOT (the disk or the quota is full), else fallback: the one place
    a full disk becomes its own error, whichever module met it. */
faas_err_t faas_err_from_errno(int e, faas_err_t fallback);

#endif
