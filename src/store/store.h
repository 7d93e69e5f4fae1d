/* store.h - the only door to persistence.
 * Operations are shaped by the domain ("revoke this grant"), not generic queries. Every write
 * returns only after its transaction is durable on disk: concurrent writes are batched into one
 * commit (group commit) by the backend, never acknowledged early. Reads never wait for writes.
 * Secrets never reach this layer in the clear: tokens arrive as SHA-256 digests, client secrets
 * and credentials as keyed digests (base/hash.h).
 * Errors: RS_ERR_NOT_FOUND, RS_ERR_CONFLICT (duplicate / reuse), RS_ERR_STORE (nothing committed),
 * RS_ERR_NOMEM. Thread-safe: any worker thread may call any function. */
#ifndef RS_STORE_H
#define RS_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "base/hash.h"
#include "base/token_key.h"

#define RS_ID_MAX 64       /* client_id, sub, username */
#define RS_SCOPE_MAX 1024
#define RS_GRANT_ID_LEN 32 /* hex */

enum rs_token_type {
    RS_TOK_ACCESS = 1,
    RS_TOK_REFRESH = 2,
    RS_TOK_ID = 3,
    RS_TOK_CODE = 4,
};
enum rs_token_state {
    RS_TS_ACTIVE = 0,
    RS_TS_REVOKED = 1,
    RS_TS_USED = 2, /* a redeemed code or a rotated refresh token: presenting it again is reuse */
};
const char *rs_token_type_name(enum rs_token_type t); /* "access_token", ... */

struct rs_token {
    unsigned char hash[RS_TOKEN_KEY_LEN]; /* store key: see base/token_key.h */
    enum rs_token_type type;
    enum rs_token_state state;
    char grant_id[RS_GRANT_ID_LEN + 1];
    char client_id[RS_ID_MAX + 1];
    char sub[RS_ID_MAX + 1]; /* "" when no user (client_credentials) */
    char scope[RS_SCOPE_MAX + 1];
    int64_t iat, exp, auth_time;
    /* authorization codes only */
    char nonce[256];
    char redirect_uri[1024];
    char code_challenge[128];
    int64_t status_idx; /* index in the token status list; 0 = none */
};

struct rs_client {
    char client_id[RS_ID_MAX + 1];
    bool has_secret;
    unsigned char secret_hash[RS_HASH_LEN];
    bool has_reg_token;
    unsigned char reg_token_hash[RS_HASH_LEN];
    /* heap strings, owned by the struct; lists are space-separated */
    char *auth_method;     /* client_secret_basic | client_secret_post | none */
    char *redirect_uris;
    char *grant_types;
    char *response_types;
    char *scope;           /* "" means the standard OIDC scopes */
    char *client_name;
    char *origins;         /* CORS origins */
    int64_t created_at;
    /* set by the store on the copies it hands out: the seven strings above share this one
     * allocation, so they must not be freed or replaced one by one (rs_client_clear only) */
    char *_block;
};
void rs_client_clear(struct rs_client *c); /* frees the strings; the struct stays usable */

struct rs_user {
    char sub[RS_ID_MAX + 1];
    char username[RS_ID_MAX + 1];
    char *pw_hash; /* argon2id string */
    char *email;
    char *name;
    int64_t created_at;
};
void rs_user_clear(struct rs_user *u);

struct rs_session {
    unsigned char hash[RS_HASH_LEN];
    char sub[RS_ID_MAX + 1];
    int64_t auth_time, exp;
};

struct rs_audit {
    int64_t id, time;
    char event[48];
    char client_id[RS_ID_MAX + 1];
    char outcome[32];
    char *detail; /* JSON text, heap */
};

struct rs_store;

/* Opens (creating if needed) and migrates the database. Caller closes with rs_store_close. */
enum rs_err rs_store_open(const char *path, struct rs_store **out);
void rs_store_close(struct rs_store *s);
int rs_store_schema_version(struct rs_store *s);

