/* rescind.c - the admin command line: a client of the admin HTTP API (/admin/...), never of the
 * database, so every change goes through the server's validation and lands in its audit log.
 *
 *   rescind [--url URL] [--token T | --credential-file F] [--json] <command> ...
 *
 * Exit codes: 0 done, 1 the server refused or could not be reached (one line on stderr),
 * 2 usage error. Tables go to stdout; with --json the server's JSON is printed instead. */
#include "common/api.h"
#include "tui/tui.h"
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define MAX_SECRET 1024

struct cli {
    struct rs_api api;
    bool json;
};

/* ---------------------------------------------------------------- usage */

static const char usage_main[] =
    "usage: rescind [--url URL] [--token TOKEN | --credential-file FILE] [--json] COMMAND ...\n"
    "\n"
    "commands:\n"
    "  client add|list|show|rm|revoke   manage OAuth clients\n"
    "  user add|list|show|rm            manage end users\n"
    "  audit                            show the audit log\n"
    "  config get|set|describe          read, change or explain the live configuration\n"
    "  feature list|enable|disable      feature flags\n"
    "  revoke                           revoke grants by client, user, grant or age\n"
    "  token list|revoke                tokens of a client or user; revoke one grant\n"
    "  credential add|list|rm           admin credentials\n"
    "  tui                              the interactive console (ncurses)\n"
    "\n"
    "global options:\n"
    "  --url URL               server (else $RESCIND_URL, else " RS_API_DEFAULT_URL ")\n"
    "  --token TOKEN           admin credential (else $RESCIND_TOKEN, else the first line of\n"
    "                          the credential file)\n"
    "  --credential-file FILE  else $RESCIND_CREDENTIAL_FILE, else " RS_API_DEFAULT_CREDENTIAL_FILE "\n"
    "  --json                  print the server's JSON instead of a table\n"
    "  -h, --help              this help; 'rescind COMMAND --help' for a command\n";

static const char usage_client[] =
    "usage: rescind client add [--id ID] [--name NAME] [--redirect-uri URI]... [--grant-type G]...\n"
    "                          [--auth-method M] [--scope SCOPE]\n"
    "       rescind client list\n"
    "       rescind client show ID\n"
    "       rescind client rm ID        delete the client and revoke all its grants\n"
    "       rescind client revoke ID    revoke every grant (and token) of the client\n"
    "\n"
    "  --grant-type    authorization_code, refresh_token or client_credentials (repeatable)\n"
    "  --auth-method   client_secret_basic (default), client_secret_post or none\n"
    "  'client add' prints the client_id and, once only, the client_secret.\n";

static const char usage_user[] =
    "usage: rescind user add NAME [--email EMAIL] [--name FULL_NAME]\n"
    "       rescind user list\n"
    "       rescind user show NAME      the user's sub, email, name and creation time\n"
    "       rescind user rm NAME        delete the user and revoke all their grants\n"
    "\n"
    "  'user add' reads the password from stdin when stdin is not a terminal (first line),\n"
    "  else prompts for it twice without echo.\n";

static const char usage_audit[] =
    "usage: rescind audit [--client ID] [--event EVENT] [--since EPOCH] [--until EPOCH]\n"
    "                     [--limit N]\n"
    "  newest first; --limit defaults to 100 (at most 1000)\n";

static const char usage_config[] =
    "usage: rescind config get [NAME]\n"
    "       rescind config set NAME VALUE\n"
    "       rescind config describe [NAME]   type, default, range and meaning of properties\n"
    "\n"
    "  VALUE is used as JSON when it parses as JSON (120, true, [\"a\"], null), else as a string.\n"
    "  null resets the property to its default. Changes apply at once and survive restarts.\n";

static const char usage_feature[] =
    "usage: rescind feature list\n"
    "       rescind feature enable NAME\n"
    "       rescind feature disable NAME\n";

static const char usage_revoke[] =
    "usage: rescind revoke [--client ID] [--sub SUB] [--grant GRANT_ID] [--before EPOCH]\n"
    "                      [--dry-run] [--reason TEXT]\n"
    "\n"
    "  Revokes every live grant (and all its tokens) matching ALL the given selectors, in one\n"
    "  transaction; at least one selector is required. --before selects grants issued before\n"
    "  EPOCH (seconds). --dry-run only counts what would be revoked. --reason (at most 500\n"
    "  characters) is kept in the audit record.\n";

static const char usage_token[] =
    "usage: rescind token list (--client ID | --sub SUB) [--limit N] [--offset N]\n"
    "       rescind token revoke GRANT_ID [--reason TEXT]\n"
    "\n"
    "  'token list' shows tokens newest first (never the tokens themselves); --limit 1-1000,\n"
    "  default 100. 'token revoke' revokes the whole grant the token belongs to.\n";

static const char usage_credential[] =
    "usage: rescind credential add NAME\n"
    "       rescind credential list\n"
    "       rescind credential rm NAME\n"
    "\n"
    "  'credential add' prints the new admin credential once; only its digest is stored.\n"
    "  'credential rm' refuses to delete the credential the command itself uses.\n";

/* Prints the error and the usage to stderr; returns EXIT_USAGE. */
static int usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "rescind: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s", usage);
    va_end(ap);
    return EXIT_USAGE;
}

static bool is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

