/* admin_config.c - /admin/config (GET, PATCH as an RFC 7396 merge patch) and /admin/features.
 * Every change takes one path (change_config): merge into the persisted patch, build and
 * validate a new snapshot, persist, then install, then audit. Persisting before installing
 * means a change the server answered 200 for survives a restart, and a change that could not be
 * persisted never takes effect. Changes are serialized by a mutex so that two concurrent
 * PATCHes cannot lose each other's properties. */
#include "admin/admin_int.h"
#include "config/props.h"
#include "base/log.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTING_KEY "config"

static pthread_mutex_t change_lock = PTHREAD_MUTEX_INITIALIZER;

/* Builds the merge patch of one request from the snapshot in force. On a refusal it writes the
 * error into resp and returns RS_ERR_INVALID (or another code); caller decrefs *patch_out. */
typedef enum rs_err make_patch_fn(struct rs_ctx *ctx, const struct rs_config *cur, void *arg,
                                  struct rs_resp *resp, json_t **patch_out);

/* Values of properties that hold secrets never go into the audit log. */
static json_t *audit_value(const char *name, json_t *v)
{
    if (strcmp(name, "dynamicRegistrationInitialAccessToken") == 0)
        return json_string(json_string_length(v) ? "(set)" : "(empty)");
    return json_incref(v);
}

/* Compares two snapshots property by property. *changes_out lists {name, from, to};
 * *restart_out (NULL when empty) the changed properties that need a restart. */
static enum rs_err diff(const struct rs_config *a, const struct rs_config *b, json_t **changes_out,
                        json_t **restart_out)
{
    json_t *ja = rs_config_to_json(a), *jb = rs_config_to_json(b);
    json_t *changes = json_array(), *restart = json_array();
    enum rs_err e = ja && jb && changes && restart ? RS_OK : RS_ERR_NOMEM;
    for (size_t i = 0; !e && i < rs_props_count; i++) {
        const char *n = rs_props[i].name;
        json_t *va = json_object_get(ja, n), *vb = json_object_get(jb, n);
        if (json_equal(va, vb))
            continue;
        json_t *c = json_pack("{s:s,s:o,s:o}", "name", n, "from", audit_value(n, va), "to",
                              audit_value(n, vb));
        /* featureFlags: [] means every feature on (Janssen), so "from":[] "to":[five flags]
         * would read as five features switched on; name the features that really changed */
        if (c && strcmp(n, "featureFlags") == 0) {
            json_t *on = json_array(), *off = json_array();
            int bad = !on || !off;
            for (int f = 0; !bad && f < RS_FEATURE_COUNT; f++)
                if (a->feature_on[f] != b->feature_on[f])
                    bad = json_array_append_new(b->feature_on[f] ? on : off,
                                                json_string(rs_feature_name((enum rs_feature)f)));
            /* set_new takes its value (a NULL one fails) either way */
            bad |= json_object_set_new(c, "features_enabled", on);
            bad |= json_object_set_new(c, "features_disabled", off);
            if (bad) {
                json_decref(c);
                c = NULL;
            }
        }
        if (json_array_append_new(changes, c))
            e = RS_ERR_NOMEM;
        if (!e && (rs_props[i].flags & RS_PROP_RESTART) &&
            json_array_append_new(restart, json_string(n)))
            e = RS_ERR_NOMEM;
    }
    json_decref(ja);
    json_decref(jb);
    if (e || !json_array_size(restart)) {
        json_decref(restart);
        restart = NULL;
    }
    if (e) {
        json_decref(changes);
        changes = NULL;
    }
    *changes_out = changes;
    *restart_out = restart;
    return e;
}

/* The persisted patch (new reference; an empty object when none was ever stored). */
static enum rs_err load_persisted(struct rs_store *s, json_t **out)
{
    char *text = NULL;
    enum rs_err e = rs_store_setting_get(s, SETTING_KEY, &text);
    *out = NULL;
    if (e == RS_ERR_NOT_FOUND) {
        *out = json_object();
        return *out ? RS_OK : RS_ERR_NOMEM;
    }
    if (e)
        return e;
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    if (!json_is_object(o)) {
        RS_LOG_ERROR("stored_config_corrupt", "key", SETTING_KEY, NULL);
        json_decref(o);
        return RS_ERR_STORE;
    }
    *out = o;
    return RS_OK;
}

/* RFC 7396 on a flat object of properties. A null stays in the persisted patch: it means
 * "the default", which must also win over a value in the configuration file. */
static enum rs_err merge(json_t *target, json_t *patch)
{
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (json_object_set(target, k, v))
            return RS_ERR_NOMEM;
    }
    return RS_OK;
}

