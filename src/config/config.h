/* config.h - the live configuration: an immutable, typed snapshot.
 * The property table (props.c) names every property with Janssen's spelling where Janssen has it.
 * A request takes one snapshot (rs_config_acquire) and uses it to the end; a change builds a
 * new snapshot and swaps it in atomically (rs_config_install), so every worker thread sees it
 * on its next request and no request ever sees half a change. */
#ifndef RS_CONFIG_H
#define RS_CONFIG_H
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "base/err.h"

/* Feature flags (Janssen FeatureFlagType names). An empty featureFlags list enables all. */
enum rs_feature {
    RS_FEATURE_REVOKE_TOKEN,
    RS_FEATURE_INTROSPECTION,
    RS_FEATURE_USERINFO,
    RS_FEATURE_DYNAMIC_REGISTRATION,
    RS_FEATURE_STATUS_LIST,
    RS_FEATURE_GLOBAL_TOKEN_REVOCATION,
    RS_FEATURE_COUNT
};
const char *rs_feature_name(enum rs_feature f);       /* "REVOKE_TOKEN" */
int rs_feature_parse(const char *name);               /* case-insensitive; -1 if unknown */

/* The endpoints whose URL (and so path) comes from configuration. */
enum rs_endpoint {
    RS_EP_AUTHORIZE,
    RS_EP_TOKEN,
    RS_EP_INTROSPECT,
    RS_EP_REVOKE,
    RS_EP_USERINFO,
    RS_EP_JWKS,
    RS_EP_REGISTER,
    RS_EP_GLOBAL_REVOKE,
    RS_EP_STATUS_LIST,
    RS_EP_COUNT
};

struct rs_config {
    /* --- properties (props.c), raw as configured --- */
    char *issuer;
    char *listen;
    char *db_path;
    char *endpoint_url[RS_EP_COUNT];   /* "" means issuer + default path */
    char *mtls_token_revocation_endpoint;
    int64_t access_token_lifetime;
    int64_t refresh_token_lifetime;
    int64_t authorization_code_lifetime;
    int64_t id_token_lifetime;
    int64_t session_id_lifetime;
    bool dynamic_registration_enabled;
    char *dynamic_registration_initial_access_token;
    json_t *feature_flags;             /* array of strings */
    bool error_reason_enabled;
    bool allow_all_value_for_revoke_endpoint;
    bool allow_revoke_for_other_clients;
    int64_t max_request_body_size;
    int64_t connection_timeout;
    int64_t worker_threads;
    int64_t request_handler_threads;
    char *log_level;
    int64_t clean_service_interval;
    int64_t audit_retention_days;
    json_t *cors_allowed_origins;      /* array of strings */

    /* --- derived at load, read-only --- */
    char *ep_url[RS_EP_COUNT];         /* effective absolute URL */
    char *ep_path[RS_EP_COUNT];        /* its path, used by the router */
    /* paths of the discovery documents for the issuer's path (both "/.well-known/..." when the
     * issuer has none): issuer path + /.well-known/openid-configuration (OIDC Discovery §4),
     * /.well-known/oauth-authorization-server + issuer path (RFC 8414 §3) */
    char *wk_oidc_path, *wk_oauth_path;
    bool feature_on[RS_FEATURE_COUNT];
    char *listen_host;
    int listen_port;

    int _refs;
};

/* Command-line values that win over the file. Any field may be NULL. */
struct rs_config_overrides {
    const char *listen;
    const char *db_path;
};

/* Builds a snapshot from defaults + obj (may be NULL) + overrides.
 * RS_ERR_INVALID with a message naming the bad key in err (size errlen). Caller owns *out
 * (rs_config_release drops it). */
enum rs_err rs_config_build(json_t *obj, const struct rs_config_overrides *ov,
                            struct rs_config **out, char *err, size_t errlen);
/* Reads and builds from a JSON file. */
enum rs_err rs_config_load_file(const char *path, const struct rs_config_overrides *ov,
                                struct rs_config **out, char *err, size_t errlen);
/* Remembers where the configuration comes from (file path may be NULL; strings are copied),
 * so that rs_config_rebuild can build the same thing with a persisted patch on top. */
enum rs_err rs_config_set_source(const char *path, const struct rs_config_overrides *ov);
/* The command-line flag that sets the property name in this process ("--listen", "--db"), or
 * NULL: a value changed at run time for such a property would never take effect. */
const char *rs_config_overriding_flag(const char *name);
/* Builds file + patch (RFC 7396 merge patch of properties set at run time, may be NULL) +
 * command-line overrides. Errors as rs_config_build. */
enum rs_err rs_config_rebuild(json_t *patch, struct rs_config **out, char *err, size_t errlen);
/* Replaces, in a JSON object of properties (a patch to persist), a plain
 * dynamicRegistrationInitialAccessToken by its digest form (base/hash.h), so that the database
 * never holds the token. *changed tells whether it did. RS_ERR_NOMEM. */
enum rs_err rs_config_hide_secrets(json_t *obj, bool *changed);
/* The raw properties as a JSON object (new reference). */
json_t *rs_config_to_json(const struct rs_config *cfg);

/* The port the listener was given when `listen` asks for port 0: the default issuer and endpoint
 * URLs of every later build name it instead of port 0. */
void rs_config_set_bound_port(int port);
/* Swaps in a new snapshot (takes the caller's reference). */
void rs_config_install(struct rs_config *cfg);
/* A reference to the current snapshot; drop it with rs_config_release. */
struct rs_config *rs_config_acquire(void);
void rs_config_release(struct rs_config *cfg);
/* One more reference to a snapshot the caller holds (for work that outlives the request). */
struct rs_config *rs_config_ref(const struct rs_config *cfg);

static inline bool rs_feature_enabled(const struct rs_config *cfg, enum rs_feature f)
{
    return cfg->feature_on[f];
}

#endif