/* Matches argv[*i] against option name ("--name VALUE" or "--name=VALUE"). Returns 0 when it
 * is not this option, 1 when *value is set (and *i advanced past a separate value), -1 when the
 * value is missing. */
static int opt(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

/* ---------------------------------------------------------------- HTTP */

/* One API call: returns 0 with *out (new reference; NULL for 204) on a 2xx answer, else prints
 * one line and returns EXIT_REFUSED. body (may be NULL) is sent as JSON (a merge patch for
 * PATCH). */
static int call(struct cli *c, const char *method, const char *path, json_t *body, json_t **out)
{
    struct rs_api_resp r;
    *out = NULL;
    if (rs_api_call(&c->api, method, path, body, &r) != RS_API_OK) {
        fprintf(stderr, "rescind: %s\n", r.msg);
        rs_api_resp_clear(&r);
        return EXIT_REFUSED;
    }
    *out = r.json;
    return 0;
}

/* "/admin" + prefix + escaped segment + suffix, heap (caller frees); NULL when out of memory. */
static char *path_with(struct cli *c, const char *prefix, const char *seg, const char *suffix)
{
    char *p = rs_api_path(&c->api, prefix, seg, suffix);
    if (!p)
        fprintf(stderr, "rescind: out of memory\n");
    return p;
}

/* ---------------------------------------------------------------- output */

static void print_json(json_t *j)
{
    if (!j)
        return;
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s)
        printf("%s\n", s);
    free(s);
}

/* Display width of UTF-8 text (code points; good enough for names and ids). */
static size_t width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* A cell's text for any JSON value: strings bare, arrays of strings space-joined, the rest as
 * compact JSON. Heap, caller frees. */
static char *cell(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_array(v)) {
        size_t i, len = 0;
        json_t *x;
        bool strings = true;
        json_array_foreach(v, i, x) {
            strings = strings && json_is_string(x);
            len += json_string_length(x) + 1;
        }
        if (strings) {
            char *s = calloc(1, len + 1), *p = s;
            json_array_foreach(v, i, x) {
                if (!s)
                    break;
                if (i)
                    *p++ = ' ';
                memcpy(p, json_string_value(x), json_string_length(x));
                p += json_string_length(x);
            }
            return s;
        }
    }
    if (!v)
        return strdup("");
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* The string of a JSON string value, "" for anything else. */
static const char *str(json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

#define MAX_COLS 8

/* Prints rows (an array of arrays of strings) under the headers, columns aligned. */
static void print_table(const char *const *headers, size_t ncols, json_t *rows)
{
    size_t w[MAX_COLS] = {0}, i;
    if (ncols > MAX_COLS)
        ncols = MAX_COLS;
    json_t *row;
    for (size_t k = 0; k < ncols; k++)
        w[k] = width(headers[k]);
    json_array_foreach(rows, i, row) {
        for (size_t k = 0; k < ncols; k++) {
            size_t n = width(str(json_array_get(row, k)));
            w[k] = n > w[k] ? n : w[k];
        }
    }
    for (size_t k = 0; k < ncols; k++)
        printf("%s%*s", headers[k], k + 1 < ncols ? (int)(w[k] - width(headers[k]) + 2) : 0, "");
    printf("\n");
    json_array_foreach(rows, i, row) {
        for (size_t k = 0; k < ncols; k++) {
            const char *s = str(json_array_get(row, k));
            printf("%s%*s", s, k + 1 < ncols ? (int)(w[k] - width(s) + 2) : 0, "");
        }
        printf("\n");
    }
}

/* Builds a table row from the named members of obj. */
static json_t *row_of(json_t *obj, const char *const *members, size_t n)
{
    json_t *row = json_array();
    for (size_t k = 0; row && k < n; k++) {
        char *s = cell(json_object_get(obj, members[k]));
        json_array_append_new(row, json_string(s ? s : ""));
        free(s);
    }
    return row;
}

/* Prints list[] of objects as a table of the given members. */
static void print_objects(json_t *list, const char *const *headers, const char *const *members,
                          size_t n)
{
    json_t *rows = json_array(), *o;
    size_t i;
    json_array_foreach(list, i, o)
        json_array_append_new(rows, row_of(o, members, n));
    print_table(headers, n, rows);
    json_decref(rows);
}

/* "key: value" lines for every member of obj, keys aligned. */
static void print_object(json_t *obj)
{
    const char *k;
    json_t *v;
    size_t w = 0;
    json_object_foreach(obj, k, v)
        w = strlen(k) > w ? strlen(k) : w;
    json_object_foreach(obj, k, v) {
        char *s = cell(v);
        printf("%-*s  %s\n", (int)w + 1, k, s ? s : "");
        free(s);
    }
}

/* ---------------------------------------------------------------- client */

/* client add options: flag, metadata member, whether it repeats into an array */
static const struct {
    const char *flag, *member;
    bool list;
} client_opts[] = {
    {"--id", "client_id", false},
    {"--name", "client_name", false},
    {"--redirect-uri", "redirect_uris", true},
    {"--grant-type", "grant_types", true},
    {"--auth-method", "token_endpoint_auth_method", false},
    {"--scope", "scope", false},
};
#define N_CLIENT_OPTS (sizeof client_opts / sizeof client_opts[0])

/* Sets (or appends to the array of) one metadata member; false when v is not valid UTF-8. */
static bool meta_set(json_t *meta, const char *member, bool list, const char *v)
{
    json_t *s = json_string(v);
    if (!s)
        return false;
    if (!list)
        return json_object_set_new(meta, member, s) == 0;
    json_t *arr = json_object_get(meta, member);
    if (!arr) {
        arr = json_array();
        json_object_set_new(meta, member, arr);
    }
    return json_array_append_new(arr, s) == 0;
}

/* Fills meta from the options. Returns 0, -1 after printing help, or EXIT_USAGE. */
static int client_add_args(json_t *meta, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        int m = 0;
        size_t k;
        if (is_help(argv[i]))
            return printf("%s", usage_client), -1;
        for (k = 0; k < N_CLIENT_OPTS && !m; k++)
            m = opt(argc, argv, &i, client_opts[k].flag, &v);
        if (m < 0)
            return usage_error(usage_client, "%s needs a value", argv[i]);
        if (!m)
            return usage_error(usage_client, "unexpected argument '%s'", argv[i]);
        if (!meta_set(meta, client_opts[k - 1].member, client_opts[k - 1].list, v))
            return usage_error(usage_client, "not valid UTF-8: '%s'", v);
    }
    return 0;
}

