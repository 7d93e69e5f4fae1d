/* users.c - see users.h. */
#include "oauth/users.h"
#include "base/clock.h"
#include "base/rand.h"
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* argon2id takes 64 MiB and tens of milliseconds: at most two run at once, whatever the number
 * of request threads, so a flood of logins queues instead of exhausting memory. */
static sem_t hash_slots;
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_slots_init(void)
{
    sem_init(&hash_slots, 0, 2);
}

static void hash_enter(void)
{
    pthread_once(&hash_once, hash_slots_init);
    while (sem_wait(&hash_slots) != 0)
        ; /* EINTR */
}

static void hash_leave(void)
{
    sem_post(&hash_slots);
}

static bool username_ok(const char *u)
{
    size_t n = strlen(u);
    if (n < 1 || n > RS_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = u[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == '-'))
            return false;
    }
    return true;
}

enum rs_err rs_users_create(struct rs_store *s, const char *username, const char *password,
                            const char *email, const char *name, struct rs_user *out)
{
    struct rs_user u = {0};
    char hash[crypto_pwhash_STRBYTES];
    if (!username_ok(username) || strlen(password) < 8 || strlen(password) > 1024)
        return RS_ERR_INVALID;
    hash_enter();
    int rc = crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE);
    hash_leave();
    if (rc != 0)
        return RS_ERR_NOMEM;
    rs_rand_hex(u.sub, 16);
    snprintf(u.username, sizeof u.username, "%s", username);
    u.pw_hash = strdup(hash);
    u.email = strdup(email ? email : "");
    u.name = strdup(name ? name : "");
    u.created_at = rs_clock_now();
    enum rs_err e = u.pw_hash && u.email && u.name ? rs_store_user_put(s, &u) : RS_ERR_NOMEM;
    if (!e && out)
        *out = u;
    else
        rs_user_clear(&u);
    return e;
}

bool rs_users_password_ok(const struct rs_user *u, const char *password)
{
    hash_enter();
    bool ok = crypto_pwhash_str_verify(u->pw_hash, password, strlen(password)) == 0;
    hash_leave();
    return ok;
}

static char dummy[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
    if (crypto_pwhash_str(dummy, "dummy-password", 14, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        dummy[0] = '\0';
}

void rs_users_dummy_verify(const char *password)
{
    pthread_once(&dummy_once, dummy_init);
    if (dummy[0]) {
        /* the result does not matter, the time spent does */
        hash_enter();
        volatile int r = crypto_pwhash_str_verify(dummy, password, strlen(password));
        (void)r;
        hash_leave();
    }
}
