/* token_key.c - see token_key.h. */
#include "base/token_key.h"
#include "base/b64url.h"
#include "base/hash.h"
#include "base/rand.h"
#include <nettle/aes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define BLOCK 16
#define RANDOM 32
#define RAW (BLOCK + RANDOM)
#define ENCODED RS_B64URL_LEN(RAW) /* 64 */
#define LEGACY_ENCODED RS_B64URL_LEN(32) /* 43: the opaque tokens of schema 4 and before */

static struct aes128_ctx enc_key, dec_key;
static atomic_bool keyed;
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;

static void set_key(const unsigned char k[AES128_KEY_SIZE])
{
    aes128_set_encrypt_key(&enc_key, k);
    aes128_set_decrypt_key(&dec_key, k);
    atomic_store_explicit(&keyed, true, memory_order_release);
}

void rs_token_key_init(const unsigned char *secret, size_t len)
{
    static const char label[] = "rescind opaque token block key v1";
    unsigned char k[RS_HASH_LEN];
    rs_hash_hmac(secret, len, label, sizeof label - 1, k);
    pthread_mutex_lock(&key_lock);
    set_key(k);
    pthread_mutex_unlock(&key_lock);
    sodium_memzero(k, sizeof k);
}

static void ensure_key(void)
{
    if (atomic_load_explicit(&keyed, memory_order_acquire))
        return;
    pthread_mutex_lock(&key_lock);
    if (!atomic_load_explicit(&keyed, memory_order_relaxed)) {
        unsigned char k[AES128_KEY_SIZE];
        rs_rand_bytes(k, sizeof k);
        set_key(k);
        sodium_memzero(k, sizeof k);
    }
    pthread_mutex_unlock(&key_lock);
}

void rs_opaque_token_new(char out[RS_OPAQUE_STRLEN])
{
    ensure_key();
    unsigned char raw[RAW] = {0};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    for (int i = 0; i < 8; i++)
        raw[i] = (unsigned char)(us >> (56 - 8 * i));
    aes128_encrypt(&enc_key, BLOCK, raw, raw);
    rs_rand_bytes(raw + BLOCK, RANDOM);
    rs_b64url_encode(raw, RAW, out);
    sodium_memzero(raw, sizeof raw);
}

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

static bool all_b64url(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (b64url_value((unsigned char)p[i]) < 0)
            return false;
    return len > 0;
}

/* The issue time inside a token of our 64-character form, or false for any other string. */
static bool opaque_time(const char *p, size_t len, unsigned char time_out[8])
{
    if (len != ENCODED)
        return false;
    unsigned char block[BLOCK];
    /* only the first 16 bytes are needed: 22 characters carry 132 bits, the top 128 are the block */
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < ENCODED && n < BLOCK; i++) {
        int v = b64url_value((unsigned char)p[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            block[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (!all_b64url(p, len))
        return false;
    ensure_key();
    aes128_decrypt(&dec_key, BLOCK, block, block);
    static const unsigned char zero[8] = {0};
    /* 8 zero bytes: a string not minted here passes with probability 2^-64 */
    if (sodium_memcmp(block + 8, zero, 8) != 0)
        return false;
    memcpy(time_out, block, 8);
    return true;
}

/* header.payload.signature, each base64url */
static bool jwt_form(const char *p, size_t len)
{
    size_t start = 0, parts = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || p[i] == '.') {
            if (!all_b64url(p + start, i - start))
                return false;
            parts++;
            start = i + 1;
        }
    }
    return parts == 3;
}

bool rs_token_key(const char *token, size_t len, unsigned char out[RS_TOKEN_KEY_LEN])
{
    bool ours = opaque_time(token, len, out);
    if (!ours) {
        memset(out, 0, 8);
        ours = (len == LEGACY_ENCODED && all_b64url(token, len)) || jwt_form(token, len);
    }
    rs_hash_sha256(token, len, out + 8);
    return ours;
}

bool rs_token_key_untimed(const unsigned char key[RS_TOKEN_KEY_LEN])
{
    static const unsigned char zero[8] = {0};
    return memcmp(key, zero, sizeof zero) == 0;
}
