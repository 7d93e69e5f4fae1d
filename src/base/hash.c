/* hash.c - nettle's SHA-256 and HMAC. */
#include "base/hash.h"
#include "base/buf.h"
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


void rs_hash_digest_form(const char *secret, char out[RS_DIGEST_FORM_LEN + 1])
{
    unsigned char d[RS_HASH_LEN];
    rs_hash_sha256(secret, strlen(secret), d);
    size_t p = sizeof RS_DIGEST_PREFIX - 1;
    memcpy(out, RS_DIGEST_PREFIX, p);
    rs_hex_encode(d, RS_HASH_LEN, out + p);
    out[p + 2 * RS_HASH_LEN] = '\0';
}

bool rs_hash_is_digest_form(const char *s)
{
    size_t plen = sizeof RS_DIGEST_PREFIX - 1;
    if (strlen(s) != RS_DIGEST_FORM_LEN || strncmp(s, RS_DIGEST_PREFIX, plen) != 0)
        return false;
    for (const char *p = s + plen; *p; p++)
        if (rs_hex_value(*p) < 0)
            return false;
    return true;
}

bool rs_hash_digest_decode(const char *form, unsigned char out[RS_HASH_LEN])
{
    if (!rs_hash_is_digest_form(form))
        return false;
    const char *p = form + sizeof RS_DIGEST_PREFIX - 1;
    for (size_t i = 0; i < RS_HASH_LEN; i++)
        out[i] = (unsigned char)(rs_hex_value(p[2 * i]) << 4 | rs_hex_value(p[2 * i + 1]));
    return true;
}
