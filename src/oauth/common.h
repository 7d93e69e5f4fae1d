/* common.h - request helpers shared by the OAuth endpoints. */
#ifndef RS_OAUTH_COMMON_H
#define RS_OAUTH_COMMON_H
#include <stdbool.h>
#include "oauth/ctx.h"
#include "base/form.h"

/* Parses an application/x-www-form-urlencoded POST body into form. On a wrong content type,
 * a malformed body or a repeated parameter (RFC 6749 §3.2) it writes 400 invalid_request into
 * resp and returns RS_ERR_INVALID. The caller frees form with rs_form_free in every case. */
enum rs_err rs_oauth_read_form(struct rs_ctx *ctx, const struct rs_req *req,
                               struct rs_resp *resp, struct rs_form *form);
/* True when req->method is m; otherwise writes 405 with Allow: allow. */
bool rs_oauth_method(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                     const char *allow);
/* Writes 403 access_denied for a feature that is switched off and returns false. */
bool rs_oauth_feature(struct rs_ctx *ctx, enum rs_feature f, struct rs_resp *resp);
/* Keyed digest of a secret (client secret, registration or admin credential). */
void rs_oauth_secret_digest(const struct rs_ctx *ctx, const char *secret,
                            unsigned char out[RS_HASH_LEN]);

/* Space-separated list helpers. */
bool rs_list_has(const char *list, const char *word);
/* True when every word of sub is in super. */
bool rs_list_subset(const char *sub, const char *super);
/* The words of a space-separated list as a JSON array of strings (new reference). */
json_t *rs_list_to_json(const char *list);

#endif