static int client_add(struct cli *c, int argc, char **argv)
{
    json_t *meta = json_object(), *out = NULL;
    int rc = client_add_args(meta, argc, argv);
    if (rc < 0)
        rc = 0;
    else if (!rc)
        rc = call(c, "POST", "/clients", meta, &out);
    if (out && c->json) {
        print_json(out);
    } else if (out) {
        printf("client_id: %s\n", str(json_object_get(out, "client_id")));
        const char *secret = json_string_value(json_object_get(out, "client_secret"));
        if (secret)
            printf("client_secret: %s\n", secret);
    }
    json_decref(out);
    json_decref(meta);
    return rc;
}

static int client_list(struct cli *c)
{
    static const char *const headers[] = {"CLIENT_ID", "AUTH_METHOD", "GRANT_TYPES", "SCOPE", "NAME"};
    static const char *const members[] = {"client_id", "token_endpoint_auth_method", "grant_types",
                                          "scope", "client_name"};
    json_t *out = NULL;
    int rc = call(c, "GET", "/clients", NULL, &out);
    if (!rc && c->json)
        print_json(out);
    else if (!rc)
        print_objects(json_object_get(out, "clients"), headers, members, 5);
    json_decref(out);
    return rc;
}

/* show, rm and revoke: one client id and nothing else. */
static int client_one(struct cli *c, const char *verb, int argc, char **argv)
{
    if (argc != 1 || is_help(argv[0])) {
        if (argc == 1)
            return printf("%s", usage_client), 0;
        return usage_error(usage_client, "client %s takes exactly one client id", verb);
    }
    const char *method = !strcmp(verb, "rm") ? "DELETE" : !strcmp(verb, "revoke") ? "POST" : "GET";
    char *path = path_with(c, "/clients/", argv[0], !strcmp(verb, "revoke") ? "/revoke" : "");
    json_t *out = NULL;
    int rc = path ? call(c, method, path, NULL, &out) : EXIT_REFUSED;
    free(path);
    if (rc)
        return rc;
    if (c->json)
        print_json(out);
    else if (!strcmp(verb, "show"))
        print_object(out);
    else if (!strcmp(verb, "rm"))
        printf("deleted client %s (its grants are revoked)\n", argv[0]);
    else
        printf("revoked %lld grant(s), %lld token(s) of client %s\n",
               (long long)json_integer_value(json_object_get(out, "grants")),
               (long long)json_integer_value(json_object_get(out, "tokens")), argv[0]);
    json_decref(out);
    return 0;
}

static int cmd_client(struct cli *c, int argc, char **argv)
{
    if (argc < 1)
        return usage_error(usage_client, "%s", "client: missing subcommand");
    const char *sub = argv[0];
    if (is_help(sub))
        return printf("%s", usage_client), 0;
    if (!strcmp(sub, "add"))
        return client_add(c, argc - 1, argv + 1);
    if (!strcmp(sub, "list")) {
        if (argc > 1)
            return is_help(argv[1]) ? (printf("%s", usage_client), 0)
                                    : usage_error(usage_client, "unexpected argument '%s'", argv[1]);
        return client_list(c);
    }
    if (!strcmp(sub, "show") || !strcmp(sub, "rm") || !strcmp(sub, "revoke"))
        return client_one(c, sub, argc - 1, argv + 1);
    return usage_error(usage_client, "client: unknown subcommand '%s'", sub);
}

/* ---------------------------------------------------------------- user */

/* Reads one line without echo from the terminal. false on EOF or error. */
static bool prompt_secret(FILE *tty, const char *prompt, char *buf, size_t len)
{
    struct termios old, quiet;
    int fd = fileno(tty);
    bool restore = tcgetattr(fd, &old) == 0;
    /* echo off before the prompt shows: keys typed as soon as it appears are never echoed */
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    fprintf(stderr, "%s", prompt);
    fflush(stderr);
    bool ok = fgets(buf, (int)len, tty) != NULL;
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    fprintf(stderr, "\n");
    buf[strcspn(buf, "\r\n")] = '\0';
    return ok;
}

