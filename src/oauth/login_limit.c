/* login_limit.c - see login_limit.h. */
#include "oauth/login_limit.h"
#include "base/rand.h"
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#define SLOTS 4096 /* per kind; a slot is 32 bytes */

struct slot {
    uint64_t key;     /* keyed hash of the name; 0: empty */
    uint32_t failures;
    int64_t last;     /* time of the last failure */
    int64_t until;    /* held back until */
};

static struct slot users[SLOTS], addrs[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t keyed = PTHREAD_ONCE_INIT;

static void make_key(void)
{
    rs_rand_bytes(hash_key, sizeof hash_key);
}

/* The slot of name (prefixed by kind, so a username and an address never share a key). */
static struct slot *find(struct slot *table, char kind, const char *name, int64_t now)
{
    unsigned char h[crypto_shorthash_BYTES];
    size_t n = strlen(name);
    unsigned char buf[1 + 256];
    if (n > 256)
        n = 256; /* longer names are not usernames or addresses; the prefix is enough */
    buf[0] = (unsigned char)kind;
    memcpy(buf + 1, name, n);
    crypto_shorthash(h, buf, n + 1, hash_key);
    uint64_t key;
    memcpy(&key, h, sizeof key);
    key |= 1; /* never 0 (empty) */
    struct slot *s = &table[key % SLOTS];
    /* another name's slot, or this name's forgotten one, starts again for this name: a
     * collision can only forget a count, never lend one */
    if (s->key != key || now - s->last >= RS_LOGIN_FORGET)
        *s = (struct slot){.key = key};
    return s;
}

static int64_t wait_of(const struct slot *s, int64_t now)
{
    return s->until > now ? s->until - now : 0;
}

static void fail(struct slot *s, uint32_t free_failures, int64_t now)
{
    if (s->failures < UINT32_MAX)
        s->failures++;
    s->last = now;
    if (s->failures >= free_failures) {
        uint32_t beyond = s->failures - free_failures; /* 0 for the first hold */
        int64_t hold = RS_LOGIN_HOLD_MAX;
        if (beyond < 16) {
            hold = (int64_t)RS_LOGIN_HOLD_FIRST << beyond;
            if (hold > RS_LOGIN_HOLD_MAX)
                hold = RS_LOGIN_HOLD_MAX;
        }
        s->until = now + hold;
    }
}

int64_t rs_login_limit_wait(const char *username, const char *addr, int64_t now)
{
    pthread_once(&keyed, make_key);
    pthread_mutex_lock(&lock);
    int64_t w = wait_of(find(users, 'u', username, now), now);
    if (addr && *addr) {
        int64_t a = wait_of(find(addrs, 'a', addr, now), now);
        if (a > w)
            w = a;
    }
    pthread_mutex_unlock(&lock);
    return w;
}

void rs_login_limit_failed(const char *username, const char *addr, int64_t now)
{
    pthread_once(&keyed, make_key);
    pthread_mutex_lock(&lock);
    fail(find(users, 'u', username, now), RS_LOGIN_USER_FREE, now);
    if (addr && *addr)
        fail(find(addrs, 'a', addr, now), RS_LOGIN_ADDR_FREE, now);
    pthread_mutex_unlock(&lock);
}

void rs_login_limit_succeeded(const char *username, int64_t now)
{
    pthread_once(&keyed, make_key);
    pthread_mutex_lock(&lock);
    struct slot *s = find(users, 'u', username, now);
    s->failures = 0;
    s->until = 0;
    pthread_mutex_unlock(&lock);
}

void rs_login_limit_reset(void)
{
    pthread_mutex_lock(&lock);
    memset(users, 0, sizeof users);
    memset(addrs, 0, sizeof addrs);
    pthread_mutex_unlock(&lock);
}
