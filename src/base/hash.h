/* hash.h - the two digests rescind stores instead of secrets.
 * Tokens carry 256 random bits, so a plain SHA-256 is a safe lookup key (no brute force);
 * client secrets and admin credentials get an HMAC-SHA-256 under the server's pepper, so a stolen
 * database alone does not let anyone test guesses. Both cost about a microsecond. */
#ifndef RS_HASH_H
#define RS_HASH_H
#include <stddef.h>

#define RS_HASH_LEN 32
void rs_hash_sha256(const void *data, size_t len, unsigned char out[RS_HASH_LEN]);
void rs_hash_hmac(const unsigned char *key, size_t key_len, const void *data, size_t len,
                  unsigned char out[RS_HASH_LEN]);

#endif
