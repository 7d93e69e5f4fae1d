/* errors.h - OAuth errors are data: one table maps each code to its name and HTTP status,
 * and one function renders RFC 6749 §5.2 JSON (error, error_description, and reason only when
 * errorReasonEnabled) with Cache-Control: no-store. */
#ifndef RS_OAUTH_ERRORS_H
#define RS_OAUTH_ERRORS_H
#include "config/config.h"
#include "http/http.h"

enum rs_oauth_err {
    RS_OAUTH_INVALID_REQUEST,
    RS_OAUTH_INVALID_CLIENT,
    RS_OAUTH_INVALID_GRANT,
    RS_OAUTH_UNAUTHORIZED_CLIENT,
    RS_OAUTH_UNSUPPORTED_GRANT_TYPE,
    RS_OAUTH_UNSUPPORTED_RESPONSE_TYPE,
    RS_OAUTH_INVALID_SCOPE,
    RS_OAUTH_ACCESS_DENIED,
    RS_OAUTH_UNSUPPORTED_TOKEN_TYPE,
    RS_OAUTH_INVALID_TOKEN,
    RS_OAUTH_INSUFFICIENT_SCOPE,
    RS_OAUTH_INVALID_REDIRECT_URI,
    RS_OAUTH_INVALID_CLIENT_METADATA,
    RS_OAUTH_METHOD_NOT_ALLOWED,
    RS_OAUTH_NOT_FOUND,
    RS_OAUTH_TEMPORARILY_UNAVAILABLE,
    RS_OAUTH_SERVER_ERROR,
};

const char *rs_oauth_err_name(enum rs_oauth_err e);
int rs_oauth_err_status(enum rs_oauth_err e);
/* Copies an error_description into out (size > 0), truncated, each character outside RFC 6749
 * §5.2's set (%x20-21 / %x23-5B / %x5D-7E: printable ASCII without '"' and '\') replaced by
 * '?'. Descriptions may echo request input (a repeated parameter's name). */
void rs_oauth_description_clean(const char *in, char *out, size_t size);
/* Renders the error into r (error_description cleaned as above). reason may be NULL. Adds
 * Retry-After to 503. */
enum rs_err rs_oauth_error(struct rs_resp *r, const struct rs_config *cfg, enum rs_oauth_err e,
                           const char *description, const char *reason);
/* Maps a failed rs_err from lower layers to 503 temporarily_unavailable (store) or 500. */
enum rs_err rs_oauth_error_from(struct rs_resp *r, const struct rs_config *cfg, enum rs_err e);

#endif
