/* err.c - names for enum rs_err, for logs. */
#include "base/err.h"

const char *rs_strerror(enum rs_err e)
{
    switch (e) {
    case RS_OK: return "ok";
    case RS_ERR_NOMEM: return "out of memory";
    case RS_ERR_INVALID: return "invalid";
    case RS_ERR_NOT_FOUND: return "not found";
    case RS_ERR_CONFLICT: return "conflict";
    case RS_ERR_TOO_LARGE: return "too large";
    case RS_ERR_STORE: return "store failure";
    case RS_ERR_CRYPTO: return "crypto failure";
    case RS_ERR_IO: return "i/o error";
    case RS_ERR_DENIED: return "denied";
    }
    return "unknown error";
}
