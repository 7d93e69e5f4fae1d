/* api.c - libcurl transport and credential resolution for the admin API (see api.h). One
 * easy handle per struct rs_api, reset before every request, so the connection to the server
 * is reused between the calls of one TUI session. The credential travels only in the
 * Authorization header and is wiped from every buffer that held it. */
#include "common/api.h"
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESPONSE (16u << 20)
#define MAX_SECRET 1024

struct body {
    char *ptr; /* heap, NUL-terminated */
    size_t len;
    bool too_large;
};

static void set_msg(char *msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(char *msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, RS_API_MSG_MAX, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- credentials */

/* The first line of the credential file into api->_token. RS_API_USAGE when it is unreadable
 * or empty (msg says why and what to use instead). */
static enum rs_api_status token_from_file(struct rs_api *api, const char *file_flag, char *msg)
{
    const char *path = file_flag ? file_flag : getenv("RESCIND_CREDENTIAL_FILE");
    if (!path || !*path)
        path = RS_API_DEFAULT_CREDENTIAL_FILE;
    FILE *f = fopen(path, "r");
    char line[MAX_SECRET + 2] = "";
    const char *why = NULL;
    if (!f)
        why = strerror(errno);
    else if (!fgets(line, sizeof line, f))
        why = "the file is empty";
    line[strcspn(line, "\r\n")] = '\0';
    if (!why && !line[0])
        why = "the first line is empty";
    if (f)
        fclose(f);
    if (why) {
        set_msg(msg,
                "no admin credential: cannot read %s: %s (use --token, RESCIND_TOKEN or "
                "--credential-file)",
                path, why);
        return RS_API_USAGE;
    }
    api->_token = strdup(line);
    explicit_bzero(line, sizeof line);
    if (!api->_token) {
        set_msg(msg, "out of memory");
        return RS_API_REFUSED;
    }
    return RS_API_OK;
}

static enum rs_api_status find_token(struct rs_api *api, const char *token_flag,
                                     const char *file_flag, char *msg)
{
    const char *t = token_flag ? token_flag : getenv("RESCIND_TOKEN");
    if (!t || !*t)
        return token_from_file(api, file_flag, msg);
    api->_token = strdup(t);
    if (api->_token)
        return RS_API_OK;
    set_msg(msg, "out of memory");
    return RS_API_REFUSED;
}

enum rs_api_status rs_api_open(struct rs_api *api, const char *url_flag, const char *token_flag,
                               const char *file_flag, bool need_token,
                               char msg[RS_API_MSG_MAX])
{
    memset(api, 0, sizeof *api);
    msg[0] = '\0';
    const char *url = url_flag ? url_flag : getenv("RESCIND_URL");
    api->url = strdup(url && *url ? url : RS_API_DEFAULT_URL);
    if (!api->url) {
        set_msg(msg, "out of memory");
        return RS_API_REFUSED;
    }
    for (size_t n = strlen(api->url); n > 0 && api->url[n - 1] == '/'; n--)
        api->url[n - 1] = '\0';
    if (need_token) {
        enum rs_api_status st = find_token(api, token_flag, file_flag, msg);
        if (st)
            return st;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(api->_curl = curl_easy_init())) {
        set_msg(msg, "cannot initialise libcurl");
        return RS_API_REFUSED;
    }
    return RS_API_OK;
}

void rs_api_close(struct rs_api *api)
{
    if (api->_curl) {
        curl_easy_cleanup(api->_curl);
        curl_global_cleanup();
    }
    if (api->_token)
        explicit_bzero(api->_token, strlen(api->_token));
    free(api->_token);
    free(api->url);
    memset(api, 0, sizeof *api);
}

/* ---------------------------------------------------------------- transport */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct body *b = arg;
    size_t n = size * nmemb;
    if (b->len + n > MAX_RESPONSE) {
        b->too_large = true;
        return 0;
    }
    char *p = realloc(b->ptr, b->len + n + 1);
    if (!p)
        return 0;
    memcpy(p + b->len, data, n);
    b->len += n;
    p[b->len] = '\0';
    b->ptr = p;
    return n;
}

/* The one-line reason a request failed before an HTTP status came back. */
static void transport_msg(struct rs_api *api, CURLcode rc, const char *errbuf,
                          const struct body *b, char *msg)
{
    long os_errno = 0;
    if (b->too_large) {
        set_msg(msg, "the server's answer is larger than %u bytes", MAX_RESPONSE);
        return;
    }
    curl_easy_getinfo(api->_curl, CURLINFO_OS_ERRNO, &os_errno);
    const char *why = os_errno ? strerror((int)os_errno)
                      : errbuf[0] ? errbuf
                                  : curl_easy_strerror(rc);
    set_msg(msg, "cannot reach %s: %s", api->url, why);
}

static void set_options(CURL *curl, const char *method, const char *url, struct curl_slist *h,
                        char *errbuf, struct body *b, const char *text)
{
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (text) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
    }
}

