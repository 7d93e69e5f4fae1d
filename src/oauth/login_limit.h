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
 * never of a held one. There is no count per client address: behind a reverse proxy every
 * request has the proxy's address, and rescind has no trusted-proxy setting (yet). */
#ifndef RS_OAUTH_LOGIN_LIMIT_H
#define RS_OAUTH_LOGIN_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RS_LOGIN_FREE 5
#define RS_LOGIN_HOLD_FIRST 15
#define RS_LOGIN_HOLD_MAX 900
#define RS_LOGIN_FORGET 86400

/* Starts an attempt of username at time now: 0 when it may go ahead (then rs_login_limit_end
 * must follow), else the seconds to wait. */
int64_t rs_login_limit_begin(const char *username, int64_t now);
enum rs_login_outcome {
    RS_LOGIN_OK,        /* clears the count */
    RS_LOGIN_FAILED,    /* counted */
    RS_LOGIN_UNDECIDED, /* neither (the store failed): the attempt is just over */
};
/* Ends an attempt that rs_login_limit_begin let go ahead. */
void rs_login_limit_end(const char *username, enum rs_login_outcome outcome, int64_t now);
/* Forgets every count (tests). */
void rs_login_limit_reset(void);

#endif
