/* pkce.h - RFC 7636 with S256 only (plain is not offered: OAuth 2.0 Security BCP). */
#ifndef RS_PKCE_H
#define RS_PKCE_H
#include <stdbool.h>

/* A code_challenge is 43 base64url characters (a SHA-256). */
bool rs_pkce_challenge_valid(const char *challenge);
/* True when verifier is well-formed (43-128 unreserved chars) and S256(verifier) == challenge. */
bool rs_pkce_verify(const char *verifier, const char *challenge);

#endif