/* The new user's password: the first line of stdin when it is not a terminal, else asked
 * twice on the terminal. Returns 0 or an exit code (message printed). */
static int read_password(char *pw, size_t len)
{
    if (!isatty(STDIN_FILENO)) {
        if (!fgets(pw, (int)len, stdin)) {
            fprintf(stderr, "rescind: no password on stdin\n");
            return EXIT_REFUSED;
        }
        pw[strcspn(pw, "\r\n")] = '\0';
        return 0;
    }
    char again[MAX_SECRET + 2];
    FILE *tty = fopen("/dev/tty", "r+");
    int rc = 0;
    if (!tty || !prompt_secret(tty, "Password: ", pw, len) ||
        !prompt_secret(tty, "Password (again): ", again, sizeof again)) {
        fprintf(stderr, "rescind: cannot read the password from the terminal\n");
        rc = EXIT_REFUSED;
    } else if (strcmp(pw, again) != 0) {
        fprintf(stderr, "rescind: the passwords do not match\n");
        rc = EXIT_REFUSED;
    }
    explicit_bzero(again, sizeof again);
    if (tty)
        fclose(tty);
    return rc;
}

static int user_add(struct cli *c, int argc, char **argv)
{
    json_t *body = json_object(), *out = NULL;
    char pw[MAX_SECRET + 2] = "";
    const char *username = NULL;
    int rc = 0;
    for (int i = 0; i < argc && !rc; i++) {
        const char *v = NULL;
        int m;
        if (is_help(argv[i])) {
            printf("%s", usage_user);
            goto done;
        } else if ((m = opt(argc, argv, &i, "--email", &v)) > 0) {
            json_object_set_new(body, "email", json_string(v));
        } else if (!m && (m = opt(argc, argv, &i, "--name", &v)) > 0) {
            json_object_set_new(body, "name", json_string(v));
        } else if (!m && argv[i][0] != '-' && !username) {
            username = argv[i];
        } else {
            rc = usage_error(usage_user, m < 0 ? "%s needs a value" : "unexpected argument '%s'",
                             argv[i]);
        }
    }
    if (!rc && !username)
        rc = usage_error(usage_user, "%s", "user add: missing NAME");
    if (!rc)
        rc = read_password(pw, sizeof pw);
    if (rc)
        goto done;
    json_object_set_new(body, "username", json_string(username));
    json_object_set_new(body, "password", json_string(pw));
    rc = call(c, "POST", "/users", body, &out);
    if (!rc && c->json)
        print_json(out);
    else if (!rc)
        printf("created user %s (sub %s)\n", str(json_object_get(out, "username")),
               str(json_object_get(out, "sub")));
done:;
    json_t *p = json_object_get(body, "password");
    if (p) /* wipe the copy of the password the JSON body holds */
        explicit_bzero((char *)json_string_value(p), json_string_length(p));
    explicit_bzero(pw, sizeof pw);
    json_decref(body);
    json_decref(out);
    return rc;
}

static int user_list(struct cli *c)
{
    static const char *const headers[] = {"USERNAME", "SUB", "EMAIL", "NAME"};
    static const char *const members[] = {"username", "sub", "email", "name"};
    json_t *out = NULL;
    int rc = call(c, "GET", "/users", NULL, &out);
    if (!rc && c->json)
        print_json(out);
    else if (!rc)
        print_objects(json_object_get(out, "users"), headers, members, 4);
    json_decref(out);
    return rc;
}

/* user show NAME / user rm NAME */
static int user_one(struct cli *c, const char *verb, int argc, char **argv)
{
    if (argc == 1 && is_help(argv[0]))
        return printf("%s", usage_user), 0;
    if (argc != 1)
        return usage_error(usage_user, "user %s takes exactly one user name", verb);
    bool rm = !strcmp(verb, "rm");
    char *path = path_with(c, "/users/", argv[0], "");
    json_t *out = NULL;
    int rc = path ? call(c, rm ? "DELETE" : "GET", path, NULL, &out) : EXIT_REFUSED;
    free(path);
    if (!rc && c->json && !rm)
        print_json(out);
    else if (!rc && !rm)
        print_object(out);
    else if (!rc && !c->json)
        printf("deleted user %s (their grants are revoked)\n", argv[0]);
    json_decref(out);
    return rc;
}

static int cmd_user(struct cli *c, int argc, char **argv)
{
    if (argc < 1)
        return usage_error(usage_user, "%s", "user: missing subcommand");
    const char *sub = argv[0];
    if (is_help(sub))
        return printf("%s", usage_user), 0;
    if (!strcmp(sub, "add"))
        return user_add(c, argc - 1, argv + 1);
    if (!strcmp(sub, "show") || !strcmp(sub, "rm"))
        return user_one(c, sub, argc - 1, argv + 1);
    if (!strcmp(sub, "list")) {
        if (argc > 1)
            return is_help(argv[1]) ? (printf("%s", usage_user), 0)
                                    : usage_error(usage_user, "unexpected argument '%s'", argv[1]);
        return user_list(c);
    }
    return usage_error(usage_user, "user: unknown subcommand '%s'", sub);
}

/* ---------------------------------------------------------------- audit */