/* --- clients --- */
enum rs_err rs_store_client_put(struct rs_store *s, const struct rs_client *c); /* CONFLICT if exists */
enum rs_err rs_store_client_update(struct rs_store *s, const struct rs_client *c);
/* Fills *out (caller clears with rs_client_clear). NOT_FOUND. */
enum rs_err rs_store_client_get(struct rs_store *s, const char *client_id, struct rs_client *out);
/* Deletes the client and revokes all its grants in one transaction. NOT_FOUND. */
enum rs_err rs_store_client_delete(struct rs_store *s, const char *client_id);
typedef void rs_store_client_cb(const struct rs_client *c, void *arg);
enum rs_err rs_store_client_list(struct rs_store *s, rs_store_client_cb *cb, void *arg);
size_t rs_store_client_count(struct rs_store *s);
/* True when some client lists origin in its authorized origins (CORS preflight). */
bool rs_store_origin_registered(struct rs_store *s, const char *origin);

/* --- users --- */
enum rs_err rs_store_user_put(struct rs_store *s, const struct rs_user *u); /* CONFLICT on username */
enum rs_err rs_store_user_get_by_name(struct rs_store *s, const char *username, struct rs_user *out);
enum rs_err rs_store_user_get_by_sub(struct rs_store *s, const char *sub, struct rs_user *out);
enum rs_err rs_store_user_get_by_email(struct rs_store *s, const char *email, struct rs_user *out);
/* Revokes every grant of the user and ends their login sessions, in one transaction. */
enum rs_err rs_store_user_grants_revoke(struct rs_store *s, const char *sub, size_t *grants_out,
                                        size_t *tokens_out);
/* Deletes the user and revokes all their grants. NOT_FOUND. */
enum rs_err rs_store_user_delete(struct rs_store *s, const char *username);
typedef void rs_store_user_cb(const struct rs_user *u, void *arg);
enum rs_err rs_store_user_list(struct rs_store *s, rs_store_user_cb *cb, void *arg);

/* --- grants and tokens --- */
/* A grant without a user (sub "": client_credentials) holds exactly one token, and its token row
 * is the whole grant (no grant row, two B-tree inserts per token instead of five). Its id is
 * 'k', then the token key's first 8 bytes in hex (its issue time), then 15 random hex digits,
 * so that a revocation by grant id finds the row through a range of the token keys. Grants with
 * a user have the ids of rs_grant_new_id (hex digits only) and a row of their own. */
#define RS_CLIENT_GRANT_MARK 'k'
void rs_store_client_grant_id(const unsigned char key[RS_TOKEN_KEY_LEN],
                              char out[RS_GRANT_ID_LEN + 1]);
/* True when grant_id has the form above; then *prefix gets the 8 key bytes it names. */
bool rs_store_client_grant_prefix(const char *grant_id, unsigned char prefix[8]);
/* Stores n new tokens (all of one grant, which is created if new). A token without a user must be
 * alone in its call and carry a grant id from rs_store_client_grant_id. */
enum rs_err rs_store_tokens_put(struct rs_store *s, const struct rs_token *toks, size_t n);
/* Reads a token by hash. NOT_FOUND. Returns revoked/used/expired tokens too: callers decide. */
enum rs_err rs_store_token_get(struct rs_store *s, const unsigned char key[RS_TOKEN_KEY_LEN],
                               struct rs_token *out);
/* Called inside the exchange transaction with the presented token; fills new_toks (their grant
 * id, client, subject ...) or returns an error that aborts the exchange without changes. */
typedef enum rs_err rs_store_exchange_fn(const struct rs_token *old, void *arg,
                                         struct rs_token *new_toks, size_t cap,
                                         size_t *n_out /* OUT */);
