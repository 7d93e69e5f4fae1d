/* props.c - every configuration property, in one table (the redis static_configs[] idea).
 * docs/configuration.md documents the same rows; keep them in step. */
#include "config/props.h"
#include "config/config.h"
#include <string.h>

#define S(field) RS_PROP_STRING, offsetof(struct rs_config, field)
#define I(field) RS_PROP_INT, offsetof(struct rs_config, field)
#define B(field) RS_PROP_BOOL, offsetof(struct rs_config, field)
#define L(field) RS_PROP_STRING_LIST, offsetof(struct rs_config, field)
#define EP(n) RS_PROP_STRING, offsetof(struct rs_config, endpoint_url) + (n) * sizeof(char *)

const struct rs_prop rs_props[] = {
    {"issuer", S(issuer), "\"\"", 0, 0, 0,
     "Issuer identifier; empty means http://<listen>"},
    {"listen", S(listen), "\"127.0.0.1:8080\"", 0, 0, RS_PROP_RESTART,
     "HOST:PORT the HTTP listener binds to (loopback unless configured otherwise)"},
    {"dbPath", S(db_path), "\"var/rescind.db\"", 0, 0, RS_PROP_RESTART,
     "SQLite database file; its folder also holds the key files"},
    {"authorizationEndpoint", EP(RS_EP_AUTHORIZE), "\"\"", 0, 0, 0,
     "Authorization endpoint URL; empty means <issuer>/authorize"},
    {"tokenEndpoint", EP(RS_EP_TOKEN), "\"\"", 0, 0, 0,
     "Token endpoint URL; empty means <issuer>/token"},
    {"introspectionEndpoint", EP(RS_EP_INTROSPECT), "\"\"", 0, 0, 0,
     "Introspection endpoint URL (RFC 7662); empty means <issuer>/introspect"},
    {"tokenRevocationEndpoint", EP(RS_EP_REVOKE), "\"\"", 0, 0, 0,
     "Revocation endpoint URL (RFC 7009); empty means <issuer>/revoke"},
    {"userInfoEndpoint", EP(RS_EP_USERINFO), "\"\"", 0, 0, 0,
     "UserInfo endpoint URL; empty means <issuer>/userinfo"},
    {"jwksUri", EP(RS_EP_JWKS), "\"\"", 0, 0, 0, "JWKS URL; empty means <issuer>/jwks"},
    {"registrationEndpoint", EP(RS_EP_REGISTER), "\"\"", 0, 0, 0,
     "Dynamic registration endpoint URL (RFC 7591); empty means <issuer>/register"},
    {"globalTokenRevocationEndpoint", EP(RS_EP_GLOBAL_REVOKE), "\"\"", 0, 0, 0,
     "Global token revocation URL (revoke every token of a user); empty means "
     "<issuer>/global-token-revocation"},
    {"statusListEndpoint", EP(RS_EP_STATUS_LIST), "\"\"", 0, 0, 0,
     "Token Status List URL; empty means <issuer>/status_list"},
    {"mtlsTokenRevocationEndpoint", S(mtls_token_revocation_endpoint), "\"\"", 0, 0, 0,
     "mTLS alias of the revocation endpoint, published in mtls_endpoint_aliases when set"},
    {"accessTokenLifetime", I(access_token_lifetime), "300", 1, 31536000, 0,
     "Access token lifetime in seconds"},
    {"refreshTokenLifetime", I(refresh_token_lifetime), "14400", 1, 315360000, 0,
     "Refresh token lifetime in seconds"},
    {"authorizationCodeLifetime", I(authorization_code_lifetime), "60", 1, 3600, 0,
     "Authorization code lifetime in seconds"},
    {"idTokenLifetime", I(id_token_lifetime), "3600", 1, 31536000, 0,
     "ID token lifetime in seconds"},
    {"sessionIdLifetime", I(session_id_lifetime), "86400", 60, 31536000, 0,
     "Login session (cookie) lifetime in seconds"},
    {"dynamicRegistrationEnabled", B(dynamic_registration_enabled), "true", 0, 0, 0,
     "Allow RFC 7591 dynamic client registration at registrationEndpoint"},
    {"dynamicRegistrationInitialAccessToken", S(dynamic_registration_initial_access_token), "\"\"",
     0, 0, 0, "When set, /register requires it as a Bearer initial access token"},
    {"featureFlags", L(feature_flags), "[]", 0, 0, 0,
     "Enabled feature flags; an empty list enables every feature"},
    {"errorReasonEnabled", B(error_reason_enabled), "false", 0, 0, 0,
     "Add a 'reason' member to OAuth error responses"},
    {"allowAllValueForRevokeEndpoint", B(allow_all_value_for_revoke_endpoint), "false", 0, 0, 0,
     "Let token=all / token_type_hint=all at the revocation endpoint revoke every grant of the client"},
    {"allowRevokeForOtherClients", B(allow_revoke_for_other_clients), "false", 0, 0, 0,
     "Let a client holding scope revoke_any_token revoke other clients' tokens"},
    {"maxRequestBodySize", I(max_request_body_size), "65536", 1024, 16777216, RS_PROP_RESTART,
     "Largest accepted request body in bytes; larger bodies get 413"},
    {"connectionTimeout", I(connection_timeout), "30", 1, 3600, RS_PROP_RESTART,
     "Idle connection timeout in seconds"},
    {"workerThreads", I(worker_threads), "0", 0, 256, RS_PROP_RESTART,
     "HTTP worker threads; 0 means one per core"},
    {"requestHandlerThreads", I(request_handler_threads), "64", 1, 1024, RS_PROP_RESTART,
     "Threads for requests that wait for a durable write; their writes share commits"},
    {"logLevel", S(log_level), "\"info\"", 0, 0, 0, "debug, info, warn or error"},
    {"cleanServiceInterval", I(clean_service_interval), "60", 1, 86400, 0,
     "Seconds between purges of expired tokens, codes and sessions"},
    {"auditRetentionDays", I(audit_retention_days), "0", 0, 36500, 0,
     "Days audit records are kept; older ones go with the purge (0: kept for ever)"},
    {"corsAllowedOrigins", L(cors_allowed_origins), "[]", 0, 0, 0,
     "Origins allowed for CORS on every client (besides each client's own origins)"},
};
const size_t rs_props_count = sizeof rs_props / sizeof rs_props[0];

const struct rs_prop *rs_prop_find(const char *name)
{
    for (size_t i = 0; i < rs_props_count; i++)
        if (strcmp(rs_props[i].name, name) == 0)
            return &rs_props[i];
    return NULL;
}