/* Appends &name=escaped(value) to the query being built in *q (heap). false on no memory. */
static bool query_add(struct cli *c, char **q, const char *name, const char *value)
{
    return rs_api_query_add(&c->api, q, name, value);
}

static void print_audit(json_t *events)
{
    static const char *const headers[] = {"ID", "TIME", "EVENT", "CLIENT_ID", "OUTCOME", "DETAIL"};
    json_t *rows = json_array(), *ev;
    size_t i;
    json_array_foreach(events, i, ev) {
        char id[24], when[32] = "";
        time_t t = (time_t)json_integer_value(json_object_get(ev, "time"));
        struct tm tm;
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(ev, "id")));
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        char *detail = json_dumps(json_object_get(ev, "detail"), JSON_COMPACT | JSON_ENCODE_ANY);
        json_array_append_new(rows, json_pack("[s,s,s,s,s,s]", id, when, str(json_object_get(ev, "event")),
                                              str(json_object_get(ev, "client_id")),
                                              str(json_object_get(ev, "outcome")),
                                              detail ? detail : ""));
        free(detail);
    }
    print_table(headers, 6, rows);
    json_decref(rows);
}

static int cmd_audit(struct cli *c, int argc, char **argv)
{
    static const char *const flags[][2] = {{"--client", "client_id"}, {"--event", "event"},
                                          {"--since", "since"}, {"--until", "until"},
                                          {"--limit", "limit"}};
    char *q = strdup("");
    json_t *out = NULL;
    int rc = q ? 0 : EXIT_REFUSED;
    for (int i = 0; i < argc && !rc; i++) {
        const char *v = NULL;
        int m = 0;
        size_t k;
        if (is_help(argv[i])) {
            printf("%s", usage_audit);
            goto done;
        }
        for (k = 0; k < 5 && !m; k++)
            m = opt(argc, argv, &i, flags[k][0], &v);
        if (m <= 0)
            rc = usage_error(usage_audit, m < 0 ? "%s needs a value" : "unexpected argument '%s'",
                             argv[i]);
        else if (!query_add(c, &q, flags[k - 1][1], v))
            rc = EXIT_REFUSED;
    }
    if (!rc) {
        char *path = NULL;
        rc = asprintf(&path, "/audit%s", q) < 0 ? EXIT_REFUSED
                                                : call(c, "GET", path, NULL, &out);
        free(path);
    }
    if (!rc && c->json)
        print_json(out);
    else if (!rc)
        print_audit(json_object_get(out, "events"));
done:
    free(q);
    json_decref(out);
    return rc;
}

/* ---------------------------------------------------------------- config */

static int config_get(struct cli *c, int argc, char **argv)
{
    json_t *out = NULL;
    if (argc > 1)
        return usage_error(usage_config, "unexpected argument '%s'", argv[1]);
    int rc = call(c, "GET", "/config", NULL, &out);
    if (rc)
        return rc;
    json_t *v = argc ? json_object_get(out, argv[0]) : out;
    if (!v) {
        fprintf(stderr, "rescind: no such property: %s\n", argv[0]);
        rc = EXIT_REFUSED;
    } else if (c->json) {
        print_json(v);
    } else if (argc) {
        char *s = cell(v);
        printf("%s\n", s ? s : "");
        free(s);
    } else {
        print_object(out);
    }
    json_decref(out);
    return rc;
}

static int config_describe(struct cli *c, int argc, char **argv)
{
    static const char *const headers[] = {"PROPERTY", "TYPE", "DEFAULT", "RANGE", "RESTART",
                                          "DESCRIPTION"};
    json_t *out = NULL, *p, *rows;
    size_t i;
    bool found = false;
    if (argc > 1)
        return usage_error(usage_config, "unexpected argument '%s'", argv[1]);
    int rc = call(c, "GET", "/config/properties", NULL, &out);
    if (rc)
        return rc;
    rows = json_array();
    json_array_foreach(json_object_get(out, "properties"), i, p) {
        if (argc && strcmp(str(json_object_get(p, "name")), argv[0]))
            continue;
        found = true;
        if (c->json) {
            print_json(p);
            continue;
        }
        char *def = cell(json_object_get(p, "default"));
        /* integers only: the bounds the server enforces (PATCH answers 400 outside them) */
        char range[48] = "";
        json_t *min = json_object_get(p, "minimum"), *max = json_object_get(p, "maximum");
        if (json_is_integer(min) && json_is_integer(max))
            snprintf(range, sizeof range, "%" JSON_INTEGER_FORMAT "..%" JSON_INTEGER_FORMAT,
                     json_integer_value(min), json_integer_value(max));
        json_array_append_new(rows, json_pack("[s,s,s,s,s,s]", str(json_object_get(p, "name")),
                                              str(json_object_get(p, "type")), def ? def : "",
                                              range, json_is_true(json_object_get(p, "restart_required"))
                                                  ? "yes"
                                                  : "no",
                                              str(json_object_get(p, "description"))));
        free(def);
    }
    if (!found && argc) {
        fprintf(stderr, "rescind: no such property: %s\n", argv[0]);
        rc = EXIT_REFUSED;
    } else if (!c->json) {
        print_table(headers, 6, rows);
    }
    json_decref(rows);
    json_decref(out);
    return rc;
}