/* Atomically exchanges a single-use token (code or refresh token) of type `type`, presented by
 * client_id, for new tokens: NOT_FOUND when absent, of another type, another client's, revoked
 * or expired (at `now`); CONFLICT when it was already used, in which case its whole grant has
 * been revoked and that is committed (RFC 6749 §4.1.2, OAuth 2.0 Security BCP refresh token
 * reuse detection). Otherwise check() decides and fills up to cap rows, the old token becomes
 * USED and the new ones are stored, in one transaction. Another client's token is NOT_FOUND
 * whatever its state: its replay tells that client nothing and revokes nothing. */
enum rs_err rs_store_token_exchange(struct rs_store *s, const unsigned char key[RS_TOKEN_KEY_LEN],
                                    enum rs_token_type type, const char *client_id,
                                    int64_t now, rs_store_exchange_fn *check, void *arg,
                                    struct rs_token *new_toks, size_t cap);
/* Revokes whole grants in one transaction; *tokens_out = number of tokens that changed state. */
enum rs_err rs_store_grants_revoke(struct rs_store *s, const char *const *grant_ids, size_t n,
                                   size_t *tokens_out);
/* Revokes every grant of a client in one transaction. */
enum rs_err rs_store_client_grants_revoke(struct rs_store *s, const char *client_id,
                                          size_t *grants_out, size_t *tokens_out);
/* Deletes tokens, codes and sessions that expired before now; *purged_out counts rows. */
enum rs_err rs_store_purge_expired(struct rs_store *s, int64_t now, size_t *purged_out);

/* --- login sessions (cookie digests) --- */
enum rs_err rs_store_session_put(struct rs_store *s, const struct rs_session *sess);
enum rs_err rs_store_session_get(struct rs_store *s, const unsigned char hash[RS_HASH_LEN],
                                 struct rs_session *out);

/* --- admin credentials (keyed digests) --- */
/* RS_ERR_CONFLICT: a credential of that name exists (checked in the insert's transaction). */
enum rs_err rs_store_admin_cred_put(struct rs_store *s, const unsigned char hash[RS_HASH_LEN],
                                    const char *name);
enum rs_err rs_store_admin_cred_check(struct rs_store *s, const unsigned char hash[RS_HASH_LEN],
                                      char name_out[RS_ID_MAX + 1]);
size_t rs_store_admin_cred_count(struct rs_store *s);

/* --- audit --- */
enum rs_err rs_store_audit_put(struct rs_store *s, const char *event, const char *client_id,
                               const char *outcome, const char *detail_json);
struct rs_audit_filter {
    int64_t since, until; /* 0 = open */
    const char *client_id, *event; /* NULL = any */
    size_t limit;
};
typedef void rs_store_audit_cb(const struct rs_audit *a, void *arg);
/* Deletes the audit records older than before (epoch s), oldest first, in short write batches
 * (requests keep flowing), at most RS_STORE_AUDIT_PURGE_MAX per call: when that many went, call
 * again for more. *purged_out (may be NULL): how many. */
#define RS_STORE_AUDIT_PURGE_MAX 10000
enum rs_err rs_store_audit_purge(struct rs_store *s, int64_t before, size_t *purged_out);
enum rs_err rs_store_audit_list(struct rs_store *s, const struct rs_audit_filter *f,
                                rs_store_audit_cb *cb, void *arg);

/* --- key/value settings (persisted configuration overrides) --- */
enum rs_err rs_store_setting_put(struct rs_store *s, const char *key, const char *value);
/* *value_out is heap, caller frees. NOT_FOUND. */
enum rs_err rs_store_setting_get(struct rs_store *s, const char *key, char **value_out);

/* --- token status list --- */
/* Reserves n consecutive status list indexes (never reused, never 0); returns the first. */
int64_t rs_store_status_alloc(struct rs_store *s, size_t n);
/* The status list as a bit array (bit i of byte i/8, least significant first, is index i; set
 * = the token is no longer valid): *bits_out is heap (free()), *len_out its length in bytes,
 * covering every index allocated so far. */
