/* api.h - the admin HTTP API as the CLI and the TUI see it: where the server is, which
 * credential to present (flags, then RESCIND_URL / RESCIND_TOKEN / RESCIND_CREDENTIAL_FILE,
 * then the credential file written at first start), and one call that sends JSON and gives
 * back the parsed answer or a one-line reason. Nothing here prints: callers decide whether a
 * message goes to stderr (CLI) or to a status line (TUI). Single-threaded, like its callers. */
#ifndef RS_TOOLS_API_H
#define RS_TOOLS_API_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define RS_API_DEFAULT_URL "http://127.0.0.1:8080"
#define RS_API_DEFAULT_CREDENTIAL_FILE "./var/admin-credential"
#define RS_API_MSG_MAX 512

/* Outcome of a call; the values are the CLI's exit codes. */
enum rs_api_status {
    RS_API_OK = 0,
    RS_API_REFUSED = 1, /* the server said no, or could not be reached */
    RS_API_USAGE = 2,   /* bad flags or no credential to present */
};

struct rs_api {
    char *url;    /* base URL without trailing slash, heap */
    char *_token; /* the admin credential, heap, wiped by rs_api_close */
    void *_curl;  /* CURL *, reused between calls (keeps the connection alive) */
};

struct rs_api_resp {
    long status;               /* HTTP status; 0 when no answer came back */
    json_t *json;              /* new reference: the JSON answer (NULL for 204); callers decref */
    char msg[RS_API_MSG_MAX];  /* when the call failed: one line, no "rescind:" prefix */
};

/* Resolves the server URL (url_flag, $RESCIND_URL, RS_API_DEFAULT_URL) and, when need_token,
 * the credential (token_flag, $RESCIND_TOKEN, else the first line of file_flag,
 * $RESCIND_CREDENTIAL_FILE or RS_API_DEFAULT_CREDENTIAL_FILE), and initialises libcurl.
 * Flags may be NULL. On failure returns RS_API_USAGE (no credential) or RS_API_REFUSED (no
 * memory, no libcurl) with msg set; call rs_api_close in every case. */
enum rs_api_status rs_api_open(struct rs_api *api, const char *url_flag, const char *token_flag,
                               const char *file_flag, bool need_token,
                               char msg[RS_API_MSG_MAX] /* OUT */);
/* Wipes the credential and frees everything; the struct may be reopened. NULL-safe fields. */
void rs_api_close(struct rs_api *api);

/* Sends METHOD /admin<path> (path starts with "/" and is already escaped). body (borrowed, may
 * be NULL) is sent as JSON: application/merge-patch+json for PATCH, application/json otherwise.
 * RS_API_OK for a 2xx answer carrying JSON (or 204); otherwise RS_API_REFUSED with out->msg
 * set to the server's error_description ("401 invalid_token: ..." for authentication) or the
 * transport failure ("cannot reach URL: Connection refused"). out->json is set whenever the
 * answer was JSON, also for refusals; callers clear out with rs_api_resp_clear. */
enum rs_api_status rs_api_call(struct rs_api *api, const char *method, const char *path,
                               json_t *body, struct rs_api_resp *out /* OUT */);
void rs_api_resp_clear(struct rs_api_resp *r);

/* prefix + URL-escaped seg + suffix, heap (caller frees); NULL when out of memory. */
char *rs_api_path(struct rs_api *api, const char *prefix, const char *seg, const char *suffix);
/* Appends "?name=value" or "&name=value" (value escaped) to *query (heap, "" to start).
 * false when out of memory (*query unchanged). */
bool rs_api_query_add(struct rs_api *api, char **query, const char *name, const char *value);

#endif