static int config_set(struct cli *c, int argc, char **argv)
{
    if (argc != 2)
        return usage_error(usage_config, "%s", "config set takes NAME and VALUE");
    json_t *value = json_loads(argv[1], JSON_DECODE_ANY, NULL);
    if (!value)
        value = json_string(argv[1]);
    json_t *patch = json_object(), *out = NULL;
    json_object_set_new(patch, argv[0], value);
    int rc = call(c, "PATCH", "/config", patch, &out);
    json_decref(patch);
    if (!rc && c->json) {
        print_json(out);
    } else if (!rc) {
        char *s = cell(json_object_get(out, argv[0]));
        printf("%s = %s\n", argv[0], s ? s : "");
        free(s);
        json_t *restart = json_object_get(out, "restart_required");
        if (json_array_size(restart)) {
            char *names = cell(restart);
            printf("restart required for: %s\n", names ? names : "");
            free(names);
        }
    }
    json_decref(out);
    return rc;
}

static int cmd_config(struct cli *c, int argc, char **argv)
{
    if (argc < 1)
        return usage_error(usage_config, "%s", "config: missing subcommand");
    for (int i = 0; i < argc; i++)
        if (is_help(argv[i]))
            return printf("%s", usage_config), 0;
    if (!strcmp(argv[0], "get"))
        return config_get(c, argc - 1, argv + 1);
    if (!strcmp(argv[0], "set"))
        return config_set(c, argc - 1, argv + 1);
    if (!strcmp(argv[0], "describe"))
        return config_describe(c, argc - 1, argv + 1);
    return usage_error(usage_config, "config: unknown subcommand '%s'", argv[0]);
}

/* ---------------------------------------------------------------- feature */

static void print_features(json_t *out)
{
    static const char *const headers[] = {"FEATURE", "ENABLED"};
    json_t *rows = json_array(), *f;
    size_t i;
    json_array_foreach(json_object_get(out, "features"), i, f)
        json_array_append_new(rows, json_pack("[s,s]", str(json_object_get(f, "name")),
                                              json_is_true(json_object_get(f, "enabled")) ? "yes"
                                                                                          : "no"));
    print_table(headers, 2, rows);
    json_decref(rows);
}

static int cmd_feature(struct cli *c, int argc, char **argv)
{
    json_t *out = NULL;
    char *path = NULL;
    int rc;
    if (argc < 1)
        return usage_error(usage_feature, "%s", "feature: missing subcommand");
    for (int i = 0; i < argc; i++)
        if (is_help(argv[i]))
            return printf("%s", usage_feature), 0;
    bool list = !strcmp(argv[0], "list");
    bool toggle = !strcmp(argv[0], "enable") || !strcmp(argv[0], "disable");
    if (!list && !toggle)
        return usage_error(usage_feature, "feature: unknown subcommand '%s'", argv[0]);
    if (argc != (list ? 1 : 2))
        return usage_error(usage_feature, "feature %s: wrong number of arguments", argv[0]);
    if (list) {
        rc = call(c, "GET", "/features", NULL, &out);
    } else {
        char suffix[16];
        snprintf(suffix, sizeof suffix, "/%s", argv[0]);
        path = path_with(c, "/features/", argv[1], suffix);
        rc = path ? call(c, "POST", path, NULL, &out) : EXIT_REFUSED;
    }
    if (!rc && c->json)
        print_json(out);
    else if (!rc)
        print_features(out);
    free(path);
    json_decref(out);
    return rc;
}

/* ---------------------------------------------------------------- revoke, token */

/* Parses a positive decimal integer (epoch seconds, limits); false for anything else. */
static bool parse_count(const char *s, long long *out)
{
    long long v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (LLONG_MAX - (*s - '0')) / 10)
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

static void print_revoked(json_t *out)
{
    bool dry = json_is_true(json_object_get(out, "dry_run"));
    printf("%s %lld grant(s), %lld token(s)", dry ? "would revoke" : "revoked",
           (long long)json_integer_value(json_object_get(out, "grants")),
           (long long)json_integer_value(json_object_get(out, "tokens")));
    json_t *sessions = json_object_get(out, "sessions");
    if (json_integer_value(sessions) > 0) /* only with --sub: the user's login sessions */
        printf(dry ? ", would end %lld session(s)" : ", ended %lld session(s)",
               (long long)json_integer_value(sessions));
    printf("\n");
}

/* POST /revocations with body; prints the counts. */
static int send_revocation(struct cli *c, json_t *body)
{
    json_t *out = NULL;
    int rc = call(c, "POST", "/revocations", body, &out);
    if (!rc && c->json)
        print_json(out);
    else if (!rc)
        print_revoked(out);
    json_decref(out);
    return rc;
}

