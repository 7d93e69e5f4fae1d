/* authorize.c - the authorization endpoint (RFC 6749 §4.1, RFC 7636, OIDC Core §3.1.2).
 * GET validates the authorization request, then issues a code at once (live session) or shows
 * the login page. POST is that page's form: CSRF check, the same validation on the hidden
 * fields, the password, a new session, the code. Errors that cannot be trusted to the client
 * (unknown client, unregistered redirect URI) stay on an HTML page; every other one goes back
 * to the redirect URI (RFC 6749 §4.1.2.1) with iss (RFC 9207). The code itself is stored as a
 * digest only; the token endpoint redeems it. */
#include "oauth/endpoints.h"
#include "oauth/grant.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "oauth/login_page.h"
#include "oauth/login_limit.h"
#include "oauth/pkce.h"
#include "oauth/scope.h"
#include "oauth/session.h"
#include "oauth/users.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/ct.h"
#include "base/log.h"
#include "base/rand.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define RS_AUTHZ_STATE_MAX 2048 /* characters of state echoed back (docs/openapi.yaml, /authorize) */

/* The authorization request's parameters: the ones carried through the login form. */
static const char *const authz_params[] = {
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method", "prompt", "max_age",
};
#define N_AUTHZ_PARAMS (sizeof authz_params / sizeof authz_params[0])

struct authz {
    const struct rs_form *in;  /* query (GET) or form body (POST), borrowed */
    struct rs_client client;
    const char *redirect;      /* where the browser goes: as sent, or the one registered */
    char scope[RS_SCOPE_MAX + 1];
    bool prompt_none, prompt_login;
    int64_t max_age;           /* -1 when absent */
    char why[160];             /* error_description of a refused request */
};

/* Records why the request is refused and returns the error code (a static string). */
static const char *refuse(struct authz *a, const char *err, const char *why)
{
    snprintf(a->why, sizeof a->why, "%s", why);
    return err;
}

/* RFC 6749 §3.1: a parameter sent without a value is treated as omitted. */
static const char *param(const struct authz *a, const char *name)
{
    const char *v = rs_form_get(a->in, name);
    return v && *v ? v : NULL;
}

/* An HTML page instead of a redirect; returns RS_ERR_DENIED once the page is in resp. */
static enum rs_err page(struct rs_resp *resp, int status, const char *message)
{
    const char *title = status == 403 ? "Request refused"
                        : status >= 500 ? "Service unavailable" : "Invalid request";
    enum rs_err e = rs_login_page_error(resp, status, title, message);
    if (!e && status == 503)
        e = rs_resp_header(resp, "Retry-After", "1");
    resp->error = status >= 500 ? "temporarily_unavailable" : "invalid_request";
    return e ? e : RS_ERR_DENIED;
}

static enum rs_err store_page(struct rs_resp *resp, enum rs_err e)
{
    RS_LOG_WARN("store_failed", "error", rs_strerror(e), NULL);
    return page(resp, e == RS_ERR_STORE ? 503 : 500,
                "The server cannot complete the sign-in right now. Try again in a moment.");
}

/* Appends name=value pairs (a NULL value skips its pair) to base and answers 302 there. */
static enum rs_err redirect_with(struct rs_resp *resp, const char *base,
                                 const char *const *pairs, size_t n)
{
    struct rs_buf loc;
    rs_buf_init(&loc, 0);
    size_t len = strlen(base);
    enum rs_err e = rs_buf_puts(&loc, base);
    /* RFC 6749 §3.1.2: keep the query component of the registered URI */
    const char *sep = "?";
    if (strchr(base, '?'))
        sep = base[len - 1] == '?' || base[len - 1] == '&' ? "" : "&";
    for (size_t i = 0; i + 1 < n && !e; i += 2) {
        if (!pairs[i + 1])
            continue;
        e = rs_buf_puts(&loc, sep);
        if (!e)
            e = rs_form_encode_pair(&loc, pairs[i], pairs[i + 1]);
        sep = "&";
    }
    if (!e)
        e = rs_resp_redirect(resp, loc.ptr);
    if (loc.ptr)
        sodium_memzero(loc.ptr, loc.len); /* it may hold a code */
    rs_buf_free(&loc);
    return e;
}

/* RFC 6749 §4.1.2.1 error response, with iss (RFC 9207). err is a static string. */
static enum rs_err redirect_error(struct rs_ctx *ctx, const struct authz *a, const char *err,
                                  struct rs_resp *resp)
{
    char why[sizeof a->why];
    rs_oauth_description_clean(a->why, why, sizeof why); /* RFC 6749 §4.1.2.1 character set */
    const char *pairs[] = {"error", err, "error_description", why, "state", param(a, "state"),
                           "iss", ctx->cfg->issuer};
    enum rs_err e = redirect_with(resp, a->redirect, pairs, sizeof pairs / sizeof pairs[0]);
    resp->error = err;
    return e ? e : RS_ERR_DENIED;
}

