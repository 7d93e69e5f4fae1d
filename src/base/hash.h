/* hash.h - the two digests rescind stores instead of secrets.
 * Tokens carry 256 random bits, so a plain SHA-256 is a safe lookup key (no brute force);
 * client secrets and admin credentials get an HMAC-SHA-256 under the server's pepper, so a stolen
 * database alone does not let anyone test guesses. Both cost about a microsecond. */
#ifndef RS_HASH_H
#define RS_HASH_H
#include <stdbool.h>
#include <stddef.h>

#define RS_HASH_LEN 32
void rs_hash_sha256(const void *data, size_t len, unsigned char out[RS_HASH_LEN]);
void rs_hash_hmac(const unsigned char *key, size_t key_len, const void *data, size_t len,
                  unsigned char out[RS_HASH_LEN]);

/* A secret kept in configuration (the registration initial access token) may be stored as its
 * digest, "sha256:" followed by 64 lowercase hex digits, so that the database never holds it. */
#define RS_DIGEST_PREFIX "sha256:"
#define RS_DIGEST_FORM_LEN (sizeof RS_DIGEST_PREFIX - 1 + 2 * RS_HASH_LEN)
/* Writes the digest form of secret (RS_DIGEST_FORM_LEN characters + NUL). */
void rs_hash_digest_form(const char *secret, char out[RS_DIGEST_FORM_LEN + 1]);
/* True when s is in the digest form. */
bool rs_hash_is_digest_form(const char *s);
/* Decodes the SHA-256 held in a digest form; false when form is not one. */
bool rs_hash_digest_decode(const char *form, unsigned char out[RS_HASH_LEN]);

#endif