/* Fills the revocation body from the options. 0, -1 after printing help, or EXIT_USAGE. */
static int revoke_args(json_t *body, int argc, char **argv)
{
    static const char *const flags[][2] = {{"--client", "client_id"}, {"--sub", "sub"},
                                          {"--grant", "grant_id"},   {"--before", "issued_before"},
                                          {"--reason", "reason"}};
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        int m = 0;
        size_t k;
        long long n;
        if (is_help(argv[i]))
            return printf("%s", usage_revoke), -1;
        if (!strcmp(argv[i], "--dry-run")) {
            json_object_set_new(body, "dry_run", json_true());
            continue;
        }
        for (k = 0; k < 5 && !m; k++)
            m = opt(argc, argv, &i, flags[k][0], &v);
        if (m <= 0)
            return usage_error(usage_revoke, m < 0 ? "%s needs a value" : "unexpected argument '%s'",
                               argv[i]);
        if (k == 4 && !(parse_count(v, &n) && n > 0))
            return usage_error(usage_revoke, "--before needs seconds since the epoch, not '%s'", v);
        json_t *val = k == 4 ? json_integer(n) : json_string(v);
        if (!val)
            return usage_error(usage_revoke, "not valid UTF-8: '%s'", v);
        json_object_set_new(body, flags[k - 1][1], val);
    }
    if (!json_object_get(body, "client_id") && !json_object_get(body, "sub") &&
        !json_object_get(body, "grant_id") && !json_object_get(body, "issued_before"))
        return usage_error(usage_revoke, "%s",
                           "revoke needs at least one of --client, --sub, --grant, --before");
    return 0;
}

static int cmd_revoke(struct cli *c, int argc, char **argv)
{
    json_t *body = json_object();
    int rc = body ? revoke_args(body, argc, argv) : EXIT_REFUSED;
    if (rc < 0)
        rc = 0;
    else if (!rc)
        rc = send_revocation(c, body);
    json_decref(body);
    return rc;
}