enum rs_err rs_store_status_bits(struct rs_store *s, unsigned char **bits_out, size_t *len_out);
/* Changes whenever a client was added, changed or removed; never equal across two stores
 * (callers may cache client authentication results under it). */
uint64_t rs_store_client_generation(struct rs_store *s);
/* Changes whenever a commit changed existing token rows (the token cache generation). */
uint64_t rs_store_token_generation(struct rs_store *s);

/* --- statistics for /metrics --- */
/* Upper bounds (µs) of the durable commit latency histogram's buckets; a last, unbounded
 * bucket follows them. */
#define RS_STORE_DURABLE_BOUNDS 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, \
                                500000, 1000000
#define RS_STORE_DURABLE_BUCKETS 12 /* the bounds above, plus +Inf */
struct rs_store_stats {
    uint64_t commits, commit_us_total, batched_jobs, commit_failures;
    uint64_t tokens_revoked; /* tokens whose revocation was committed, by any path */
    /* durable commits: from a batch's BEGIN to the end of the fsync that made it durable (what
     * a waiting request sees of the store); per bucket (not cumulative) and the sum */
    uint64_t durable_buckets[RS_STORE_DURABLE_BUCKETS], durable_us_total;
};
void rs_store_stats(struct rs_store *s, struct rs_store_stats *out);

/* Test hook: when set, every following commit fails (the database "becomes unwritable"). */
void rs_store_fail_commits(struct rs_store *s, bool on);
/* Test hooks: while held, a writer waiting for work takes none (so that the jobs queued
 * meanwhile share one batch); of the next revocations the writer runs, `after` succeed and
 * then n fail after making their changes (which must then be undone). */
void rs_store_hold_writer(struct rs_store *s, bool on);
void rs_store_fail_revocations(struct rs_store *s, unsigned after, unsigned n);

/* --- revocation (RFC 7009): check and revoke in one transaction, with its audit record --- */
#define RS_REVOKE_MAX_TOKENS 100 /* space-separated tokens in one revocation (Janssen extension) */
struct rs_revoke_req {
    const unsigned char (*hashes)[RS_TOKEN_KEY_LEN]; /* presented tokens (store keys) */
    size_t n;                 /* at most RS_REVOKE_MAX_TOKENS */
    size_t presented;         /* tokens in the request, for the audit (n counts only those in a
                               * form the server issues) */
    const char *client_id;    /* the authenticated caller */
    bool may_revoke_foreign;  /* allowRevokeForOtherClients and scope revoke_any_token */
    bool all;                 /* revoke every grant of client_id; hashes ignored */
    int64_t now;
    const char *audit_extra;  /* JSON members added to the audit detail, e.g. "\"hint\":\"x\"" */
};
struct rs_revoke_result {
    size_t grants;            /* grants revoked */
    size_t tokens;            /* tokens that changed state */
    size_t found;             /* presented tokens that were live */
    bool foreign;             /* a live token of another client was presented */
};
/* Looks every presented token up; unknown, expired, used or revoked ones are ignored
 * (RFC 7009 §2.2). If one is live and belongs to another client and may_revoke_foreign is
 * false, nothing is revoked and RS_ERR_DENIED is returned (result->foreign set). Otherwise
 * every grant of a live token is revoked (all its tokens), and one audit record (event
 * "revoke") is written in the same transaction; the call returns once that is durable.
 * RS_ERR_STORE: nothing was revoked. */
enum rs_err rs_store_revoke(struct rs_store *s, const struct rs_revoke_req *r,
                            struct rs_revoke_result *out);
/* Asynchronous writes, for request paths that must not hold a thread while the disk syncs:
 * (rs_store_revoke_async is declared below, with the done type) 
 * the call queues the write and returns at once; done(arg, result) runs on the store's syncer
 * thread once the batch holding the write is durable (RS_OK) or failed. done must be short and
 * must not call the store. */