/* Loads the client and settles the redirect URI. Until both are known to be good nothing may
 * be sent to the redirect URI (RFC 6749 §4.1.2.1), so failures here are HTML pages. */
static enum rs_err authz_client(struct rs_ctx *ctx, struct authz *a, struct rs_resp *resp)
{
    const char *id = param(a, "client_id"), *uri = param(a, "redirect_uri");
    char msg[160];
    if (a->in->dup && (!strcmp(a->in->dup, "client_id") || !strcmp(a->in->dup, "redirect_uri")))
        return page(resp, 400, "The request repeats client_id or redirect_uri.");
    if (!id)
        return page(resp, 400, "The request does not name an application (client_id is missing).");
    /* Every answer to the client echoes state in its Location header, and libmicrohttpd must fit
     * the request's and the response's headers in one connection's memory (src/http/daemon.c):
     * a state too long to echo next to an ordinary request is refused here, before anything is
     * redirected (and a redirect that still does not fit next to a large request head gets the
     * daemon's 431). */
    const char *st = param(a, "state");
    if (st && strlen(st) > RS_AUTHZ_STATE_MAX)
        return page(resp, 400, "The request's state parameter is longer than 2048 characters.");
    enum rs_err e = strlen(id) > RS_ID_MAX ? RS_ERR_NOT_FOUND
                                           : rs_store_client_get(ctx->store, id, &a->client);
    if (e == RS_ERR_NOT_FOUND) {
        snprintf(msg, sizeof msg, "The application \"%.64s\" is not known to this server.", id);
        return page(resp, 400, msg);
    }
    if (e)
        return store_page(resp, e);
    snprintf(resp->client_id, sizeof resp->client_id, "%s", a->client.client_id);
    const char *registered = a->client.redirect_uris;
    if (!uri && *registered && !strchr(registered, ' ')) {
        a->redirect = registered; /* RFC 6749 §3.1.2.3: optional with one registered URI */
        return RS_OK;
    }
    if (!uri)
        return page(resp, 400, "The request has no redirect_uri and the application has several "
                               "(or none) registered.");
    /* RFC 6749 §3.1.2.3 and the Security BCP: exact string comparison */
    if (strchr(uri, ' ') || !rs_list_has(registered, uri))
        return page(resp, 400, "The redirect_uri is not registered for this application.");
    a->redirect = uri;
    return RS_OK;
}

static const char *check_syntax(struct authz *a)
{
    if (a->in->dup) {
        snprintf(a->why, sizeof a->why, "parameter '%.100s' is repeated (RFC 6749 section 3.1)",
                 a->in->dup);
        return "invalid_request";
    }
    /* OIDC Core §6: request objects are not supported */
    if (param(a, "request"))
        return refuse(a, "request_not_supported", "request objects are not supported");
    if (param(a, "request_uri"))
        return refuse(a, "request_uri_not_supported", "request_uri is not supported");
    const char *nonce = param(a, "nonce");
    if (nonce && strlen(nonce) >= sizeof ((struct rs_token *)0)->nonce)
        return refuse(a, "invalid_request", "nonce is too long");
    if (strlen(a->redirect) >= sizeof ((struct rs_token *)0)->redirect_uri)
        return refuse(a, "invalid_request", "redirect_uri is too long");
    return NULL;
}

static const char *check_response_type(struct authz *a)
{
    const char *rt = param(a, "response_type");
    if (!rt)
        return refuse(a, "invalid_request", "response_type is required");
    if (strcmp(rt, "code") != 0)
        return refuse(a, "unsupported_response_type", "only response_type=code is supported");
    if (!rs_list_has(a->client.grant_types, "authorization_code"))
        return refuse(a, "unauthorized_client",
                      "the client may not use the authorization_code grant");
    return NULL;
}

/* RFC 7636 §4.3 with S256 only; public clients must use it (OAuth 2.0 Security BCP §2.1.1). */
static const char *check_pkce(struct authz *a)
{
    const char *cc = param(a, "code_challenge"), *method = param(a, "code_challenge_method");
    const char *why = NULL;
    if (method && strcmp(method, "S256") != 0)
        why = "code_challenge_method must be S256";
    else if (method && !cc)
        why = "code_challenge_method without code_challenge";
    else if (cc && !method)
        why = "code_challenge_method is required and must be S256 (plain is not supported)";
    else if (cc && !rs_pkce_challenge_valid(cc))
        why = "code_challenge must be 43 base64url characters (S256)";
    else if (!cc && strcmp(a->client.auth_method, "none") == 0)
        why = "code_challenge is required for public clients (PKCE)";
    return why ? refuse(a, "invalid_request", why) : NULL;
}

