/* admin_audit.c - GET /admin/audit: the audit log, newest first, filtered by client, event and
 * time range (query parameters client_id, event, since, until, limit). */
#include "admin/admin_int.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_DEFAULT_LIMIT 100
#define AUDIT_MAX_LIMIT 1000

/* Fills f from the query; on a bad value writes 400 naming the parameter and returns false. */
static bool read_filter(struct rs_ctx *ctx, const struct rs_req *req, struct rs_resp *resp,
                        struct rs_audit_filter *f)
{
    static const char *const names[] = {"since", "until", "limit"};
    int64_t v[3] = {0, 0, AUDIT_DEFAULT_LIMIT};
    for (size_t i = 0; i < 3; i++) {
        const char *s = rs_form_get(&req->query, names[i]);
        if (!s)
            continue;
        if (!rs_admin_parse_uint(s, i == 2 ? AUDIT_MAX_LIMIT : INT64_MAX, &v[i]) || (i == 2 && !v[i])) {
            char msg[96];
            snprintf(msg, sizeof msg, "%s must be %s", names[i],
                     i == 2 ? "an integer from 1 to 1000" : "a time in seconds since the epoch");
            rs_admin_error(ctx, resp, RS_OAUTH_INVALID_REQUEST, msg);
            return false;
        }
    }
    const char *client_id = rs_form_get(&req->query, "client_id");
    const char *event = rs_form_get(&req->query, "event");
    f->since = v[0];
    f->until = v[1];
    f->limit = (size_t)v[2];
    f->client_id = client_id && *client_id ? client_id : NULL;
    f->event = event && *event ? event : NULL;
    return true;
}

struct audit_acc {
    json_t *arr;
    bool nomem;
};

/* A JSON string of s with every byte that is not printable ASCII shown as '?': rows written
 * by older versions (or by hand) must not make the whole listing fail. */
static json_t *safe_string(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static void audit_one(const struct rs_audit *a, void *arg)
{
    struct audit_acc *acc = arg;
    json_t *detail = json_loads(a->detail ? a->detail : "{}", JSON_DECODE_ANY, NULL);
    if (!detail) /* written by us as JSON, so this only happens to hand-edited rows */
        detail = safe_string(a->detail ? a->detail : "");
    json_t *o = json_pack("{s:I,s:I,s:o,s:o,s:o,s:o}", "id", (json_int_t)a->id, "time",
                          (json_int_t)a->time, "event", safe_string(a->event), "client_id",
                          safe_string(a->client_id), "outcome", safe_string(a->outcome), "detail",
                          detail);
    if (json_array_append_new(acc->arr, o))
        acc->nomem = true;
}

enum rs_err rs_admin_audit_list(struct rs_ctx *ctx, const struct rs_req *req,
                                struct rs_resp *resp, const char *arg)
{
    (void)arg;
    struct rs_audit_filter f;
    if (!read_filter(ctx, req, resp, &f))
        return RS_OK;
    struct audit_acc acc = {json_array(), false};
    if (!acc.arr)
        return RS_ERR_NOMEM;
    enum rs_err e = rs_store_audit_list(ctx->store, &f, audit_one, &acc);
    if (!e && acc.nomem)
        e = RS_ERR_NOMEM;
    if (e) {
        json_decref(acc.arr);
        return rs_admin_fail(ctx, resp, e);
    }
    return rs_admin_reply(resp, 200, json_pack("{s:o}", "events", acc.arr));
}
