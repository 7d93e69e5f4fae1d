/* tui_config.c - Auth Server screens: Properties (every property of GET /admin/config, edited
 * one at a time as an RFC 7396 merge patch) and Feature flags (the enabledFeatureFlags
 * checklist, toggled through /admin/features/NAME/enable|disable). The server validates; a
 * refusal shows its message on the status line and changes nothing. */
#include "tui/tui_int.h"
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_COL_MAX 40
#define VALUE_MAX 4096

/* ---------------------------------------------------------------- properties */

/* Refills the list from s->data keeping the selection where it was. */
static void props_rows(struct tui *t, struct tui_screen *s)
{
    size_t sel = s->list.sel, top = s->list.top, w = 0;
    const char *k;
    json_t *v;
    tui_list_clear(&s->list);
    json_object_foreach(s->data, k, v)
        w = strlen(k) > w ? strlen(k) : w;
    w = w > NAME_COL_MAX ? NAME_COL_MAX : w;
    json_object_foreach(s->data, k, v) {
        char *text = tui_value_text(v);
        bool ok = text && tui_list_add(&s->list, "%-*s  %s", (int)w, k, text);
        free(text);
        if (!ok) {
            tui_status(t, true, "out of memory");
            break;
        }
    }
    s->list.sel = sel;
    s->list.top = top;
    tui_list_clamp(&s->list);
}

static void props_load(struct tui *t, struct tui_screen *s)
{
    struct rs_api_resp r;
    json_decref(s->data);
    s->data = NULL;
    if (tui_call(t, "GET", "/config", NULL, &r) && !json_is_object(r.json)) {
        tui_status(t, true, "the server's configuration is not a JSON object");
        rs_api_resp_clear(&r);
    }
    s->data = r.json;
    props_rows(t, s);
}

/* The name of the i-th property (borrowed from s->data), NULL past the end. */
static const char *prop_at(struct tui_screen *s, size_t i)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    json_object_foreach(s->data, k, v)
        if (n++ == i)
            return k;
    return NULL;
}

/* Sends {name: value} and reports the outcome; reloads the list when it was accepted. */
static void prop_set(struct tui *t, struct tui_screen *s, const char *name, const char *text)
{
    /* as `rescind config set`: JSON when it parses (120, true, ["a"], null), else a string */
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!v)
        v = json_string(text);
    if (!v) {
        tui_status(t, true, "the value is not valid UTF-8");
        return;
    }
    json_t *patch = json_object();
    struct rs_api_resp r;
    if (!patch || json_object_set_new(patch, name, v)) {
        json_decref(patch);
        tui_status(t, true, "out of memory");
        return;
    }
    if (tui_call(t, "PATCH", "/config", patch, &r)) {
        char *now = tui_value_text(json_object_get(r.json, name));
        bool restart = json_array_size(json_object_get(r.json, "restart_required")) > 0;
        rs_api_resp_clear(&r);
        t->status_error = false;
        props_load(t, s);
        if (!t->status_error) /* else the reload's failure is the news */
            tui_status(t, false, "%s = %s   (saved; %s)", name, now ? now : "",
                       restart ? "takes effect after a restart" : "live now");
        free(now);
    }
    json_decref(patch);
}

/* Shows what the property is (type, default, restart, description) on the status line while
 * it is edited, from GET /admin/config/properties. Silent when the server cannot say. */
static void prop_describe(struct tui *t, const char *name)
{
    struct rs_api_resp r;
    size_t i;
    json_t *p;
    if (!tui_call(t, "GET", "/config/properties", NULL, &r))
        return;
    json_array_foreach(json_object_get(r.json, "properties"), i, p) {
        const char *n = json_string_value(json_object_get(p, "name"));
        if (!n || strcmp(n, name) != 0)
            continue;
        char *def = tui_value_text(json_object_get(p, "default"));
        tui_status(t, false, "%s, default %s%s: %s",
                   json_string_value(json_object_get(p, "type")), def ? def : "",
                   json_is_true(json_object_get(p, "restart_required")) ? ", restart" : "",
                   json_string_value(json_object_get(p, "description")));
        free(def);
        break;
    }
    rs_api_resp_clear(&r);
}

static bool props_key(struct tui *t, struct tui_screen *s, int ch)
{
    if (ch != '\r' && ch != '\n' && ch != KEY_ENTER && ch != 'e')
        return true;
    const char *k = prop_at(s, s->list.sel);
    if (!k)
        return true;
    char name[256], buf[VALUE_MAX], prompt[300];
    snprintf(name, sizeof name, "%s", k);
    char *cur = tui_value_text(json_object_get(s->data, k));
    snprintf(buf, sizeof buf, "%s", cur ? cur : "");
    free(cur);
    snprintf(prompt, sizeof prompt, "%s = ", name);
    prop_describe(t, name);
    if (!tui_input(t, prompt, buf, sizeof buf)) {
        tui_status(t, false, "edit of %s cancelled", name);
        return true;
    }
    prop_set(t, s, name, buf);
    return true;
}

void tui_properties(struct tui *t)
{
    struct tui_screen s = {
        .title = "Auth Server > Properties",
        .header = "PROPERTY / VALUE",
        .keys = "Up/Down move   Enter edit (JSON or text; null = default)   q/Esc back",
        .load = props_load,
        .key = props_key,
    };
    tui_screen_run(t, &s);
}

/* ---------------------------------------------------------------- feature flags */

static void features_rows(struct tui *t, struct tui_screen *s)
{
    size_t sel = s->list.sel, top = s->list.top, i;
    json_t *f;
    tui_list_clear(&s->list);
    json_array_foreach(json_object_get(s->data, "features"), i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        bool on = json_is_true(json_object_get(f, "enabled"));
        if (!tui_list_add(&s->list, "[%c] %s", on ? 'x' : ' ', name ? name : "?")) {
            tui_status(t, true, "out of memory");
            break;
        }
    }
    s->list.sel = sel;
    s->list.top = top;
    tui_list_clamp(&s->list);
}

static void features_load(struct tui *t, struct tui_screen *s)
{
    struct rs_api_resp r;
    json_decref(s->data);
    s->data = tui_call(t, "GET", "/features", NULL, &r) ? r.json : NULL;
    features_rows(t, s);
}

static bool features_key(struct tui *t, struct tui_screen *s, int ch)
{
    if (ch != ' ' && ch != '\r' && ch != '\n' && ch != KEY_ENTER)
        return true;
    json_t *f = json_array_get(json_object_get(s->data, "features"), s->list.sel);
    const char *name = json_string_value(json_object_get(f, "name"));
    if (!name)
        return true;
    bool on = !json_is_true(json_object_get(f, "enabled"));
    char saved[128];
    snprintf(saved, sizeof saved, "%s", name);
    char *path = rs_api_path(t->api, "/features/", saved, on ? "/enable" : "/disable");
    struct rs_api_resp r;
    if (!path) {
        tui_status(t, true, "out of memory");
    } else if (tui_call(t, "POST", path, NULL, &r)) {
        json_decref(s->data);
        s->data = r.json; /* the answer is the whole list as it is now */
        features_rows(t, s);
        tui_status(t, false, "%s is now %s", saved, on ? "enabled" : "disabled");
    }
    free(path);
    return true;
}

void tui_features(struct tui *t)
{
    struct tui_screen s = {
        .title = "Auth Server > Feature flags (enabledFeatureFlags)",
        .header = "[x] = enabled",
        .keys = "Up/Down move   Space toggle   q/Esc back",
        .load = features_load,
        .key = features_key,
    };
    tui_screen_run(t, &s);
}
