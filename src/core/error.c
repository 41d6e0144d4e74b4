/*
 * error.c: faas_err_t descriptions, HTTP mapping and message formatting.
 * Thread-safe: no shared state.
 */
#include "faas/core/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

faas_err_t faas_error_vset(faas_error_t *err, faas_err_t code, const char *fmt, va_list ap)
{
    if (err != NULL) {
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    }
    return code;
}

faas_err_t faas_error_set(faas_error_t *err, faas_err_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    faas_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

faas_err_t faas_error_prefix(faas_error_t *err, faas_err_t code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    char joined[2 * FAAS_ERROR_MSG_MAX + 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, FAAS_ERROR_MSG_MAX, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (n >= FAAS_ERROR_MSG_MAX ? FAAS_ERROR_MSG_MAX - 1 : (size_t)n);
    joined[len++] = ':';
    joined[len++] = ' ';
    size_t old = strnlen(err->msg, sizeof(err->msg));
    memcpy(joined + len, err->msg, old);
    len += old;
    if (len >= sizeof(err->msg))
        len = sizeof(err->msg) - 1; /* messages are truncated, never overflowed */
    memcpy(err->msg, joined, len);
    err->msg[len] = '\0';
    if (err->code == FAAS_OK)
        err->code = code;
    return err->code;
}

/* No default: -Wswitch then names any code added to the enum but not here. */
const char *faas_strerror(faas_err_t code)
{
    switch (code) {
    case FAAS_OK: return "ok";
    case FAAS_EINVAL: return "invalid input";
    case FAAS_ENOTFOUND: return "not found";
    case FAAS_ECONFLICT: return "conflict";
    case FAAS_EFORBIDDEN: return "forbidden";
    case FAAS_ETOOLARGE: return "too large";
    case FAAS_EPOLICY: return "policy error";
    case FAAS_EDOCKER: return "docker error";
    case FAAS_ESTORE: return "storage error";
    case FAAS_ETIMEOUT: return "timed out";
    case FAAS_EUNAVAIL: return "unavailable";
    case FAAS_EIO: return "i/o error";
    case FAAS_ENOMEM: return "out of memory";
    case FAAS_EUNAUTHORIZED: return "unauthorized";
    case FAAS_EBUSY: return "too many requests";
    case FAAS_ENOSPACE: return "no space left on the disk of data_dir";
    }
    return "unknown error";
}

int faas_err_http_status(faas_err_t code)
{
    switch (code) {
    case FAAS_OK: return 200;
    case FAAS_EINVAL: return 400;
    case FAAS_EUNAUTHORIZED: return 401;
    case FAAS_EFORBIDDEN: return 403;
    case FAAS_ENOTFOUND: return 404;
    case FAAS_ECONFLICT: return 409;
    case FAAS_ETOOLARGE: return 413;
    case FAAS_EBUSY: return 429;
    case FAAS_EPOLICY: return 500;
    case FAAS_ESTORE: return 500;
    case FAAS_EIO: return 500;
    case FAAS_ENOMEM: return 500;
    case FAAS_EDOCKER: return 502;
    case FAAS_EUNAVAIL: return 503;
    case FAAS_ETIMEOUT: return 504;
    case FAAS_ENOSPACE: return 507;
    }
    return 500;
}

faas_err_t faas_err_from_errno(int e, faas_err_t fallback)
{
    return e == ENOSPC || e == EDQUOT ? FAAS_ENOSPACE : fallback;
}