/* Parses the decimal max_age (OIDC Core §3.1.2.1); -2 when malformed. */
static int64_t parse_max_age(const char *s)
{
    int64_t v = 0;
    if (!s)
        return -1;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 10)
            return -2;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool word_is(const char *p, size_t n, const char *word)
{
    return n == strlen(word) && strncmp(p, word, n) == 0;
}

/* OIDC Core §3.1.2.1 prompt: "none" stands alone; "consent" and "select_account" are met
 * already (consent is implied for registered redirect URIs, a session holds one account). */
static const char *check_prompt(struct authz *a)
{
    const char *prompt = param(a, "prompt");
    size_t words = 0;
    for (const char *p = prompt ? prompt : ""; *p;) {
        size_t n = strcspn(p, " ");
        if (word_is(p, n, "none"))
            a->prompt_none = true;
        else if (word_is(p, n, "login"))
            a->prompt_login = true;
        else if (n && !word_is(p, n, "consent") && !word_is(p, n, "select_account"))
            return refuse(a, "invalid_request", "unsupported prompt value");
        words += n > 0;
        p += n + (p[n] == ' ');
    }
    if (a->prompt_none && words > 1)
        return refuse(a, "invalid_request", "prompt=none cannot be combined");
    a->max_age = parse_max_age(param(a, "max_age"));
    if (a->max_age == -2)
        return refuse(a, "invalid_request", "max_age must be a number of seconds");
    return NULL;
}

static const char *check_scope(struct authz *a)
{
    if (rs_scope_resolve(&a->client, param(a, "scope"), a->scope) == RS_OK)
        return NULL;
    return refuse(a, "invalid_scope", "unknown scope or scope not allowed for this client");
}

/* Checks once the redirect URI is trusted; each returns an error code (why set) or NULL. */
static const char *(*const checks[])(struct authz *) = {
    check_syntax, check_response_type, check_pkce, check_prompt, check_scope,
};

/* Validates the whole request in a->in. RS_OK when it may proceed; otherwise the answer (page or
 * error redirect) is in resp and the return is RS_ERR_DENIED, or another error when even that
 * could not be built. */
static enum rs_err authz_validate(struct rs_ctx *ctx, struct authz *a, struct rs_resp *resp)
{
    enum rs_err e = authz_client(ctx, a, resp);
    for (size_t i = 0; !e && i < sizeof checks / sizeof checks[0]; i++) {
        const char *err = checks[i](a);
        if (err)
            e = redirect_error(ctx, a, err, resp);
    }
    return e;
}

/* RFC 6749 §4.1.2: a single-use code bound to client, redirect_uri, PKCE challenge and user. */
static enum rs_err issue_code(struct rs_ctx *ctx, const struct authz *a, const char *sub,
                              int64_t auth_time, struct rs_resp *resp)
{
    char code[RS_OPAQUE_STRLEN];
    struct rs_token t = {.type = RS_TOK_CODE, .state = RS_TS_ACTIVE, .auth_time = auth_time};
    const char *nonce = param(a, "nonce"), *cc = param(a, "code_challenge");
    const char *uri = param(a, "redirect_uri");
    rs_opaque_token_new(code);
    rs_token_key(code, strlen(code), t.hash);
    rs_grant_new_id(t.grant_id);
    snprintf(t.client_id, sizeof t.client_id, "%s", a->client.client_id);
    snprintf(t.sub, sizeof t.sub, "%s", sub);
    snprintf(t.scope, sizeof t.scope, "%s", a->scope);
    snprintf(t.nonce, sizeof t.nonce, "%s", nonce ? nonce : "");
    /* the token endpoint compares against the redirect_uri as sent; "" when it was omitted */
    snprintf(t.redirect_uri, sizeof t.redirect_uri, "%s", uri ? uri : "");
    snprintf(t.code_challenge, sizeof t.code_challenge, "%s", cc ? cc : "");
    t.iat = rs_clock_now();
    t.exp = t.iat + ctx->cfg->authorization_code_lifetime;
    enum rs_err e = rs_store_tokens_put(ctx->store, &t, 1);
    if (e) {
        e = store_page(resp, e); /* never redirect with a code that is not stored */
    } else {
        const char *pairs[] = {"code", code, "state", param(a, "state"), "iss", ctx->cfg->issuer};
        e = redirect_with(resp, a->redirect, pairs, sizeof pairs / sizeof pairs[0]);
        RS_LOG_INFO("code_issued", "client_id", t.client_id, "sub", t.sub, "grant_id", t.grant_id,
                    NULL);
    }
    sodium_memzero(code, sizeof code);
    return e;
}

