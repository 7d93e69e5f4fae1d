/* errors.c - the OAuth error table (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 6750 §3.1, RFC 7591 §3.2.2). */
#include "oauth/errors.h"

static const struct {
    const char *name;
    int status;
} table[] = {
    [RS_OAUTH_INVALID_REQUEST] = {"invalid_request", 400},
    [RS_OAUTH_INVALID_CLIENT] = {"invalid_client", 401},
    [RS_OAUTH_INVALID_GRANT] = {"invalid_grant", 400},
    [RS_OAUTH_UNAUTHORIZED_CLIENT] = {"unauthorized_client", 400},
    [RS_OAUTH_UNSUPPORTED_GRANT_TYPE] = {"unsupported_grant_type", 400},
    [RS_OAUTH_UNSUPPORTED_RESPONSE_TYPE] = {"unsupported_response_type", 400},
    [RS_OAUTH_INVALID_SCOPE] = {"invalid_scope", 400},
    [RS_OAUTH_ACCESS_DENIED] = {"access_denied", 403},
    [RS_OAUTH_UNSUPPORTED_TOKEN_TYPE] = {"unsupported_token_type", 400},
    [RS_OAUTH_INVALID_TOKEN] = {"invalid_token", 401},
    [RS_OAUTH_INSUFFICIENT_SCOPE] = {"insufficient_scope", 403},
    [RS_OAUTH_INVALID_REDIRECT_URI] = {"invalid_redirect_uri", 400},
    [RS_OAUTH_INVALID_CLIENT_METADATA] = {"invalid_client_metadata", 400},
    [RS_OAUTH_METHOD_NOT_ALLOWED] = {"invalid_request", 405},
    [RS_OAUTH_NOT_FOUND] = {"not_found", 404},
    [RS_OAUTH_TEMPORARILY_UNAVAILABLE] = {"temporarily_unavailable", 503},
    [RS_OAUTH_SERVER_ERROR] = {"server_error", 500},
};

const char *rs_oauth_err_name(enum rs_oauth_err e)
{
    return table[e].name;
}

int rs_oauth_err_status(enum rs_oauth_err e)
{
    return table[e].status;
}

void rs_oauth_description_clean(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; in[n] && n + 1 < size; n++) {
        unsigned char c = (unsigned char)in[n];
        out[n] = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? (char)c : '?';
    }
    out[n] = '\0';
}

enum rs_err rs_oauth_error(struct rs_resp *r, const struct rs_config *cfg, enum rs_oauth_err e,
                           const char *description, const char *reason)
{
    json_t *o = json_object();
    if (!o)
        return RS_ERR_NOMEM;
    json_object_set_new(o, "error", json_string(table[e].name));
    if (description) {
        char clean[512];
        rs_oauth_description_clean(description, clean, sizeof clean);
        json_object_set_new(o, "error_description", json_string(clean));
    }
    if (reason && cfg && cfg->error_reason_enabled)
        json_object_set_new(o, "reason", json_string(reason));
    enum rs_err err = rs_resp_json(r, table[e].status, o);
    r->no_store = true;
    r->error = table[e].name;
    if (!err && e == RS_OAUTH_TEMPORARILY_UNAVAILABLE)
        err = rs_resp_header(r, "Retry-After", "1");
    if (!err && e == RS_OAUTH_METHOD_NOT_ALLOWED)
        r->status = 405;
    return err;
}

enum rs_err rs_oauth_error_from(struct rs_resp *r, const struct rs_config *cfg, enum rs_err e)
{
    if (e == RS_ERR_STORE)
        return rs_oauth_error(r, cfg, RS_OAUTH_TEMPORARILY_UNAVAILABLE,
                              "the server cannot reach its store; retry later", NULL);
    return rs_oauth_error(r, cfg, RS_OAUTH_SERVER_ERROR, "internal error", rs_strerror(e));
}
