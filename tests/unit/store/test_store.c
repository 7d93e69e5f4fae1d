/* test_store.c - the SQLite store (src/store/sqlite/store_sqlite.c) on a real database file in
 * a fresh temporary folder per test: migrations, clients, users, the token/grant lifecycle
 * (exchange with reuse detection, grant and client revocation, purge), durability of
 * concurrent writes through group commit, commit failure injection, audit, settings and the
 * CORS origin lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/hash.h"
#include "store/store.h"
#include "testutil.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

struct fixture {
    char dir[256];
    char path[300];
    struct rs_store *s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || rs_test_mkdtemp(f->dir, sizeof f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/rescind.db", f->dir);
    if (rs_store_open(f->path, &f->s))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rs_store_close(f->s);
    rs_test_rmtree(f->dir);
    free(f);
    return 0;
}

static void reopen(struct fixture *f)
{
    rs_store_close(f->s);
    f->s = NULL;
    assert_int_equal(rs_store_open(f->path, &f->s), RS_OK);
}

/* A token row whose digest is SHA-256(name), so tests can refer to tokens by name. */
static struct rs_token tok(const char *name, enum rs_token_type type, const char *grant,
                           const char *client, int64_t exp)
{
    struct rs_token t;
    memset(&t, 0, sizeof t);
    rs_token_key(name, strlen(name), t.hash);
    t.type = type;
    t.state = RS_TS_ACTIVE;
    snprintf(t.grant_id, sizeof t.grant_id, "%s", grant);
    snprintf(t.client_id, sizeof t.client_id, "%s", client);
    snprintf(t.sub, sizeof t.sub, "user-1");
    snprintf(t.scope, sizeof t.scope, "openid offline_access");
    t.iat = time(NULL);
    t.exp = exp;
    return t;
}

static enum rs_err get(struct rs_store *s, const char *name, struct rs_token *out)
{
    unsigned char h[RS_TOKEN_KEY_LEN];
    rs_token_key(name, strlen(name), h);
    return rs_store_token_get(s, h, out);
}

/* State of the named token; -1 when it is not stored. */
static int state_of(struct rs_store *s, const char *name)
{
    struct rs_token t;
    return get(s, name, &t) == RS_OK ? (int)t.state : -1;
}

static int64_t later(void)
{
    return (int64_t)time(NULL) + 3600;
}

/* Stores an access + refresh token pair of one grant: "<grant>.a" and "<grant>.r". */
static void put_pair(struct rs_store *s, const char *grant, const char *client)
{
    char a[64], r[64];
    snprintf(a, sizeof a, "%s.a", grant);
    snprintf(r, sizeof r, "%s.r", grant);
    struct rs_token rows[2] = {tok(a, RS_TOK_ACCESS, grant, client, later()),
                               tok(r, RS_TOK_REFRESH, grant, client, later())};
    assert_int_equal(rs_store_tokens_put(s, rows, 2), RS_OK);
}

/* ---------- schema ---------- */
static void test_migrations(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rs_store_schema_version(f->s), 9); /* the number of migrations */
    put_pair(f->s, "g1", "c1");
    reopen(f); /* applying migrations again must be a no-op that keeps the data */
    assert_int_equal(rs_store_schema_version(f->s), 9); /* the number of migrations */
    assert_int_equal(state_of(f->s, "g1.a"), RS_TS_ACTIVE);
    reopen(f);
    assert_int_equal(rs_store_schema_version(f->s), 9); /* the number of migrations */
}

/* Migration 0005: a token row stored under the old key (32-byte SHA-256) is found afterwards by
 * the key the server now computes for a token of the old 43-character form. */
static void test_migration_token_keys(void **state)
{
    struct fixture *f = *state;
    const char *legacy = "Z6cW8iDqg8pYxY3N1o3k2f9m3d8lq1mZkW8cCwq4vD0";
    struct rs_token t = tok(legacy, RS_TOK_ACCESS, "g-old", "c1", later());
    assert_int_equal(rs_store_tokens_put(f->s, &t, 1), RS_OK);
    rs_store_close(f->s);
    f->s = NULL;
    /* turn the database back into schema 4, with the token under its old key */
    sqlite3 *db = NULL;
    unsigned char old[RS_HASH_LEN];
    rs_hash_sha256(legacy, strlen(legacy), old);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE tokens SET hash = ?1", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, old, sizeof old, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db, "DELETE FROM schema_version WHERE version >= 5", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(rs_store_open(f->path, &f->s), RS_OK);
    assert_int_equal(rs_store_schema_version(f->s), 9);
    struct rs_token got;
    assert_int_equal(get(f->s, legacy, &got), RS_OK);
    assert_string_equal(got.grant_id, "g-old");
}

/* A database path through a symlink: SQLite keeps its WAL next to the real file, and the store
 * must fsync that one (a guessed "<path>-wal" does not exist and broke every write). */
static void test_symlinked_path(void **state)
{
    struct fixture *f = *state;
    char real[400], link[400];
    snprintf(real, sizeof real, "%s/real", f->dir);
    snprintf(link, sizeof link, "%s/link", f->dir);
    assert_int_equal(mkdir(real, 0700), 0);
    assert_int_equal(mkdir(link, 0700), 0);
    char target[450], path[450];
    snprintf(target, sizeof target, "%s/r.db", real);
    snprintf(path, sizeof path, "%s/r.db", link);
    assert_int_equal(symlink(target, path), 0);
    struct rs_store *s = NULL;
    assert_int_equal(rs_store_open(path, &s), RS_OK);
    put_pair(s, "g-link", "c1"); /* asserts RS_OK: the commit was fsynced */
    struct rs_token t;
    assert_int_equal(get(s, "g-link.a", &t), RS_OK);
    rs_store_close(s);
}

/* Admin credential names are unique, checked inside the insert's transaction: the second put of
 * a name fails whatever the credential, and the first one still works. */
static void test_admin_cred_unique_name(void **state)
{
    struct fixture *f = *state;
    unsigned char a[RS_HASH_LEN], b[RS_HASH_LEN];
    memset(a, 0xaa, sizeof a);
    memset(b, 0xbb, sizeof b);
    assert_int_equal(rs_store_admin_cred_put(f->s, a, "ops"), RS_OK);
    assert_int_equal(rs_store_admin_cred_put(f->s, b, "ops"), RS_ERR_CONFLICT);
    char name[RS_ID_MAX + 1];
    assert_int_equal(rs_store_admin_cred_check(f->s, a, name), RS_OK);
    assert_string_equal(name, "ops");
    assert_int_equal(rs_store_admin_cred_check(f->s, b, name), RS_ERR_NOT_FOUND);
    assert_int_equal(rs_store_admin_cred_put(f->s, b, "ops-2"), RS_OK);
}

static void test_open_failure(void **state)
{
    struct fixture *f = *state;
    char bad[400];
    struct rs_store *s = (struct rs_store *)1;
    snprintf(bad, sizeof bad, "%s/no/such/folder/x.db", f->dir);
    assert_int_equal(rs_store_open(bad, &s), RS_ERR_STORE);
    assert_null(s);
}

/* ---------- clients ---------- */
static void client_init(struct rs_client *c, const char *id, const char *origins)
{
    memset(c, 0, sizeof *c);
    snprintf(c->client_id, sizeof c->client_id, "%s", id);
    c->has_secret = true;
    memset(c->secret_hash, 0xab, sizeof c->secret_hash);
    c->auth_method = strdup("client_secret_basic");
    c->redirect_uris = strdup("https://app.example/cb https://app.example/cb2");
    c->grant_types = strdup("authorization_code refresh_token");
    c->response_types = strdup("code");
    c->scope = strdup("");
    c->client_name = strdup("App");
    c->origins = strdup(origins);
    c->created_at = 1000;
}

struct seen {
    char ids[8][RS_ID_MAX + 1];
    size_t n;
};

static void collect_client(const struct rs_client *c, void *arg)
{
    struct seen *s = arg;
    if (s->n < 8)
        snprintf(s->ids[s->n++], sizeof s->ids[0], "%s", c->client_id);
}

