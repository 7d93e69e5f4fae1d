/* users.h - end users: argon2id password hashes (libsodium), never on a machine-client path. */
#ifndef RS_USERS_H
#define RS_USERS_H
#include <stdbool.h>
#include "store/store.h"

/* Validates and stores a new user; out (may be NULL) receives the record (clear it).
 * RS_ERR_INVALID for a bad username (1-64 of [A-Za-z0-9._@-]) or a password under 8 bytes,
 * RS_ERR_CONFLICT when the username is taken. */
enum rs_err rs_users_create(struct rs_store *s, const char *username, const char *password,
                            const char *email, const char *name, struct rs_user *out);
bool rs_users_password_ok(const struct rs_user *u, const char *password);
/* Burns about the time of a verification, so unknown users cannot be told apart by timing. */
void rs_users_dummy_verify(const char *password);

#endif
