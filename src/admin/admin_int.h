/* admin_int.h - private to src/admin: the handler shape of one admin route and the helpers
 * the route files share. Every admin answer is JSON with Cache-Control: no-store; errors use
 * the RFC 6749 §5.2 shape (error, error_description) like the rest of the server. */
#ifndef RS_ADMIN_INT_H
#define RS_ADMIN_INT_H
#include <jansson.h>
#include "oauth/ctx.h"
#include "oauth/errors.h"

/* One admin route. arg is the {id} segment of the path (borrowed, "" when the route has none).
 * Contract as rs_handler_fn: errors already rendered into resp return RS_OK. */
typedef enum rs_err rs_admin_fn(struct rs_ctx *ctx, const struct rs_req *req,
                                struct rs_resp *resp, const char *arg);

rs_admin_fn rs_admin_client_create, rs_admin_client_list, rs_admin_client_show,
    rs_admin_client_delete, rs_admin_client_revoke;
rs_admin_fn rs_admin_user_create, rs_admin_user_list, rs_admin_user_show, rs_admin_user_delete;
rs_admin_fn rs_admin_audit_list;
rs_admin_fn rs_admin_config_get, rs_admin_config_patch, rs_admin_config_properties;
rs_admin_fn rs_admin_feature_list, rs_admin_feature_enable, rs_admin_feature_disable;
rs_admin_fn rs_admin_revocation_create;
rs_admin_fn rs_admin_token_list;
rs_admin_fn rs_admin_credential_create, rs_admin_credential_list, rs_admin_credential_delete;

/* Renders an error (no-store) and returns RS_OK, so handlers can `return rs_admin_error(...)`
 * unless rendering itself ran out of memory. */
enum rs_err rs_admin_error(struct rs_ctx *ctx, struct rs_resp *resp, enum rs_oauth_err code,
                           const char *description);
/* Renders a failed lower-layer call: 503 for the store, 500 otherwise. */
enum rs_err rs_admin_fail(struct rs_ctx *ctx, struct rs_resp *resp, enum rs_err e);
/* Sets status and a JSON body (steals obj; NULL means out of memory) with no-store. */
enum rs_err rs_admin_reply(struct rs_resp *resp, int status, json_t *obj);
/* 204 No Content with no-store. */
enum rs_err rs_admin_no_content(struct rs_resp *resp);
/* Parses the body as a JSON object. The Content-Type must be application/json (or
 * application/merge-patch+json when merge_patch is true). On failure writes 400 invalid_request
 * and returns RS_ERR_INVALID; on success the caller decrefs *obj_out. */
enum rs_err rs_admin_read_json(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                               bool merge_patch, json_t **obj_out /* OUT */);
/* Writes an audit record; detail (may be NULL) is borrowed. A failure is logged, not returned:
 * the change it describes has already committed. */
void rs_admin_audit(struct rs_ctx *ctx, const struct rs_req *req, const char *event,
                    const char *client_id, const char *outcome, json_t *detail);
/* The name of the admin credential the request presents. NOT_FOUND when it has none or an
 * unknown one; RS_ERR_STORE. */
enum rs_err rs_admin_caller(struct rs_ctx *ctx, const struct rs_req *req,
                            char name_out[RS_ID_MAX + 1] /* OUT */);
/* Parses a non-negative decimal integer of at most max; false for anything else. */
bool rs_admin_parse_uint(const char *s, int64_t max, int64_t *out /* OUT */);

#endif
