/* clients.h - client records from RFC 7591 metadata: validation, creation with a generated
 * secret, and the metadata view. Shared by /register, the admin API and first-start setup. */
#ifndef RS_CLIENTS_H
#define RS_CLIENTS_H
#include <jansson.h>
#include "oauth/ctx.h"
#include "oauth/errors.h"
#include "base/rand.h"

/* Validates metadata (RFC 7591 §2) and fills c's metadata fields (heap strings; c is cleared
 * first and keeps its client_id). On invalid metadata returns RS_ERR_INVALID with *code
 * (invalid_redirect_uri or invalid_client_metadata) and *why (static text). */
enum rs_err rs_clients_from_metadata(json_t *meta, struct rs_client *c, enum rs_oauth_err *code,
                                     const char **why);
/* Gives c a client_id (when empty) and, unless its method is "none", a new 256-bit secret
 * returned in secret_out ("" otherwise); stores c. RS_ERR_CONFLICT for a taken client_id. */
enum rs_err rs_clients_create(struct rs_ctx *ctx, struct rs_client *c,
                              char secret_out[RS_TOKEN_STRLEN]);
/* The client's metadata as RFC 7591 response members (new reference, never the secret). */
json_t *rs_clients_to_json(const struct rs_client *c);

#endif
