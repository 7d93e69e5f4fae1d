/* jwt.c - see jwt.h. Signing is serialised with a mutex: rhonabwy shares key state across
 * calls, and ID tokens are not on the machine-client hot path. */
#include "token/jwt.h"
#include "base/log.h"
#include "base/rand.h"
#include <fcntl.h>
#include <pthread.h>
#include <rhonabwy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rs_keys {
    jwk_t *priv;
    jwk_t *pub;
    char *jwks_json;
    pthread_mutex_t lock;
};

static enum rs_err write_private(const char *path, jwk_t *priv)
{
    char *s = r_jwk_export_to_json_str(priv, 0);
    enum rs_err e = RS_ERR_IO;
    if (!s)
        return RS_ERR_CRYPTO;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
        size_t n = strlen(s);
        if (write(fd, s, n) == (ssize_t)n && fsync(fd) == 0)
            e = RS_OK;
        close(fd);
    }
    r_free(s);
    return e;
}

enum rs_err rs_keys_open(const char *path, struct rs_keys **out)
{
    enum rs_err e = RS_ERR_CRYPTO;
    jwks_t *jwks = NULL;
    json_t *jpub = NULL;
    struct rs_keys *k = calloc(1, sizeof *k);
    *out = NULL;
    if (!k)
        return RS_ERR_NOMEM;
    pthread_mutex_init(&k->lock, NULL);
    if (r_jwk_init(&k->priv) != RHN_OK || r_jwk_init(&k->pub) != RHN_OK)
        goto out;
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (j) {
        int rc = r_jwk_import_from_json_t(k->priv, j);
        json_decref(j);
        if (rc != RHN_OK || r_jwk_extract_pubkey(k->priv, k->pub, 0) != RHN_OK) {
            RS_LOG_ERROR("key_load_failed", "path", path, NULL);
            goto out;
        }
    } else {
        if (access(path, F_OK) == 0) {
            RS_LOG_ERROR("key_load_failed", "path", path, "reason", je.text, NULL);
            e = RS_ERR_IO;
            goto out;
        }
        char kid[17];
        rs_rand_hex(kid, 8);
        if (r_jwk_generate_key_pair(k->priv, k->pub, R_KEY_TYPE_RSA, 2048, kid) != RHN_OK)
            goto out;
        r_jwk_set_property_str(k->priv, "alg", "RS256");
        r_jwk_set_property_str(k->pub, "alg", "RS256");
        e = write_private(path, k->priv);
        if (e)
            goto out;
        RS_LOG_INFO("signing_key_created", "path", path, "kid", kid, NULL);
    }
    r_jwk_set_property_str(k->pub, "use", "sig");
    r_jwk_set_property_str(k->pub, "alg", "RS256");
    if (r_jwks_init(&jwks) != RHN_OK || r_jwks_append_jwk(jwks, k->pub) != RHN_OK)
        goto out;
    jpub = r_jwks_export_to_json_t(jwks);
    k->jwks_json = jpub ? json_dumps(jpub, JSON_COMPACT) : NULL;
    if (!k->jwks_json)
        goto out;
    e = RS_OK;
out:
    json_decref(jpub);
    r_jwks_free(jwks);
    if (e) {
        rs_keys_free(k);
        k = NULL;
    }
    *out = k;
    return e;
}

void rs_keys_free(struct rs_keys *k)
{
    if (!k)
        return;
    r_jwk_free(k->priv);
    r_jwk_free(k->pub);
    free(k->jwks_json);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

const char *rs_keys_jwks(const struct rs_keys *k)
{
    return k->jwks_json;
}

enum rs_err rs_jwt_sign(struct rs_keys *k, json_t *claims, char **jwt_out)
{
    return rs_jwt_sign_typ(k, claims, "JWT", jwt_out);
}

enum rs_err rs_jwt_sign_typ(struct rs_keys *k, json_t *claims, const char *typ, char **jwt_out)
{
    jwt_t *jwt = NULL;
    char *s = NULL;
    enum rs_err e = RS_ERR_CRYPTO;
    *jwt_out = NULL;
    pthread_mutex_lock(&k->lock);
    if (r_jwt_init(&jwt) != RHN_OK)
        goto out;
    if (r_jwt_set_full_claims_json_t(jwt, claims) != RHN_OK ||
        r_jwt_set_sign_alg(jwt, R_JWA_ALG_RS256) != RHN_OK ||
        r_jwt_set_header_str_value(jwt, "typ", typ) != RHN_OK)
        goto out;
    s = r_jwt_serialize_signed(jwt, k->priv, 0);
    if (!s)
        goto out;
    *jwt_out = strdup(s);
    e = *jwt_out ? RS_OK : RS_ERR_NOMEM;
out:
    r_free(s);
    r_jwt_free(jwt);
    pthread_mutex_unlock(&k->lock);
    return e;
}

enum rs_err rs_jwt_verify(struct rs_keys *k, const char *token, json_t **claims_out)
{
    jwt_t *jwt = NULL;
    enum rs_err e = RS_ERR_INVALID;
    *claims_out = NULL;
    pthread_mutex_lock(&k->lock);
    if (r_jwt_init(&jwt) != RHN_OK) {
        e = RS_ERR_NOMEM;
        goto out;
    }
    if (r_jwt_parse(jwt, token, 0) != RHN_OK || r_jwt_verify_signature(jwt, k->pub, 0) != RHN_OK)
        goto out;
    *claims_out = r_jwt_get_full_claims_json_t(jwt);
    e = *claims_out ? RS_OK : RS_ERR_NOMEM;
out:
    r_jwt_free(jwt);
    pthread_mutex_unlock(&k->lock);
    return e;
}
