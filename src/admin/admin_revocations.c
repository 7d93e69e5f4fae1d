/* admin_revocations.c - POST /admin/revocations: revoke whole grants chosen by selectors.
 *   {"client_id"?, "sub"?, "grant_id"?, "issued_before"? (epoch s), "dry_run"? (bool),
 *    "reason"? (string, at most 500 characters)}
 * Selectors combine with AND and at least one is required, so an empty body can never revoke
 * everything. The store revokes the matching live grants and writes the audit record
 * ("admin_revocation": selectors, counts, reason, the admin credential's name) in one
 * transaction; dry_run only counts. Answers 200 {"dry_run", "grants", "tokens"}. */
#include "admin/admin_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASON_MAX 500

struct selection {
    const char *client_id, *sub, *grant_id, *reason; /* borrowed from the body */
    json_int_t issued_before;
    bool dry_run;
};

/* Number of UTF-8 characters (jansson has already checked the encoding). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* A selector string: absent (NULL, true) or 1-64 characters. */
static bool read_id(json_t *body, const char *name, const char **out)
{
    json_t *v = json_object_get(body, name);
    *out = NULL;
    if (!v)
        return true;
    *out = json_string_value(v);
    return *out && **out && strlen(*out) <= RS_ID_MAX;
}

/* Fills sel from the body; on a refusal returns the error_description (static text). */
static const char *read_selection(json_t *body, struct selection *sel)
{
    static const char *const known[] = {"client_id", "sub", "grant_id", "issued_before",
                                        "dry_run", "reason"};
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(k, known[i]) != 0)
            i++;
        if (i == sizeof known / sizeof known[0])
            return "unknown member: the body takes client_id, sub, grant_id, issued_before, "
                   "dry_run and reason";
    }
    if (!read_id(body, "client_id", &sel->client_id))
        return "client_id must be a string of 1-64 characters";
    if (!read_id(body, "sub", &sel->sub))
        return "sub must be a string of 1-64 characters";
    if (!read_id(body, "grant_id", &sel->grant_id))
        return "grant_id must be a string of 1-64 characters";
    v = json_object_get(body, "issued_before");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 1))
        return "issued_before must be a positive integer (seconds since the epoch)";
    sel->issued_before = v ? json_integer_value(v) : 0;
    v = json_object_get(body, "dry_run");
    if (v && !json_is_boolean(v))
        return "dry_run must be true or false";
    sel->dry_run = json_is_true(v);
    v = json_object_get(body, "reason");
    sel->reason = json_string_value(v);
    if (v && (!sel->reason || utf8_chars(sel->reason) > REASON_MAX))
        return "reason must be a string of at most 500 characters";
    if (!sel->client_id && !sel->sub && !sel->grant_id && !sel->issued_before)
        return "at least one selector is required: client_id, sub, grant_id or issued_before";
    return NULL;
}

/* The audit members (without braces): selectors, reason and who asked. Heap, caller frees;
 * NULL when out of memory. */
static char *audit_members(const struct selection *sel, const char *admin)
{
    json_t *selectors = json_object(), *o = json_object();
    char *text = NULL;
    if (selectors && sel->client_id)
        json_object_set_new(selectors, "client_id", json_string(sel->client_id));
    if (selectors && sel->sub)
        json_object_set_new(selectors, "sub", json_string(sel->sub));
    if (selectors && sel->grant_id)
        json_object_set_new(selectors, "grant_id", json_string(sel->grant_id));
    if (selectors && sel->issued_before)
        json_object_set_new(selectors, "issued_before", json_integer(sel->issued_before));
    if (o && selectors && !json_object_set(o, "selectors", selectors) &&
        !json_object_set_new(o, "reason", sel->reason ? json_string(sel->reason) : json_null()) &&
        !json_object_set_new(o, "admin", json_string(admin)))
        text = json_dumps(o, JSON_COMPACT);
    json_decref(selectors);
    json_decref(o);
    if (text) { /* "{...}" -> "..." : members to splice into the store's detail object */
        size_t n = strlen(text);
        memmove(text, text + 1, n - 2);
        text[n - 2] = '\0';
    }
    return text;
}

enum rs_err rs_admin_revocation_create(struct rs_ctx *ctx, const struct rs_req *req,
                                       struct rs_resp *resp, const char *arg)
{
    (void)arg;
    json_t *body = NULL;
    struct selection sel = {0};
    char admin[RS_ID_MAX + 1] = "", *extra = NULL;
    size_t grants = 0, tokens = 0, sessions = 0;
    enum rs_err e = rs_admin_read_json(ctx, req, resp, false, &body);
    if (e)
        goto out;
    const char *why = read_selection(body, &sel);
    if (why) {
        e = rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST, why);
        goto out;
    }
    rs_admin_caller(ctx, req, admin); /* authenticated just before: only the name is wanted */
    extra = audit_members(&sel, admin);
    if (!extra) {
        e = RS_ERR_NOMEM;
        goto out;
    }
    struct rs_revoke_select rs = {sel.client_id, sel.sub,   sel.grant_id, sel.issued_before,
                                  sel.dry_run,   extra};
    e = rs_store_revoke_select(ctx->store, &rs, &grants, &tokens, &sessions);
    if (e) {
        e = rs_admin_fail(ctx, resp, e);
        goto out;
    }
    e = rs_admin_reply(resp, 200, json_pack("{s:b,s:I,s:I,s:I}", "dry_run", sel.dry_run, "grants",
                                            (json_int_t)grants, "tokens", (json_int_t)tokens,
                                            "sessions", (json_int_t)sessions));
out:
    free(extra);
    json_decref(body);
    return e;
}
