/* login_limit.h - slows password guessing at the login page.
 *
 * Failed sign-ins are counted per username and per client address, in memory. Once a username
 * has failed RS_LOGIN_USER_FREE times in a row (an address RS_LOGIN_ADDR_FREE times), each
 * further failure holds it back for twice as long as the one before, from
 * RS_LOGIN_HOLD_FIRST seconds up to RS_LOGIN_HOLD_MAX; while held back, an attempt is refused
 * before its password is hashed (argon2 costs ~0.2 s of a core). A success clears the
 * username's count; a count left alone for RS_LOGIN_FORGET seconds is forgotten. Counts live in
 * a fixed table indexed by a keyed hash, so an attacker can neither grow it nor aim at a slot. */
#ifndef RS_OAUTH_LOGIN_LIMIT_H
#define RS_OAUTH_LOGIN_LIMIT_H

#include <stdint.h>

#define RS_LOGIN_USER_FREE 5
#define RS_LOGIN_ADDR_FREE 20
#define RS_LOGIN_HOLD_FIRST 15
#define RS_LOGIN_HOLD_MAX 900
#define RS_LOGIN_FORGET 900

/* Seconds before username (and addr, may be NULL) may try again at time now; 0: go ahead. */
int64_t rs_login_limit_wait(const char *username, const char *addr, int64_t now);
/* Counts a failed attempt of username from addr (may be NULL). */
void rs_login_limit_failed(const char *username, const char *addr, int64_t now);
/* A successful sign-in: the username's count starts again (the address's does not). */
void rs_login_limit_succeeded(const char *username, int64_t now);
/* Forgets every count (tests). */
void rs_login_limit_reset(void);

#endif