static void print_tokens(json_t *tokens)
{
    static const char *const headers[] = {"GRANT_ID", "TYPE",  "STATE",  "CLIENT_ID",
                                          "SUB",      "SCOPE", "EXPIRES"};
    json_t *rows = json_array(), *t;
    size_t i;
    json_array_foreach(tokens, i, t) {
        char when[32] = "";
        time_t e = (time_t)json_integer_value(json_object_get(t, "exp"));
        struct tm tm;
        if (gmtime_r(&e, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_array_append_new(rows, json_pack("[s,s,s,s,s,s,s]", str(json_object_get(t, "grant_id")),
                                              str(json_object_get(t, "type")),
                                              str(json_object_get(t, "state")),
                                              str(json_object_get(t, "client_id")),
                                              str(json_object_get(t, "sub")),
                                              str(json_object_get(t, "scope")), when));
    }
    print_table(headers, 7, rows);
    json_decref(rows);
}

static int token_list(struct cli *c, int argc, char **argv)
{
    static const char *const flags[][2] = {{"--client", "client_id"}, {"--sub", "sub"},
                                          {"--limit", "limit"},      {"--offset", "offset"}};
    char *q = strdup(""), *path = NULL;
    json_t *out = NULL;
    bool selector = false;
    int rc = q ? 0 : EXIT_REFUSED;
    for (int i = 0; i < argc && !rc; i++) {
        const char *v = NULL;
        int m = 0;
        size_t k;
        for (k = 0; k < 4 && !m; k++)
            m = opt(argc, argv, &i, flags[k][0], &v);
        if (m <= 0)
            rc = usage_error(usage_token, m < 0 ? "%s needs a value" : "unexpected argument '%s'",
                             argv[i]);
        else if (!query_add(c, &q, flags[k - 1][1], v))
            rc = EXIT_REFUSED;
        selector = selector || k <= 2;
    }
    if (!rc && !selector)
        rc = usage_error(usage_token, "%s", "token list needs --client or --sub");
    if (!rc)
        rc = asprintf(&path, "/tokens%s", q) < 0 ? EXIT_REFUSED : call(c, "GET", path, NULL, &out);
    if (!rc && c->json)
        print_json(out);
    else if (!rc)
        print_tokens(json_object_get(out, "tokens"));
    free(q);
    free(path);
    json_decref(out);
    return rc;
}

static int token_revoke(struct cli *c, int argc, char **argv)
{
    json_t *body = json_object();
    const char *grant = NULL;
    int rc = body ? 0 : EXIT_REFUSED;
    for (int i = 0; i < argc && !rc; i++) {
        const char *v = NULL;
        int m = opt(argc, argv, &i, "--reason", &v);
        if (m > 0 && !json_object_set_new(body, "reason", json_string(v)))
            continue;
        if (!m && argv[i][0] != '-' && !grant)
            grant = argv[i];
        else
            rc = usage_error(usage_token, m < 0 ? "%s needs a value" : "unexpected argument '%s'",
                             argv[i]);
    }
    if (!rc && !grant)
        rc = usage_error(usage_token, "%s", "token revoke: missing GRANT_ID");
    if (!rc && json_object_set_new(body, "grant_id", json_string(grant)))
        rc = usage_error(usage_token, "not valid UTF-8: '%s'", grant);
    if (!rc)
        rc = send_revocation(c, body);
    json_decref(body);
    return rc;
}

static int cmd_token(struct cli *c, int argc, char **argv)
{
    if (argc < 1)
        return usage_error(usage_token, "%s", "token: missing subcommand");
    for (int i = 0; i < argc; i++)
        if (is_help(argv[i]))
            return printf("%s", usage_token), 0;
    if (!strcmp(argv[0], "list"))
        return token_list(c, argc - 1, argv + 1);
    if (!strcmp(argv[0], "revoke"))
        return token_revoke(c, argc - 1, argv + 1);
    return usage_error(usage_token, "token: unknown subcommand '%s'", argv[0]);
}

/* ---------------------------------------------------------------- credential */

static void print_credentials(json_t *list)
{
    static const char *const headers[] = {"NAME", "CREATED"};
    json_t *rows = json_array(), *o;
    size_t i;
    json_array_foreach(list, i, o) {
        char when[32] = "";
        time_t t = (time_t)json_integer_value(json_object_get(o, "created_at"));
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_array_append_new(rows, json_pack("[s,s]", str(json_object_get(o, "name")), when));
    }
    print_table(headers, 2, rows);
    json_decref(rows);
}

static int credential_add(struct cli *c, const char *name)
{
    json_t *body = json_pack("{s:s}", "name", name), *out = NULL;
    int rc = body ? call(c, "POST", "/credentials", body, &out) : EXIT_REFUSED;
    if (!rc && c->json) {
        print_json(out);
    } else if (!rc) {
        printf("name: %s\n", str(json_object_get(out, "name")));
        printf("credential: %s\n", str(json_object_get(out, "credential")));
        fprintf(stderr, "rescind: the credential is shown this once; keep it safe\n");
    }
    json_t *cred = json_object_get(out, "credential");
    if (cred) /* wipe the copy the parsed answer holds */
        explicit_bzero((char *)json_string_value(cred), json_string_length(cred));
    json_decref(body);
    json_decref(out);
    return rc;
}

static int cmd_credential(struct cli *c, int argc, char **argv)
{
    json_t *out = NULL;
    int rc;
    if (argc < 1)
        return usage_error(usage_credential, "%s", "credential: missing subcommand");
    for (int i = 0; i < argc; i++)
        if (is_help(argv[i]))
            return printf("%s", usage_credential), 0;
    bool list = !strcmp(argv[0], "list");
    if (!list && strcmp(argv[0], "add") && strcmp(argv[0], "rm"))
        return usage_error(usage_credential, "credential: unknown subcommand '%s'", argv[0]);
    if (argc != (list ? 1 : 2))
        return usage_error(usage_credential, "credential %s: wrong number of arguments", argv[0]);
    if (!strcmp(argv[0], "add"))
        return credential_add(c, argv[1]);
    if (list) {
        rc = call(c, "GET", "/credentials", NULL, &out);
        if (!rc && c->json)
            print_json(out);
        else if (!rc)
            print_credentials(json_object_get(out, "credentials"));
    } else {
        char *path = path_with(c, "/credentials/", argv[1], "");
        rc = path ? call(c, "DELETE", path, NULL, &out) : EXIT_REFUSED;
        free(path);
        if (!rc && !c->json)
            printf("deleted admin credential %s\n", argv[1]);
    }
    json_decref(out);
    return rc;
}

/* ---------------------------------------------------------------- main */

static int dispatch(struct cli *c, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (!strcmp(cmd, "client"))
        return cmd_client(c, argc - 1, argv + 1);
    if (!strcmp(cmd, "user"))
        return cmd_user(c, argc - 1, argv + 1);
    if (!strcmp(cmd, "audit"))
        return cmd_audit(c, argc - 1, argv + 1);
    if (!strcmp(cmd, "config"))
        return cmd_config(c, argc - 1, argv + 1);
    if (!strcmp(cmd, "feature"))
        return cmd_feature(c, argc - 1, argv + 1);
    if (!strcmp(cmd, "revoke"))
        return cmd_revoke(c, argc - 1, argv + 1);
    if (!strcmp(cmd, "token"))
        return cmd_token(c, argc - 1, argv + 1);
    if (!strcmp(cmd, "credential"))
        return cmd_credential(c, argc - 1, argv + 1);
    if (!strcmp(cmd, "tui")) {
        if (argc > 1)
            return usage_error(usage_main, "tui: unexpected argument '%s'", argv[1]);
        return rs_tui_run(&c->api);
    }
    return usage_error(usage_main, "unknown command '%s'", cmd);
}

/* True when the arguments only ask for help, which needs neither a credential nor a server. */
static bool wants_help_only(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (is_help(argv[i]))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    struct cli c = {0};
    const char *token = NULL, *file = NULL, *url = NULL;
    int i = 1, rc = 0;
    for (; i < argc && argv[i][0] == '-' && !rc; i++) {
        int m;
        if (is_help(argv[i]))
            return printf("%s", usage_main), 0;
        if (!strcmp(argv[i], "--json"))
            c.json = true;
        else if ((m = opt(argc, argv, &i, "--url", &url)) ||
                 (m = opt(argc, argv, &i, "--token", &token)) ||
                 (m = opt(argc, argv, &i, "--credential-file", &file)))
            rc = m < 0 ? usage_error(usage_main, "%s needs a value", argv[i]) : 0;
        else
            rc = usage_error(usage_main, "unknown option '%s'", argv[i]);
    }
    if (rc)
        return rc;
    if (i >= argc)
        return usage_error(usage_main, "%s", "missing command");
    char msg[RS_API_MSG_MAX];
    rc = rs_api_open(&c.api, url, token, file, !wants_help_only(argc - i, argv + i), msg);
    if (rc)
        fprintf(stderr, "rescind: %s\n", msg);
    else
        rc = dispatch(&c, argc - i, argv + i);
    rs_api_close(&c.api);
    return rc;
}