static void test_clients_crud(void **state)
{
    struct fixture *f = *state;
    struct rs_client c, got;
    client_init(&c, "client-a", "https://app.example");
    assert_int_equal(rs_store_client_put(f->s, &c), RS_OK);
    assert_int_equal(rs_store_client_put(f->s, &c), RS_ERR_CONFLICT);

    assert_int_equal(rs_store_client_get(f->s, "client-a", &got), RS_OK);
    assert_string_equal(got.client_id, "client-a");
    assert_true(got.has_secret);
    assert_memory_equal(got.secret_hash, c.secret_hash, RS_HASH_LEN);
    assert_false(got.has_reg_token);
    assert_string_equal(got.auth_method, "client_secret_basic");
    assert_string_equal(got.redirect_uris, c.redirect_uris);
    assert_string_equal(got.grant_types, c.grant_types);
    assert_string_equal(got.client_name, "App");
    assert_int_equal(got.created_at, 1000);
    rs_client_clear(&got);
    assert_int_equal(rs_store_client_get(f->s, "client-b", &got), RS_ERR_NOT_FOUND);

    free(c.redirect_uris);
    c.redirect_uris = strdup("https://new.example/cb");
    c.has_secret = false;
    c.has_reg_token = true;
    memset(c.reg_token_hash, 0x11, RS_HASH_LEN);
    assert_int_equal(rs_store_client_update(f->s, &c), RS_OK);
    assert_int_equal(rs_store_client_get(f->s, "client-a", &got), RS_OK);
    assert_string_equal(got.redirect_uris, "https://new.example/cb");
    assert_false(got.has_secret);
    assert_true(got.has_reg_token);
    assert_memory_equal(got.reg_token_hash, c.reg_token_hash, RS_HASH_LEN);
    rs_client_clear(&got);

    struct rs_client b;
    client_init(&b, "client-b", "");
    b.created_at = 2000;
    assert_int_equal(rs_store_client_put(f->s, &b), RS_OK);
    assert_int_equal(rs_store_client_count(f->s), 2);
    struct seen seen = {0};
    assert_int_equal(rs_store_client_list(f->s, collect_client, &seen), RS_OK);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.ids[0], "client-a");
    assert_string_equal(seen.ids[1], "client-b");

    snprintf(b.client_id, sizeof b.client_id, "client-zzz");
    assert_int_equal(rs_store_client_update(f->s, &b), RS_ERR_NOT_FOUND);

    assert_int_equal(rs_store_client_delete(f->s, "client-a"), RS_OK);
    assert_int_equal(rs_store_client_get(f->s, "client-a", &got), RS_ERR_NOT_FOUND);
    assert_int_equal(rs_store_client_delete(f->s, "client-a"), RS_ERR_NOT_FOUND);
    assert_int_equal(rs_store_client_count(f->s), 1);
    rs_client_clear(&c);
    rs_client_clear(&b);
}

static void test_client_delete_revokes_grants(void **state)
{
    struct fixture *f = *state;
    struct rs_client c;
    client_init(&c, "doomed", "");
    assert_int_equal(rs_store_client_put(f->s, &c), RS_OK);
    put_pair(f->s, "gd", "doomed");
    put_pair(f->s, "gk", "keeper");
    assert_int_equal(rs_store_client_delete(f->s, "doomed"), RS_OK);
    assert_int_equal(state_of(f->s, "gd.a"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "gd.r"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "gk.a"), RS_TS_ACTIVE);
    rs_client_clear(&c);
}

