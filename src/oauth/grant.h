/* grant.h - grants and their tokens: minting the token set of a grant. Every token belongs to
 * exactly one grant (grant_id); revocation works on whole grants (the cascade lives in the
 * store's grant revocation, once). Token strings exist only in the response: rows carry digests. */
#ifndef RS_GRANT_H
#define RS_GRANT_H
#include <stdbool.h>
#include "oauth/ctx.h"
#include "base/rand.h"

struct rs_mint {
    /* in */
    const char *grant_id;     /* NULL: a new grant */
    const char *client_id;
    const char *sub;          /* "" for client_credentials */
    const char *scope;
    const char *refresh_scope; /* NULL: scope. A refresh that narrows the access token's scope
                                * keeps the grant's scope on the new refresh token (RFC 6749 §6) */
    int64_t auth_time;
    const char *nonce;        /* for the ID token, may be "" */
    bool refresh;             /* also mint a refresh token */
    bool id_token;            /* also mint an ID token (scope has openid and there is a user) */
    /* out */
    char grant_id_out[RS_GRANT_ID_LEN + 1];
    char access[RS_OPAQUE_STRLEN];
    char refresh_token[RS_OPAQUE_STRLEN];
    char *id_token_jwt;       /* heap, free with rs_mint_clear */
    size_t row_count;
    int64_t status_next; /* next status list index to hand to a row */
    /* last: a pooled mint is cleared up to here, and rs_grant_mint clears each row it fills */
    struct rs_token rows[3];
};

/* A new grant id: 12 hex digits of milliseconds since the epoch, then 20 random hex digits
 * (80 bits). Time first, so that grant rows and the token index by grant are appended at the
 * right edge of their B-trees instead of dirtying a random page per insert. */
void rs_grant_new_id(char out[RS_GRANT_ID_LEN + 1]);
/* Creates the token strings and their rows (not yet stored). RS_ERR_CRYPTO/NOMEM. */
enum rs_err rs_grant_mint(struct rs_ctx *ctx, struct rs_mint *m, int64_t now);
/* Renders the RFC 6749 §5.1 token response into resp (200, no-store). */
enum rs_err rs_grant_respond(struct rs_ctx *ctx, const struct rs_mint *m, struct rs_resp *resp);
/* Wipes token strings and frees the ID token. */
void rs_mint_clear(struct rs_mint *m);

#endif
