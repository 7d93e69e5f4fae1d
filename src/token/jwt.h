/* jwt.h - the server's signing key, its public JWKS, and signed JWTs (ID tokens).
 * The only includer of rhonabwy. The private key lives in a 0600 JWK file next to the database;
 * it is generated (RSA 2048, RS256) on first start. The public JWKS JSON is rendered once. */
#ifndef RS_JWT_H
#define RS_JWT_H
#include <jansson.h>
#include "base/err.h"

struct rs_keys;

/* Loads the key at path, creating it when absent. Caller frees with rs_keys_free. */
enum rs_err rs_keys_open(const char *path, struct rs_keys **out);
void rs_keys_free(struct rs_keys *k);
/* The public JWKS document, borrowed for the life of k. */
const char *rs_keys_jwks(const struct rs_keys *k);
/* Signs claims (borrowed) as a compact RS256 JWT with the key's kid.
 * *jwt_out is heap; caller frees with free(). Thread-safe. */
enum rs_err rs_jwt_sign(struct rs_keys *k, json_t *claims, char **jwt_out);
/* The same with another "typ" header (e.g. "statuslist+jwt"). */
enum rs_err rs_jwt_sign_typ(struct rs_keys *k, json_t *claims, const char *typ, char **jwt_out);
/* Verifies a compact JWT signed by k and returns its claims (new reference). For tests and
 * the id_token_hint of later issues. RS_ERR_INVALID on a bad signature or format. */
enum rs_err rs_jwt_verify(struct rs_keys *k, const char *jwt, json_t **claims_out);

/* Token Status List (draft-ietf-oauth-status-list §4.2): "lst" is the bit array compressed
 * with DEFLATE in the zlib format, then base64url. *lst_out is heap (free()). */
enum rs_err rs_status_list_encode(const unsigned char *bits, size_t len, char **lst_out);

#endif