/* Persists, installs and audits cfg (whose reference it takes). */
static enum rs_err commit_change(struct rs_ctx *ctx, const struct rs_req *req,
                                 struct rs_resp *resp, json_t *merged,
                                 struct rs_config *cfg, const struct rs_config *cur,
                                 json_t **restart_out)
{
    json_t *changes = NULL;
    char *text = json_dumps(merged, JSON_COMPACT);
    enum rs_err e = text ? diff(cur, cfg, &changes, restart_out) : RS_ERR_NOMEM;
    if (!e)
        e = rs_store_setting_put(ctx->store, SETTING_KEY, text);
    free(text);
    if (e) {
        rs_config_release(cfg);
        json_decref(changes);
        if (e == RS_ERR_STORE)
            return rs_admin_error(ctx, resp, RS_OAUTH_TEMPORARILY_UNAVAILABLE,
                                  "the configuration could not be saved; nothing was changed");
        return e;
    }
    rs_config_install(cfg);
    if (json_array_size(changes)) {
        json_t *detail = json_pack("{s:O}", "changes", changes);
        rs_admin_audit(ctx, req, "config_change", NULL, "ok", detail);
        json_decref(detail);
        RS_LOG_INFO("config_changed", NULL);
    }
    json_decref(changes);
    return RS_OK;
}

/* The one way the configuration changes at run time. On success *new_out is a reference to the
 * installed snapshot (release it) and *restart_out the restart-only properties that changed. */
static enum rs_err change_config(struct rs_ctx *ctx, const struct rs_req *req,
                                 struct rs_resp *resp, make_patch_fn *make,
                                 void *arg, struct rs_config **new_out, json_t **restart_out)
{
    json_t *patch = NULL, *merged = NULL;
    struct rs_config *cfg = NULL;
    char err[256] = "";
    *new_out = NULL;
    *restart_out = NULL;
    pthread_mutex_lock(&change_lock);
    struct rs_config *cur = rs_config_acquire();
    enum rs_err e = make(ctx, cur, arg, resp, &patch);
    /* a property the command line sets wins over every stored value at each start: accepting a
     * change of it would promise a restart that never applies it */
    const char *key;
    json_t *value;
    if (!e && json_is_object(patch)) {
        json_object_foreach(patch, key, value) {
            const char *flag = rs_config_overriding_flag(key);
            if (!flag || json_is_null(value))
                continue;
            char msg[160];
            snprintf(msg, sizeof msg,
                     "%s is set by %s on the server's command line; change it there", key, flag);
            rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST, msg);
            e = RS_ERR_INVALID; /* answered: nothing below runs */
            break;
        }
    }
    if (!e)
        e = load_persisted(ctx->store, &merged);
    bool hidden = false;
    if (!e)
        e = merge(merged, patch);
    /* the persisted patch holds the initial access token only as its digest, also when an
     * older server stored it plain and this change is about another property */
    if (!e)
        e = rs_config_hide_secrets(merged, &hidden);
    if (!e)
        e = rs_config_rebuild(merged, &cfg, err, sizeof err);
    if (e == RS_ERR_INVALID && !resp->status)
        rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST, err);
    if (!e)
        e = commit_change(ctx, req, resp, merged, cfg, cur, restart_out);
    if (!e && !resp->status)
        *new_out = rs_config_acquire();
    rs_config_release(cur);
    pthread_mutex_unlock(&change_lock);
    json_decref(patch);
    json_decref(merged);
    if (e && !resp->status)
        return rs_admin_fail(ctx, resp, e);
    return resp->status ? RS_OK : e;
}

/* ---------- /admin/config ---------- */

/* GET /admin/config/properties: every property with its type, default, description and whether
 * it needs a restart (the property table, src/config/props.c), for the CLI and the TUI. */
enum rs_err rs_admin_config_properties(struct rs_ctx *ctx, const struct rs_req *req,
                                       struct rs_resp *resp, const char *arg)
{
    static const char *const types[] = {"string", "integer", "boolean", "array of strings"};
    json_t *list = json_array();
    json_t *values = rs_config_to_json(ctx->cfg);
    (void)req, (void)arg;
    for (size_t i = 0; list && values && i < rs_props_count; i++) {
        const struct rs_prop *p = &rs_props[i];
        json_t *def = json_loads(p->def, JSON_DECODE_ANY, NULL);
        json_t *o = json_pack("{s:s,s:s,s:o,s:s,s:b}", "name", p->name, "type", types[p->type],
                              "default", def ? def : json_null(), "description", p->description,
                              "restart_required", (p->flags & RS_PROP_RESTART) != 0);
        if (o && p->type == RS_PROP_INT) {
            json_object_set_new(o, "minimum", json_integer(p->min));
            json_object_set_new(o, "maximum", json_integer(p->max));
        }
        if (o)
            json_object_set(o, "value", json_object_get(values, p->name));
        json_array_append_new(list, o);
    }
    json_decref(values);
    return rs_admin_reply(resp, 200, json_pack("{s:o}", "properties", list));
}

