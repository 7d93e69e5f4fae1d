/* cors.h - CORS (RFC 7009 §3 MAY; Fetch standard) for browser-based clients.
 * An origin is allowed when it is in corsAllowedOrigins or registered by a client
 * (authorized_origins). Public documents (discovery, JWKS) allow any origin. Other origins get no
 * CORS headers at all, so the browser blocks the response. */
#ifndef RS_CORS_H
#define RS_CORS_H
#include <stdbool.h>
#include "oauth/ctx.h"

/* Answers an OPTIONS preflight into resp (204 with the allow headers, or 204 without them for an
 * origin that is not allowed). Returns false when req is not a preflight. */
bool rs_cors_preflight(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp);
/* Adds Access-Control-Allow-Origin to an actual response when the origin is allowed for the
 * authenticated client (resp->client_id) or globally. */
void rs_cors_apply(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp);

#endif
