/* discovery.c - /.well-known/openid-configuration and /.well-known/oauth-authorization-server
 * (RFC 8414). Built per request from the live snapshot, so endpoint URLs and feature flags
 * changed at run time show at once. Entries of disabled features are left out. */
#include "oauth/endpoints.h"
#include "oauth/client_auth.h"
#include "oauth/common.h"
#include "oauth/scope.h"
#include <string.h>

static json_t *strings(const char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

enum rs_err rs_discovery_handle(struct rs_ctx *ctx, const struct rs_req *req,
                                struct rs_resp *resp)
{
    static const char *const grant_types[] = {"authorization_code", "refresh_token",
                                              "client_credentials", NULL};
    static const char *const response_types[] = {"code", NULL};
    static const char *const response_modes[] = {"query", NULL};
    static const char *const pkce[] = {"S256", NULL};
    static const char *const subject_types[] = {"public", NULL};
    static const char *const algs[] = {"RS256", NULL};
    static const char *const claims[] = {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce",
                                         "at_hash", "name", "preferred_username", "email", NULL};
    const struct rs_config *c = ctx->cfg;
    if (!rs_oauth_method(ctx, req, resp, "GET"))
        return RS_OK;
    json_t *o = json_object();
    if (!o)
        return RS_ERR_NOMEM;
    json_object_set_new(o, "issuer", json_string(c->issuer));
    json_object_set_new(o, "authorization_endpoint", json_string(c->ep_url[RS_EP_AUTHORIZE]));
    json_object_set_new(o, "token_endpoint", json_string(c->ep_url[RS_EP_TOKEN]));
    json_object_set_new(o, "jwks_uri", json_string(c->ep_url[RS_EP_JWKS]));
    if (rs_feature_enabled(c, RS_FEATURE_USERINFO))
        json_object_set_new(o, "userinfo_endpoint", json_string(c->ep_url[RS_EP_USERINFO]));
    if (rs_feature_enabled(c, RS_FEATURE_INTROSPECTION)) {
        json_object_set_new(o, "introspection_endpoint", json_string(c->ep_url[RS_EP_INTROSPECT]));
        json_object_set_new(o, "introspection_endpoint_auth_methods_supported",
                            strings((const char *const[]){"client_secret_basic",
                                                          "client_secret_post", "none",
                                                          NULL}));
    }
    if (rs_feature_enabled(c, RS_FEATURE_REVOKE_TOKEN)) {
        json_object_set_new(o, "revocation_endpoint", json_string(c->ep_url[RS_EP_REVOKE]));
        json_object_set_new(o, "revocation_endpoint_auth_methods_supported",
                            strings(rs_client_auth_methods));
        if (*c->mtls_token_revocation_endpoint)
            json_object_set_new(o, "mtls_endpoint_aliases",
                                json_pack("{s:s}", "revocation_endpoint",
                                          c->mtls_token_revocation_endpoint));
    }
    if (rs_feature_enabled(c, RS_FEATURE_STATUS_LIST))
        json_object_set_new(o, "status_list_endpoint", json_string(c->ep_url[RS_EP_STATUS_LIST]));
    if (rs_feature_enabled(c, RS_FEATURE_GLOBAL_TOKEN_REVOCATION))
        json_object_set_new(o, "global_token_revocation_endpoint",
                            json_string(c->ep_url[RS_EP_GLOBAL_REVOKE]));
    if (c->dynamic_registration_enabled && rs_feature_enabled(c, RS_FEATURE_DYNAMIC_REGISTRATION))
        json_object_set_new(o, "registration_endpoint", json_string(c->ep_url[RS_EP_REGISTER]));
    json_object_set_new(o, "scopes_supported", rs_list_to_json(RS_SCOPE_STANDARD));
    json_object_set_new(o, "response_types_supported", strings(response_types));
    json_object_set_new(o, "response_modes_supported", strings(response_modes));
    json_object_set_new(o, "grant_types_supported", strings(grant_types));
    json_object_set_new(o, "token_endpoint_auth_methods_supported", strings(rs_client_auth_methods));
    json_object_set_new(o, "code_challenge_methods_supported", strings(pkce));
    json_object_set_new(o, "subject_types_supported", strings(subject_types));
    json_object_set_new(o, "id_token_signing_alg_values_supported", strings(algs));
    json_object_set_new(o, "claims_supported", strings(claims));
    json_object_set_new(o, "authorization_response_iss_parameter_supported", json_true());
    /* OIDC Discovery §3: request_uri_parameter_supported defaults to true when absent, and
     * /authorize refuses both request objects (request_not_supported, request_uri_not_supported) */
    json_object_set_new(o, "request_parameter_supported", json_false());
    json_object_set_new(o, "request_uri_parameter_supported", json_false());
    enum rs_err e = rs_resp_json(resp, 200, o);
    if (!e)
        e = rs_resp_header(resp, "Cache-Control", "no-cache");
    return e;
}
