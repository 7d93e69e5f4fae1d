/* rand.c - see rand.h. */
#include "base/rand.h"
#include "base/b64url.h"
#include "base/buf.h"
#include <sodium.h>
#include <string.h>

/* Small requests (tokens, ids, nonces: the per-request ones) come from a per-thread
 * fast-key-erasure generator instead of one getrandom(2) per call: a 32-byte key from the kernel
 * is expanded with ChaCha20 (randombytes_buf_deterministic) into a block; the block's first 32
 * bytes become the next key and the rest is handed out, each byte wiped as it goes, so nothing
 * left in memory reveals bytes already handed out. The key is refreshed from the kernel every
 * RESEED bytes. */
#define BLOCK 1024
#define RESEED (1u << 20)
static _Thread_local struct {
    unsigned char key[randombytes_SEEDBYTES];
    unsigned char buf[BLOCK];
    size_t pos;   /* next unused byte of buf; BLOCK when empty */
    size_t drawn; /* bytes since the last kernel key */
    int seeded;
} tl_rng = {.pos = BLOCK};

static void refill(void)
{
    unsigned char block[randombytes_SEEDBYTES + BLOCK];
    if (!tl_rng.seeded || tl_rng.drawn >= RESEED) {
        randombytes_buf(tl_rng.key, sizeof tl_rng.key);
        tl_rng.seeded = 1;
        tl_rng.drawn = 0;
    }
    randombytes_buf_deterministic(block, sizeof block, tl_rng.key);
    memcpy(tl_rng.key, block, sizeof tl_rng.key);
    memcpy(tl_rng.buf, block + sizeof tl_rng.key, BLOCK);
    sodium_memzero(block, sizeof block);
    tl_rng.pos = 0;
}

void rs_rand_bytes(void *out, size_t n)
{
    if (n > BLOCK / 4) {
        randombytes_buf(out, n);
        return;
    }
    if (tl_rng.pos + n > BLOCK)
        refill();
    memcpy(out, tl_rng.buf + tl_rng.pos, n);
    sodium_memzero(tl_rng.buf + tl_rng.pos, n);
    tl_rng.pos += n;
    tl_rng.drawn += n;
}

void rs_rand_token(char out[RS_TOKEN_STRLEN])
{
    unsigned char raw[32];
    rs_rand_bytes(raw, sizeof raw);
    rs_b64url_encode(raw, sizeof raw, out);
    sodium_memzero(raw, sizeof raw);
}

void rs_rand_hex(char *out, size_t nbytes)
{
    unsigned char b[64];
    size_t done = 0;
    while (done < nbytes) {
        size_t n = nbytes - done < sizeof b ? nbytes - done : sizeof b;
        rs_rand_bytes(b, n);
        rs_hex_encode(b, n, out + 2 * done);
        done += n;
    }
    out[2 * nbytes] = '\0';
}
