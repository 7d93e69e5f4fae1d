/* pkce.c - see pkce.h. */
#include "oauth/pkce.h"
#include "base/b64url.h"
#include "base/ct.h"
#include "base/hash.h"
#include <string.h>

static bool unreserved(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~'))
            return false;
    }
    return true;
}

bool rs_pkce_challenge_valid(const char *challenge)
{
    return strlen(challenge) == 43 && unreserved(challenge, 43, 43);
}

bool rs_pkce_verify(const char *verifier, const char *challenge)
{
    unsigned char h[RS_HASH_LEN];
    char enc[RS_B64URL_LEN(RS_HASH_LEN) + 1];
    if (!unreserved(verifier, 43, 128) || !rs_pkce_challenge_valid(challenge))
        return false;
    rs_hash_sha256(verifier, strlen(verifier), h);
    rs_b64url_encode(h, sizeof h, enc);
    return rs_ct_equal(enc, challenge, 43);
}
