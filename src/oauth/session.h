/* session.h - the end user's login session and the cookies of the authorization endpoint.
 * A session cookie carries 256 random bits; the store keeps only its SHA-256,
 * so a copy of the database cannot be replayed as a cookie. Cookies are always HttpOnly and
 * SameSite=Lax, and Secure when the issuer is https. Used by authorize.c only. */
#ifndef RS_SESSION_H
#define RS_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include "oauth/ctx.h"

#define RS_SESSION_COOKIE "rescind_session"
#define RS_CSRF_COOKIE "rescind_csrf"

/* Copies the value of cookie `name` from the request's Cookie header into out (out_len bytes).
 * False when the cookie is absent, empty or does not fit (out is then ""). */
bool rs_session_cookie(const struct rs_req *req, const char *name, char *out, size_t out_len);

/* The live session named by the request's session cookie: RS_OK with *out filled,
 * RS_ERR_NOT_FOUND without a cookie or for an unknown or expired (exp <= now) session,
 * RS_ERR_STORE when the store cannot answer. */
enum rs_err rs_session_find(struct rs_ctx *ctx, const struct rs_req *req, int64_t now,
                            struct rs_session *out /* OUT */);

/* Starts a session for sub (lifetime sessionIdLifetime), stores its digest and sets the session
 * cookie on resp. RS_ERR_STORE (no cookie set) or RS_ERR_NOMEM/TOO_LARGE from the header. */
enum rs_err rs_session_create(struct rs_ctx *ctx, const char *sub, int64_t now,
                              struct rs_resp *resp, struct rs_session *out /* OUT */);

/* Sets "name=value; Path=path; HttpOnly; SameSite=Lax[; Max-Age=max_age][; Secure]" on resp
 * (max_age <= 0 leaves it a browser-session cookie). value must be cookie-safe (base64url). */
enum rs_err rs_session_set_cookie(const struct rs_ctx *ctx, struct rs_resp *resp,
                                  const char *name, const char *value, const char *path,
                                  int64_t max_age);

#endif