/* The login form, carrying the request and a fresh double-submit CSRF token. */
static enum rs_err login_page(struct rs_ctx *ctx, const struct authz *a, const char *error,
                              const char *username, struct rs_resp *resp)
{
    char csrf[RS_TOKEN_STRLEN];
    struct rs_form hidden = {0};
    const char *path = ctx->cfg->ep_path[RS_EP_AUTHORIZE];
    enum rs_err e = RS_OK;
    for (size_t i = 0; i < N_AUTHZ_PARAMS && !e; i++) {
        const char *v = param(a, authz_params[i]);
        if (v)
            e = rs_form_add(&hidden, authz_params[i], v);
    }
    rs_rand_token(csrf);
    struct rs_login_page p = {
        .action = path,
        .client_name = a->client.client_name && *a->client.client_name ? a->client.client_name
                                                                       : a->client.client_id,
        .csrf = csrf,
        .error = error,
        .username = username,
        .hidden = &hidden,
        .redirect_uri = a->redirect,
        .self_registered = a->client.has_reg_token,
    };
    if (!e)
        e = rs_login_page_render(resp, &p);
    if (!e)
        e = rs_session_set_cookie(ctx, resp, RS_CSRF_COOKIE, csrf, path, 0);
    rs_form_free(&hidden);
    return e;
}

/* A session that is live, young enough for max_age and whose user still exists. */
static enum rs_err live_session(struct rs_ctx *ctx, const struct rs_req *req,
                                const struct authz *a, int64_t now, struct rs_session *s)
{
    struct rs_user u = {0};
    if (a->prompt_login)
        return RS_ERR_NOT_FOUND;
    enum rs_err e = rs_session_find(ctx, req, now, s);
    /* max_age=0 asks for a fresh sign-in whatever the clock says (as prompt=login): with
     * whole seconds, a session from this same second would otherwise pass */
    if (!e && a->max_age >= 0 && (a->max_age == 0 || now - s->auth_time > a->max_age))
        e = RS_ERR_NOT_FOUND;
    if (!e)
        e = rs_store_user_get_by_sub(ctx->store, s->sub, &u);
    rs_user_clear(&u);
    return e;
}

static enum rs_err authorize_get(struct rs_ctx *ctx, const struct rs_req *req,
                                 struct rs_resp *resp)
{
    struct authz a = {.in = &req->query};
    struct rs_session s;
    enum rs_err e = authz_validate(ctx, &a, resp);
    if (e)
        goto out;
    /* A client that registered itself (RFC 7591, open to anyone by default) never gets a code
     * from a session alone: anyone could register a redirect URI of theirs and collect codes
     * for every signed-in user with one navigation. The user signs in on the page that names
     * the client and where it sends them (the consent), and prompt=none is refused without
     * telling whether the user is signed in. Clients the administrator created keep single
     * sign-on (consent is implied for their registered redirect URIs). */
    bool self_registered = a.client.has_reg_token;
    e = self_registered ? RS_ERR_NOT_FOUND : live_session(ctx, req, &a, rs_clock_now(), &s);
    if (!e) {
        e = issue_code(ctx, &a, s.sub, s.auth_time, resp);
    } else if (e == RS_ERR_NOT_FOUND && a.prompt_none && self_registered) {
        snprintf(a.why, sizeof a.why, "a self-registered client needs the user's consent");
        e = redirect_error(ctx, &a, "consent_required", resp); /* OIDC Core §3.1.2.6 */
    } else if (e == RS_ERR_NOT_FOUND && a.prompt_none) {
        snprintf(a.why, sizeof a.why, "the user is not signed in");
        e = redirect_error(ctx, &a, "login_required", resp); /* OIDC Core §3.1.2.6 */
    } else if (e == RS_ERR_NOT_FOUND) {
        e = login_page(ctx, &a, NULL, NULL, resp);
    } else {
        e = store_page(resp, e);
    }
out:
    rs_client_clear(&a.client);
    return e;
}

