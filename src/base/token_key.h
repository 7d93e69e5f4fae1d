/* token_key.h - the form of rescind's opaque tokens and the key their rows are stored under.
 *
 * Opaque tokens (access, refresh, authorization code) are 48 bytes, base64url (64 characters):
 *   block  (16 bytes) = AES-128(issue time in microseconds, 8 bytes big-endian || 8 zero bytes)
 *   random (32 bytes) = 256 bits from the CSPRNG
 * The AES key is derived from the server's pepper, so the issue time can be neither read nor
 * chosen from outside. A token's store key is
 *   issue time (8 bytes, big-endian) || SHA-256 of the token string (32 bytes).
 * Why: the keys of new tokens increase, so their rows land at the right edge of the token B-tree
 * and share pages, instead of each dirtying a random 4 KiB page that the commit must write and
 * checksum (docs/performance.md). The key still holds the token's full SHA-256: a row is found by
 * digest in O(log n), and nothing stored can be used as a token.
 * Anything else presented as a token (ID tokens, which are JWTs, and 43-character opaque tokens of
 * the form issued before this one) keys as 8 zero bytes || SHA-256. A string in no form the
 * server ever issued cannot be in the store, so rs_token_key tells callers to skip the lookup. */
#ifndef RS_TOKEN_KEY_H
#define RS_TOKEN_KEY_H
#include <stdbool.h>
#include <stddef.h>

#define RS_TOKEN_KEY_LEN 40
#define RS_OPAQUE_STRLEN 65 /* 64 characters + NUL */

/* Derives the token block key from a server secret (the pepper). Call once at start, before
 * any token is minted or looked up. Without it (unit tests), a random key is used. */
void rs_token_key_init(const unsigned char *secret, size_t len);

/* Mints a new opaque token: 64 base64url characters + NUL. */
void rs_opaque_token_new(char out[RS_OPAQUE_STRLEN]);

/* Writes the store key of the len bytes at token. Returns false when the string has no form the
 * server ever issued (a lookup cannot find it); the key is written in every case. */
bool rs_token_key(const char *token, size_t len, unsigned char out[RS_TOKEN_KEY_LEN]);

/* True for the key of a token without an issue time (8 zero bytes first): anyone can make one
 * from a string of the right shape, unlike a timed key, whose block only the server can make. */
bool rs_token_key_untimed(const unsigned char key[RS_TOKEN_KEY_LEN]);

#endif