enum rs_err rs_admin_config_get(struct rs_ctx *ctx, const struct rs_req *req,
                                struct rs_resp *resp, const char *arg)
{
    (void)req, (void)arg;
    return rs_admin_reply(resp, 200, rs_config_to_json(ctx->cfg));
}

static enum rs_err patch_from_body(struct rs_ctx *ctx, const struct rs_config *cur, void *arg,
                                   struct rs_resp *resp, json_t **patch_out)
{
    (void)cur;
    json_t *body = arg;
    const char *k;
    json_t *v;
    /* checked here because a null for an unknown name would never reach the builder */
    json_object_foreach(body, k, v) {
        if (!rs_prop_find(k)) {
            char msg[160];
            snprintf(msg, sizeof msg, "%.100s: unknown property", k);
            rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST, msg);
            return RS_ERR_INVALID;
        }
    }
    *patch_out = json_incref(body);
    return RS_OK;
}

enum rs_err rs_admin_config_patch(struct rs_ctx *ctx, const struct rs_req *req,
                                  struct rs_resp *resp, const char *arg)
{
    (void)arg;
    json_t *body = NULL, *restart = NULL;
    struct rs_config *cfg = NULL;
    enum rs_err e = rs_admin_read_json(ctx, req, resp, true, &body);
    if (!e)
        e = change_config(ctx, req, resp, patch_from_body, body, &cfg, &restart);
    if (!e && cfg) {
        json_t *o = rs_config_to_json(cfg);
        if (o && restart)
            json_object_set(o, "restart_required", restart);
        e = rs_admin_reply(resp, 200, o);
    }
    rs_config_release(cfg);
    json_decref(restart);
    json_decref(body);
    return resp->status ? RS_OK : e;
}

/* ---------- /admin/features ---------- */

static json_t *features_json(const struct rs_config *cfg)
{
    json_t *arr = json_array();
    for (int f = 0; arr && f < RS_FEATURE_COUNT; f++)
        json_array_append_new(arr, json_pack("{s:s,s:b}", "name", rs_feature_name(f), "enabled",
                                             rs_feature_enabled(cfg, f)));
    return arr ? json_pack("{s:o}", "features", arr) : NULL;
}

enum rs_err rs_admin_feature_list(struct rs_ctx *ctx, const struct rs_req *req,
                                  struct rs_resp *resp, const char *arg)
{
    (void)req, (void)arg;
    return rs_admin_reply(resp, 200, features_json(ctx->cfg));
}

struct flag_change {
    enum rs_feature f;
    bool on;
};

/* Janssen semantics: an empty featureFlags list means every feature is on. So enabling in an
 * empty list changes nothing, and disabling from an empty list lists all the others. */
static enum rs_err patch_flags(struct rs_ctx *ctx, const struct rs_config *cur, void *arg,
                               struct rs_resp *resp, json_t **patch_out)
{
    const struct flag_change *fc = arg;
    bool all = json_array_size(cur->feature_flags) == 0;
    json_t *list = json_array();
    for (int f = 0; list && f < RS_FEATURE_COUNT; f++) {
        bool on = f == (int)fc->f ? fc->on : rs_feature_enabled(cur, f);
        if (on && (!all || !fc->on) && json_array_append_new(list, json_string(rs_feature_name(f))))
            break;
    }
    if (list && !all && !fc->on && json_array_size(list) == 0) {
        json_decref(list);
        rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST,
                       "cannot disable the last enabled feature: an empty featureFlags list "
                       "enables every feature");
        resp->status = 409;
        return RS_ERR_CONFLICT;
    }
    *patch_out = list ? json_pack("{s:o}", "featureFlags", list) : NULL;
    return *patch_out ? RS_OK : RS_ERR_NOMEM;
}

static enum rs_err feature_set(struct rs_ctx *ctx, const struct rs_req *req,
                               struct rs_resp *resp, const char *name, bool on)
{
    int f = rs_feature_parse(name);
    if (f < 0)
        return rs_admin_error(ctx, resp, RS_OAUTH_NOT_FOUND, "no such feature flag");
    struct flag_change fc = {(enum rs_feature)f, on};
    struct rs_config *cfg = NULL;
    json_t *restart = NULL;
    enum rs_err e = change_config(ctx, req, resp, patch_flags, &fc, &cfg, &restart);
    if (!e && cfg)
        e = rs_admin_reply(resp, 200, features_json(cfg));
    rs_config_release(cfg);
    json_decref(restart);
    return resp->status ? RS_OK : e;
}

enum rs_err rs_admin_feature_enable(struct rs_ctx *ctx, const struct rs_req *req,
                                    struct rs_resp *resp, const char *name)
{
    return feature_set(ctx, req, resp, name, true);
}

enum rs_err rs_admin_feature_disable(struct rs_ctx *ctx, const struct rs_req *req,
                                     struct rs_resp *resp, const char *name)
{
    return feature_set(ctx, req, resp, name, false);
}
