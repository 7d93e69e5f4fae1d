/* login_limit.h - slows password guessing at the login page.
 *
 * Failed sign-ins are counted per username, in memory. A username may have RS_LOGIN_FREE
 * attempts (finished or still being checked) before the first hold; from then on each failure
 * holds it back twice as long as the one before, from RS_LOGIN_HOLD_FIRST seconds up to
 * RS_LOGIN_HOLD_MAX, and one attempt at a time is taken between holds. An attempt refused this
 * way costs no password hash (argon2, ~0.2 s of a core). A success clears the count; a count
 * without a failure for RS_LOGIN_FORGET seconds is forgotten. A held username is held for its
 * right password too: whoever guesses can keep a user out for the length of the holds, the
 * price of making guessing slow.
 *
 * Counts live in a fixed table of small buckets under a keyed hash: it cannot grow, nobody can
 * aim at a bucket, and a new name only takes the place of an empty, forgotten or lesser entry,
 * never of a held one or one in use. When a bucket has no such place, the name is counted in
 * the bucket's shared entry: never uncounted. There is no count per client address: behind a
 * reverse proxy every request has the proxy's address, and rescind has no trusted-proxy setting
 * (yet). */
#ifndef RS_OAUTH_LOGIN_LIMIT_H
#define RS_OAUTH_LOGIN_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RS_LOGIN_FREE 5
#define RS_LOGIN_HOLD_FIRST 15
#define RS_LOGIN_HOLD_MAX 900
#define RS_LOGIN_FORGET 86400

/* The entry an attempt was counted in, from rs_login_limit_begin to rs_login_limit_end. */
struct rs_login_ticket {
    unsigned entry;
};

/* Starts an attempt of username at time now: 0 when it may go ahead (*t is then set, and
 * rs_login_limit_end must follow with it), else the seconds to wait. */
int64_t rs_login_limit_begin(const char *username, int64_t now, struct rs_login_ticket *t);
enum rs_login_outcome {
    RS_LOGIN_OK,        /* clears the count */
    RS_LOGIN_FAILED,    /* counted */
    RS_LOGIN_UNDECIDED, /* neither (the store failed): the attempt is just over */
};
/* Ends an attempt that rs_login_limit_begin let go ahead. */
void rs_login_limit_end(const struct rs_login_ticket *t, enum rs_login_outcome outcome,
                        int64_t now);
/* Forgets every count (tests). */
void rs_login_limit_reset(void);

#endif