typedef void rs_store_done_fn(void *arg, enum rs_err result);
/* As rs_store_tokens_put. The rows are not copied: they must stay valid and unchanged until done
 * is called (issuance keeps them in its request state). RS_ERR_NOMEM: nothing queued, done not
 * called. */
enum rs_err rs_store_tokens_put_async(struct rs_store *s, const struct rs_token *toks, size_t n,
                                      rs_store_done_fn *done, void *arg);
/* As rs_store_revoke, without waiting. r is not copied: it and everything it points to (keys,
 * client_id, audit_extra) must stay valid and unchanged until done is called, as must *out,
 * which is filled before done(arg, result). RS_ERR_NOMEM: nothing queued, done not called. */
enum rs_err rs_store_revoke_async(struct rs_store *s, const struct rs_revoke_req *r,
                                  struct rs_revoke_result *out, rs_store_done_fn *done,
                                  void *arg);
/* Queues an audit record without waiting for its commit: for outcomes that changed nothing
 * (refused requests, unknown tokens), so that they cost the caller no fsync. Copies its
 * arguments. A crash of the process can lose the records of the last few milliseconds (queued,
 * not yet committed); a power loss those of the last 50 ms (committed, fsynced lazily). A record
 * the store fails to write is logged in full instead (event "audit_unstored"). */
void rs_store_audit_put_async(struct rs_store *s, const char *event, const char *client_id,
                              const char *outcome, const char *detail_json);


/* --- administration: revoke by selector, token listing, admin credential management --- */
struct rs_revoke_select {
    const char *client_id;    /* NULL = any client */
    const char *sub;          /* NULL = any subject */
    const char *grant_id;     /* NULL = any grant */
    int64_t issued_before;    /* grants created before this time (epoch s); 0 = any time */
    bool dry_run;             /* only count: nothing changes and no audit record is written */
    const char *audit_extra;  /* JSON members added to the audit detail (selectors, reason) */
};
/* Revokes every live (not yet revoked) grant matching all the given selectors, with all their
 * tokens, and writes one audit record (event "admin_revocation", outcome "revoked", detail
 * {"grants":N,"tokens":M,"sessions":K,<audit_extra>}) in the same transaction; returns once it
 * is durable. With sub as the only selector besides issued_before, the user's login sessions
 * (those begun before issued_before, when given) end in that transaction too: a session left
 * alive would get the user's clients new codes at once (the stolen laptop). Sessions are the
 * user's, not a client's: a selection with client_id or grant_id leaves them.
 * At least one selector must be set (asserted). *grants_out / *tokens_out / *sessions_out
 * (may be NULL): grants revoked, tokens that changed state and live sessions ended (with
 * dry_run: that would). RS_ERR_STORE: nothing was revoked. */
enum rs_err rs_store_revoke_select(struct rs_store *s, const struct rs_revoke_select *sel,
                                   size_t *grants_out, size_t *tokens_out, size_t *sessions_out);

struct rs_token_filter {
    const char *client_id, *sub; /* NULL = any; at least one is set (asserted) */
    size_t limit, offset;
};
/* Calls cb for each token matching the filter, newest first. The token's hash is left zeroed:
 * listings never carry digests. The struct passed to cb is valid during the call only. */
typedef void rs_store_token_cb(const struct rs_token *t, void *arg);
enum rs_err rs_store_token_list(struct rs_store *s, const struct rs_token_filter *f,
                                rs_store_token_cb *cb, void *arg);

/* Lists admin credentials by name (oldest first); never their digests. */
typedef void rs_store_admin_cred_cb(const char *name, int64_t created_at, void *arg);
enum rs_err rs_store_admin_cred_list(struct rs_store *s, rs_store_admin_cred_cb *cb, void *arg);
/* Deletes every admin credential called name. NOT_FOUND when there is none. */
enum rs_err rs_store_admin_cred_delete(struct rs_store *s, const char *name);

#endif
