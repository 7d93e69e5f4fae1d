/* tui_clients.c - the Clients screens (list, details, revoke every token of a client) and the
 * Tokens screens (tokens of a client or of a user from GET /admin/tokens, page by page; revoke
 * the selected grant through POST /admin/revocations). Every revocation asks y/n first and
 * reports the server's counts on the status line. */
#include "tui/tui_int.h"
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKENS_PAGE 100

static const char *str(json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

static bool is_enter(int ch)
{
    return ch == '\r' || ch == '\n' || ch == KEY_ENTER;
}

/* A read-only screen of "key  value" lines for every member of obj (stolen). */
static void show_object(struct tui *t, const char *title, json_t *obj, tui_key_fn *key,
                        void *arg)
{
    struct tui_screen s = {.title = title, .keys = "Up/Down scroll   q/Esc back", .key = key,
                           .data = obj, .arg = arg};
    const char *k;
    json_t *v;
    if (key)
        s.keys = "r revoke all tokens   t tokens   q/Esc back";
    /* a value wider than what the screen leaves next to its name goes on over several lines,
     * broken after a comma or space where there is one (a list of grant types, redirect URIs) */
    int width = COLS - 2 - 29;
    if (width < 20)
        width = 20;
    json_object_foreach(obj, k, v) {
        char *text = tui_value_text(v);
        bool ok = text != NULL;
        const char *p = text ? text : "", *name = k;
        do {
            int n = (int)strlen(p);
            if (n > width) {
                n = width;
                for (int i = width; i > width / 2; i--)
                    if (p[i - 1] == ',' || p[i - 1] == ' ') {
                        n = i;
                        break;
                    }
            }
            ok = ok && tui_list_add(&s.list, "%-28s %.*s", name, n, p);
            p += n;
            name = "";
        } while (ok && *p);
        free(text);
        if (!ok) {
            tui_status(t, true, "out of memory");
            break;
        }
    }
    tui_screen_run(t, &s);
}

/* ---------------------------------------------------------------- tokens */

struct token_filter {
    const char *param; /* "client_id" or "sub" */
    char value[256];
    size_t offset;
};

static const char *short_type(const char *type)
{
    if (!strcmp(type, "access_token"))
        return "access";
    if (!strcmp(type, "refresh_token"))
        return "refresh";
    if (!strcmp(type, "id_token"))
        return "id";
    if (!strcmp(type, "authorization_code"))
        return "code";
    return type;
}

static void tokens_load(struct tui *t, struct tui_screen *s)
{
    struct token_filter *f = s->arg;
    struct rs_api_resp r;
    char *q = strdup(""), *path = NULL, num[24];
    size_t sel = s->list.sel, i;
    json_t *tok;
    tui_list_clear(&s->list);
    json_decref(s->data);
    s->data = NULL;
    snprintf(num, sizeof num, "%zu", f->offset);
    if (!q || !rs_api_query_add(t->api, &q, f->param, f->value) ||
        !rs_api_query_add(t->api, &q, "limit", "100") ||
        !rs_api_query_add(t->api, &q, "offset", num) || asprintf(&path, "/tokens%s", q) < 0) {
        free(q);
        tui_status(t, true, "out of memory");
        return;
    }
    if (tui_call(t, "GET", path, NULL, &r))
        s->data = r.json;
    json_array_foreach(json_object_get(s->data, "tokens"), i, tok) {
        char exp[32] = "";
        time_t e = (time_t)json_integer_value(json_object_get(tok, "exp"));
        struct tm tm;
        if (localtime_r(&e, &tm))
            strftime(exp, sizeof exp, "%m-%d %H:%M", &tm);
        tui_list_add(&s->list, "%-12.12s %-8s %-8s %-16.16s %-14.14s %s",
                     str(json_object_get(tok, "grant_id")),
                     short_type(str(json_object_get(tok, "type"))),
                     str(json_object_get(tok, "state")), str(json_object_get(tok, "client_id")),
                     str(json_object_get(tok, "sub")), exp);
    }
    s->list.sel = sel;
    tui_list_clamp(&s->list);
    if (s->data && !t->status_error)
        tui_status(t, false, "%s=%s: rows %zu-%zu", f->param, f->value,
                   s->list.count ? f->offset + 1 : 0, f->offset + s->list.count);
    free(q);
    free(path);
}

static void revoke_grant(struct tui *t, struct tui_screen *s, const char *grant_id)
{
    char question[200], id[128];
    struct rs_api_resp r;
    snprintf(id, sizeof id, "%s", grant_id);
    snprintf(question, sizeof question, "Revoke grant %s and all its tokens?", id);
    if (!tui_confirm(t, question)) {
        tui_status(t, false, "nothing revoked");
        return;
    }
    json_t *body = json_pack("{s:s,s:s}", "grant_id", id, "reason", "rescind tui");
    if (!body) {
        tui_status(t, true, "out of memory");
        return;
    }
    if (tui_call(t, "POST", "/revocations", body, &r)) {
        json_int_t g = json_integer_value(json_object_get(r.json, "grants"));
        json_int_t n = json_integer_value(json_object_get(r.json, "tokens"));
        rs_api_resp_clear(&r);
        tokens_load(t, s);
        tui_status(t, false, "revoked %lld grant(s), %lld token(s)", (long long)g, (long long)n);
    }
    json_decref(body);
}

static bool tokens_key(struct tui *t, struct tui_screen *s, int ch)
{
    struct token_filter *f = s->arg;
    json_t *tok = json_array_get(json_object_get(s->data, "tokens"), s->list.sel);
    t->status_error = false;
    if (ch == 'n' && s->list.count == TOKENS_PAGE) {
        f->offset += TOKENS_PAGE;
        s->list.sel = 0;
        tokens_load(t, s);
    } else if (ch == 'p' && f->offset > 0) {
        f->offset = f->offset > TOKENS_PAGE ? f->offset - TOKENS_PAGE : 0;
        s->list.sel = 0;
        tokens_load(t, s);
    } else if (ch == 'r' && tok) {
        revoke_grant(t, s, str(json_object_get(tok, "grant_id")));
    } else if (is_enter(ch) && tok) {
        show_object(t, "Tokens > Token", json_incref(tok), NULL, NULL);
    }
    return true;
}

static void tokens_of(struct tui *t, const char *param, const char *value)
{
    struct token_filter f = {.param = param};
    char title[320];
    snprintf(f.value, sizeof f.value, "%s", value);
    snprintf(title, sizeof title, "Tokens > %s %s",
             strcmp(param, "sub") == 0 ? "user" : "client", f.value);
    struct tui_screen s = {
        .title = title,
        .header = "GRANT        TYPE     STATE    CLIENT           SUB            EXPIRES",
        .keys = "Enter details   r revoke grant   n/p next/previous page   q/Esc back",
        .load = tokens_load,
        .key = tokens_key,
        .arg = &f,
    };
    tui_screen_run(t, &s);
}

static bool tokens_menu_key(struct tui *t, struct tui_screen *s, int ch)
{
    if (!is_enter(ch))
        return true;
    bool by_user = s->list.sel == 1;
    char value[256] = "";
    if (!tui_input(t, by_user ? "user sub: " : "client_id: ", value, sizeof value) || !value[0])
        return true;
    t->status[0] = '\0';
    t->status_error = false;
    tokens_of(t, by_user ? "sub" : "client_id", value);
    return true;
}

static void tokens_menu_load(struct tui *t, struct tui_screen *s)
{
    if (!tui_list_add(&s->list, "By client") || !tui_list_add(&s->list, "By user (sub)"))
        tui_status(t, true, "out of memory");
}

void tui_tokens(struct tui *t)
{
    struct tui_screen s = {.title = "Tokens", .keys = "Enter select   q/Esc back",
                           .load = tokens_menu_load, .key = tokens_menu_key};
    tui_screen_run(t, &s);
}

/* ---------------------------------------------------------------- clients */

static void clients_load(struct tui *t, struct tui_screen *s)
{
    struct rs_api_resp r;
    size_t sel = s->list.sel, i;
    json_t *c;
    tui_list_clear(&s->list);
    json_decref(s->data);
    s->data = tui_call(t, "GET", "/clients", NULL, &r) ? r.json : NULL;
    json_array_foreach(json_object_get(s->data, "clients"), i, c)
        tui_list_add(&s->list, "%-28s %-20s %s", str(json_object_get(c, "client_id")),
                     str(json_object_get(c, "token_endpoint_auth_method")),
                     str(json_object_get(c, "client_name")));
    s->list.sel = sel;
    tui_list_clamp(&s->list);
}

static void revoke_client(struct tui *t, const char *client_id)
{
    char question[240], id[128];
    struct rs_api_resp r;
    snprintf(id, sizeof id, "%s", client_id);
    snprintf(question, sizeof question, "Revoke all tokens of client %s?", id);
    if (!tui_confirm(t, question)) {
        tui_status(t, false, "nothing revoked");
        return;
    }
    char *path = rs_api_path(t->api, "/clients/", id, "/revoke");
    if (!path) {
        tui_status(t, true, "out of memory");
        return;
    }
    if (tui_call(t, "POST", path, NULL, &r)) {
        tui_status(t, false, "revoked %lld grant(s), %lld token(s) of client %s",
                   (long long)json_integer_value(json_object_get(r.json, "grants")),
                   (long long)json_integer_value(json_object_get(r.json, "tokens")), id);
        rs_api_resp_clear(&r);
    }
    free(path);
}

/* Keys shared by the list and the details of a client; arg is the client_id (borrowed). */
static bool client_action(struct tui *t, const char *id, int ch)
{
    if (ch == 'r')
        revoke_client(t, id);
    else if (ch == 't')
        tokens_of(t, "client_id", id);
    return true;
}

static bool client_detail_key(struct tui *t, struct tui_screen *s, int ch)
{
    return client_action(t, s->arg, ch);
}

static void client_details(struct tui *t, const char *client_id)
{
    char id[128], title[200];
    struct rs_api_resp r;
    snprintf(id, sizeof id, "%s", client_id);
    char *path = rs_api_path(t->api, "/clients/", id, "");
    if (!path) {
        tui_status(t, true, "out of memory");
        return;
    }
    if (tui_call(t, "GET", path, NULL, &r)) {
        snprintf(title, sizeof title, "Clients > %s", id);
        show_object(t, title, r.json, client_detail_key, id);
    }
    free(path);
}

static bool clients_key(struct tui *t, struct tui_screen *s, int ch)
{
    json_t *c = json_array_get(json_object_get(s->data, "clients"), s->list.sel);
    const char *id = json_string_value(json_object_get(c, "client_id"));
    if (!id)
        return true;
    t->status_error = false;
    if (is_enter(ch))
        client_details(t, id);
    else
        client_action(t, id, ch);
    return true;
}

void tui_clients(struct tui *t)
{
    struct tui_screen s = {
        .title = "Clients",
        .header = "CLIENT_ID                    AUTH_METHOD          NAME",
        .keys = "Enter details   r revoke all tokens   t tokens   q/Esc back",
        .load = clients_load,
        .key = clients_key,
    };
    tui_screen_run(t, &s);
}
