/* login_limit.c - see login_limit.h. */
#include "oauth/login_limit.h"
#include "base/rand.h"
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#define BUCKETS 1024
#define WAYS 4 /* entries per bucket, plus the shared one: 5120 in all, 32 bytes each */
#define BUSY_WAIT 1 /* seconds to wait while other attempts of the name are being checked */

struct entry {
    uint64_t key;      /* keyed hash of the name; 0: empty */
    uint32_t failures; /* in a row */
    uint32_t pending;  /* attempts let through and not yet ended */
    int64_t last;      /* time of the last failure */
    int64_t until;     /* held back until */
};

/* table[b][WAYS] is bucket b's shared entry, for names that find no place of their own */
static struct entry table[BUCKETS][WAYS + 1];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t keyed = PTHREAD_ONCE_INIT;

static void make_key(void)
{
    rs_rand_bytes(hash_key, sizeof hash_key);
}

static uint64_t key_of(const char *name)
{
    unsigned char h[crypto_shorthash_BYTES];
    size_t n = strlen(name);
    if (n > 256)
        n = 256; /* a longer name is no username: its start is enough */
    crypto_shorthash(h, (const unsigned char *)name, n, hash_key);
    uint64_t key;
    memcpy(&key, h, sizeof key);
    return key ? key : 1; /* 0 marks an empty entry */
}

static bool forgotten(const struct entry *e, int64_t now)
{
    return e->pending == 0 && e->until <= now && now - e->last >= RS_LOGIN_FORGET;
}

/* The name's entry. A new name takes an empty or forgotten place of its bucket, else the one
 * with the fewest failures that is neither held nor in use, else the bucket's shared entry. */
static struct entry *find(uint64_t key, int64_t now)
{
    struct entry *b = table[(key >> 32) % BUCKETS], *pick = NULL;
    for (int i = 0; i < WAYS; i++)
        if (b[i].key == key) {
            if (forgotten(&b[i], now))
                b[i] = (struct entry){.key = key};
            return &b[i];
        }
    for (int i = 0; i < WAYS; i++) {
        struct entry *e = &b[i];
        if (!e->key || forgotten(e, now)) {
            pick = e;
            break;
        }
        if (e->pending == 0 && e->until <= now && (!pick || e->failures < pick->failures))
            pick = e;
    }
    if (!pick) {
        struct entry *shared = &b[WAYS];
        if (forgotten(shared, now))
            *shared = (struct entry){0};
        return shared;
    }
    *pick = (struct entry){.key = key};
    return pick;
}

int64_t rs_login_limit_begin(const char *username, int64_t now, struct rs_login_ticket *t)
{
    pthread_once(&keyed, make_key);
    uint64_t key = key_of(username);
    int64_t wait = 0;
    pthread_mutex_lock(&lock);
    struct entry *e = find(key, now);
    if (e->until > now)
        wait = e->until - now;
    else if (e->failures >= RS_LOGIN_FREE ? e->pending > 0
                                          : e->failures + e->pending >= RS_LOGIN_FREE)
        wait = BUSY_WAIT; /* attempts in flight may use up what is left */
    else {
        e->pending++; /* in use: its place is not taken while this attempt runs */
        t->entry = (unsigned)(e - &table[0][0]);
    }
    pthread_mutex_unlock(&lock);
    return wait;
}

void rs_login_limit_end(const struct rs_login_ticket *t, enum rs_login_outcome outcome,
                        int64_t now)
{
    pthread_mutex_lock(&lock);
    struct entry *e = &table[0][0] + t->entry;
    if (e->pending)
        e->pending--;
    if (outcome == RS_LOGIN_OK) {
        e->failures = 0;
        e->until = 0;
    } else if (outcome == RS_LOGIN_FAILED) {
        if (e->failures < UINT32_MAX)
            e->failures++;
        e->last = now;
        if (e->failures >= RS_LOGIN_FREE) {
            uint32_t beyond = e->failures - RS_LOGIN_FREE; /* 0: the first hold */
            int64_t hold = beyond < 16 ? (int64_t)RS_LOGIN_HOLD_FIRST << beyond
                                       : RS_LOGIN_HOLD_MAX;
            e->until = now + (hold < RS_LOGIN_HOLD_MAX ? hold : RS_LOGIN_HOLD_MAX);
        }
    }
    pthread_mutex_unlock(&lock);
}

void rs_login_limit_reset(void)
{
    pthread_mutex_lock(&lock);
    memset(table, 0, sizeof table);
    pthread_mutex_unlock(&lock);
}
