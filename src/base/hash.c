/* hash.c - nettle's SHA-256 and HMAC. */
#include "base/hash.h"
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <string.h>

void rs_hash_sha256(const void *data, size_t len, unsigned char out[RS_HASH_LEN])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, len, data);
    sha256_digest(&c, RS_HASH_LEN, out);
}

void rs_hash_hmac(const unsigned char *key, size_t key_len, const void *data, size_t len,
                  unsigned char out[RS_HASH_LEN])
{
    struct hmac_sha256_ctx c;
    hmac_sha256_set_key(&c, key_len, key);
    hmac_sha256_update(&c, len, data);
    hmac_sha256_digest(&c, RS_HASH_LEN, out);
}