/* Double-submit CSRF check: the hidden field must equal the cookie set with the form. */
static bool csrf_ok(const struct rs_req *req, const struct rs_form *form)
{
    char cookie[RS_TOKEN_STRLEN];
    const char *field = rs_form_get(form, "csrf_token");
    bool have = rs_session_cookie(req, RS_CSRF_COOKIE, cookie, sizeof cookie);
    return have && field && rs_ct_streq(cookie, field);
}

/* Checks the credentials of the posted form, then starts a session and issues the code.
 * Password guessing is slowed down per username (login_limit.h): while held back, an attempt
 * gets 429 and the page again, without its password being hashed. */
static enum rs_err login(struct rs_ctx *ctx, const struct authz *a, const struct rs_form *form,
                         struct rs_resp *resp)
{
    const char *username = rs_form_get(form, "username"), *pw = rs_form_get(form, "password");
    struct rs_user u = {0};
    struct rs_session s;
    bool ok = false;
    if (!username || !*username || !pw || !*pw)
        return login_page(ctx, a, "Enter your username and password.", username, resp);
    struct rs_login_ticket ticket;
    int64_t now = rs_clock_now(), wait = rs_login_limit_begin(username, now, &ticket);
    if (wait > 0) {
        char msg[128], secs[RS_I64_STRLEN];
        snprintf(msg, sizeof msg, "Too many failed sign-ins. Try again in %lld seconds.",
                 (long long)wait);
        rs_fmt_i64(secs, (long long)wait);
        RS_LOG_WARN("login_throttled", "client_id", a->client.client_id, "retry_after", secs,
                    NULL);
        enum rs_err e = login_page(ctx, a, msg, username, resp);
        if (!e) {
            resp->status = 429; /* RFC 6585 §4 */
            e = rs_resp_header(resp, "Retry-After", secs);
        }
        return e;
    }
    enum rs_err e = rs_store_user_get_by_name(ctx->store, username, &u);
    if (e == RS_ERR_NOT_FOUND) {
        rs_users_dummy_verify(pw); /* unknown users take as long as wrong passwords */
        e = RS_OK;
    } else if (!e) {
        ok = rs_users_password_ok(&u, pw);
    }
    /* the attempt began above (rs_login_limit_begin): it ends here on every path */
    rs_login_limit_end(&ticket, e ? RS_LOGIN_UNDECIDED : ok ? RS_LOGIN_OK : RS_LOGIN_FAILED,
                       rs_clock_now());
    if (e) {
        e = store_page(resp, e);
    } else if (!ok) {
        RS_LOG_INFO("login_failed", "client_id", a->client.client_id, NULL);
        e = login_page(ctx, a, "Wrong username or password", username, resp);
    } else {
        e = rs_session_create(ctx, u.sub, rs_clock_now(), resp, &s);
        if (e)
            e = store_page(resp, e);
        else
            e = issue_code(ctx, a, u.sub, s.auth_time, resp);
    }
    rs_user_clear(&u);
    return e;
}

static enum rs_err authorize_post(struct rs_ctx *ctx, const struct rs_req *req,
                                  struct rs_resp *resp)
{
    struct rs_form form;
    struct authz a = {.in = &form};
    enum rs_err e = rs_oauth_read_form(ctx, req, resp, &form);
    if (e)
        goto out;
    if (!csrf_ok(req, &form)) {
        e = page(resp, 403, "The sign-in form has expired or did not come from this server. "
                            "Go back to the application and start again.");
        goto out;
    }
    e = authz_validate(ctx, &a, resp);
    if (!e)
        e = login(ctx, &a, &form, resp);
out:
    for (size_t i = 0; i < form.count; i++)
        if (!strcmp(form.f[i].name, "password"))
            sodium_memzero(form.f[i].value, strlen(form.f[i].value));
    rs_client_clear(&a.client);
    rs_form_free(&form);
    return e;
}

enum rs_err rs_authorize_handle(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp)
{
    /* HEAD is safe (RFC 9110 §9.2.1), and a GET here may issue a code: no HEAD at all, rather
     * than a HEAD that issues codes nobody receives */
    if (strcmp(req->method, "HEAD") == 0) {
        rs_oauth_error(resp, ctx->cfg, RS_OAUTH_METHOD_NOT_ALLOWED,
                       "HEAD is not served here: a GET may issue an authorization code", NULL);
        rs_resp_header(resp, "Allow", "GET, POST");
        return RS_OK;
    }
    if (!rs_oauth_method(ctx, req, resp, "GET, POST"))
        return RS_OK;
    enum rs_err e = strcmp(req->method, "POST") == 0 ? authorize_post(ctx, req, resp)
                                                     : authorize_get(ctx, req, resp);
    /* refusals already rendered into resp are not failures of the server */
    return resp->status ? RS_OK : e;
}
