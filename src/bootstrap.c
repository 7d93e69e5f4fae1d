/* bootstrap.c - the data folder and first start.
 * <dir> is the folder of dbPath. It holds, all mode 0600 in a 0700 folder:
 *   pepper           32 random bytes: the key of every secret digest (client secrets, credentials)
 *   signing-key.jwk  the RS256 private key of ID tokens
 *   admin-credential the first admin credential, for the CLI (the store keeps only its digest)
 * On the very first start (no admin credential in the store) it creates the credential, a demo
 * confidential client and a demo user, and prints their secrets once on stdout. */
#include "app.h"
#include "base/token_key.h"
#include "oauth/clients.h"
#include "oauth/users.h"
#include "token/jwt.h"
#include "base/log.h"
#include "base/rand.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum rs_err mkdirs(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) && errno != EEXIST)
                return RS_ERR_IO;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0700) && errno != EEXIST)
        return RS_ERR_IO;
    return RS_OK;
}

static enum rs_err write_secret_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return RS_ERR_IO;
    bool ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    return ok ? RS_OK : RS_ERR_IO;
}

static enum rs_err load_pepper(const char *dir, unsigned char pepper[RS_PEPPER_LEN])
{
    char path[4200];
    snprintf(path, sizeof path, "%s/pepper", dir);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, pepper, RS_PEPPER_LEN);
        close(fd);
        if (n != RS_PEPPER_LEN) {
            RS_LOG_ERROR("pepper_invalid", "path", path, NULL);
            return RS_ERR_IO;
        }
        return RS_OK;
    }
    if (errno != ENOENT)
        return RS_ERR_IO;
    rs_rand_bytes(pepper, RS_PEPPER_LEN);
    return write_secret_file(path, pepper, RS_PEPPER_LEN);
}

static enum rs_err first_start(const struct rs_config *cfg, struct rs_app *app, const char *dir)
{
    struct rs_ctx ctx = {cfg, app->store, app->keys, app->pepper};
    char cred[RS_TOKEN_STRLEN], secret[RS_TOKEN_STRLEN], pw[25], path[4200];
    unsigned char h[RS_HASH_LEN];
    struct rs_client c = {0};
    enum rs_oauth_err code;
    const char *why;
    enum rs_err e;

    rs_rand_token(cred);
    rs_hash_hmac(app->pepper, RS_PEPPER_LEN, cred, strlen(cred), h);
    snprintf(path, sizeof path, "%s/admin-credential", dir);
    char line[RS_TOKEN_STRLEN + 1];
    snprintf(line, sizeof line, "%s\n", cred);
    e = write_secret_file(path, line, strlen(line));
    if (!e)
        e = rs_store_admin_cred_put(app->store, h, "initial");
    if (e)
        goto out;

    char redirect[600];
    snprintf(redirect, sizeof redirect, "http://localhost:8081/callback");
    json_t *meta = json_pack("{s:[s],s:[s,s,s],s:s,s:s,s:s}", "redirect_uris", redirect,
                             "grant_types", "authorization_code", "refresh_token",
                             "client_credentials", "token_endpoint_auth_method",
                             "client_secret_basic", "scope", "openid profile email offline_access",
                             "client_name", "Demo client");
    snprintf(c.client_id, sizeof c.client_id, "demo-client");
    e = meta ? rs_clients_from_metadata(meta, &c, &code, &why) : RS_ERR_NOMEM;
    json_decref(meta);
    if (!e)
        e = rs_clients_create(&ctx, &c, secret);
    if (e)
        goto out;
    rs_rand_hex(pw, 12);
    e = rs_users_create(app->store, "demo", pw, "demo@example.com", "Demo User", NULL);
    if (e)
        goto out;
    printf("rescind: first start. These secrets are shown once; only their digests are stored.\n"
           "  admin credential: %s\n"
           "                    (also in %s, mode 0600, used by the rescind CLI)\n"
           "  demo client:      client_id=demo-client client_secret=%s\n"
           "  demo user:        username=demo password=%s\n",
           cred, path, secret, pw);
    fflush(stdout);
out:
    sodium_memzero(cred, sizeof cred);
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(pw, sizeof pw);
    rs_client_clear(&c);
    return e;
}

enum rs_err rs_bootstrap(const struct rs_config *cfg, struct rs_app *app)
{
    char dbp[4096], dir[4096], keyp[4200];
    enum rs_err e;
    memset(app, 0, sizeof *app);
    snprintf(dbp, sizeof dbp, "%s", cfg->db_path);
    snprintf(dir, sizeof dir, "%s", dirname(dbp));
    if (mkdirs(dir)) {
        RS_LOG_ERROR("data_dir_failed", "dir", dir, "reason", strerror(errno), NULL);
        return RS_ERR_IO;
    }
    e = load_pepper(dir, app->pepper);
    if (e) {
        RS_LOG_ERROR("pepper_failed", "dir", dir, NULL);
        return e;
    }
    /* the key hiding the issue time inside opaque tokens: tokens outlive restarts, so it comes
     * from the pepper rather than from each start */
    rs_token_key_init(app->pepper, RS_PEPPER_LEN);
    snprintf(keyp, sizeof keyp, "%s/signing-key.jwk", dir);
    e = rs_keys_open(keyp, &app->keys);
    if (e) {
        RS_LOG_ERROR("signing_key_failed", "path", keyp, NULL);
        return e;
    }
    e = rs_store_open(cfg->db_path, &app->store);
    if (e) {
        RS_LOG_ERROR("store_open_failed", "path", cfg->db_path, NULL);
        return e;
    }
    if (rs_store_admin_cred_count(app->store) == 0)
        e = first_start(cfg, app, dir);
    return e;
}

void rs_app_close(struct rs_app *app)
{
    rs_store_close(app->store);
    rs_keys_free(app->keys);
    sodium_memzero(app->pepper, sizeof app->pepper);
}

enum rs_err rs_settings_load(struct rs_store *store, char *err, size_t errlen)
{
    char *text = NULL;
    struct rs_config *cfg = NULL;
    enum rs_err e = rs_store_setting_get(store, "config", &text);
    if (e == RS_ERR_NOT_FOUND) {
        /* nothing saved: the file and the flags alone (built again: the listener's port may be
         * known by now) */
        e = rs_config_rebuild(NULL, &cfg, err, errlen);
        if (!e)
            rs_config_install(cfg);
        return e;
    }
    if (e)
        return e;
    json_t *patch = json_loads(text, 0, NULL);
    free(text);
    if (!json_is_object(patch)) {
        json_decref(patch);
        snprintf(err, errlen, "stored configuration is not a JSON object");
        return RS_ERR_INVALID;
    }
    /* a patch stored by an older server may hold the initial access token in plain text:
     * rewritten once with its digest */
    bool hidden = false;
    e = rs_config_hide_secrets(patch, &hidden);
    if (!e && hidden) {
        char *t = json_dumps(patch, JSON_COMPACT);
        e = t ? rs_store_setting_put(store, "config", t) : RS_ERR_NOMEM;
        free(t);
    }
    if (!e)
        e = rs_config_rebuild(patch, &cfg, err, errlen);
    json_decref(patch);
    if (!e)
        rs_config_install(cfg);
    return e;
}
