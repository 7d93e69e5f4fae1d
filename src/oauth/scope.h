/* scope.h - scope syntax (RFC 6749 §3.3) and what a client may ask for. */
#ifndef RS_SCOPE_H
#define RS_SCOPE_H
#include <stdbool.h>
#include "store/store.h"

/* The scopes that exist out of the box; a client registered without scope may ask for them. */
#define RS_SCOPE_STANDARD "openid profile email offline_access"

/* Scopes that act on other clients' tokens or users' sessions (Janssen's privileged scopes).
 * Only an administrator may give them to a client, never dynamic registration. */
bool rs_scope_privileged(const char *scope);
/* True for a syntactically valid space-separated scope list (may be empty). */
bool rs_scope_valid(const char *scope);
/* The scopes c may be granted. Borrowed from c or static. */
const char *rs_scope_allowed(const struct rs_client *c);
/* Resolves the requested scope (NULL or "" = the client's registered scope) into out.
 * RS_ERR_INVALID when malformed, unknown or not allowed for the client. */
enum rs_err rs_scope_resolve(const struct rs_client *c, const char *requested,
                             char out[RS_SCOPE_MAX + 1]);

#endif
