/* client_auth.h - who is calling: every client authentication method behind one function.
 * Methods are rows of a table (detect + verify), so JWT assertions and mTLS plug in as rows
 * without touching the endpoints. Used by token, introspection and revocation. */
#ifndef RS_CLIENT_AUTH_H
#define RS_CLIENT_AUTH_H
#include "oauth/ctx.h"
#include "base/form.h"

/* Authenticates the client of a form POST. On success fills *client (caller clears with
 * rs_client_clear) and returns RS_OK. On failure writes the error into resp
 * (401 invalid_client, with WWW-Authenticate when Basic was used; 400 invalid_request when
 * more than one method is used, RFC 6749 §2.3) and returns RS_ERR_DENIED; a store failure
 * writes 503 and returns RS_ERR_STORE. */
enum rs_err rs_client_authenticate(struct rs_ctx *ctx, const struct rs_req *req,
                                   const struct rs_form *form, struct rs_client *client,
                                   struct rs_resp *resp);
/* The common opening of the client endpoints (token, introspection): POST only (405), the form
 * body (400), client authentication (401). RS_OK when the caller may go on; otherwise the error
 * is in resp and the return is the failure (RS_ERR_NOMEM when nothing could be rendered). form
 * and client are always initialised: the caller frees them with rs_form_free and
 * rs_client_clear in every case. */
enum rs_err rs_client_post(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                           struct rs_form *form, struct rs_client *client);
/* The method names the server supports, for discovery (NULL-terminated). */
extern const char *const rs_client_auth_methods[];

#endif
