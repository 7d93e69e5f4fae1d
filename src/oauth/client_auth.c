/* client_auth.c - see client_auth.h.
 * Secrets are verified as HMAC-SHA-256(pepper, secret) compared in constant time: about a
 * microsecond, so machine clients never pay for a password hash. An unknown client and a wrong
 * secret produce the same answer. */
#include "oauth/client_auth.h"
#include "oauth/common.h"
#include "oauth/errors.h"
#include "base/ct.h"
#include "base/log.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct presented {
    const char *method;      /* method name the request used */
    char client_id[RS_ID_MAX + 2];
    char secret[512];
    bool has_secret;
    bool basic;
};

const char *const rs_client_auth_methods[] = {"client_secret_basic", "client_secret_post", "none",
                                             NULL};

/* Percent-decodes a Basic credential part in place (RFC 6749 §2.3.1). */
static bool pct_decode(char *s)
{
    if (!strpbrk(s, "%+"))
        return true; /* nothing encoded: the common case */
    enum rs_err e = RS_OK;
    char *d = rs_form_decode(s, strlen(s), &e);
    if (!d)
        return false;
    memcpy(s, d, strlen(d) + 1); /* decoding never lengthens */
    sodium_memzero(d, strlen(d));
    free(d);
    return true;
}

/* Reads the Basic header into p. false when the header is malformed. */
static bool parse_basic(const char *h, struct presented *p)
{
    unsigned char raw[600];
    size_t len = 0;
    while (*h == ' ')
        h++;
    bool ok = false;
    if (sodium_base642bin(raw, sizeof raw - 1, h, strlen(h), " ", &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        goto out;
    raw[len] = '\0';
    if (memchr(raw, '\0', len))
        goto out;
    char *colon = strchr((char *)raw, ':');
    if (!colon)
        goto out;
    *colon = '\0';
    /* the limits apply to the decoded values: a client may escape every character */
    char *id = (char *)raw, *secret = colon + 1;
    if (!pct_decode(id) || !pct_decode(secret))
        goto out;
    if (strlen(id) > RS_ID_MAX || strlen(secret) >= sizeof p->secret)
        goto out;
    memcpy(p->client_id, id, strlen(id) + 1);
    memcpy(p->secret, secret, strlen(secret) + 1);
    p->has_secret = true;
    p->basic = true;
    p->method = "client_secret_basic";
    ok = true;
out:
    sodium_memzero(raw, sizeof raw); /* it held the secret */
    return ok;
}

static enum rs_err fail(struct rs_ctx *ctx, struct rs_resp *resp, const struct presented *p,
                        const char *why)
{
    /* one public reason for every failure, so that errorReasonEnabled does not tell which
     * client_ids exist; the precise cause goes to the debug log only */
    RS_LOG_DEBUG("client_auth_failed", "reason", why, NULL);
    rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_CLIENT, "client authentication failed",
                   "Unable to authenticate client.");
    /* RFC 6749 §5.2: a 401 for a client that used the Authorization header carries
     * WWW-Authenticate with the scheme it used. */
    if (p->basic)
        rs_resp_header(resp, "WWW-Authenticate", "Basic realm=\"rescind\"");
    /* the claimed client, for the access log and audit: who was attempted, not who succeeded;
     * only when it looks like a client_id, so attacker bytes never reach the audit trail */
    resp->client_id[0] = '\0';
    if (p->client_id[0] && strlen(p->client_id) <= RS_ID_MAX &&
        strspn(p->client_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
            strlen(p->client_id))
        snprintf(resp->client_id, sizeof resp->client_id, "%.64s", p->client_id);
    return RS_ERR_DENIED;
}

/* Per-thread memory of Basic credentials that authenticated: the SHA-256 of the header value and
 * the client it proved, valid while no client changed (the store's client generation). A machine
 * client sends the same header on every request; a hit skips the base64 and percent decoding
 * and the keyed digest of the secret. Only the header's digest is kept, never the secret. */
#define AUTH_CACHE 16
struct auth_entry {
    bool used;
    uint64_t gen;
    const void *pepper; /* the secret digests' key the entry was verified under */
    unsigned char digest[RS_HASH_LEN];
    char client_id[RS_ID_MAX + 1];
};
static _Thread_local struct auth_entry auth_cache[AUTH_CACHE];

enum rs_err rs_client_authenticate(struct rs_ctx *ctx, const struct rs_req *req,
                                   const struct rs_form *form, struct rs_client *client,
                                   struct rs_resp *resp)
{
    struct presented p = {0};
    enum rs_err e;
    const char *authz = rs_req_header(req, "Authorization");
    const char *form_id = rs_form_get(form, "client_id");
    const char *form_secret = rs_form_get(form, "client_secret");
    memset(client, 0, sizeof *client);

    unsigned char hdr_digest[RS_HASH_LEN];
    uint64_t gen = 0;
    struct auth_entry *ce = NULL;
    if (authz && strncasecmp(authz, "Basic ", 6) == 0) {
        if (form_secret) {
            rs_oauth_error(resp, ctx->cfg, RS_OAUTH_INVALID_REQUEST,
                           "more than one client authentication method used", NULL);
            return RS_ERR_DENIED;
        }
        /* read before anything is verified: a client change from now on invalidates the entry */
        gen = rs_store_client_generation(ctx->store);
        rs_hash_sha256(authz + 6, strlen(authz + 6), hdr_digest);
        ce = &auth_cache[hdr_digest[RS_HASH_LEN - 1] % AUTH_CACHE];
        if (ce->used && ce->gen == gen && ce->pepper == (const void *)ctx->pepper &&
            sodium_memcmp(ce->digest, hdr_digest, RS_HASH_LEN) == 0 &&
            (!form_id || strcmp(form_id, ce->client_id) == 0) &&
            rs_store_client_get(ctx->store, ce->client_id, client) == RS_OK) {
            if (strcmp(client->auth_method, "client_secret_basic") == 0) {
                snprintf(resp->client_id, sizeof resp->client_id, "%s", client->client_id);
                return RS_OK;
            }
            rs_client_clear(client); /* cannot happen while gen holds; verify in full */
        }
        if (!parse_basic(authz + 6, &p)) {
            p.basic = true;
            return fail(ctx, resp, &p, "malformed Basic credentials");
        }
        if (form_id && strcmp(form_id, p.client_id) != 0)
            return fail(ctx, resp, &p, "client_id does not match the Basic credentials");
    } else if (form_secret) {
        if (!form_id || strlen(form_id) > RS_ID_MAX || strlen(form_secret) >= sizeof p.secret)
            return fail(ctx, resp, &p, "client_secret without a valid client_id");
        snprintf(p.client_id, sizeof p.client_id, "%s", form_id);
        snprintf(p.secret, sizeof p.secret, "%s", form_secret);
        p.has_secret = true;
        p.method = "client_secret_post";
    } else if (form_id) {
        if (strlen(form_id) > RS_ID_MAX)
            return fail(ctx, resp, &p, "unknown client");
        snprintf(p.client_id, sizeof p.client_id, "%s", form_id);
        p.method = "none";
    } else {
        return fail(ctx, resp, &p, "no client authentication");
    }

    e = rs_store_client_get(ctx->store, p.client_id, client);
    if (e == RS_ERR_NOT_FOUND) {
        sodium_memzero(p.secret, sizeof p.secret);
        return fail(ctx, resp, &p, "unknown client");
    }
    if (e) {
        sodium_memzero(p.secret, sizeof p.secret);
        rs_oauth_error_from(resp, ctx->cfg, e);
        return e;
    }
    const char *why = NULL;
    if (strcmp(client->auth_method, p.method) != 0) {
        why = "the client is registered for another authentication method";
    } else if (p.has_secret) {
        unsigned char d[RS_HASH_LEN];
        rs_oauth_secret_digest(ctx, p.secret, d);
        if (!client->has_secret || !rs_ct_equal(d, client->secret_hash, RS_HASH_LEN))
            why = "wrong client secret";
    }
    sodium_memzero(p.secret, sizeof p.secret);
    if (why) {
        rs_client_clear(client);
        return fail(ctx, resp, &p, why);
    }
    if (p.basic && ce) {
        ce->used = true;
        ce->gen = gen;
        ce->pepper = ctx->pepper;
        memcpy(ce->digest, hdr_digest, RS_HASH_LEN);
        snprintf(ce->client_id, sizeof ce->client_id, "%s", client->client_id);
    }
    snprintf(resp->client_id, sizeof resp->client_id, "%s", client->client_id);
    return RS_OK;
}

enum rs_err rs_client_post(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                           struct rs_form *form, struct rs_client *client)
{
    memset(form, 0, sizeof *form);
    memset(client, 0, sizeof *client);
    if (!rs_oauth_method(ctx, req, resp, "POST"))
        return RS_ERR_INVALID;
    enum rs_err e = rs_oauth_read_form(ctx, req, resp, form);
    if (!e)
        e = rs_client_authenticate(ctx, req, form, client, resp);
    return e;
}
