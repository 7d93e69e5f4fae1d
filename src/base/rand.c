/* rand.c - see rand.h. */
#include "base/rand.h"
#include "base/b64url.h"
#include <sodium.h>

void rs_rand_bytes(void *out, size_t n)
{
    randombytes_buf(out, n);
}

void rs_rand_token(char out[RS_TOKEN_STRLEN])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    rs_b64url_encode(raw, sizeof raw, out);
    sodium_memzero(raw, sizeof raw);
}

void rs_rand_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[64];
    size_t done = 0;
    while (done < nbytes) {
        size_t n = nbytes - done < sizeof b ? nbytes - done : sizeof b;
        randombytes_buf(b, n);
        for (size_t i = 0; i < n; i++) {
            out[2 * (done + i)] = hex[b[i] >> 4];
            out[2 * (done + i) + 1] = hex[b[i] & 15];
        }
        done += n;
    }
    out[2 * nbytes] = '\0';
}