/* Sends the request; true with *status and *b filled once an HTTP answer came back. */
static bool send_request(struct rs_api *api, const char *method, const char *path,
                         const char *text, long *status, struct body *b, char *msg)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    char *url = NULL, *auth = NULL;
    struct curl_slist *h = NULL;
    bool ok = false;
    if (asprintf(&url, "%s/admin%s", api->url, path) < 0 ||
        asprintf(&auth, "Authorization: Bearer %s", api->_token ? api->_token : "") < 0) {
        url = auth = NULL;
        set_msg(msg, "out of memory");
        goto out;
    }
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Accept: application/json");
    if (text)
        h = curl_slist_append(h, strcmp(method, "PATCH") == 0
                                     ? "Content-Type: application/merge-patch+json"
                                     : "Content-Type: application/json");
    set_options(api->_curl, method, url, h, errbuf, b, text);
    CURLcode rc = curl_easy_perform(api->_curl);
    if (rc != CURLE_OK)
        transport_msg(api, rc, errbuf, b, msg);
    else
        ok = curl_easy_getinfo(api->_curl, CURLINFO_RESPONSE_CODE, status) == CURLE_OK;
out:
    if (auth)
        explicit_bzero(auth, strlen(auth));
    curl_slist_free_all(h);
    free(url);
    free(auth);
    return ok;
}

/* The server's refusal as one line: "401 invalid_token: ..." for authentication, else the
 * error_description. */
static void refusal_msg(long status, json_t *j, char *msg)
{
    const char *err = json_string_value(json_object_get(j, "error"));
    const char *desc = json_string_value(json_object_get(j, "error_description"));
    if (status == 401)
        set_msg(msg, "401 %s: %s", err ? err : "unauthorized",
                desc ? desc : "the admin credential was refused");
    else if (desc)
        set_msg(msg, "%s", desc);
    else if (err)
        set_msg(msg, "%ld %s", status, err);
    else
        set_msg(msg, "the server answered HTTP %ld", status);
}

enum rs_api_status rs_api_call(struct rs_api *api, const char *method, const char *path,
                               json_t *body, struct rs_api_resp *out)
{
    struct body b = {0};
    enum rs_api_status st = RS_API_REFUSED;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    memset(out, 0, sizeof *out);
    if (body && !text) {
        set_msg(out->msg, "out of memory");
        return st;
    }
    bool answered = send_request(api, method, path, text, &out->status, &b, out->msg);
    if (text) {
        explicit_bzero(text, strlen(text)); /* may hold a password */
        free(text);
    }
    if (!answered)
        goto out;
    out->json = b.len ? json_loadb(b.ptr, b.len, 0, NULL) : NULL;
    if (out->status < 200 || out->status > 299)
        refusal_msg(out->status, out->json, out->msg);
    else if (out->status != 204 && !out->json)
        set_msg(out->msg, "the server answered HTTP %ld without JSON", out->status);
    else
        st = RS_API_OK;
out:
    if (b.ptr)
        explicit_bzero(b.ptr, b.len); /* may hold a client secret or a credential */
    free(b.ptr);
    return st;
}

void rs_api_resp_clear(struct rs_api_resp *r)
{
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

char *rs_api_path(struct rs_api *api, const char *prefix, const char *seg, const char *suffix)
{
    char *e = curl_easy_escape(api->_curl, seg, 0);
    char *p = NULL;
    if (e && asprintf(&p, "%s%s%s", prefix, e, suffix) < 0)
        p = NULL;
    curl_free(e);
    return p;
}

bool rs_api_query_add(struct rs_api *api, char **query, const char *name, const char *value)
{
    char *e = curl_easy_escape(api->_curl, value, 0);
    char *n = NULL;
    if (e && asprintf(&n, "%s%s%s=%s", *query, **query ? "&" : "?", name, e) < 0)
        n = NULL;
    curl_free(e);
    if (!n)
        return false;
    free(*query);
    *query = n;
    return true;
}