/* ---------- users ---------- */
static void user_init(struct rs_user *u, const char *sub, const char *name)
{
    memset(u, 0, sizeof *u);
    snprintf(u->sub, sizeof u->sub, "%s", sub);
    snprintf(u->username, sizeof u->username, "%s", name);
    u->pw_hash = strdup("$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
    u->email = strdup("alice@example.com");
    u->name = strdup("Alice");
    u->created_at = 42;
}

static void test_users(void **state)
{
    struct fixture *f = *state;
    struct rs_user u, got;
    user_init(&u, "sub-alice", "alice");
    assert_int_equal(rs_store_user_put(f->s, &u), RS_OK);

    assert_int_equal(rs_store_user_get_by_name(f->s, "alice", &got), RS_OK);
    assert_string_equal(got.sub, "sub-alice");
    assert_string_equal(got.pw_hash, u.pw_hash);
    assert_string_equal(got.email, "alice@example.com");
    assert_string_equal(got.name, "Alice");
    assert_int_equal(got.created_at, 42);
    rs_user_clear(&got);
    assert_int_equal(rs_store_user_get_by_sub(f->s, "sub-alice", &got), RS_OK);
    assert_string_equal(got.username, "alice");
    rs_user_clear(&got);
    assert_int_equal(rs_store_user_get_by_name(f->s, "bob", &got), RS_ERR_NOT_FOUND);
    assert_int_equal(rs_store_user_get_by_sub(f->s, "alice", &got), RS_ERR_NOT_FOUND);

    /* a username is unique even under another subject, and so is a subject */
    struct rs_user dup;
    user_init(&dup, "sub-other", "alice");
    assert_int_equal(rs_store_user_put(f->s, &dup), RS_ERR_CONFLICT);
    rs_user_clear(&dup);
    user_init(&dup, "sub-alice", "alice2");
    assert_int_equal(rs_store_user_put(f->s, &dup), RS_ERR_CONFLICT);
    rs_user_clear(&dup);

    /* deleting a user revokes their grants */
    struct rs_token t = tok("ut.a", RS_TOK_ACCESS, "gu", "c1", later());
    snprintf(t.sub, sizeof t.sub, "sub-alice");
    assert_int_equal(rs_store_tokens_put(f->s, &t, 1), RS_OK);
    assert_int_equal(rs_store_user_delete(f->s, "alice"), RS_OK);
    assert_int_equal(rs_store_user_get_by_name(f->s, "alice", &got), RS_ERR_NOT_FOUND);
    assert_int_equal(state_of(f->s, "ut.a"), RS_TS_REVOKED);
    assert_int_equal(rs_store_user_delete(f->s, "alice"), RS_ERR_NOT_FOUND);
    rs_user_clear(&u);
}

/* ---------- tokens ---------- */
static void test_tokens_put_get(void **state)
{
    struct fixture *f = *state;
    struct rs_token rows[2] = {tok("acc", RS_TOK_ACCESS, "g1", "c1", later()),
                               tok("ref", RS_TOK_REFRESH, "g1", "c1", later() + 10)};
    snprintf(rows[0].nonce, sizeof rows[0].nonce, "n-0S6");
    assert_int_equal(rs_store_tokens_put(f->s, rows, 2), RS_OK);
    struct rs_token got;
    assert_int_equal(get(f->s, "acc", &got), RS_OK);
    assert_memory_equal(got.hash, rows[0].hash, RS_TOKEN_KEY_LEN);
    assert_int_equal(got.type, RS_TOK_ACCESS);
    assert_int_equal(got.state, RS_TS_ACTIVE);
    assert_string_equal(got.grant_id, "g1");
    assert_string_equal(got.client_id, "c1");
    assert_string_equal(got.sub, "user-1");
    assert_string_equal(got.scope, "openid offline_access");
    assert_string_equal(got.nonce, "n-0S6");
    assert_int_equal(got.exp, rows[0].exp);
    assert_int_equal(get(f->s, "ref", &got), RS_OK);
    assert_int_equal(got.type, RS_TOK_REFRESH);
    assert_int_equal(got.exp, rows[1].exp);
    assert_int_equal(get(f->s, "nope", &got), RS_ERR_NOT_FOUND);
    /* the same digest twice is a conflict, and the batch stores nothing */
    struct rs_token again[2] = {tok("fresh", RS_TOK_ACCESS, "g2", "c1", later()),
                                tok("acc", RS_TOK_ACCESS, "g2", "c1", later())};
    assert_int_equal(rs_store_tokens_put(f->s, again, 2), RS_ERR_CONFLICT);
    assert_int_equal(get(f->s, "fresh", &got), RS_ERR_NOT_FOUND);
}

struct check_arg {
    const char *client; /* presenting client; NULL: "c1", whose tokens these tests put */
    int calls;
    enum rs_err result;
    char seen_grant[RS_GRANT_ID_LEN + 1];
    enum rs_token_type seen_type;
};

/* Mints the replacement pair "<n>.a2"/"<n>.r2" in the old token's grant. */
static enum rs_err check_fn(const struct rs_token *old, void *arg, struct rs_token *rows,
                            size_t cap, size_t *n_out)
{
    struct check_arg *a = arg;
    a->calls++;
    snprintf(a->seen_grant, sizeof a->seen_grant, "%s", old->grant_id);
    a->seen_type = old->type;
    assert_true(cap >= 2);
    rows[0] = tok("new.a", RS_TOK_ACCESS, old->grant_id, old->client_id, later());
    rows[1] = tok("new.r", RS_TOK_REFRESH, old->grant_id, old->client_id, later());
    *n_out = 2;
    return a->result;
}

static enum rs_err exchange(struct rs_store *s, const char *name, enum rs_token_type type,
                            int64_t now, struct check_arg *a)
{
    unsigned char h[RS_TOKEN_KEY_LEN];
    struct rs_token rows[3];
    rs_token_key(name, strlen(name), h);
    return rs_store_token_exchange(s, h, type, a->client ? a->client : "c1", now, check_fn, a,
                                   rows, 3);
}

static void test_exchange_success_then_reuse(void **state)
{
    struct fixture *f = *state;
    put_pair(f->s, "g1", "c1");
    put_pair(f->s, "other", "c1");
    struct check_arg a = {.result = RS_OK};
    assert_int_equal(exchange(f->s, "g1.r", RS_TOK_REFRESH, time(NULL), &a), RS_OK);
    assert_int_equal(a.calls, 1);
    assert_string_equal(a.seen_grant, "g1");
    assert_int_equal(a.seen_type, RS_TOK_REFRESH);
    assert_int_equal(state_of(f->s, "g1.r"), RS_TS_USED);
    assert_int_equal(state_of(f->s, "new.a"), RS_TS_ACTIVE);
    assert_int_equal(state_of(f->s, "new.r"), RS_TS_ACTIVE);
    struct rs_token t;
    assert_int_equal(get(f->s, "new.r", &t), RS_OK);
    assert_string_equal(t.grant_id, "g1");

    /* presenting the rotated token again: reuse, the whole grant is revoked */
    a.calls = 0;
    assert_int_equal(exchange(f->s, "g1.r", RS_TOK_REFRESH, time(NULL), &a), RS_ERR_CONFLICT);
    assert_int_equal(a.calls, 0);
    assert_int_equal(state_of(f->s, "g1.a"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "g1.r"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "new.a"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "new.r"), RS_TS_REVOKED);
    /* ... and that is durable, and other grants are untouched */
    reopen(f);
    assert_int_equal(state_of(f->s, "new.r"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "other.r"), RS_TS_ACTIVE);
    /* a revoked token is simply not found */
    assert_int_equal(exchange(f->s, "new.r", RS_TOK_REFRESH, time(NULL), &a), RS_ERR_NOT_FOUND);
    assert_int_equal(a.calls, 0);
}

static void test_exchange_refusals(void **state)
{
    struct fixture *f = *state;
    put_pair(f->s, "g1", "c1");
    struct check_arg a = {.result = RS_OK};
    /* an access token is not a refresh token, nor a code */
    assert_int_equal(exchange(f->s, "g1.a", RS_TOK_REFRESH, time(NULL), &a), RS_ERR_NOT_FOUND);
    assert_int_equal(exchange(f->s, "g1.r", RS_TOK_CODE, time(NULL), &a), RS_ERR_NOT_FOUND);
    assert_int_equal(exchange(f->s, "unknown", RS_TOK_REFRESH, time(NULL), &a), RS_ERR_NOT_FOUND);
    /* expired at `now` (exp is exclusive) */
    struct rs_token t;
    assert_int_equal(get(f->s, "g1.r", &t), RS_OK);
    assert_int_equal(exchange(f->s, "g1.r", RS_TOK_REFRESH, t.exp, &a), RS_ERR_NOT_FOUND);
    assert_int_equal(exchange(f->s, "g1.r", RS_TOK_REFRESH, t.exp + 100, &a), RS_ERR_NOT_FOUND);
    assert_int_equal(a.calls, 0);
    assert_int_equal(state_of(f->s, "g1.r"), RS_TS_ACTIVE);
    assert_int_equal(state_of(f->s, "g1.a"), RS_TS_ACTIVE);

    /* check() refusing aborts the exchange: nothing changes, nothing new is stored */
    a.result = RS_ERR_INVALID;
    assert_int_equal(exchange(f->s, "g1.r", RS_TOK_REFRESH, time(NULL), &a), RS_ERR_INVALID);
    assert_int_equal(a.calls, 1);
    assert_int_equal(state_of(f->s, "g1.r"), RS_TS_ACTIVE);
    assert_int_equal(state_of(f->s, "new.a"), -1);
    assert_int_equal(state_of(f->s, "new.r"), -1);
    /* and the token can still be exchanged afterwards */
    a.result = RS_OK;
    assert_int_equal(exchange(f->s, "g1.r", RS_TOK_REFRESH, time(NULL), &a), RS_OK);
    assert_int_equal(state_of(f->s, "g1.r"), RS_TS_USED);
}

static void test_code_exchange_single_use(void **state)
{
    struct fixture *f = *state;
    struct rs_token code = tok("the-code", RS_TOK_CODE, "gc", "c1", later());
    snprintf(code.redirect_uri, sizeof code.redirect_uri, "https://app.example/cb");
    snprintf(code.code_challenge, sizeof code.code_challenge,
             "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    assert_int_equal(rs_store_tokens_put(f->s, &code, 1), RS_OK);
    struct rs_token got;
    assert_int_equal(get(f->s, "the-code", &got), RS_OK);
    assert_string_equal(got.redirect_uri, "https://app.example/cb");
    assert_string_equal(got.code_challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    struct check_arg a = {.result = RS_OK};
    /* another client: as if unknown, live or used, and nothing changes */
    struct check_arg other = {.client = "c2", .result = RS_OK};
    assert_int_equal(exchange(f->s, "the-code", RS_TOK_CODE, time(NULL), &other), RS_ERR_NOT_FOUND);
    assert_int_equal(other.calls, 0);
    assert_int_equal(state_of(f->s, "the-code"), RS_TS_ACTIVE);
    assert_int_equal(exchange(f->s, "the-code", RS_TOK_CODE, time(NULL), &a), RS_OK);
    assert_int_equal(a.seen_type, RS_TOK_CODE);
    assert_int_equal(exchange(f->s, "the-code", RS_TOK_CODE, time(NULL), &other), RS_ERR_NOT_FOUND);
    assert_int_equal(state_of(f->s, "new.a"), RS_TS_ACTIVE); /* its replay revoked nothing */
    assert_int_equal(exchange(f->s, "the-code", RS_TOK_CODE, time(NULL), &a), RS_ERR_CONFLICT);
    assert_int_equal(state_of(f->s, "new.a"), RS_TS_REVOKED);
}

static void test_grants_revoke(void **state)
{
    struct fixture *f = *state;
    put_pair(f->s, "g1", "c1");
    put_pair(f->s, "g2", "c1");
    put_pair(f->s, "g3", "c1");
    const char *ids[] = {"g1", "g2"};
    size_t n = 99;
    assert_int_equal(rs_store_grants_revoke(f->s, ids, 2, &n), RS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(state_of(f->s, "g1.a"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "g1.r"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "g2.a"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "g3.a"), RS_TS_ACTIVE);
    /* revoking again changes nothing and says so */
    assert_int_equal(rs_store_grants_revoke(f->s, ids, 2, &n), RS_OK);
    assert_int_equal(n, 0);
    const char *unknown[] = {"no-such-grant"};
    assert_int_equal(rs_store_grants_revoke(f->s, unknown, 1, &n), RS_OK);
    assert_int_equal(n, 0);
}

static void test_client_grants_revoke(void **state)
{
    struct fixture *f = *state;
    put_pair(f->s, "a1", "client-a");
    put_pair(f->s, "a2", "client-a");
    put_pair(f->s, "b1", "client-b");
    size_t grants = 0, tokens = 0;
    assert_int_equal(rs_store_client_grants_revoke(f->s, "client-a", &grants, &tokens), RS_OK);
    assert_int_equal(grants, 2);
    assert_int_equal(tokens, 4);
    assert_int_equal(state_of(f->s, "a1.a"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "a2.r"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "b1.a"), RS_TS_ACTIVE);
    assert_int_equal(state_of(f->s, "b1.r"), RS_TS_ACTIVE);
    assert_int_equal(rs_store_client_grants_revoke(f->s, "client-a", &grants, &tokens), RS_OK);
    assert_int_equal(grants, 0);
    assert_int_equal(tokens, 0);
}

/* ---------- grants without a user (client_credentials): the token row is the grant ---------- */
static struct rs_token cc_tok(const char *name, const char *client, int64_t exp)
{
    struct rs_token t = tok(name, RS_TOK_ACCESS, "", client, exp);
    t.sub[0] = '\0';
    rs_store_client_grant_id(t.hash, t.grant_id);
    return t;
}

static void put_cc(struct rs_store *s, const char *name, const char *client, int64_t exp,
                   char grant_out[RS_GRANT_ID_LEN + 1])
{
    struct rs_token t = cc_tok(name, client, exp);
    assert_int_equal(rs_store_tokens_put(s, &t, 1), RS_OK);
    if (grant_out)
        snprintf(grant_out, RS_GRANT_ID_LEN + 1, "%s", t.grant_id);
}

static void test_client_grant_ids(void **state)
{
    (void)state;
    unsigned char key[RS_TOKEN_KEY_LEN], prefix[8];
    char id[RS_GRANT_ID_LEN + 1], other[RS_GRANT_ID_LEN + 1];
    for (int i = 0; i < RS_TOKEN_KEY_LEN; i++)
        key[i] = (unsigned char)(0xf0 + i);
    rs_store_client_grant_id(key, id);
    rs_store_client_grant_id(key, other);
    assert_int_equal(strlen(id), RS_GRANT_ID_LEN);
    assert_memory_equal(id, "kf0f1f2f3f4f5f6f7", 17);
    assert_string_not_equal(id, other); /* 60 random bits after the key's time */
    assert_true(rs_store_client_grant_prefix(id, prefix));
    assert_memory_equal(prefix, key, 8);
    /* the ids of grants with a user (hex only) and malformed ones are not of this form */
    assert_false(rs_store_client_grant_prefix("0193a1b2c3d4e5f60718293a4b5c6d7e", prefix));
    assert_false(rs_store_client_grant_prefix("kf0f1", prefix));
    assert_false(rs_store_client_grant_prefix("kz0f1f2f3f4f5f6f7aaaaaaaaaaaaaaa", prefix));
}

/* A user-less grant is revoked by its id (found through the token key range), by client and by
 * the admin selection, and only ever itself: tokens of other grants issued in the same instant
 * and of other clients stay live. */
static void test_client_grants(void **state)
{
    struct fixture *f = *state;
    char g1[RS_GRANT_ID_LEN + 1], g2[RS_GRANT_ID_LEN + 1], gb[RS_GRANT_ID_LEN + 1];
    put_cc(f->s, "cc1", "client-a", later(), g1);
    put_cc(f->s, "cc2", "client-a", later(), g2);
    put_cc(f->s, "ccb", "client-b", later(), gb);
    put_pair(f->s, "ua", "client-a");
    struct rs_token got;
    assert_int_equal(get(f->s, "cc1", &got), RS_OK);
    assert_string_equal(got.grant_id, g1);
    assert_string_equal(got.sub, "");

    /* same key prefix, other random part: no such grant */
    char wrong[RS_GRANT_ID_LEN + 1];
    snprintf(wrong, sizeof wrong, "%s", g1);
    wrong[RS_GRANT_ID_LEN - 1] = wrong[RS_GRANT_ID_LEN - 1] == '0' ? '1' : '0';
    const char *bad[] = {wrong};
    size_t n = 99;
    assert_int_equal(rs_store_grants_revoke(f->s, bad, 1, &n), RS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(state_of(f->s, "cc1"), RS_TS_ACTIVE);

    const char *ids[] = {g1};
    assert_int_equal(rs_store_grants_revoke(f->s, ids, 1, &n), RS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(state_of(f->s, "cc1"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "cc2"), RS_TS_ACTIVE);

    /* client-a has cc2 and the user grant ua left */
    struct rs_revoke_select sel = {.client_id = "client-a", .dry_run = true};
    size_t grants = 0, tokens = 0;
    assert_int_equal(rs_store_revoke_select(f->s, &sel, &grants, &tokens, NULL), RS_OK);
    assert_int_equal(grants, 2);
    assert_int_equal(tokens, 3);
    struct rs_revoke_select by_id = {.grant_id = g2, .dry_run = true};
    assert_int_equal(rs_store_revoke_select(f->s, &by_id, &grants, &tokens, NULL), RS_OK);
    assert_int_equal(grants, 1);
    assert_int_equal(tokens, 1);

    assert_int_equal(rs_store_client_grants_revoke(f->s, "client-a", &grants, &tokens), RS_OK);
    assert_int_equal(grants, 2);
    assert_int_equal(tokens, 3);
    assert_int_equal(state_of(f->s, "cc2"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "ua.r"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "ccb"), RS_TS_ACTIVE);

    /* deleting a client revokes its user-less grants too */
    struct rs_client c;
    client_init(&c, "client-b", "");
    assert_int_equal(rs_store_client_put(f->s, &c), RS_OK);
    assert_int_equal(rs_store_client_delete(f->s, "client-b"), RS_OK);
    assert_int_equal(state_of(f->s, "ccb"), RS_TS_REVOKED);
    rs_client_clear(&c);
}

/* Revocation of one presented token (found and revoked by one statement): the whole grant goes,
 * another client's token is refused without a change unless the caller may revoke it, and an
 * unknown, expired or already revoked token changes nothing. */
static enum rs_err revoke1(struct rs_store *s, const char *name, const char *client, bool any,
                           struct rs_revoke_result *out)
{
    unsigned char key[1][RS_TOKEN_KEY_LEN];
    rs_token_key(name, strlen(name), key[0]);
    struct rs_revoke_req r = {.hashes = (const unsigned char(*)[RS_TOKEN_KEY_LEN])key,
                              .n = 1,
                              .presented = 1,
                              .client_id = client,
                              .may_revoke_foreign = any,
                              .now = time(NULL)};
    return rs_store_revoke(s, &r, out);
}

static void test_revoke_single(void **state)
{
    struct fixture *f = *state;
    struct rs_revoke_result res;
    put_cc(f->s, "own", "client-a", later(), NULL);
    put_cc(f->s, "theirs", "client-b", later(), NULL);
    put_cc(f->s, "old", "client-a", (int64_t)time(NULL) - 5, NULL);
    put_pair(f->s, "ug", "client-a");

    assert_int_equal(revoke1(f->s, "own", "client-a", false, &res), RS_OK);
    assert_int_equal(res.tokens, 1);
    assert_int_equal(res.grants, 1);
    assert_int_equal(state_of(f->s, "own"), RS_TS_REVOKED);

    /* a refresh token: its grant's access token goes too */
    assert_int_equal(revoke1(f->s, "ug.r", "client-a", false, &res), RS_OK);
    assert_int_equal(res.tokens, 2);
    assert_int_equal(res.grants, 1);
    assert_int_equal(state_of(f->s, "ug.a"), RS_TS_REVOKED);

    /* another client's: refused, nothing changed */
    assert_int_equal(revoke1(f->s, "theirs", "client-a", false, &res), RS_ERR_DENIED);
    assert_true(res.foreign);
    assert_int_equal(state_of(f->s, "theirs"), RS_TS_ACTIVE);

    /* unknown, expired, already revoked: nothing to do */
    assert_int_equal(revoke1(f->s, "no-such-token", "client-a", false, &res), RS_OK);
    assert_int_equal(res.tokens + res.found, 0);
    assert_int_equal(revoke1(f->s, "old", "client-a", false, &res), RS_OK);
    assert_int_equal(res.tokens + res.found, 0);
    assert_int_equal(state_of(f->s, "old"), RS_TS_ACTIVE);
    assert_int_equal(revoke1(f->s, "own", "client-a", false, &res), RS_OK);
    assert_int_equal(res.tokens + res.found, 0);

    /* allowed to revoke anyone's */
    assert_int_equal(revoke1(f->s, "theirs", "client-a", true, &res), RS_OK);
    assert_true(res.foreign);
    assert_int_equal(res.tokens, 1);
    assert_int_equal(state_of(f->s, "theirs"), RS_TS_REVOKED);
}

/* Asynchronous revocations that land in one batch share one savepoint. When one of them fails
 * after making its changes, the whole run is undone and each runs again on its own: the failing
 * one changes nothing, its neighbours revoke exactly once (each finds its token live again on
 * the re-run), and no audit record of the undone first run survives. */
struct async_done {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    size_t n;
    enum rs_err result[8];
};

struct async_slot {
    struct async_done *d;
    size_t i;
    struct rs_revoke_result out;
};

static void on_async_done(void *arg, enum rs_err result)
{
    struct async_slot *slot = arg;
    pthread_mutex_lock(&slot->d->lock);
    slot->d->result[slot->i] = result;
    slot->d->n++;
    pthread_cond_signal(&slot->d->cv);
    pthread_mutex_unlock(&slot->d->lock);
}

struct revoke_audits {
    size_t revoked, all;
};

static void count_revoke_audit(const struct rs_audit *a, void *arg)
{
    struct revoke_audits *c = arg;
    if (strcmp(a->event, "revoke") != 0)
        return;
    c->all++;
    c->revoked += strcmp(a->outcome, "revoked") == 0;
}

/* queues one revocation per name while the writer is held, so that they share a batch;
 * results[i] and tokens[i]: each one's result and number of tokens it revoked */
static void revoke_batch(struct rs_store *s, const char *const *names, size_t n,
                         enum rs_err *results, size_t *tokens)
{
    struct async_done d = {.n = 0};
    struct async_slot slots[8];
    unsigned char keys[8][RS_TOKEN_KEY_LEN];
    struct rs_revoke_req reqs[8]; /* the store keeps pointers to them until each is done */
    assert_true(n <= 8);
    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.cv, NULL);
    rs_store_hold_writer(s, true);
    for (size_t i = 0; i < n; i++) {
        rs_token_key(names[i], strlen(names[i]), keys[i]);
        reqs[i] = (struct rs_revoke_req){.hashes = (const unsigned char(*)[RS_TOKEN_KEY_LEN])keys[i],
                                         .n = 1,
                                         .presented = 1,
                                         .client_id = "client-a",
                                         .now = time(NULL)};
        slots[i] = (struct async_slot){.d = &d, .i = i};
        assert_int_equal(
            rs_store_revoke_async(s, &reqs[i], &slots[i].out, on_async_done, &slots[i]), RS_OK);
    }
    rs_store_hold_writer(s, false);
    pthread_mutex_lock(&d.lock);
    while (d.n < n)
        pthread_cond_wait(&d.cv, &d.lock);
    pthread_mutex_unlock(&d.lock);
    for (size_t i = 0; i < n; i++) {
        results[i] = d.result[i];
        tokens[i] = slots[i].out.tokens;
    }
    pthread_mutex_destroy(&d.lock);
    pthread_cond_destroy(&d.cv);
}

static struct revoke_audits revoke_audits(struct rs_store *s)
{
    struct revoke_audits c = {0};
    struct rs_audit_filter flt = {.client_id = "client-a", .event = "revoke"};
    assert_int_equal(rs_store_audit_list(s, &flt, count_revoke_audit, &c), RS_OK);
    return c;
}

/* every one of names succeeded, revoked its one token once, and is revoked in the store */
static void assert_all_revoked(struct rs_store *s, const char *const *names, size_t n,
                               const enum rs_err *res, const size_t *tokens)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(res[i], RS_OK);
        assert_int_equal(tokens[i], 1);
        assert_int_equal(state_of(s, names[i]), RS_TS_REVOKED);
    }
}

/* tokens revoked by committed transactions so far (rescind_tokens_revoked_total) */
static uint64_t revoked_total(struct rs_store *s)
{
    struct rs_store_stats st;
    rs_store_stats(s, &st);
    return st.tokens_revoked;
}

static void test_revoke_batch_failure(void **state)
{
    struct fixture *f = *state;
    uint64_t base = revoked_total(f->s);
    const char *names[] = {"bt0", "bt1", "bt2", "bt3", "bt4", "bt5", "bt6", "bt7", "bt8", "bt9",
                           "bt10", "bt11"};
    enum rs_err res[8];
    size_t toks[8];
    for (size_t i = 0; i < 12; i++)
        put_cc(f->s, names[i], "client-a", later(), NULL);

    /* three in one batch, all revoked */
    revoke_batch(f->s, names, 3, res, toks);
    assert_all_revoked(f->s, names, 3, res, toks);
    assert_int_equal(revoke_audits(f->s).revoked, 3);
    assert_int_equal(revoked_total(f->s) - base, 3);

    /* the first fails twice (in the shared run and again on its own): only it stays live */
    rs_store_fail_revocations(f->s, 0, 2);
    revoke_batch(f->s, names + 3, 4, res, toks);
    assert_int_equal(res[0], RS_ERR_STORE);
    assert_int_equal(state_of(f->s, "bt3"), RS_TS_ACTIVE);
    assert_all_revoked(f->s, names + 4, 3, res + 1, toks + 1);
    assert_int_equal(revoke_audits(f->s).revoked, 6);
    assert_int_equal(revoked_total(f->s) - base, 6); /* the undone run counts once, by re-run */

    /* the second fails once, after the first revoked: the first's revocation and audit record
     * are undone, and on the re-run each of the three revokes its token once */
    rs_store_fail_revocations(f->s, 1, 1);
    const char *mid[] = {"bt3", "bt7", "bt8"};
    revoke_batch(f->s, mid, 3, res, toks);
    assert_all_revoked(f->s, mid, 3, res, toks);
    assert_int_equal(revoked_total(f->s) - base, 9);

    /* the last fails once, after both others revoked */
    rs_store_fail_revocations(f->s, 2, 1);
    revoke_batch(f->s, names + 9, 3, res, toks);
    assert_all_revoked(f->s, names + 9, 3, res, toks);

    assert_int_equal(revoked_total(f->s) - base, 12);
    struct revoke_audits c = revoke_audits(f->s);
    assert_int_equal(c.revoked, 12);
    assert_int_equal(c.all, 12); /* no record of an undone run, nothing else */
}

/* Revoke-all of a client with more user-less grants than an audit record names: every one is
 * revoked and counted, the record names the first 1000. */
struct all_audit {
    size_t records;
    bool counted;  /* "grants_revoked":1005 */
    size_t ids;    /* grant ids listed */
};

static void read_all_audit(const struct rs_audit *a, void *arg)
{
    struct all_audit *c = arg;
    if (strcmp(a->event, "revoke") != 0 || strcmp(a->outcome, "revoked_all") != 0)
        return;
    c->records++;
    c->counted = strstr(a->detail, "\"grants_revoked\":1005,") != NULL;
    /* each listed id is a quoted string starting with 'k' (a user-less grant) */
    const char *p = strstr(a->detail, "\"grant_ids\":["), *end = p ? strchr(p, ']') : NULL;
    c->ids = 0;
    while (p && end && (p = strstr(p + 1, "\"k")) && p < end)
        c->ids++;
}

static void test_revoke_all_many_client_grants(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 1005; i++) {
        char name[32];
        snprintf(name, sizeof name, "many%04d", i);
        put_cc(f->s, name, "c-many-all", later(), NULL);
    }
    put_cc(f->s, "other-client", "c-other", later(), NULL);
    struct rs_revoke_req r = {.all = true, .client_id = "c-many-all", .now = time(NULL)};
    struct rs_revoke_result out;
    assert_int_equal(rs_store_revoke(f->s, &r, &out), RS_OK);
    assert_int_equal(out.grants, 1005);
    assert_int_equal(out.tokens, 1005);
    assert_int_equal(state_of(f->s, "many0000"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "many1004"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "other-client"), RS_TS_ACTIVE);
    struct all_audit c = {0};
    struct rs_audit_filter flt = {.client_id = "c-many-all", .event = "revoke"};
    assert_int_equal(rs_store_audit_list(f->s, &flt, read_all_audit, &c), RS_OK);
    assert_int_equal(c.records, 1);
    assert_true(c.counted);
    assert_int_equal(c.ids, 1000);
}

/* true when the status list has index i set */
static bool status_bit(struct rs_store *s, int64_t i)
{
    unsigned char *bits = NULL;
    size_t len = 0;
    assert_int_equal(rs_store_status_bits(s, &bits, &len), RS_OK);
    bool set = (size_t)(i / 8) < len && (bits[i / 8] >> (i % 8)) & 1;
    free(bits);
    return set;
}

/* Every way a token stops being valid sets its status list bit, in the transaction that does it
 * (status_invalid, migration 0009); nothing else does, and a purged token's bit stays set. */
static void test_status_bits_follow_revocations(void **state)
{
    struct fixture *f = *state;
    int64_t now = time(NULL), base = rs_store_status_alloc(f->s, 6);
    struct rs_token user[2] = {tok("sb.a", RS_TOK_ACCESS, "sb-grant", "c-sb", later()),
                               tok("sb.r", RS_TOK_REFRESH, "sb-grant", "c-sb", later())};
    user[0].status_idx = base;
    user[1].status_idx = base + 1;
    assert_int_equal(rs_store_tokens_put(f->s, user, 2), RS_OK);
    struct rs_token cc1 = cc_tok("sb-cc1", "c-sb", now + 1), cc2 = cc_tok("sb-cc2", "c-sb", later()),
                    other = cc_tok("sb-other", "c-other", later());
    cc1.status_idx = base + 2;
    cc2.status_idx = base + 3;
    other.status_idx = base + 4;
    assert_int_equal(rs_store_tokens_put(f->s, &cc1, 1), RS_OK);
    assert_int_equal(rs_store_tokens_put(f->s, &cc2, 1), RS_OK);
    assert_int_equal(rs_store_tokens_put(f->s, &other, 1), RS_OK);
    for (int64_t i = base; i < base + 6; i++)
        assert_false(status_bit(f->s, i));

    /* a presented user-less token, by its key */
    struct rs_revoke_req r = {.hashes = (const unsigned char(*)[RS_TOKEN_KEY_LEN])cc1.hash,
                              .n = 1, .presented = 1, .client_id = "c-sb", .now = now};
    struct rs_revoke_result out;
    assert_int_equal(rs_store_revoke(f->s, &r, &out), RS_OK);
    assert_int_equal(out.tokens, 1);
    assert_true(status_bit(f->s, base + 2));
    assert_false(status_bit(f->s, base + 3));

    /* a grant with a user: both its tokens */
    const char *grants[] = {"sb-grant"};
    size_t n = 0;
    assert_int_equal(rs_store_grants_revoke(f->s, grants, 1, &n), RS_OK);
    assert_int_equal(n, 2);
    assert_true(status_bit(f->s, base));
    assert_true(status_bit(f->s, base + 1));

    /* every grant of the client: the other client's token stays clear */
    size_t g = 0;
    assert_int_equal(rs_store_client_grants_revoke(f->s, "c-sb", &g, &n), RS_OK);
    assert_true(status_bit(f->s, base + 3));
    assert_false(status_bit(f->s, base + 4));
    assert_false(status_bit(f->s, base + 5)); /* allocated, never used */

    /* the revoked, now expired token's row is purged; its bit stays */
    size_t purged = 0;
    assert_int_equal(rs_store_purge_expired(f->s, now + 10, &purged), RS_OK);
    assert_int_equal(state_of(f->s, "sb-cc1"), -1);
    assert_true(status_bit(f->s, base + 2));

    /* the highest index handed out belongs to a revoked token whose row is purged: after a
     * restart, new tokens get indexes above it, never one whose bit is set */
    int64_t top = rs_store_status_alloc(f->s, 1);
    struct rs_token last = cc_tok("sb-last", "c-top", now + 1);
    last.status_idx = top;
    assert_int_equal(rs_store_tokens_put(f->s, &last, 1), RS_OK);
    struct rs_revoke_req rl = {.hashes = (const unsigned char(*)[RS_TOKEN_KEY_LEN])last.hash,
                               .n = 1, .presented = 1, .client_id = "c-top", .now = now};
    assert_int_equal(rs_store_revoke(f->s, &rl, &out), RS_OK);
    assert_int_equal(rs_store_purge_expired(f->s, now + 10, &purged), RS_OK);
    assert_int_equal(state_of(f->s, "sb-last"), -1);
    reopen(f);
    assert_true(status_bit(f->s, top));
    assert_true(rs_store_status_alloc(f->s, 1) > top);
}

/* A start continues the status list from the reservation on disk, without reading every token:
 * a batch storing an index at or beyond the reservation moves it in the same transaction, and a
 * batch that fails moves nothing. */
static void test_status_reservation(void **state)
{
    struct fixture *f = *state;
    char *v = NULL;
    struct rs_token a = cc_tok("res-a", "c-res", later());
    a.status_idx = rs_store_status_alloc(f->s, 1);
    assert_int_equal(rs_store_tokens_put(f->s, &a, 1), RS_OK);
    assert_int_equal(rs_store_setting_get(f->s, "status_idx_reserved", &v), RS_OK);
    int64_t reserved = strtoll(v, NULL, 10);
    free(v);
    assert_true(reserved > a.status_idx + 1000);

    /* a failed batch storing an index beyond the reservation leaves it; the next one moves it */
    int64_t far = rs_store_status_alloc(f->s, (size_t)(reserved - a.status_idx) + 10);
    struct rs_token b = cc_tok("res-b", "c-res", later()), c = cc_tok("res-c", "c-res", later());
    b.status_idx = far + (reserved - a.status_idx); /* beyond the reservation */
    c.status_idx = b.status_idx + 1;
    assert_true(b.status_idx >= reserved);
    rs_store_fail_commits(f->s, true);
    assert_int_equal(rs_store_tokens_put(f->s, &b, 1), RS_ERR_STORE);
    rs_store_fail_commits(f->s, false);
    assert_int_equal(rs_store_setting_get(f->s, "status_idx_reserved", &v), RS_OK);
    assert_int_equal(strtoll(v, NULL, 10), reserved);
    free(v);
    assert_int_equal(rs_store_tokens_put(f->s, &c, 1), RS_OK);
    assert_int_equal(rs_store_setting_get(f->s, "status_idx_reserved", &v), RS_OK);
    int64_t moved = strtoll(v, NULL, 10);
    free(v);
    assert_true(moved > c.status_idx);

    /* after a restart the list continues at the reservation (a read of every token row would
     * give c.status_idx + 1), never below an index stored */
    reopen(f);
    assert_true(rs_store_status_alloc(f->s, 1) >= moved);
}

/* The purge deletes expired user-less tokens client by client, in chunks, and leaves live ones. */
static void test_purge_client_grants(void **state)
{
    struct fixture *f = *state;
    int64_t now = time(NULL);
    for (int i = 0; i < 700; i++) {
        char name[32];
        snprintf(name, sizeof name, "ccx%04d", i);
        put_cc(f->s, name, "c-many", now - 5, NULL);
    }
    put_cc(f->s, "cc-one", "c-one", now - 1, NULL);
    put_cc(f->s, "cc-live", "c-one", now + 100, NULL);
    put_cc(f->s, "cc-live2", "c-zz", now + 100, NULL);
    size_t purged = 0;
    assert_int_equal(rs_store_purge_expired(f->s, now, &purged), RS_OK);
    assert_int_equal(purged, 701);
    assert_int_equal(state_of(f->s, "ccx0000"), -1);
    assert_int_equal(state_of(f->s, "ccx0699"), -1);
    assert_int_equal(state_of(f->s, "cc-one"), -1);
    assert_int_equal(state_of(f->s, "cc-live"), RS_TS_ACTIVE);
    assert_int_equal(state_of(f->s, "cc-live2"), RS_TS_ACTIVE);
    assert_int_equal(rs_store_purge_expired(f->s, now, &purged), RS_OK);
    assert_int_equal(purged, 0);
}

/* The store refuses a user-less token whose grant id does not name its key: it could never be
 * revoked by grant id. */
static void test_client_grant_invariant(void **state)
{
    struct fixture *f = *state;
    struct rs_token t = cc_tok("bad-id", "c1", later());
    snprintf(t.grant_id, sizeof t.grant_id, "0193a1b2c3d4e5f60718293a4b5c6d7e");
    assert_int_equal(rs_store_tokens_put(f->s, &t, 1), RS_ERR_INVALID);
    /* an id of the right form naming another issue time than the key's (zero: a test name) */
    snprintf(t.grant_id, sizeof t.grant_id, "k00000000000000ff0123456789abcde");
    assert_int_equal(rs_store_tokens_put(f->s, &t, 1), RS_ERR_INVALID);
    assert_int_equal(state_of(f->s, "bad-id"), -1);
}

/* The admin selection by time alone reaches user-less grants through the key range before it. */
static void test_select_client_grants_by_time(void **state)
{
    struct fixture *f = *state;
    put_cc(f->s, "t1", "c-time", later(), NULL);
    put_cc(f->s, "t2", "c-time", later(), NULL);
    struct rs_revoke_select sel = {.issued_before = (int64_t)time(NULL) + 10, .dry_run = true};
    size_t grants = 0, tokens = 0;
    assert_int_equal(rs_store_revoke_select(f->s, &sel, &grants, &tokens, NULL), RS_OK);
    assert_int_equal(grants, 2);
    assert_int_equal(tokens, 2);
    sel.issued_before = (int64_t)time(NULL) - 100;
    assert_int_equal(rs_store_revoke_select(f->s, &sel, &grants, &tokens, NULL), RS_OK);
    assert_int_equal(grants, 0);
    sel.issued_before = (int64_t)time(NULL) + 10;
    sel.dry_run = false;
    assert_int_equal(rs_store_revoke_select(f->s, &sel, &grants, &tokens, NULL), RS_OK);
    assert_int_equal(grants, 2);
    assert_int_equal(state_of(f->s, "t1"), RS_TS_REVOKED);
    assert_int_equal(state_of(f->s, "t2"), RS_TS_REVOKED);
}

/* The key's issue time is read a little after the row's iat (a coarser clock): a token whose key
 * falls in the cutoff's own second while its iat is before the cutoff is still selected. */
static void test_select_by_time_key_after_iat(void **state)
{
    struct fixture *f = *state;
    char name[RS_OPAQUE_STRLEN];
    rs_opaque_token_new(name); /* a real token: its key starts with the issue time */
    struct rs_token t = cc_tok(name, "c-slack", later());
    uint64_t us = 0;
    for (int i = 0; i < 8; i++)
        us = us << 8 | t.hash[i];
    int64_t cutoff = (int64_t)(us / 1000000u); /* the key's own second */
    t.iat = cutoff - 1;
    assert_int_equal(rs_store_tokens_put(f->s, &t, 1), RS_OK);
    struct rs_revoke_select sel = {.issued_before = cutoff, .dry_run = true};
    size_t grants = 0, tokens = 0;
    assert_int_equal(rs_store_revoke_select(f->s, &sel, &grants, &tokens, NULL), RS_OK);
    assert_int_equal(grants, 1);
    sel.issued_before = cutoff - 1; /* iat is not before that */
    assert_int_equal(rs_store_revoke_select(f->s, &sel, &grants, &tokens, NULL), RS_OK);
    assert_int_equal(grants, 0);
    sel.issued_before = INT64_MAX / 2; /* past any key: no bound on the range */
    assert_int_equal(rs_store_revoke_select(f->s, &sel, &grants, &tokens, NULL), RS_OK);
    assert_int_equal(grants, 1);
}

/* More clients than one purge job visits: every client's expired user-less tokens still go. */
static void test_purge_many_clients(void **state)
{
    struct fixture *f = *state;
    int64_t now = time(NULL);
    for (int i = 0; i < 300; i++) {
        char name[32], client[32];
        snprintf(name, sizeof name, "pm%03d", i);
        snprintf(client, sizeof client, "client-%03d", i);
        put_cc(f->s, name, client, now - 5, NULL);
    }
    put_cc(f->s, "pm-live", "client-150", now + 100, NULL);
    size_t purged = 0;
    assert_int_equal(rs_store_purge_expired(f->s, now, &purged), RS_OK);
    assert_int_equal(purged, 300);
    assert_int_equal(state_of(f->s, "pm000"), -1);
    assert_int_equal(state_of(f->s, "pm299"), -1);
    assert_int_equal(state_of(f->s, "pm-live"), RS_TS_ACTIVE);
}

/* Migration 0008: a user-less grant stored before it (a grant row, a hex grant id) becomes a
 * token-row grant: its row is gone, and its token carries an id that revokes it. */
static void test_migration_client_grants(void **state)
{
    struct fixture *f = *state;
    put_pair(f->s, "user-grant", "c1");
    rs_store_close(f->s);
    f->s = NULL;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    /* schema 7's shape: a grant row for a user-less token, the indexes without partial clauses */
    assert_int_equal(
        sqlite3_exec(db,
                     "DROP INDEX tokens_cc; DROP INDEX tokens_grant; DROP INDEX tokens_exp;"
                     "CREATE INDEX tokens_grant ON tokens(grant_id);"
                     "CREATE INDEX tokens_exp ON tokens(exp);"
                     "UPDATE tokens SET sub = '', grant_id = '0193000000001111111111aaaaaaaaaa' "
                     "WHERE type = 1;"
                     "DELETE FROM tokens WHERE type <> 1; DELETE FROM grants;"
                     "INSERT INTO grants (grant_id, client_id, sub, created_at) VALUES "
                     "('0193000000001111111111aaaaaaaaaa', 'c1', '', 1);"
                     "DELETE FROM schema_version WHERE version >= 8;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(rs_store_open(f->path, &f->s), RS_OK);
    assert_int_equal(rs_store_schema_version(f->s), 9);
    struct rs_token got;
    assert_int_equal(get(f->s, "user-grant.a", &got), RS_OK);
    assert_string_equal(got.sub, "");
    unsigned char prefix[8];
    assert_true(rs_store_client_grant_prefix(got.grant_id, prefix));
    assert_memory_equal(prefix, got.hash, 8);
    const char *ids[] = {got.grant_id};
    size_t n = 0;
    assert_int_equal(rs_store_grants_revoke(f->s, ids, 1, &n), RS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(state_of(f->s, "user-grant.a"), RS_TS_REVOKED);
    struct rs_revoke_select sel = {.client_id = "c1", .dry_run = true};
    size_t grants = 9, tokens = 9;
    assert_int_equal(rs_store_revoke_select(f->s, &sel, &grants, &tokens, NULL), RS_OK);
    assert_int_equal(grants, 0); /* the old grant row is gone, the token is revoked */
}

/* ---------- concurrency, durability, group commit ---------- */
#define WRITERS 8
#define WRITES_EACH 200

struct writer_arg {
    struct rs_store *s;
    int id;
    int failures;
};

static void *writer(void *p)
{
    struct writer_arg *w = p;
    for (int i = 0; i < WRITES_EACH; i++) {
        char name[64], grant[RS_GRANT_ID_LEN + 1];
        snprintf(name, sizeof name, "w%d-%d", w->id, i);
        snprintf(grant, sizeof grant, "gw%d-%d", w->id, i);
        struct rs_token t = tok(name, RS_TOK_ACCESS, grant, "c1", later());
        if (rs_store_tokens_put(w->s, &t, 1) != RS_OK)
            w->failures++;
    }
    return NULL;
}

/* Continuous writes from several threads, with a reader busy alongside: the WAL must still be
 * restarted now and then. Before the writer checkpointed itself past WAL_LIMIT frames, the
 * checkpointer thread never caught up with the WAL's end under such load and the file grew
 * without bound (965 MB in 9 s of issuance). */
struct wal_writer {
    struct rs_store *s;
    int id;
    int failures;
};

static void *wal_writer(void *p)
{
    struct wal_writer *w = p;
    for (int i = 0; i < 1500; i++) {
        char name[64], grant[RS_GRANT_ID_LEN + 1];
        snprintf(name, sizeof name, "wal%d-%d", w->id, i);
        snprintf(grant, sizeof grant, "gwal%d-%d", w->id, i);
        struct rs_token t[2] = {tok(name, RS_TOK_ACCESS, grant, "c1", later()),
                                tok(grant, RS_TOK_REFRESH, grant, "c1", later())};
        if (rs_store_tokens_put(w->s, t, 2) != RS_OK)
            w->failures++;
    }
    return NULL;
}

static atomic_bool wal_readers_stop;
static void *wal_reader(void *p)
{
    struct rs_store *s = p;
    while (!atomic_load(&wal_readers_stop)) {
        struct rs_token t;
        get(s, "wal0-0", &t);
    }
    return NULL;
}

static void test_wal_stays_bounded(void **state)
{
    struct fixture *f = *state;
    enum { N = 4 };
    pthread_t th[N], rd;
    struct wal_writer args[N];
    atomic_store(&wal_readers_stop, false);
    assert_int_equal(pthread_create(&rd, NULL, wal_reader, f->s), 0);
    for (int i = 0; i < N; i++) {
        args[i] = (struct wal_writer){.s = f->s, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, wal_writer, &args[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    atomic_store(&wal_readers_stop, true);
    pthread_join(rd, NULL);
    char wal[400];
    struct stat st;
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    assert_int_equal(stat(wal, &st), 0);
    /* WAL_LIMIT is 4096 frames (16 MiB); one batch may go past it before the checkpoint */
    if (st.st_size > 24 * 1024 * 1024)
        fail_msg("the WAL grew to %lld bytes", (long long)st.st_size);
}

static void test_concurrent_writes_durable(void **state)
{
    struct fixture *f = *state;
    struct rs_store_stats before, after;
    rs_store_stats(f->s, &before);
    pthread_t th[WRITERS];
    struct writer_arg args[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (struct writer_arg){.s = f->s, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, writer, &args[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    rs_store_stats(f->s, &after);
    uint64_t writes = WRITERS * WRITES_EACH;
    assert_int_equal(after.batched_jobs - before.batched_jobs, writes);
    /* group commit: concurrent writers share commits */
    assert_true(after.commits - before.commits < writes);
    assert_true(after.commits - before.commits > 0);
    assert_int_equal(after.commit_failures, before.commit_failures);

    reopen(f);
    for (int w = 0; w < WRITERS; w++)
        for (int i = 0; i < WRITES_EACH; i++) {
            char name[64];
            snprintf(name, sizeof name, "w%d-%d", w, i);
            if (state_of(f->s, name) != RS_TS_ACTIVE)
                fail_msg("token %s lost after reopening", name);
        }
}

static void test_fail_commits(void **state)
{
    struct fixture *f = *state;
    struct rs_store_stats before, after;
    rs_store_stats(f->s, &before);
    rs_store_fail_commits(f->s, true);
    struct rs_token t = tok("lost", RS_TOK_ACCESS, "gl", "c1", later());
    assert_int_equal(rs_store_tokens_put(f->s, &t, 1), RS_ERR_STORE);
    assert_int_equal(rs_store_setting_put(f->s, "k", "v"), RS_ERR_STORE);
    struct rs_client c;
    client_init(&c, "ghost", "");
    assert_int_equal(rs_store_client_put(f->s, &c), RS_ERR_STORE);
    rs_store_stats(f->s, &after);
    assert_true(after.commit_failures - before.commit_failures >= 3);
    rs_store_fail_commits(f->s, false);

    assert_int_equal(state_of(f->s, "lost"), -1);
    char *v = NULL;
    assert_int_equal(rs_store_setting_get(f->s, "k", &v), RS_ERR_NOT_FOUND);
    struct rs_client got;
    assert_int_equal(rs_store_client_get(f->s, "ghost", &got), RS_ERR_NOT_FOUND);
    reopen(f);
    assert_int_equal(state_of(f->s, "lost"), -1);
    /* the store works again once the fault is gone */
    assert_int_equal(rs_store_tokens_put(f->s, &t, 1), RS_OK);
    assert_int_equal(state_of(f->s, "lost"), RS_TS_ACTIVE);
    rs_client_clear(&c);
}

static void test_purge_expired(void **state)
{
    struct fixture *f = *state;
    int64_t now = time(NULL);
    struct rs_token rows[] = {tok("old1", RS_TOK_ACCESS, "gold", "c1", now - 10),
                              tok("old2", RS_TOK_REFRESH, "gold", "c1", now - 1)};
    struct rs_token live[] = {tok("live1", RS_TOK_ACCESS, "glive", "c1", now + 100),
                              tok("edge", RS_TOK_ACCESS, "glive", "c1", now)};
    assert_int_equal(rs_store_tokens_put(f->s, rows, 2), RS_OK);
    assert_int_equal(rs_store_tokens_put(f->s, live, 2), RS_OK);
    size_t purged = 0;
    assert_int_equal(rs_store_purge_expired(f->s, now, &purged), RS_OK);
    assert_true(purged >= 2);
    assert_int_equal(state_of(f->s, "old1"), -1);
    assert_int_equal(state_of(f->s, "old2"), -1);
    assert_int_equal(state_of(f->s, "live1"), RS_TS_ACTIVE);
    assert_int_equal(state_of(f->s, "edge"), RS_TS_ACTIVE);
    /* nothing left to purge at the same instant */
    assert_int_equal(rs_store_purge_expired(f->s, now, &purged), RS_OK);
    assert_int_equal(purged, 0);
}

/* More expired rows than one purge chunk: all go (in several short transactions), and so do the
 * grants they leave empty; a grant that keeps a live token stays. */
static void test_purge_in_chunks(void **state)
{
    struct fixture *f = *state;
    int64_t now = time(NULL);
    enum { GRANTS = 700 };
    for (int i = 0; i < GRANTS; i++) {
        char g[32], a[48], r[48];
        snprintf(g, sizeof g, "gx%04d", i);
        snprintf(a, sizeof a, "%s.a", g);
        snprintf(r, sizeof r, "%s.r", g);
        struct rs_token rows[2] = {tok(a, RS_TOK_ACCESS, g, "c-purge", now - 5),
                                   tok(r, RS_TOK_REFRESH, g, "c-purge", now - 5)};
        assert_int_equal(rs_store_tokens_put(f->s, rows, 2), RS_OK);
    }
    struct rs_token keep[2] = {tok("kept.a", RS_TOK_ACCESS, "gkeep", "c-purge", now - 5),
                               tok("kept.r", RS_TOK_REFRESH, "gkeep", "c-purge", now + 100)};
    assert_int_equal(rs_store_tokens_put(f->s, keep, 2), RS_OK);
    size_t purged = 0;
    assert_int_equal(rs_store_purge_expired(f->s, now, &purged), RS_OK);
    /* 1401 tokens and 700 grants */
    assert_int_equal(purged, 2 * GRANTS + 1 + GRANTS);
    assert_int_equal(state_of(f->s, "gx0000.a"), -1);
    assert_int_equal(state_of(f->s, "gx0699.r"), -1);
    assert_int_equal(state_of(f->s, "kept.a"), -1);
    assert_int_equal(state_of(f->s, "kept.r"), RS_TS_ACTIVE);
    /* the client has one live grant left */
    struct rs_revoke_select sel = {.client_id = "c-purge", .dry_run = true};
    size_t grants = 0, tokens = 0;
    assert_int_equal(rs_store_revoke_select(f->s, &sel, &grants, &tokens, NULL), RS_OK);
    assert_int_equal(grants, 1);
    assert_int_equal(tokens, 1);
}

/* ---------- audit ---------- */
struct audit_seen {
    size_t n;
    int64_t ids[8];
    char events[8][48];
    char details[8][64];
};

static void collect_audit(const struct rs_audit *a, void *arg)
{
    struct audit_seen *s = arg;
    if (s->n < 8) {
        s->ids[s->n] = a->id;
        snprintf(s->events[s->n], sizeof s->events[0], "%s", a->event);
        snprintf(s->details[s->n], sizeof s->details[0], "%s", a->detail);
        s->n++;
    }
}

static size_t audit_count(struct rs_store *s, const char *client, const char *event,
                          struct audit_seen *out)
{
    struct rs_audit_filter flt = {.client_id = client, .event = event};
    memset(out, 0, sizeof *out);
    assert_int_equal(rs_store_audit_list(s, &flt, collect_audit, out), RS_OK);
    return out->n;
}

static void test_audit(void **state)
{
    struct fixture *f = *state;
    struct audit_seen seen;
    assert_int_equal(rs_store_audit_put(f->s, "token_issued", "c1", "ok", NULL), RS_OK);
    assert_int_equal(rs_store_audit_put(f->s, "token_revoked", "c1", "ok", "{\"n\":2}"), RS_OK);
    assert_int_equal(rs_store_audit_put(f->s, "token_issued", "c2", "denied", NULL), RS_OK);
    assert_int_equal(audit_count(f->s, NULL, NULL, &seen), 3);
    /* newest first */
    assert_true(seen.ids[0] > seen.ids[1] && seen.ids[1] > seen.ids[2]);
    assert_string_equal(seen.events[0], "token_issued");
    assert_string_equal(seen.details[2], "{}");
    assert_int_equal(audit_count(f->s, "c1", NULL, &seen), 2);
    assert_int_equal(audit_count(f->s, NULL, "token_issued", &seen), 2);
    assert_int_equal(audit_count(f->s, "c1", "token_revoked", &seen), 1);
    assert_string_equal(seen.details[0], "{\"n\":2}");
    assert_int_equal(audit_count(f->s, "c3", NULL, &seen), 0);
    struct rs_audit_filter lim = {.limit = 1};
    memset(&seen, 0, sizeof seen);
    assert_int_equal(rs_store_audit_list(f->s, &lim, collect_audit, &seen), RS_OK);
    assert_int_equal(seen.n, 1);
    struct rs_audit_filter future = {.since = time(NULL) + 1000};
    memset(&seen, 0, sizeof seen);
    assert_int_equal(rs_store_audit_list(f->s, &future, collect_audit, &seen), RS_OK);
    assert_int_equal(seen.n, 0);
}

/* Audit retention: records older than the cut go, oldest first, batch after batch; newer ones
 * stay. */
static void test_audit_purge(void **state)
{
    struct fixture *f = *state;
    struct audit_seen seen;
    int64_t now = time(NULL);
    for (int i = 0; i < 1203; i++) /* more than two batches of 500 */
        assert_int_equal(rs_store_audit_put(f->s, "revoke", "c-old", "invalid_client", NULL), RS_OK);
    size_t n = 99;
    assert_int_equal(rs_store_audit_purge(f->s, now - 60, &n), RS_OK);
    assert_int_equal(n, 0); /* none is older than a minute */
    assert_int_equal(audit_count(f->s, "c-old", NULL, &seen), 8); /* (collects at most 8) */
    assert_int_equal(rs_store_audit_purge(f->s, now + 60, &n), RS_OK);
    assert_int_equal(n, 1203);
    assert_int_equal(audit_count(f->s, "c-old", NULL, &seen), 0);
    /* a long history goes 10,000 records per call (the caller is the main loop) */
    for (int i = 0; i < 10400; i++)
        rs_store_audit_put_async(f->s, "revoke", "c-many", "invalid_client", NULL);
    /* queued after them, so written after them */
    assert_int_equal(rs_store_audit_put(f->s, "revoke", "c-many", "invalid_client", NULL), RS_OK);
    assert_int_equal(rs_store_audit_purge(f->s, now + 60, &n), RS_OK);
    assert_int_equal(n, RS_STORE_AUDIT_PURGE_MAX);
    assert_int_equal(rs_store_audit_purge(f->s, now + 60, &n), RS_OK);
    assert_int_equal(n, 401);
    assert_int_equal(audit_count(f->s, "c-many", NULL, &seen), 0);
    assert_int_equal(rs_store_audit_put(f->s, "revoke", "c-new", "revoked", NULL), RS_OK);
    assert_int_equal(rs_store_audit_purge(f->s, now - 60, &n), RS_OK);
    assert_int_equal(audit_count(f->s, "c-new", NULL, &seen), 1);
}

/* ---------- settings ---------- */
static void test_settings(void **state)
{
    struct fixture *f = *state;
    char *v = NULL;
    assert_int_equal(rs_store_setting_get(f->s, "config.patch", &v), RS_ERR_NOT_FOUND);
    assert_int_equal(rs_store_setting_put(f->s, "config.patch", "{\"a\":1}"), RS_OK);
    assert_int_equal(rs_store_setting_get(f->s, "config.patch", &v), RS_OK);
    assert_string_equal(v, "{\"a\":1}");
    free(v);
    assert_int_equal(rs_store_setting_put(f->s, "config.patch", "{\"a\":2}"), RS_OK);
    reopen(f);
    assert_int_equal(rs_store_setting_get(f->s, "config.patch", &v), RS_OK);
    assert_string_equal(v, "{\"a\":2}");
    free(v);
}

/* ---------- CORS origins ---------- */
static void test_origin_registered(void **state)
{
    struct fixture *f = *state;
    struct rs_client c;
    client_init(&c, "spa", "https://app.example.com https://other.example:8443");
    assert_int_equal(rs_store_client_put(f->s, &c), RS_OK);
    assert_true(rs_store_origin_registered(f->s, "https://app.example.com"));
    assert_true(rs_store_origin_registered(f->s, "https://other.example:8443"));
    assert_false(rs_store_origin_registered(f->s, "https://app.example"));
    assert_false(rs_store_origin_registered(f->s, "https://app.example.co"));
    assert_false(rs_store_origin_registered(f->s, "https://other.example"));
    assert_false(rs_store_origin_registered(f->s, "app.example.com"));
    assert_false(rs_store_origin_registered(f->s, "%"));
    assert_false(rs_store_origin_registered(f->s, "https://%"));
    assert_false(rs_store_origin_registered(f->s, "https://app_example.com"));
    assert_false(rs_store_origin_registered(f->s, "_ttps://app.example.com"));
    assert_false(rs_store_origin_registered(f->s, ""));
    /* two registered origins joined by a space are not an origin */
    assert_false(rs_store_origin_registered(f->s, "https://app.example.com https://other.example:8443"));
    rs_client_clear(&c);
}

/* Rows of the clients table with this id in a copy of the database file alone (no WAL next to
 * the copy, so only what a checkpoint has copied into the file counts); -1 when the copy cannot
 * be read (taken while a checkpoint was writing it). */
static int clients_in_main_file(const struct fixture *f, const char *id)
{
    char copy[320], buf[65536];
    snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
    FILE *in = fopen(f->path, "rb"), *out = fopen(copy, "wb");
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int count = -1;
    if (sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM clients WHERE client_id = ?1", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        count = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    unlink(copy);
    return count;
}

/* The checkpointer thread copies committed writes into the database file by itself, long before
 * the WAL reaches the size at which the writer checkpoints (it did nothing before its connection
 * first read the database: a connection only learns of WAL mode by reading). */
static void test_checkpointer_copies_writes_into_the_file(void **state)
{
    struct fixture *f = *state;
    struct rs_client c;
    client_init(&c, "ckpt-client", "https://app.example");
    assert_int_not_equal(clients_in_main_file(f, "ckpt-client"), 1);
    assert_int_equal(rs_store_client_put(f->s, &c), RS_OK);
    int found = 0;
    for (int i = 0; i < 100 && found != 1; i++) { /* up to 5 s; the idle interval is 200 ms */
        usleep(50000);
        found = clients_in_main_file(f, "ckpt-client");
    }
    assert_int_equal(found, 1);
    rs_client_clear(&c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_migrations),
        T(test_open_failure),
        T(test_clients_crud),
        T(test_checkpointer_copies_writes_into_the_file),
        T(test_client_delete_revokes_grants),
        T(test_users),
        T(test_tokens_put_get),
        T(test_exchange_success_then_reuse),
        T(test_exchange_refusals),
        T(test_code_exchange_single_use),
        T(test_grants_revoke),
        T(test_client_grants_revoke),
        T(test_client_grant_ids),
        T(test_client_grants),
        T(test_purge_client_grants),
        T(test_status_bits_follow_revocations),
        T(test_status_reservation),
        T(test_audit_purge),
        T(test_revoke_single),
        T(test_revoke_batch_failure),
        T(test_revoke_all_many_client_grants),
        T(test_client_grant_invariant),
        T(test_select_client_grants_by_time),
        T(test_purge_many_clients),
        T(test_select_by_time_key_after_iat),
        T(test_migration_client_grants),
        T(test_concurrent_writes_durable),
        T(test_fail_commits),
        T(test_migration_token_keys),
        T(test_symlinked_path),
        T(test_purge_in_chunks),
        T(test_wal_stays_bounded),
        T(test_admin_cred_unique_name),
        T(test_purge_expired),
        T(test_audit),
        T(test_settings),
        T(test_origin_registered),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
