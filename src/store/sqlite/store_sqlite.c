/* store_sqlite.c - the SQLite backend of store.h.
 *
 * Durability and speed come from two choices:
 *  - Writes go through one writer thread that owns the only write connection. Callers enqueue
 *    a job and sleep; the writer takes every job queued so far, runs each inside its own
 *    SAVEPOINT (one failing job does not undo its neighbours; a run of revocations shares one,
 *    and is re-run job by job should one fail), then COMMITs them together
 *    (synchronous=NORMAL: WAL frames written, not yet fsynced) and hands the batch to the
 *    syncer thread, which fsyncs the WAL once for every batch committed since its last fsync
 *    and only then wakes the callers. N concurrent writes cost one fsync, and the next batch's
 *    work overlaps the previous batch's fsync.
 *  - Reads use one read-only connection per worker thread (WAL: readers never wait for the
 *    writer) with statements prepared once per connection.
 * A write is visible to every reader from the moment its caller is woken, because the commit
 * has completed before (readers may see it up to one fsync earlier, before anyone was told of
 * it). SQL text lives in this file only. */
#include "store/store.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "migrations_sqlite.h"
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------- statements (one table for readers and writer) ---------- */
enum stmt_id {
    Q_TOKEN_GET,
    Q_TOKEN_PUT,
    Q_TOKEN_SET_STATE,
    Q_TOKEN_LOOK,
    Q_STATUS_INVALIDATE,
    Q_STATUS_GRANT_INVALIDATE,
    Q_STATUS_CLIENT_GRANT_INVALIDATE,
    Q_STATUS_CLIENT_CC_INVALIDATE,
    Q_GRANT_PUT,
    Q_GRANT_REVOKE,
    Q_GRANT_TOKENS_REVOKE,
    Q_CLIENT_GRANT_REVOKE,
    Q_CC_TOKEN_REVOKE,
    Q_CLIENT_CC_REVOKE,
    Q_CLIENT_GRANTS,
    Q_USER_GRANTS,
    Q_CLIENT_GET,
    Q_CLIENT_PUT,
    Q_CLIENT_UPDATE,
    Q_CLIENT_DELETE,
    Q_CLIENT_LIST,
    Q_CLIENT_COUNT,
    Q_ORIGIN_KNOWN,
    Q_USER_PUT,
    Q_USER_BY_NAME,
    Q_USER_BY_SUB,
    Q_USER_BY_EMAIL,
    Q_SESSIONS_OF_USER_DELETE,
    Q_SESSIONS_OF_USER_LIVE,
    Q_USER_DELETE,
    Q_USER_LIST,
    Q_SESSION_PUT,
    Q_SESSION_GET,
    Q_ADMIN_PUT,
    Q_ADMIN_GET,
    Q_ADMIN_COUNT,
    Q_AUDIT_PUT,
    Q_AUDIT_PURGE,
    Q_AUDIT_LIST,
    Q_SETTING_PUT,
    Q_SETTING_GET,
    Q_PURGE_TOKENS,
    Q_PURGE_CC_NEXT,
    Q_PURGE_CC,
    Q_PURGE_SESSIONS,
    Q_PURGE_GRANTS,
    Q_COUNT
};

#define TOKEN_COLS                                                                          \
    "hash, type, state, grant_id, client_id, sub, scope, iat, exp, auth_time, nonce, "     \
    "redirect_uri, code_challenge, status_idx"
#define CLIENT_COLS                                                                         \
    "client_id, secret_hash, reg_token_hash, auth_method, redirect_uris, grant_types, "    \
    "response_types, scope, client_name, origins, created_at"
#define USER_COLS "sub, username, pw_hash, email, name, created_at"

static const char *const sql[Q_COUNT] = {
    [Q_TOKEN_GET] = "SELECT " TOKEN_COLS " FROM tokens WHERE hash = ?1",
    [Q_TOKEN_PUT] = "INSERT INTO tokens (" TOKEN_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
    [Q_TOKEN_SET_STATE] = "UPDATE tokens SET state = ?2 WHERE hash = ?1",
    /* what a revocation needs of a presented token (job_revoke): not the whole row */
    [Q_TOKEN_LOOK] = "SELECT state, exp, client_id, grant_id, sub, status_idx FROM tokens "
                     "WHERE hash = ?1",
    /* The status list's set bits (status_invalid, migration 0009): every statement that takes a
     * token's state away from 0 first adds its status index here, in the same transaction. An
     * index stays when its row is purged: the token is no less invalid for having expired. */
    [Q_STATUS_INVALIDATE] = "INSERT OR IGNORE INTO status_invalid (idx) VALUES (?1)",
    [Q_STATUS_GRANT_INVALIDATE] = "INSERT OR IGNORE INTO status_invalid (idx) SELECT status_idx "
                                  "FROM tokens WHERE grant_id = ?1 AND sub <> '' AND state = 0 "
                                  "AND status_idx > 0",
    [Q_STATUS_CLIENT_GRANT_INVALIDATE] = "INSERT OR IGNORE INTO status_invalid (idx) SELECT "
                                         "status_idx FROM tokens WHERE hash > ?1 AND hash < ?2 "
                                         "AND grant_id = ?3 AND state = 0 AND status_idx > 0",
    [Q_STATUS_CLIENT_CC_INVALIDATE] = "INSERT OR IGNORE INTO status_invalid (idx) SELECT "
                                      "status_idx FROM tokens WHERE sub = '' AND client_id = ?1 "
                                      "AND state = 0 AND status_idx > 0",
    [Q_GRANT_PUT] = "INSERT OR IGNORE INTO grants (grant_id, client_id, sub, created_at) VALUES (?1,?2,?3,?4)",
    [Q_GRANT_REVOKE] = "UPDATE grants SET revoked_at = ?2 WHERE grant_id = ?1 AND revoked_at IS NULL",
    /* "sub <> ''" everywhere a query goes through tokens_grant or tokens_exp (partial indexes of
     * the tokens with a user); user-less tokens are their own grant (store.h), found by key range */
    [Q_GRANT_TOKENS_REVOKE] = "UPDATE tokens SET state = 1 WHERE grant_id = ?1 AND sub <> '' "
                              "AND state <> 1",
    [Q_CLIENT_GRANT_REVOKE] = "UPDATE tokens SET state = 1 WHERE hash > ?1 AND hash < ?2 "
                              "AND grant_id = ?3 AND state <> 1",
    /* a user-less grant by its token's key (the revocation of a presented token) */
    [Q_CC_TOKEN_REVOKE] = "UPDATE tokens SET state = 1 WHERE hash = ?1 AND sub = '' AND state <> 1",
    /* every user-less grant of a client, in one statement through tokens_cc */
    [Q_CLIENT_CC_REVOKE] = "UPDATE tokens SET state = 1 WHERE sub = '' AND client_id = ?1 "
                           "AND state = 0 RETURNING grant_id",
    [Q_CLIENT_GRANTS] = "SELECT grant_id FROM grants WHERE client_id = ?1 AND revoked_at IS NULL",
    [Q_USER_GRANTS] = "SELECT grant_id FROM grants WHERE sub = ?1 AND sub <> '' AND revoked_at IS NULL",
    [Q_CLIENT_GET] = "SELECT " CLIENT_COLS " FROM clients WHERE client_id = ?1",
    [Q_CLIENT_PUT] = "INSERT INTO clients (" CLIENT_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
    [Q_CLIENT_UPDATE] = "UPDATE clients SET secret_hash=?2, reg_token_hash=?3, auth_method=?4, "
                        "redirect_uris=?5, grant_types=?6, response_types=?7, scope=?8, "
                        "client_name=?9, origins=?10 WHERE client_id = ?1",
    [Q_CLIENT_DELETE] = "DELETE FROM clients WHERE client_id = ?1",
    [Q_CLIENT_LIST] = "SELECT " CLIENT_COLS " FROM clients ORDER BY created_at, client_id",
    [Q_CLIENT_COUNT] = "SELECT count(*) FROM clients",
    [Q_ORIGIN_KNOWN] = "SELECT 1 FROM clients WHERE ' ' || origins || ' ' LIKE '% ' || ?1 || ' %' "
                       "ESCAPE '\\' LIMIT 1",
    [Q_USER_PUT] = "INSERT INTO users (" USER_COLS ") VALUES (?1,?2,?3,?4,?5,?6)",
    [Q_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE username = ?1",
    [Q_USER_BY_SUB] = "SELECT " USER_COLS " FROM users WHERE sub = ?1",
    [Q_USER_BY_EMAIL] = "SELECT " USER_COLS " FROM users WHERE email = ?1 AND email <> '' "
                        "ORDER BY created_at LIMIT 1",
    /* a user's sessions (?2 = 0), or those begun before ?2 (an admin revocation's cut-off) */
    [Q_SESSIONS_OF_USER_DELETE] = "DELETE FROM sessions WHERE sub = ?1 AND "
                                  "(?2 = 0 OR auth_time < ?2)",
    /* how many of them are live (counted before the delete) */
    [Q_SESSIONS_OF_USER_LIVE] = "SELECT count(*) FROM sessions WHERE sub = ?1 AND exp > ?2 AND "
                                "(?3 = 0 OR auth_time < ?3)",
    [Q_USER_DELETE] = "DELETE FROM users WHERE sub = ?1",
    [Q_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY username",
    [Q_SESSION_PUT] = "INSERT INTO sessions (hash, sub, auth_time, exp) VALUES (?1,?2,?3,?4)",
    [Q_SESSION_GET] = "SELECT hash, sub, auth_time, exp FROM sessions WHERE hash = ?1",
    /* names are unique: checked in the same transaction as the insert (the writer serialises) */
    [Q_ADMIN_PUT] = "INSERT INTO admin_credentials (hash, name, created_at) SELECT ?1, ?2, ?3 "
                    "WHERE NOT EXISTS (SELECT 1 FROM admin_credentials WHERE name = ?2)",
    [Q_ADMIN_GET] = "SELECT name FROM admin_credentials WHERE hash = ?1",
    [Q_ADMIN_COUNT] = "SELECT count(*) FROM admin_credentials",
    [Q_AUDIT_PUT] = "INSERT INTO audit (time, event, client_id, outcome, detail) VALUES (?1,?2,?3,?4,?5)",
    /* the oldest rows by id (audit has no index on time: ids follow time), those of them older
     * than ?1: the work per batch is bounded whatever the table's size */
    [Q_AUDIT_PURGE] = "DELETE FROM audit WHERE id IN (SELECT id FROM audit ORDER BY id LIMIT 500) "
                      "AND time < ?1",
    [Q_AUDIT_LIST] = "SELECT id, time, event, client_id, outcome, detail FROM audit "
                     "WHERE time >= ?1 AND time <= ?2 AND (?3 IS NULL OR client_id = ?3) "
                     "AND (?4 IS NULL OR event = ?4) ORDER BY id DESC LIMIT ?5",
    [Q_SETTING_PUT] = "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [Q_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
    /* purge in chunks: tokens with a user through tokens_exp, each chunk returning the grants
     * it touched; user-less tokens client by client through tokens_cc (no grant rows) */
    [Q_PURGE_TOKENS] = "DELETE FROM tokens WHERE hash IN (SELECT hash FROM tokens WHERE "
                       "exp < ?1 AND sub <> '' LIMIT ?2) RETURNING grant_id",
    [Q_PURGE_CC_NEXT] = "SELECT client_id FROM tokens WHERE sub = '' AND client_id > ?1 "
                        "ORDER BY client_id LIMIT 1",
    [Q_PURGE_CC] = "DELETE FROM tokens WHERE hash IN (SELECT hash FROM tokens WHERE sub = '' "
                   "AND client_id = ?1 AND exp < ?2 LIMIT ?3)",
    [Q_PURGE_SESSIONS] = "DELETE FROM sessions WHERE hash IN "
                         "(SELECT hash FROM sessions WHERE exp < ?1 LIMIT ?2)",
    /* a grant goes with its last token (only the purge deletes token rows) */
    [Q_PURGE_GRANTS] = "DELETE FROM grants WHERE grant_id = ?1 "
                       "AND NOT EXISTS (SELECT 1 FROM tokens WHERE grant_id = ?1 AND sub <> '')",
};

/* Per-thread cache of client records: client authentication reads the client on every request,
 * clients change rarely. Entries are valid while the store's client generation is unchanged. */
#define CLIENT_CACHE 32
struct client_cache {
    uint64_t gen;
    unsigned next; /* round-robin victim */
    bool used[CLIENT_CACHE];
    struct rs_client c[CLIENT_CACHE];
};

/* Per-thread cache of access and refresh token rows: a resource server introspects the same
 * token many times. Entries are valid while the store's token generation is unchanged; the
 * writer bumps it after every commit that changed an existing row (revocation, rotation,
 * deletion), before anyone is told of that commit, so a revoked token is never served from a
 * cache after its revocation was acknowledged. Direct-mapped by the first byte of the digest
 * (the key's first 8 bytes are the issue time, the same for tokens minted together). */
#define TOKEN_CACHE 64
#define CACHE_SLOT_BYTE 8
struct token_entry {
    bool used;
    unsigned char hash[RS_TOKEN_KEY_LEN];
    enum rs_token_type type;
    enum rs_token_state state;
    char grant_id[RS_GRANT_ID_LEN + 1];
    char client_id[RS_ID_MAX + 1];
    char sub[RS_ID_MAX + 1];
    char *scope;
    int64_t iat, exp, auth_time, status_idx;
};
struct token_cache {
    uint64_t gen;
    struct token_entry e[TOKEN_CACHE];
};

struct conn {
    sqlite3 *db;
    sqlite3_stmt *st[Q_COUNT];
    struct client_cache *clients; /* readers only */
    struct token_cache *tokens;   /* readers only */
    sqlite3_stmt *sp[3];          /* writer only: SAVEPOINT, ROLLBACK TO, RELEASE */
    struct rs_store *owner;
    uint64_t owner_id; /* the store's unique id: a new store at a recycled address is not ours */
    struct conn *next; /* all reader connections, for close */
    /* writer only: tokens revoked by the open transaction's kept jobs (every revoking statement
     * adds its changes; a job that is undone takes its share back), counted at the commit */
    uint64_t revoked;
    /* writer only: the highest status list index the open transaction stored (put_token) */
    int64_t max_status_idx;
};

struct job;
typedef enum rs_err job_fn(struct conn *w, void *arg, bool *keep);
struct job {
    job_fn *fn;
    void *arg;
    enum rs_err result;
    bool kept; /* its changes are in the batch's transaction */
    bool done;
    bool detached; /* nobody waits: the writer frees it (and its arg) after the commit */
    bool single;   /* one statement: needs no savepoint of its own */
    bool inserts_only; /* adds rows, changes none: cached token rows stay valid */
    bool arg_inline;   /* detached: arg lives in the job's own allocation, not freed on its own */
    bool rerunnable;   /* fn may run again after its changes were rolled back (it resets its
                        * outputs first): runs of such jobs share one savepoint */
    rs_store_done_fn *done_cb; /* detached jobs: told the result after the commit */
    void *done_arg;
    /* detached jobs without done_cb: told only of a failure, with arg (its write needs no fsync
     * of its own, unlike done_cb's) */
    void (*fail_cb)(void *arg, enum rs_err result);
    pthread_cond_t cv; /* the waiting caller's own: waking one thread, not every waiter */
    struct job *next;
    uint64_t t_begin; /* monotonic µs when its batch's transaction began (durable histogram) */
    char request_id[33]; /* of the request that queued it: the writer's log lines carry it */
};

struct rs_store {
    uint64_t id;
    char *path;
    struct conn writer;
    pthread_t writer_thread;
    pthread_t syncer_thread;
    pthread_t checkpointer_thread;
    bool checkpointer_running;
    pthread_mutex_t lock;
    pthread_cond_t work_cv, done_cv;
    pthread_cond_t ckpt_cv; /* wakes the checkpointer early at close */
    struct job *queue_head, *queue_tail;
    /* committed, not yet durable: jobs the syncer fsyncs the WAL for before telling anyone */
    struct job *sync_head, *sync_tail;
    pthread_cond_t sync_cv;
    pthread_cond_t synced_cv; /* the syncer took the committed batches: the writer may commit */
    bool writer_done; /* the writer has handed over its last batch */
    int wal_fd;       /* the syncer's own descriptor of the WAL file, -1 until first opened */
    int wal_frames;           /* WAL size after the writer's last commit (wal_hook); writer only */
    atomic_uint_fast64_t writer_checkpoints;
    atomic_bool sync_broken; /* an fsync failed: nothing written since can be called durable */
    unsigned urgent; /* queued jobs whose caller (or client) waits for the commit */
    bool stopping;
    atomic_bool fail_commits;
    bool held;                    /* test hook: the writer takes no jobs (under lock) */
    atomic_uint pass_revocations, fail_revocations; /* test hook (writer only consumes) */
    pthread_mutex_t readers_lock;
    struct conn *readers;
    atomic_uint_fast64_t commits, commit_us, batched, failures;
    atomic_uint_fast64_t durable[RS_STORE_DURABLE_BUCKETS], durable_us;
    atomic_uint_fast64_t tokens_revoked; /* by committed transactions (rescind_tokens_revoked_total) */
    atomic_uint_fast64_t client_gen; /* bumped after every committed client change */
    atomic_uint_fast64_t token_gen;  /* bumped after every commit that changed token rows */
    atomic_int_fast64_t next_status_idx; /* next unallocated status list index */
    /* Status list indexes below this are reserved on disk (setting STATUS_RESERVED_KEY): every
     * stored index is below it, so a start continues from it without reading every token.
     * Writer only after open; 0 when the setting does not exist yet. */
    int64_t status_reserved;
};

static _Thread_local struct conn *tl_reader;
static atomic_uint_fast64_t store_ids;

const char *rs_token_type_name(enum rs_token_type t)
{
    switch (t) {
    case RS_TOK_ACCESS: return "access_token";
    case RS_TOK_REFRESH: return "refresh_token";
    case RS_TOK_ID: return "id_token";
    case RS_TOK_CODE: return "authorization_code";
    }
    return "unknown";
}

void rs_client_clear(struct rs_client *c)
{
    if (c->_block) {
        free(c->_block);
        memset(c, 0, sizeof *c);
        return;
    }
    free(c->auth_method);
    free(c->redirect_uris);
    free(c->grant_types);
    free(c->response_types);
    free(c->scope);
    free(c->client_name);
    free(c->origins);
    memset(c, 0, sizeof *c);
}

void rs_user_clear(struct rs_user *u)
{
    free(u->pw_hash);
    free(u->email);
    free(u->name);
    memset(u, 0, sizeof *u);
}

/* ---------- connection helpers ---------- */
static void cache_flush(struct client_cache *cc, uint64_t gen);
struct token_cache;
static void token_cache_clear(struct token_cache *tc, uint64_t gen);
static void log_sqlite(const char *what, sqlite3 *db)
{
    RS_LOG_ERROR("store_error", "op", what, "sqlite", db ? sqlite3_errmsg(db) : "no connection",
                 NULL);
}

static sqlite3_stmt *stmt(struct conn *c, enum stmt_id id)
{
    if (!c->st[id]) {
        if (sqlite3_prepare_v3(c->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL) !=
            SQLITE_OK) {
            log_sqlite("prepare", c->db);
            return NULL;
        }
    }
    return c->st[id];
}

static void done(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

static void conn_close(struct conn *c)
{
    if (c->tokens) {
        token_cache_clear(c->tokens, 0);
        free(c->tokens);
        c->tokens = NULL;
    }
    if (c->clients) {
        cache_flush(c->clients, 0);
        free(c->clients);
        c->clients = NULL;
    }
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    for (int i = 0; i < 3; i++) {
        sqlite3_finalize(c->sp[i]);
        c->sp[i] = NULL;
    }
    sqlite3_close(c->db);
    memset(c->st, 0, sizeof c->st);
    c->db = NULL;
}

static enum rs_err exec(sqlite3 *db, const char *q)
{
    char *msg = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK) {
        RS_LOG_ERROR("store_error", "op", q, "sqlite", msg ? msg : "?", NULL);
        sqlite3_free(msg);
        return RS_ERR_STORE;
    }
    return RS_OK;
}

static enum rs_err conn_open(struct conn *c, const char *path, bool readonly)
{
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX; /* each connection is used by one thread at a time */
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        log_sqlite("open", c->db);
        sqlite3_close(c->db);
        c->db = NULL;
        return RS_ERR_STORE;
    }
    sqlite3_busy_timeout(c->db, 5000);
    if (readonly)
        return exec(c->db, "PRAGMA query_only = 1; PRAGMA mmap_size = 268435456");
    return RS_OK;
}

/* Reader connection of the calling thread, opened on first use. */
static struct conn *reader(struct rs_store *s)
{
    struct conn *c = tl_reader;
    if (c && c->owner == s && c->owner_id == s->id)
        return c;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (conn_open(c, s->path, true)) {
        free(c);
        return NULL;
    }
    c->owner = s;
    c->owner_id = s->id;
    c->clients = calloc(1, sizeof *c->clients); /* no cache if this fails: still correct */
    c->tokens = calloc(1, sizeof *c->tokens);
    pthread_mutex_lock(&s->readers_lock);
    c->next = s->readers;
    s->readers = c;
    pthread_mutex_unlock(&s->readers_lock);
    tl_reader = c;
    return c;
}

/* ---------- writer thread and group commit ---------- */
enum sp_op { SP_BEGIN, SP_ROLLBACK, SP_RELEASE };

/* Savepoint statements, prepared once: every job of a batch runs inside one. */
static enum rs_err savepoint(struct conn *w, enum sp_op op)
{
    static const char *const text[] = {"SAVEPOINT job", "ROLLBACK TO job", "RELEASE job"};
    sqlite3_stmt **st = &w->sp[op];
    if (!*st && sqlite3_prepare_v3(w->db, text[op], -1, SQLITE_PREPARE_PERSISTENT, st, NULL) !=
                    SQLITE_OK)
        return RS_ERR_STORE;
    int rc = sqlite3_step(*st);
    sqlite3_reset(*st);
    return rc == SQLITE_DONE ? RS_OK : RS_ERR_STORE;
}
#define LAZY_SYNC_US 50000 /* longest wait for the fsync of records nobody waits for */
#define WAL_LIMIT 4096 /* frames (16 MiB with 4 KiB pages) before the writer checkpoints itself */

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((struct rs_store *)arg)->wal_frames = frames;
    return SQLITE_OK;
}

/* Runs one job of the open transaction: inside its own savepoint unless it is one statement
 * (a failing statement undoes itself), so that its failure does not undo its neighbours.
 * Returns true when the batch is lost: SQLite rolled the whole transaction back by itself, or a
 * failed job's changes could not be undone (committing the batch would keep them). */
static bool run_job_alone(struct conn *w, struct job *j)
{
    bool keep = false, undone = true;
    uint64_t revoked = w->revoked;
    if (!j->single && savepoint(w, SP_BEGIN)) {
        j->result = RS_ERR_STORE;
        j->kept = false;
        return sqlite3_get_autocommit(w->db);
    }
    rs_log_set_request(j->request_id);
    j->result = j->fn(w, j->arg, &keep);
    rs_log_set_request(NULL);
    if (!j->single) {
        if (!keep)
            undone = savepoint(w, SP_ROLLBACK) == RS_OK;
        savepoint(w, SP_RELEASE);
    }
    if (!keep) /* a failed single statement undid itself; a failed job's savepoint was undone */
        w->revoked = revoked;
    j->kept = keep;
    return !undone || sqlite3_get_autocommit(w->db);
}

/* Status list indexes are handed out from an in-memory counter (rs_store_status_alloc). So that
 * a start need not find the highest index stored (a read of every token row: 6 s for 3 million
 * tokens with a cold cache), the writer keeps a reservation on disk that every stored index
 * stays below: when a batch stores an index at or beyond it, the batch also moves it
 * STATUS_RESERVE further, in the same transaction. A start continues from the reservation,
 * leaving at most STATUS_RESERVE indexes unused (zero bits in the list). *reserved: in, the
 * current reservation; out, the one the batch commits. */
#define STATUS_RESERVED_KEY "status_idx_reserved"
#define STATUS_RESERVE 16384
static enum rs_err status_reserve(struct conn *w, int64_t *reserved);

static void *writer_main(void *arg)
{
    struct rs_store *s = arg;
    pthread_setname_np(pthread_self(), "rs-writer"); /* for top -H and perf */
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while ((!s->queue_head || s->held) && !s->stopping)
            pthread_cond_wait(&s->work_cv, &s->lock);
        if (!s->urgent && !s->stopping) {
            /* Only records nobody waits for (audit of requests that changed nothing): let them
             * gather for up to 2 ms, so they share an fsync, unless a waited-for write comes. */
            struct timespec until;
            rs_clock_deadline(&until, 2000);
            while (!s->urgent && !s->stopping &&
                   pthread_cond_timedwait(&s->work_cv, &s->lock, &until) == 0)
                ;
        }
        /* At most one committed batch waits for the syncer: while the syncer is still busy
         * with older ones, let this batch grow instead of committing another small one. */
        while (s->sync_head && !s->stopping)
            pthread_cond_wait(&s->synced_cv, &s->lock);
        struct job *batch = s->queue_head;
        s->queue_head = s->queue_tail = NULL;
        s->urgent = 0;
        bool stop = s->stopping && !batch;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;

        uint64_t t0 = rs_clock_mono_us();
        size_t n = 0;
        bool began = exec(s->writer.db, "BEGIN IMMEDIATE") == RS_OK;
        s->writer.revoked = 0;
        s->writer.max_status_idx = 0;
        /* SQLite may roll the whole transaction back by itself (disk full, I/O error, out of
         * memory); statements after that would each commit on their own. From then on no job
         * runs and the batch fails as a whole. */
        bool lost = false;
        for (struct job *j = batch; j;) {
            if (!began || lost) {
                j->result = RS_ERR_STORE;
                j->kept = false;
                j = j->next;
                n++;
                continue;
            }
            if (!j->rerunnable || !j->next || !j->next->rerunnable) {
                lost = run_job_alone(&s->writer, j);
                j = j->next;
                n++;
                continue;
            }
            /* A run of jobs that may run again (revocations: the bulk of a busy revoking batch)
             * shares one savepoint: a savepoint copies each page it first changes, so one per
             * job copied the same few pages again for every job. Should one of them fail, the
             * run is undone and each of its jobs runs again under its own savepoint. */
            struct job *end = j->next;
            while (end && end->rerunnable)
                end = end->next;
            uint64_t revoked = s->writer.revoked;
            bool failed = savepoint(&s->writer, SP_BEGIN) != RS_OK;
            if (!failed) {
                for (struct job *k = j; k != end && !failed; k = k->next) {
                    bool keep = false;
                    rs_log_set_request(k->request_id);
                    k->result = k->fn(&s->writer, k->arg, &keep);
                    rs_log_set_request(NULL);
                    k->kept = keep;
                    failed = !keep;
                }
                /* a run that cannot be undone would leave its failed job's changes: the batch
                 * is lost then */
                if (failed && savepoint(&s->writer, SP_ROLLBACK) != RS_OK)
                    lost = true;
                savepoint(&s->writer, SP_RELEASE);
                if (failed) /* the run is undone; its jobs run again one by one below */
                    s->writer.revoked = revoked;
            }
            lost = lost || sqlite3_get_autocommit(s->writer.db);
            for (; j != end; j = j->next, n++) {
                if (lost) {
                    j->result = RS_ERR_STORE;
                    j->kept = false;
                } else if (failed) {
                    lost = run_job_alone(&s->writer, j);
                }
            }
        }
        if (began) {
            bool ok, changes_tokens = false;
            for (struct job *j = batch; j; j = j->next)
                changes_tokens |= j->kept && !j->inserts_only;
            /* a batch that stores a status index at or beyond the reservation moves the
             * reservation in the same transaction (status_reserve), or fails as a whole */
            int64_t reserved = s->status_reserved;
            if (lost || atomic_load(&s->fail_commits) || atomic_load(&s->sync_broken))
                ok = false;
            else
                ok = status_reserve(&s->writer, &reserved) == RS_OK &&
                     exec(s->writer.db, "COMMIT") == RS_OK;
            if (ok)
                s->status_reserved = reserved;
            /* after the commit and before any caller learns of it: cached token rows are stale
             * now (bumped after, or a reader could cache the old row under the new value) */
            if (ok && changes_tokens)
                atomic_fetch_add_explicit(&s->token_gen, 1, memory_order_release);
            if (ok)
                atomic_fetch_add(&s->tokens_revoked, s->writer.revoked);
            if (!ok) {
                if (!sqlite3_get_autocommit(s->writer.db))
                    sqlite3_exec(s->writer.db, "ROLLBACK", NULL, NULL, NULL);
                atomic_fetch_add(&s->failures, 1);
                for (struct job *j = batch; j; j = j->next)
                    if (j->kept) /* its changes are gone with the batch */
                        j->result = RS_ERR_STORE;
            }
        }
        atomic_fetch_add(&s->commits, 1);
        atomic_fetch_add(&s->batched, n);
        atomic_fetch_add(&s->commit_us, rs_clock_mono_us() - t0);

        /* The batch is committed but not yet durable (synchronous=NORMAL): hand it to the syncer,
         * which fsyncs the WAL and only then tells the callers, while this thread goes on with
         * the next batch. */
        pthread_mutex_lock(&s->lock);
        if (batch) {
            struct job *last = batch;
            last->t_begin = t0;
            while (last->next) {
                last = last->next;
                last->t_begin = t0;
            }
            if (s->sync_tail)
                s->sync_tail->next = batch;
            else
                s->sync_head = batch;
            s->sync_tail = last;
            pthread_cond_signal(&s->sync_cv);
        }
        pthread_mutex_unlock(&s->lock);

        /* Under continuous writes the checkpointer thread never catches the WAL's end (new frames
         * arrive while it copies), so SQLite never restarts the WAL and the file grows without
         * bound, each fsync then also writing the file's size. When the WAL passes WAL_LIMIT
         * frames, the writer itself finishes the checkpoint between two batches: no new frame
         * can arrive meanwhile, most frames were already copied by the checkpointer, and the next
         * transaction starts the WAL again from its beginning. */
        if (s->wal_frames > WAL_LIMIT) {
            int log = 0, ckpt = 0;
            if (sqlite3_wal_checkpoint_v2(s->writer.db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
                                          &ckpt) == SQLITE_OK)
                atomic_fetch_add(&s->writer_checkpoints, 1);
            s->wal_frames = 0; /* the hook reports the size again after the next commit */
        }
    }
    pthread_mutex_lock(&s->lock);
    s->writer_done = true;
    pthread_cond_signal(&s->sync_cv);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* fsyncs the WAL file: every frame the writer wrote before this call is durable when it returns
 * 0. Linux syncs the file (inode), whichever descriptor wrote to it, so the store keeps its own,
 * opened at start (open_wal). The WAL file lives as long as the writer's connection: SQLite
 * deletes it only when the last connection closes, and restarts or truncates it in place. */
static int sync_wal(struct rs_store *s)
{
    return fdatasync(s->wal_fd);
}

/* Opens the store's descriptor of the WAL file, by the name SQLite uses (it follows a symlinked
 * database path to the real file's folder). At start, so that no request can meet a failure. */
static enum rs_err open_wal(struct rs_store *s)
{
    const char *db = sqlite3_db_filename(s->writer.db, "main");
    const char *wal = db ? sqlite3_filename_wal(db) : NULL;
    s->wal_fd = wal && *wal ? open(wal, O_RDONLY | O_CLOEXEC) : -1;
    if (s->wal_fd < 0) {
        char err[16];
        snprintf(err, sizeof err, "%d", errno);
        RS_LOG_ERROR("store_error", "op", "open WAL for fsync", "path", wal ? wal : "?", "errno",
                     err, NULL);
        return RS_ERR_STORE;
    }
    return RS_OK;
}

/* The durability half of group commit. The writer commits batch after batch with
 * synchronous=NORMAL (WAL frames written, not fsynced); this thread fsyncs the WAL once for
 * every batch committed since its last fsync and then wakes the waiting callers and runs the
 * callbacks of detached jobs, so no caller hears of a write before it is on disk. Commit CPU and
 * fsync latency overlap instead of adding up. An fsync that fails is not retried (the kernel may
 * have dropped the dirty pages, so a later success proves nothing): every job of the failed
 * fsync, and every write after it, fails with RS_ERR_STORE until the server restarts. */
/* One observation per batch among jobs just made durable (the syncer may take several batches
 * at once; a batch's jobs are adjacent and share t_begin). */
static void durable_observe(struct rs_store *s, const struct job *jobs)
{
    static const uint64_t bounds[] = {RS_STORE_DURABLE_BOUNDS};
    _Static_assert(sizeof bounds / sizeof bounds[0] + 1 == RS_STORE_DURABLE_BUCKETS,
                   "one bucket per bound, plus +Inf");
    uint64_t now = rs_clock_mono_us(), prev = 0;
    for (const struct job *j = jobs; j; j = j->next) {
        /* kept with an error: its batch's COMMIT failed and rolled it back */
        if (j->t_begin == prev || !j->kept || j->result != RS_OK)
            continue;
        prev = j->t_begin;
        uint64_t us = now - prev;
        size_t b = 0;
        while (b < sizeof bounds / sizeof bounds[0] && us > bounds[b])
            b++;
        atomic_fetch_add(&s->durable[b], 1);
        atomic_fetch_add(&s->durable_us, us);
    }
}

static void *syncer_main(void *arg)
{
    struct rs_store *s = arg;
    pthread_setname_np(pthread_self(), "rs-syncer");
    bool dirty = false;        /* committed writes not yet fsynced (records nobody waits for) */
    uint64_t dirty_since = 0;  /* monotonic µs when dirty was set */
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (!s->sync_head && !s->writer_done) {
            if (!dirty) {
                pthread_cond_wait(&s->sync_cv, &s->lock);
                continue;
            }
            /* unsynced records wait at most LAZY_SYNC_US for their fsync, counted from the
             * first of them */
            uint64_t now = rs_clock_mono_us(), due = dirty_since + LAZY_SYNC_US;
            if (now >= due)
                break;
            struct timespec until;
            rs_clock_deadline(&until, due - now);
            if (pthread_cond_timedwait(&s->sync_cv, &s->lock, &until) != 0)
                break;
        }
        struct job *batch = s->sync_head;
        s->sync_head = s->sync_tail = NULL;
        pthread_cond_signal(&s->synced_cv);
        bool stop = s->writer_done && !batch;
        pthread_mutex_unlock(&s->lock);
        if (stop && !dirty)
            break;

        bool wrote = false, waited = false;
        for (struct job *j = batch; j; j = j->next) {
            wrote |= j->kept;
            waited |= !j->detached || j->done_cb; /* somebody learns of this write */
        }
        /* Writes nobody is told of (audit records of requests that changed nothing) need no
         * fsync of their own: store.h lets a crash lose their last moments. They are fsynced
         * with the next write somebody waits for, or after LAZY_SYNC_US at most. */
        bool need = waited || stop || (dirty && rs_clock_mono_us() - dirty_since >= LAZY_SYNC_US);

        if (wrote && !need) {
            if (!dirty)
                dirty_since = rs_clock_mono_us();
            dirty = true;
        } else if ((wrote || dirty) && !atomic_load(&s->sync_broken) && sync_wal(s) != 0) {
            char err[16];
            snprintf(err, sizeof err, "%d", errno);
            RS_LOG_ERROR("store_fsync_failed", "errno", err, NULL);
            atomic_store(&s->sync_broken, true);
        } else if (wrote || dirty) {
            /* reached with sync_broken too, where no fsync ran: nothing became durable */
            if (!atomic_load(&s->sync_broken))
                durable_observe(s, batch);
            dirty = false;
        }
        if (atomic_load(&s->sync_broken)) {
            for (struct job *j = batch; j; j = j->next)
                if (j->kept)
                    j->result = RS_ERR_STORE;
        }

        /* detached jobs are unlinked and freed here; the others are woken */
        struct job *detached = NULL, **pp = &batch;
        while (*pp) {
            if ((*pp)->detached) {
                struct job *d = *pp;
                *pp = d->next;
                d->next = detached;
                detached = d;
            } else {
                pp = &(*pp)->next;
            }
        }
        pthread_mutex_lock(&s->lock);
        for (struct job *j = batch; j; j = j->next) {
            j->done = true;
            pthread_cond_signal(&j->cv);
        }
        pthread_mutex_unlock(&s->lock);
        while (detached) {
            struct job *next = detached->next;
            rs_log_set_request(detached->request_id);
            if (detached->done_cb)
                detached->done_cb(detached->done_arg, detached->result);
            else if (detached->result && detached->fail_cb)
                detached->fail_cb(detached->arg, detached->result);
            else if (detached->result)
                RS_LOG_WARN("async_write_failed", "reason", rs_strerror(detached->result), NULL);
            rs_log_set_request(NULL);
            if (!detached->arg_inline)
                free(detached->arg);
            free(detached);
            detached = next;
        }
    }
    return NULL;
}

/* Copies committed WAL frames into the database file, off the commit path. PASSIVE: it never
 * blocks the writer or readers; once a checkpoint completes, the writer restarts the WAL from
 * its beginning, so the file stays small. Every CKPT_BUSY_US while the WAL grew since the last
 * pass, so that the writer's own checkpoint at WAL_LIMIT finds little left to copy (a pass
 * copies each page changed since the previous one once, and fsyncs the database file). */
#define CKPT_BUSY_US 20000
#define CKPT_IDLE_US 200000
static void *checkpointer_main(void *arg)
{
    struct rs_store *s = arg;
    pthread_setname_np(pthread_self(), "rs-checkpoint");
    struct conn c = {0};
    if (conn_open(&c, s->path, false))
        return NULL;
    /* A connection learns that the database is in WAL mode when it first reads it; until then
     * a checkpoint through it does nothing and reports -1 frames. Without this read the thread
     * never copied a frame, and the writer did all the copying between two batches. */
    if (exec(c.db, "SELECT count(*) FROM sqlite_master")) {
        conn_close(&c);
        return NULL;
    }
    int log = 0, prev = 0;
    for (;;) {
        struct timespec until;
        rs_clock_deadline(&until, log > 0 && log != prev ? CKPT_BUSY_US : CKPT_IDLE_US);
        prev = log;
        pthread_mutex_lock(&s->lock);
        if (!s->stopping)
            pthread_cond_timedwait(&s->ckpt_cv, &s->lock, &until);
        bool stop = s->stopping;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;
        int done_frames = 0;
        int rc = sqlite3_wal_checkpoint_v2(c.db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
                                           &done_frames);
        /* SQLITE_BUSY: the writer is running its own checkpoint at this moment */
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            RS_LOG_WARN("checkpoint_failed", "sqlite", sqlite3_errmsg(c.db), NULL);
    }
    /* a last full pass so that a clean stop leaves a small WAL */
    sqlite3_wal_checkpoint_v2(c.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    conn_close(&c);
    return NULL;
}

/* Runs fn in the writer's next batch; returns after the batch committed (or failed). */
static enum rs_err run_write_job(struct rs_store *s, job_fn *fn, void *arg, bool inserts_only)
{
    struct job j = {.fn = fn, .arg = arg, .inserts_only = inserts_only};
    rs_strlcpy(j.request_id, rs_log_request(), sizeof j.request_id);
    pthread_cond_init(&j.cv, NULL);
    pthread_mutex_lock(&s->lock);
    if (s->queue_tail)
        s->queue_tail->next = &j;
    else
        s->queue_head = &j;
    s->queue_tail = &j;
    s->urgent++;
    pthread_cond_signal(&s->work_cv);
    while (!j.done)
        pthread_cond_wait(&j.cv, &s->lock);
    pthread_mutex_unlock(&s->lock);
    pthread_cond_destroy(&j.cv);
    return j.result;
}

static enum rs_err run_write(struct rs_store *s, job_fn *fn, void *arg)
{
    return run_write_job(s, fn, arg, false);
}

/* Queues a detached job (heap job, heap arg: both freed by the writer) and returns at once. */
static void submit(struct rs_store *s, struct job *j)
{
    j->detached = true;
    rs_strlcpy(j->request_id, rs_log_request(), sizeof j->request_id);
    pthread_mutex_lock(&s->lock);
    j->next = NULL;
    bool was_empty = !s->queue_head;
    if (s->queue_tail)
        s->queue_tail->next = j;
    else
        s->queue_head = j;
    s->queue_tail = j;
    if (j->done_cb)
        s->urgent++;
    if (was_empty || j->done_cb)
        pthread_cond_signal(&s->work_cv);
    pthread_mutex_unlock(&s->lock);
}

/* ---------- open / migrate / close ---------- */
static enum rs_err migrate(struct conn *w, int *version_out)
{
    sqlite3_stmt *st = NULL;
    int have = 0;
    enum rs_err e = exec(w->db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    if (e)
        return e;
    if (sqlite3_prepare_v2(w->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK)
        return RS_ERR_STORE;
    if (sqlite3_step(st) == SQLITE_ROW)
        have = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    for (size_t i = 0; i < sizeof rs_sqlite_migrations / sizeof rs_sqlite_migrations[0]; i++) {
        int v = rs_sqlite_migrations[i].version;
        if (v <= have)
            continue;
        char ins[96];
        snprintf(ins, sizeof ins, "INSERT INTO schema_version (version) VALUES (%d)", v);
        e = exec(w->db, "BEGIN IMMEDIATE");
        if (!e)
            e = exec(w->db, rs_sqlite_migrations[i].sql);
        if (!e)
            e = exec(w->db, ins);
        if (!e)
            e = exec(w->db, "COMMIT");
        if (e) {
            sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
            return e;
        }
        char vs[12];
        snprintf(vs, sizeof vs, "%d", v);
        RS_LOG_INFO("store_migrated", "version", vs, NULL);
        have = v;
    }
    *version_out = have;
    return RS_OK;
}

static void sqlite_global_init(void)
{
    /* no global memory statistics: they take a process-wide mutex on every allocation */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

enum rs_err rs_store_open(const char *path, struct rs_store **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_global_init);
    enum rs_err e = RS_ERR_NOMEM;
    int version = 0;
    struct rs_store *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return e;
    s->wal_fd = -1;
    s->id = atomic_fetch_add(&store_ids, 1) + 1;
    s->path = strdup(path);
    if (!s->path)
        goto fail;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->readers_lock, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    pthread_cond_init(&s->ckpt_cv, NULL);
    pthread_cond_init(&s->sync_cv, NULL);
    pthread_cond_init(&s->synced_cv, NULL);
    e = conn_open(&s->writer, path, false);
    if (e)
        goto fail;
    s->writer.owner = s; /* for the jobs' test hooks */
    /* WAL. Migrations commit with synchronous=FULL (each COMMIT fsyncs the WAL); the writer
     * thread then runs with NORMAL and leaves the fsync of each group of commits to the syncer
     * thread (syncer_main), which tells callers only once their commit is on disk. */
    e = exec(s->writer.db, "PRAGMA journal_mode = WAL");
    if (!e)
        e = exec(s->writer.db, "PRAGMA synchronous = FULL");
    /* the writer keeps the hot B-tree pages in memory; checkpoints run on their own thread
     * (checkpointer_main), so a commit never waits for a checkpoint's copying and fsync */
    if (!e)
        e = exec(s->writer.db, "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0");
    if (!e)
        e = migrate(&s->writer, &version);
    if (!e)
        e = exec(s->writer.db, "PRAGMA synchronous = NORMAL");
    if (!e)
        e = open_wal(s);
    if (e)
        goto fail;
    {
        /* Status list indexes continue after the highest one ever stored: in a token row, or set
         * in status_invalid (whose rows outlive purged tokens; a new token must never get an
         * index whose bit is set). Every stored index is below the reservation (status_reserve);
         * only a database without one (made before it existed, or without any token yet) is
         * read in full. This runs before the writer thread starts: the connection is still
         * this thread's. */
        sqlite3_stmt *st = stmt(&s->writer, Q_SETTING_GET);
        int64_t next = 1;
        if (st) {
            sqlite3_bind_text(st, 1, STATUS_RESERVED_KEY, -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                s->status_reserved = sqlite3_column_int64(st, 0);
            done(st);
        }
        st = NULL;
        const char *q = s->status_reserved > 0
                ? "SELECT coalesce((SELECT max(idx) FROM status_invalid), 0) + 1"
                : "SELECT max(coalesce((SELECT max(status_idx) FROM tokens), 0), "
                  "coalesce((SELECT max(idx) FROM status_invalid), 0)) + 1";
        if (sqlite3_prepare_v2(s->writer.db, q, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            next = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (next < s->status_reserved)
            next = s->status_reserved;
        atomic_store(&s->next_status_idx, next);
    }
    sqlite3_wal_hook(s->writer.db, wal_hook, s);
    if (pthread_create(&s->syncer_thread, NULL, syncer_main, s)) {
        e = RS_ERR_STORE;
        goto fail;
    }
    if (pthread_create(&s->writer_thread, NULL, writer_main, s)) {
        pthread_mutex_lock(&s->lock);
        s->writer_done = true;
        pthread_cond_signal(&s->sync_cv);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->syncer_thread, NULL);
        e = RS_ERR_STORE;
        goto fail;
    }
    s->checkpointer_running = pthread_create(&s->checkpointer_thread, NULL, checkpointer_main, s) == 0;
    *out = s;
    return RS_OK;
fail:
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    conn_close(&s->writer);
    free(s->path);
    free(s);
    return e;
}

void rs_store_close(struct rs_store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->work_cv);
    pthread_cond_signal(&s->ckpt_cv);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->writer_thread, NULL);
    pthread_join(s->syncer_thread, NULL); /* ends once the writer's last batch is durable */
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    if (s->checkpointer_running)
        pthread_join(s->checkpointer_thread, NULL);
    struct conn *c = s->readers;
    while (c) {
        struct conn *next = c->next;
        conn_close(c);
        free(c);
        c = next;
    }
    tl_reader = NULL;
    conn_close(&s->writer);
    free(s->path);
    free(s);
}

int rs_store_schema_version(struct rs_store *s)
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (c && sqlite3_prepare_v2(c->db, "SELECT max(version) FROM schema_version", -1, &st, NULL) ==
                 SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

void rs_store_fail_commits(struct rs_store *s, bool on)
{
    atomic_store(&s->fail_commits, on);
}

void rs_store_hold_writer(struct rs_store *s, bool on)
{
    pthread_mutex_lock(&s->lock);
    s->held = on;
    pthread_cond_signal(&s->work_cv);
    pthread_mutex_unlock(&s->lock);
}

void rs_store_fail_revocations(struct rs_store *s, unsigned after, unsigned n)
{
    atomic_store(&s->pass_revocations, after);
    atomic_store(&s->fail_revocations, n);
}

/* consumes one step of rs_store_fail_revocations (only the writer calls it) */
static bool revocation_must_fail(struct rs_store *s)
{
    unsigned pass = atomic_load(&s->pass_revocations), fail = atomic_load(&s->fail_revocations);
    if (pass) {
        atomic_store(&s->pass_revocations, pass - 1);
        return false;
    }
    if (fail)
        atomic_store(&s->fail_revocations, fail - 1);
    return fail != 0;
}

void rs_store_stats(struct rs_store *s, struct rs_store_stats *out)
{
    out->commits = atomic_load(&s->commits);
    out->commit_us_total = atomic_load(&s->commit_us);
    out->batched_jobs = atomic_load(&s->batched);
    out->commit_failures = atomic_load(&s->failures);
    out->tokens_revoked = atomic_load(&s->tokens_revoked);
    for (size_t i = 0; i < RS_STORE_DURABLE_BUCKETS; i++)
        out->durable_buckets[i] = atomic_load(&s->durable[i]);
    out->durable_us_total = atomic_load(&s->durable_us);
}

/* ---------- row mapping ---------- */
/* Copies s into dst (cap bytes), truncated and NUL-terminated: snprintf("%s") without printf. */
/* a memcpy, not snprintf: a token row has seven text columns and the writer reads one per
 * revocation */
static void col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0; /* after column_text: its length */
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "");
}

static bool col_hash(sqlite3_stmt *st, int i, unsigned char out[RS_HASH_LEN])
{
    if (sqlite3_column_bytes(st, i) != RS_HASH_LEN)
        return false;
    memcpy(out, sqlite3_column_blob(st, i), RS_HASH_LEN);
    return true;
}

static void row_token(sqlite3_stmt *st, struct rs_token *t)
{
    if (sqlite3_column_bytes(st, 0) == RS_TOKEN_KEY_LEN)
        memcpy(t->hash, sqlite3_column_blob(st, 0), RS_TOKEN_KEY_LEN);
    t->type = (enum rs_token_type)sqlite3_column_int(st, 1);
    t->state = (enum rs_token_state)sqlite3_column_int(st, 2);
    col_text(st, 3, t->grant_id, sizeof t->grant_id);
    col_text(st, 4, t->client_id, sizeof t->client_id);
    col_text(st, 5, t->sub, sizeof t->sub);
    col_text(st, 6, t->scope, sizeof t->scope);
    t->iat = sqlite3_column_int64(st, 7);
    t->exp = sqlite3_column_int64(st, 8);
    t->auth_time = sqlite3_column_int64(st, 9);
    col_text(st, 10, t->nonce, sizeof t->nonce);
    col_text(st, 11, t->redirect_uri, sizeof t->redirect_uri);
    col_text(st, 12, t->code_challenge, sizeof t->code_challenge);
    t->status_idx = sqlite3_column_int64(st, 13);
}

static enum rs_err row_client(sqlite3_stmt *st, struct rs_client *c)
{
    memset(c, 0, sizeof *c);
    col_text(st, 0, c->client_id, sizeof c->client_id);
    c->has_secret = col_hash(st, 1, c->secret_hash);
    c->has_reg_token = col_hash(st, 2, c->reg_token_hash);
    c->auth_method = col_dup(st, 3);
    c->redirect_uris = col_dup(st, 4);
    c->grant_types = col_dup(st, 5);
    c->response_types = col_dup(st, 6);
    c->scope = col_dup(st, 7);
    c->client_name = col_dup(st, 8);
    c->origins = col_dup(st, 9);
    c->created_at = sqlite3_column_int64(st, 10);
    if (!c->auth_method || !c->redirect_uris || !c->grant_types || !c->response_types ||
        !c->scope || !c->client_name || !c->origins) {
        rs_client_clear(c);
        return RS_ERR_NOMEM;
    }
    return RS_OK;
}

static enum rs_err row_user(sqlite3_stmt *st, struct rs_user *u)
{
    memset(u, 0, sizeof *u);
    col_text(st, 0, u->sub, sizeof u->sub);
    col_text(st, 1, u->username, sizeof u->username);
    u->pw_hash = col_dup(st, 2);
    u->email = col_dup(st, 3);
    u->name = col_dup(st, 4);
    u->created_at = sqlite3_column_int64(st, 5);
    if (!u->pw_hash || !u->email || !u->name) {
        rs_user_clear(u);
        return RS_ERR_NOMEM;
    }
    return RS_OK;
}

/* Steps a statement expected to finish without rows (INSERT/UPDATE/DELETE). */
static enum rs_err step_done(struct conn *c, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    enum rs_err e = RS_OK;
    if (rc == SQLITE_CONSTRAINT)
        e = RS_ERR_CONFLICT;
    else if (rc != SQLITE_DONE) {
        log_sqlite("step", c->db);
        e = RS_ERR_STORE;
    }
    done(st);
    return e;
}

#define BIND_TEXT(st, i, s) sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC)
#define BIND_HASH(st, i, h) sqlite3_bind_blob(st, i, h, RS_HASH_LEN, SQLITE_STATIC)
#define BIND_KEY(st, i, k) sqlite3_bind_blob(st, i, k, RS_TOKEN_KEY_LEN, SQLITE_STATIC)

/* ---------- tokens and grants (writer side) ---------- */
/* see STATUS_RESERVE */
static enum rs_err status_reserve(struct conn *w, int64_t *reserved)
{
    if (w->max_status_idx <= 0 || w->max_status_idx < *reserved)
        return RS_OK;
    /* beyond every index handed out so far, not only those of this batch */
    int64_t next = atomic_load(&w->owner->next_status_idx);
    if (next <= w->max_status_idx)
        next = w->max_status_idx + 1;
    next += STATUS_RESERVE;
    char v[RS_I64_STRLEN];
    rs_fmt_i64(v, (long long)next);
    sqlite3_stmt *st = stmt(w, Q_SETTING_PUT);
    if (!st)
        return RS_ERR_STORE;
    BIND_TEXT(st, 1, STATUS_RESERVED_KEY);
    BIND_TEXT(st, 2, v);
    enum rs_err e = step_done(w, st);
    if (!e)
        *reserved = next;
    return e;
}

static enum rs_err put_token(struct conn *w, const struct rs_token *t)
{
    sqlite3_stmt *st = stmt(w, Q_TOKEN_PUT);
    enum rs_err e = RS_OK;
    if (!st)
        return RS_ERR_STORE;
    unsigned char prefix[8];
    /* a user-less token is its own grant, with an id that names its key (store.h); anything else
     * could never be revoked by grant id */
    if (!*t->sub) {
        if (!rs_store_client_grant_prefix(t->grant_id, prefix) ||
            memcmp(prefix, t->hash, sizeof prefix) != 0)
            return RS_ERR_INVALID;
    } else { /* a grant with a user has a row (INSERT OR IGNORE: its later tokens find it) */
        sqlite3_stmt *g = stmt(w, Q_GRANT_PUT);
        if (!g)
            return RS_ERR_STORE;
        BIND_TEXT(g, 1, t->grant_id);
        BIND_TEXT(g, 2, t->client_id);
        BIND_TEXT(g, 3, t->sub);
        sqlite3_bind_int64(g, 4, t->iat);
        e = step_done(w, g);
        if (e)
            return e;
    }
    BIND_KEY(st, 1, t->hash);
    sqlite3_bind_int(st, 2, t->type);
    sqlite3_bind_int(st, 3, t->state);
    BIND_TEXT(st, 4, t->grant_id);
    BIND_TEXT(st, 5, t->client_id);
    BIND_TEXT(st, 6, t->sub);
    BIND_TEXT(st, 7, t->scope);
    sqlite3_bind_int64(st, 8, t->iat);
    sqlite3_bind_int64(st, 9, t->exp);
    sqlite3_bind_int64(st, 10, t->auth_time);
    BIND_TEXT(st, 11, t->nonce);
    BIND_TEXT(st, 12, t->redirect_uri);
    BIND_TEXT(st, 13, t->code_challenge);
    sqlite3_bind_int64(st, 14, t->status_idx);
    if (t->status_idx > w->max_status_idx)
        w->max_status_idx = t->status_idx; /* a job undone later only makes this larger */
    return step_done(w, st);
}

/* Binds ?lo and ?hi to the key range of a user-less grant's token: keys that start with prefix
 * (prefix itself, 8 bytes, sorts before every 40-byte key that starts with it). */
struct key_range {
    unsigned char lo[8]; /* the prefix itself: sorts before every key that starts with it */
    unsigned char hi[9]; /* the next prefix, or nine 0xff bytes after an all-0xff prefix */
    int hi_len;
};

/* The keys that start with an 8-byte prefix are those with lo < key < hi. */
static void key_range_of(const unsigned char prefix[8], struct key_range *r)
{
    memcpy(r->lo, prefix, 8);
    memcpy(r->hi, prefix, 8);
    r->hi_len = 8;
    int i = 7;
    while (i >= 0 && ++r->hi[i] == 0) /* big-endian increment */
        i--;
    if (i < 0) {
        memset(r->hi, 0xff, sizeof r->hi);
        r->hi_len = sizeof r->hi;
    }
}

static void bind_key_range(sqlite3_stmt *st, int lo, int hi, const struct key_range *r)
{
    sqlite3_bind_blob(st, lo, r->lo, sizeof r->lo, SQLITE_STATIC);
    sqlite3_bind_blob(st, hi, r->hi, r->hi_len, SQLITE_STATIC);
}

/* n token rows were just set to revoked: the transaction's count (conn.revoked, for
 * rescind_tokens_revoked_total) and the caller's, when it keeps one. */
static void count_revoked(struct conn *w, size_t *count, size_t n)
{
    w->revoked += n;
    if (count)
        *count += n;
}

/* Sets the status list bit of one token (status_idx 0: the token has none). */
static enum rs_err status_invalidate(struct conn *w, int64_t status_idx)
{
    if (status_idx <= 0)
        return RS_OK;
    sqlite3_stmt *st = stmt(w, Q_STATUS_INVALIDATE);
    if (!st)
        return RS_ERR_STORE;
    sqlite3_bind_int64(st, 1, status_idx);
    return step_done(w, st);
}

/* Revokes one grant; adds the number of tokens changed to *count. */
static enum rs_err revoke_grant(struct conn *w, const char *grant_id, size_t *count)
{
    unsigned char prefix[8];
    struct key_range r;
    if (rs_store_client_grant_prefix(grant_id, prefix)) {
        sqlite3_stmt *c = stmt(w, Q_CLIENT_GRANT_REVOKE),
                     *si = stmt(w, Q_STATUS_CLIENT_GRANT_INVALIDATE);
        if (!c || !si)
            return RS_ERR_STORE;
        key_range_of(prefix, &r);
        bind_key_range(si, 1, 2, &r);
        BIND_TEXT(si, 3, grant_id);
        enum rs_err e = step_done(w, si);
        if (e)
            return e;
        bind_key_range(c, 1, 2, &r);
        BIND_TEXT(c, 3, grant_id);
        e = step_done(w, c);
        if (!e)
            count_revoked(w, count, (size_t)sqlite3_changes(w->db));
        return e;
    }
    sqlite3_stmt *g = stmt(w, Q_GRANT_REVOKE), *t = stmt(w, Q_GRANT_TOKENS_REVOKE),
                 *si = stmt(w, Q_STATUS_GRANT_INVALIDATE);
    if (!g || !t || !si)
        return RS_ERR_STORE;
    BIND_TEXT(g, 1, grant_id);
    sqlite3_bind_int64(g, 2, rs_clock_now());
    enum rs_err e = step_done(w, g);
    if (e)
        return e;
    BIND_TEXT(si, 1, grant_id);
    e = step_done(w, si);
    if (e)
        return e;
    BIND_TEXT(t, 1, grant_id);
    e = step_done(w, t);
    if (!e)
        count_revoked(w, count, (size_t)sqlite3_changes(w->db));
    return e;
}

/* Revokes every live grant found by a one-parameter query (client or user). */
static enum rs_err revoke_by(struct conn *w, enum stmt_id q, const char *key, size_t *grants,
                             size_t *tokens)
{
    sqlite3_stmt *st = stmt(w, q);
    char **ids = NULL;
    size_t n = 0, cap = 0;
    enum rs_err e = RS_OK;
    if (!st)
        return RS_ERR_STORE;
    BIND_TEXT(st, 1, key);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(ids, cap * sizeof *ids);
            if (!p) {
                e = RS_ERR_NOMEM;
                break;
            }
            ids = p;
        }
        ids[n] = col_dup(st, 0);
        if (!ids[n]) {
            e = RS_ERR_NOMEM;
            break;
        }
        n++;
    }
    if (!e && rc != SQLITE_DONE)
        e = RS_ERR_STORE;
    done(st);
    for (size_t i = 0; i < n && !e; i++)
        e = revoke_grant(w, ids[i], tokens);
    if (grants)
        *grants += n;
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return e;
}

/* Revokes every user-less grant (client_credentials token) of a client in one statement; each
 * grant id is passed to each_fn when given (the audit lists them). */
static enum rs_err revoke_client_cc(struct conn *w, const char *client_id, size_t *grants,
                                    size_t *tokens,
                                    enum rs_err (*each_fn)(void *arg, const char *gid), void *arg)
{
    sqlite3_stmt *st = stmt(w, Q_CLIENT_CC_REVOKE), *si = stmt(w, Q_STATUS_CLIENT_CC_INVALIDATE);
    enum rs_err e = RS_OK;
    size_t n = 0;
    int rc;
    if (!st || !si)
        return RS_ERR_STORE;
    BIND_TEXT(si, 1, client_id);
    e = step_done(w, si);
    if (e)
        return e;
    BIND_TEXT(st, 1, client_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        if (each_fn && !e)
            e = each_fn(arg, (const char *)sqlite3_column_text(st, 0));
    }
    if (rc != SQLITE_DONE) {
        log_sqlite("revoke_client", w->db);
        e = RS_ERR_STORE;
    }
    done(st);
    if (!e)
        count_revoked(w, tokens, n);
    if (!e && grants)
        *grants += n;
    return e;
}

/* Revokes every grant of a client: those with a user through their rows, the user-less ones
 * through tokens_cc. */
static enum rs_err revoke_client(struct conn *w, const char *client_id, size_t *grants,
                                 size_t *tokens)
{
    enum rs_err e = revoke_by(w, Q_CLIENT_GRANTS, client_id, grants, tokens);
    return e ? e : revoke_client_cc(w, client_id, grants, tokens, NULL, NULL);
}

struct tokens_put_arg {
    const struct rs_token *toks;
    size_t n;
};

static enum rs_err job_tokens_put(struct conn *w, void *arg, bool *keep)
{
    struct tokens_put_arg *a = arg;
    enum rs_err e = RS_OK;
    for (size_t i = 0; i < a->n && !e; i++)
        e = put_token(w, &a->toks[i]);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_tokens_put(struct rs_store *s, const struct rs_token *toks, size_t n)
{
    struct tokens_put_arg a = {toks, n};
    return run_write_job(s, job_tokens_put, &a, true);
}

/* Runs q, a query of one token by its key (?1), and hands its row to map. NOT_FOUND without. */
static enum rs_err token_by_key(struct conn *c, enum stmt_id q,
                                const unsigned char key[RS_TOKEN_KEY_LEN],
                                void (*map)(sqlite3_stmt *st, void *out), void *out)
{
    sqlite3_stmt *st = stmt(c, q);
    if (!st)
        return RS_ERR_STORE;
    BIND_KEY(st, 1, key);
    int rc = sqlite3_step(st);
    enum rs_err e = RS_OK;
    if (rc == SQLITE_ROW)
        map(st, out);
    else if (rc == SQLITE_DONE)
        e = RS_ERR_NOT_FOUND;
    else {
        log_sqlite("token_get", c->db);
        e = RS_ERR_STORE;
    }
    done(st);
    return e;
}

static void map_token(sqlite3_stmt *st, void *out)
{
    row_token(st, out);
}

static enum rs_err get_token(struct conn *c, const unsigned char key[RS_TOKEN_KEY_LEN],
                             struct rs_token *out)
{
    return token_by_key(c, Q_TOKEN_GET, key, map_token, out);
}

static void token_cache_clear(struct token_cache *tc, uint64_t gen)
{
    for (unsigned i = 0; i < TOKEN_CACHE; i++) {
        free(tc->e[i].scope);
        tc->e[i].scope = NULL;
        tc->e[i].used = false;
    }
    tc->gen = gen;
}

static bool token_cache_get(struct token_cache *tc, const unsigned char hash[RS_TOKEN_KEY_LEN],
                            struct rs_token *out)
{
    struct token_entry *e = &tc->e[hash[CACHE_SLOT_BYTE] % TOKEN_CACHE];
    if (!e->used || memcmp(e->hash, hash, RS_TOKEN_KEY_LEN) != 0)
        return false;
    memcpy(out->hash, e->hash, RS_TOKEN_KEY_LEN);
    out->type = e->type;
    out->state = e->state;
    memcpy(out->grant_id, e->grant_id, sizeof out->grant_id);
    memcpy(out->client_id, e->client_id, sizeof out->client_id);
    memcpy(out->sub, e->sub, sizeof out->sub);
    rs_strlcpy(out->scope, e->scope, sizeof out->scope);
    out->iat = e->iat;
    out->exp = e->exp;
    out->auth_time = e->auth_time;
    out->status_idx = e->status_idx;
    out->nonce[0] = out->redirect_uri[0] = out->code_challenge[0] = '\0';
    return true;
}

static void token_cache_put(struct token_cache *tc, const struct rs_token *t)
{
    struct token_entry *e = &tc->e[t->hash[CACHE_SLOT_BYTE] % TOKEN_CACHE];
    char *scope = strdup(t->scope);
    if (!scope)
        return; /* not cached: still correct */
    free(e->scope);
    e->used = true;
    memcpy(e->hash, t->hash, RS_TOKEN_KEY_LEN);
    e->type = t->type;
    e->state = t->state;
    memcpy(e->grant_id, t->grant_id, sizeof e->grant_id);
    memcpy(e->client_id, t->client_id, sizeof e->client_id);
    memcpy(e->sub, t->sub, sizeof e->sub);
    e->scope = scope;
    e->iat = t->iat;
    e->exp = t->exp;
    e->auth_time = t->auth_time;
    e->status_idx = t->status_idx;
}

enum rs_err rs_store_token_get(struct rs_store *s, const unsigned char hash[RS_TOKEN_KEY_LEN],
                               struct rs_token *out)
{
    struct conn *c = reader(s);
    if (!c)
        return RS_ERR_STORE;
    /* the generation is read before the row (see token_cache) */
    uint64_t gen = atomic_load_explicit(&s->token_gen, memory_order_acquire);
    struct token_cache *tc = c->tokens;
    if (tc && tc->gen != gen)
        token_cache_clear(tc, gen);
    if (tc && token_cache_get(tc, hash, out))
        return RS_OK;
    enum rs_err e = get_token(c, hash, out);
    /* only access and refresh tokens: codes and ID tokens are not looked up repeatedly */
    if (!e && tc && (out->type == RS_TOK_ACCESS || out->type == RS_TOK_REFRESH))
        token_cache_put(tc, out);
    return e;
}

struct exchange_arg {
    const unsigned char *hash;
    enum rs_token_type type;
    const char *client_id;
    int64_t now;
    rs_store_exchange_fn *check;
    void *check_arg;
    struct rs_token *new_toks;
    size_t n;
};

static enum rs_err job_exchange(struct conn *w, void *arg, bool *keep)
{
    struct exchange_arg *a = arg;
    struct rs_token old;
    enum rs_err e = get_token(w, a->hash, &old);
    *keep = false;
    if (e)
        return e;
    if (old.type != a->type || old.state == RS_TS_REVOKED ||
        strcmp(old.client_id, a->client_id) != 0)
        return RS_ERR_NOT_FOUND;
    /* reuse is checked before expiry: a used code replayed after it expired still revokes */
    if (old.state == RS_TS_USED) {
        /* reuse of a single-use token: the grant is compromised, revoke all of it */
        e = revoke_grant(w, old.grant_id, NULL);
        *keep = e == RS_OK;
        RS_LOG_WARN("token_reuse_detected", "grant_id", old.grant_id, "client_id", old.client_id,
                    "type", rs_token_type_name(old.type), NULL);
        return e ? e : RS_ERR_CONFLICT;
    }
    if (old.exp <= a->now)
        return RS_ERR_NOT_FOUND;
    size_t n = 0;
    e = a->check(&old, a->check_arg, a->new_toks, a->n, &n);
    if (e)
        return e;
    assert(n <= a->n); /* the callback fills at most cap rows */
    sqlite3_stmt *st = stmt(w, Q_TOKEN_SET_STATE);
    if (!st)
        return RS_ERR_STORE;
    BIND_KEY(st, 1, a->hash);
    sqlite3_bind_int(st, 2, RS_TS_USED);
    e = step_done(w, st);
    if (!e)
        e = status_invalidate(w, old.status_idx);
    for (size_t i = 0; i < n && !e; i++)
        e = put_token(w, &a->new_toks[i]);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_token_exchange(struct rs_store *s, const unsigned char hash[RS_TOKEN_KEY_LEN],
                                    enum rs_token_type type, const char *client_id,
                                    int64_t now, rs_store_exchange_fn *check, void *arg,
                                    struct rs_token *new_toks, size_t cap)
{
    struct exchange_arg a = {hash, type, client_id, now, check, arg, new_toks, cap};
    return run_write(s, job_exchange, &a);
}

struct grants_arg {
    const char *const *ids;
    size_t n;
    const char *key;
    size_t grants, tokens;
};

static enum rs_err job_grants_revoke(struct conn *w, void *arg, bool *keep)
{
    struct grants_arg *a = arg;
    enum rs_err e = RS_OK;
    for (size_t i = 0; i < a->n && !e; i++)
        e = revoke_grant(w, a->ids[i], &a->tokens);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_grants_revoke(struct rs_store *s, const char *const *grant_ids, size_t n,
                                   size_t *tokens_out)
{
    struct grants_arg a = {.ids = grant_ids, .n = n};
    enum rs_err e = run_write(s, job_grants_revoke, &a);
    if (tokens_out)
        *tokens_out = e ? 0 : a.tokens;
    return e;
}

static enum rs_err job_client_grants_revoke(struct conn *w, void *arg, bool *keep)
{
    struct grants_arg *a = arg;
    enum rs_err e = revoke_client(w, a->key, &a->grants, &a->tokens);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_client_grants_revoke(struct rs_store *s, const char *client_id,
                                          size_t *grants_out, size_t *tokens_out)
{
    struct grants_arg a = {.key = client_id};
    enum rs_err e = run_write(s, job_client_grants_revoke, &a);
    if (grants_out)
        *grants_out = e ? 0 : a.grants;
    if (tokens_out)
        *tokens_out = e ? 0 : a.tokens;
    return e;
}

/* The purge runs as a series of small write jobs, PURGE_CHUNK rows each, so that the writer's
 * other jobs (issuance, revocation) get their turn between two chunks: deleting a burst of
 * expired tokens in one transaction held every write for over a second (540,000 rows). */
#define PURGE_CHUNK 500
static enum rs_err add_grant(char (**ids)[RS_GRANT_ID_LEN + 1], size_t *n, size_t *cap,
                             const char *id);
struct purge_arg {
    int64_t now;
    size_t purged;
    bool more; /* a chunk was full, or clients are left to visit: there may be more to purge */
    char cc_after[RS_ID_MAX + 1]; /* user-less tokens: the clients up to this one are done */
};

/* Expired user-less tokens (tokens_cc), client by client in id order from a->cc_after: up to
 * PURGE_CHUNK rows and PURGE_CLIENTS clients per job, so that a job stays short and a server
 * with many clients needs few jobs. Sets *more while clients are left. */
#define PURGE_CLIENTS 256
static enum rs_err purge_cc_chunk(struct conn *w, struct purge_arg *a, bool *more)
{
    sqlite3_stmt *nx = stmt(w, Q_PURGE_CC_NEXT), *d = stmt(w, Q_PURGE_CC);
    size_t deleted = 0;
    *more = false;
    if (!nx || !d)
        return RS_ERR_STORE;
    for (unsigned visited = 0; visited < PURGE_CLIENTS && deleted < PURGE_CHUNK; visited++) {
        char client[RS_ID_MAX + 1];
        BIND_TEXT(nx, 1, a->cc_after);
        int rc = sqlite3_step(nx);
        if (rc == SQLITE_ROW)
            col_text(nx, 0, client, sizeof client);
        done(nx);
        if (rc == SQLITE_DONE) { /* every client visited */
            a->purged += deleted;
            return RS_OK;
        }
        if (rc != SQLITE_ROW) {
            log_sqlite("purge", w->db);
            return RS_ERR_STORE;
        }
        size_t budget = PURGE_CHUNK - deleted;
        BIND_TEXT(d, 1, client);
        sqlite3_bind_int64(d, 2, a->now);
        sqlite3_bind_int64(d, 3, (int64_t)budget);
        enum rs_err e = step_done(w, d);
        if (e)
            return e;
        size_t n = (size_t)sqlite3_changes(w->db);
        deleted += n;
        if (n < budget) /* this client is done; else it is visited again */
            rs_strlcpy(a->cc_after, client, sizeof a->cc_after);
    }
    a->purged += deleted;
    *more = true;
    return RS_OK;
}

static enum rs_err job_purge(struct conn *w, void *arg, bool *keep)
{
    struct purge_arg *a = arg;
    sqlite3_stmt *t = stmt(w, Q_PURGE_TOKENS), *ss = stmt(w, Q_PURGE_SESSIONS),
                 *g = stmt(w, Q_PURGE_GRANTS);
    char(*ids)[RS_GRANT_ID_LEN + 1] = NULL;
    size_t n = 0, cap = 0, tokens = 0;
    enum rs_err e = RS_OK;
    *keep = false;
    a->more = false;
    if (!t || !ss || !g)
        return RS_ERR_STORE;
    sqlite3_bind_int64(t, 1, a->now);
    sqlite3_bind_int(t, 2, PURGE_CHUNK);
    int rc;
    while (!e && (rc = sqlite3_step(t)) == SQLITE_ROW) {
        tokens++;
        const char *gid = (const char *)sqlite3_column_text(t, 0);
        /* the tokens of a grant are usually deleted together: skip repeats of the last one */
        if (gid && (!n || strcmp(ids[n - 1], gid) != 0))
            e = add_grant(&ids, &n, &cap, gid);
    }
    if (!e && rc != SQLITE_DONE) {
        log_sqlite("purge", w->db);
        e = RS_ERR_STORE;
    }
    done(t);
    for (size_t i = 0; i < n && !e; i++) {
        BIND_TEXT(g, 1, ids[i]);
        e = step_done(w, g);
        if (!e)
            a->purged += (size_t)sqlite3_changes(w->db);
    }
    free(ids);
    if (!e) {
        sqlite3_bind_int64(ss, 1, a->now);
        sqlite3_bind_int(ss, 2, PURGE_CHUNK);
        e = step_done(w, ss);
        if (!e) {
            size_t sessions = (size_t)sqlite3_changes(w->db);
            a->purged += tokens + sessions;
            a->more = tokens == PURGE_CHUNK || sessions == PURGE_CHUNK;
        }
    }
    bool cc_more = false;
    if (!e)
        e = purge_cc_chunk(w, a, &cc_more);
    a->more |= cc_more;
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_purge_expired(struct rs_store *s, int64_t now, size_t *purged_out)
{
    size_t total = 0;
    enum rs_err e;
    struct purge_arg a = {.now = now};
    do {
        a.purged = 0;
        e = run_write(s, job_purge, &a);
        if (!e)
            total += a.purged;
    } while (!e && a.more);
    if (purged_out)
        *purged_out = total;
    return e;
}

/* ---------- audit retention ---------- */
#define AUDIT_PURGE_BATCHES (RS_STORE_AUDIT_PURGE_MAX / 500)
struct audit_purge_arg {
    int64_t before;
    size_t purged;
};

static enum rs_err job_audit_purge(struct conn *w, void *arg, bool *keep)
{
    struct audit_purge_arg *a = arg;
    sqlite3_stmt *st = stmt(w, Q_AUDIT_PURGE);
    if (!st)
        return RS_ERR_STORE;
    sqlite3_bind_int64(st, 1, a->before);
    enum rs_err e = step_done(w, st);
    if (!e)
        a->purged = (size_t)sqlite3_changes(w->db);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_audit_purge(struct rs_store *s, int64_t before, size_t *purged_out)
{
    size_t total = 0;
    enum rs_err e;
    struct audit_purge_arg a = {.before = before};
    /* batch by batch (a full batch of 500 means there may be more), at most AUDIT_PURGE_BATCHES
     * per call: a first purge over a long history goes on at the next one, so that the caller
     * (the main thread, which also watches for SIGTERM) is never held for long */
    int batches = 0;
    do {
        a.purged = 0;
        e = run_write(s, job_audit_purge, &a);
        total += e ? 0 : a.purged;
    } while (!e && a.purged == 500 && ++batches < AUDIT_PURGE_BATCHES);
    if (purged_out)
        *purged_out = total;
    return e;
}

/* ---------- clients ---------- */
static void bind_client(sqlite3_stmt *st, const struct rs_client *c)
{
    BIND_TEXT(st, 1, c->client_id);
    if (c->has_secret)
        BIND_HASH(st, 2, c->secret_hash);
    else
        sqlite3_bind_null(st, 2);
    if (c->has_reg_token)
        BIND_HASH(st, 3, c->reg_token_hash);
    else
        sqlite3_bind_null(st, 3);
    BIND_TEXT(st, 4, c->auth_method);
    BIND_TEXT(st, 5, c->redirect_uris ? c->redirect_uris : "");
    BIND_TEXT(st, 6, c->grant_types ? c->grant_types : "");
    BIND_TEXT(st, 7, c->response_types ? c->response_types : "");
    BIND_TEXT(st, 8, c->scope ? c->scope : "");
    BIND_TEXT(st, 9, c->client_name ? c->client_name : "");
    BIND_TEXT(st, 10, c->origins ? c->origins : "");
}

static enum rs_err job_client_put(struct conn *w, void *arg, bool *keep)
{
    const struct rs_client *c = arg;
    sqlite3_stmt *st = stmt(w, Q_CLIENT_PUT);
    if (!st)
        return RS_ERR_STORE;
    bind_client(st, c);
    sqlite3_bind_int64(st, 11, c->created_at);
    enum rs_err e = step_done(w, st);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_client_put(struct rs_store *s, const struct rs_client *c)
{
    enum rs_err e = run_write(s, job_client_put, (void *)c);
    atomic_fetch_add(&s->client_gen, 1);
    return e;
}

static enum rs_err job_client_update(struct conn *w, void *arg, bool *keep)
{
    const struct rs_client *c = arg;
    sqlite3_stmt *st = stmt(w, Q_CLIENT_UPDATE);
    if (!st)
        return RS_ERR_STORE;
    bind_client(st, c);
    enum rs_err e = step_done(w, st);
    if (!e && sqlite3_changes(w->db) == 0)
        e = RS_ERR_NOT_FOUND;
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_client_update(struct rs_store *s, const struct rs_client *c)
{
    enum rs_err e = run_write(s, job_client_update, (void *)c);
    atomic_fetch_add(&s->client_gen, 1);
    return e;
}

/* Copies src into dst with its seven strings in one allocation (dst->_block): client
 * authentication copies a cached client on every request, and seven strdup/free pairs were
 * most of that request's allocations. */
static enum rs_err client_copy(struct rs_client *dst, const struct rs_client *src)
{
    const char *const from[] = {src->auth_method, src->redirect_uris, src->grant_types,
                                src->response_types, src->scope, src->client_name, src->origins};
    size_t len[7], total = 0;
    for (int i = 0; i < 7; i++)
        total += len[i] = strlen(from[i]) + 1;
    char *block = malloc(total);
    if (!block)
        return RS_ERR_NOMEM;
    *dst = *src;
    char **to[] = {&dst->auth_method, &dst->redirect_uris, &dst->grant_types,
                   &dst->response_types, &dst->scope, &dst->client_name, &dst->origins};
    char *p = block;
    for (int i = 0; i < 7; i++) {
        memcpy(p, from[i], len[i]);
        *to[i] = p;
        p += len[i];
    }
    dst->_block = block;
    return RS_OK;
}

static void cache_flush(struct client_cache *cc, uint64_t gen)
{
    for (unsigned i = 0; i < CLIENT_CACHE; i++)
        if (cc->used[i])
            rs_client_clear(&cc->c[i]);
    memset(cc->used, 0, sizeof cc->used);
    cc->gen = gen;
}

enum rs_err rs_store_client_get(struct rs_store *s, const char *client_id, struct rs_client *out)
{
    struct conn *c = reader(s);
    if (!c)
        return RS_ERR_STORE;
    /* the generation is read before the row, so a row read concurrently with a change is
     * cached under the old generation and dropped on the next lookup */
    uint64_t gen = atomic_load(&s->client_gen);
    struct client_cache *cc = c->clients;
    if (cc && cc->gen != gen)
        cache_flush(cc, gen);
    for (unsigned i = 0; cc && i < CLIENT_CACHE; i++)
        if (cc->used[i] && strcmp(cc->c[i].client_id, client_id) == 0)
            return client_copy(out, &cc->c[i]);
    sqlite3_stmt *st = stmt(c, Q_CLIENT_GET);
    if (!st)
        return RS_ERR_STORE;
    BIND_TEXT(st, 1, client_id);
    int rc = sqlite3_step(st);
    enum rs_err e = rc == SQLITE_ROW ? row_client(st, out)
                    : rc == SQLITE_DONE ? RS_ERR_NOT_FOUND
                                        : RS_ERR_STORE;
    done(st);
    if (!e && cc) {
        unsigned v = cc->next++ % CLIENT_CACHE;
        if (cc->used[v])
            rs_client_clear(&cc->c[v]);
        cc->used[v] = client_copy(&cc->c[v], out) == RS_OK;
    }
    return e;
}

static enum rs_err job_client_delete(struct conn *w, void *arg, bool *keep)
{
    const char *id = arg;
    enum rs_err e = revoke_client(w, id, NULL, NULL);
    sqlite3_stmt *st = stmt(w, Q_CLIENT_DELETE);
    if (!e && !st)
        e = RS_ERR_STORE;
    if (!e) {
        BIND_TEXT(st, 1, id);
        e = step_done(w, st);
    }
    if (!e && sqlite3_changes(w->db) == 0)
        e = RS_ERR_NOT_FOUND;
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_client_delete(struct rs_store *s, const char *client_id)
{
    enum rs_err e = run_write(s, job_client_delete, (void *)client_id);
    atomic_fetch_add(&s->client_gen, 1);
    return e;
}

enum rs_err rs_store_client_list(struct rs_store *s, rs_store_client_cb *cb, void *arg)
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = c ? stmt(c, Q_CLIENT_LIST) : NULL;
    enum rs_err e = RS_OK;
    int rc;
    if (!st)
        return RS_ERR_STORE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct rs_client cl;
        e = row_client(st, &cl);
        if (e)
            break;
        cb(&cl, arg);
        rs_client_clear(&cl);
    }
    if (!e && rc != SQLITE_DONE)
        e = RS_ERR_STORE;
    done(st);
    return e;
}

static size_t count(struct rs_store *s, enum stmt_id q)
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = c ? stmt(c, q) : NULL;
    size_t n = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        n = (size_t)sqlite3_column_int64(st, 0);
    done(st);
    return n;
}

size_t rs_store_client_count(struct rs_store *s)
{
    return count(s, Q_CLIENT_COUNT);
}

bool rs_store_origin_registered(struct rs_store *s, const char *origin)
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = c ? stmt(c, Q_ORIGIN_KNOWN) : NULL;
    bool found = false;
    /* an origin is one word: anything with a space would match a run of registered origins */
    if (strchr(origin, ' ') || !*origin)
        return false;
    /* escape LIKE wildcards: '%' and '_' must match themselves */
    char esc[600];
    size_t o = 0;
    for (const char *p = origin; *p && o + 2 < sizeof esc; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            esc[o++] = '\\';
        esc[o++] = *p;
    }
    esc[o] = '\0';
    if (!st)
        return false;
    BIND_TEXT(st, 1, esc);
    found = sqlite3_step(st) == SQLITE_ROW;
    done(st);
    return found;
}

/* ---------- users ---------- */
static enum rs_err job_user_put(struct conn *w, void *arg, bool *keep)
{
    const struct rs_user *u = arg;
    sqlite3_stmt *st = stmt(w, Q_USER_PUT);
    if (!st)
        return RS_ERR_STORE;
    BIND_TEXT(st, 1, u->sub);
    BIND_TEXT(st, 2, u->username);
    BIND_TEXT(st, 3, u->pw_hash);
    BIND_TEXT(st, 4, u->email ? u->email : "");
    BIND_TEXT(st, 5, u->name ? u->name : "");
    sqlite3_bind_int64(st, 6, u->created_at);
    enum rs_err e = step_done(w, st);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_user_put(struct rs_store *s, const struct rs_user *u)
{
    return run_write(s, job_user_put, (void *)u);
}

static enum rs_err user_get(struct rs_store *s, enum stmt_id q, const char *key,
                            struct rs_user *out)
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = c ? stmt(c, q) : NULL;
    if (!st)
        return RS_ERR_STORE;
    BIND_TEXT(st, 1, key);
    int rc = sqlite3_step(st);
    enum rs_err e = rc == SQLITE_ROW ? row_user(st, out)
                    : rc == SQLITE_DONE ? RS_ERR_NOT_FOUND
                                        : RS_ERR_STORE;
    done(st);
    return e;
}

enum rs_err rs_store_user_get_by_name(struct rs_store *s, const char *username, struct rs_user *out)
{
    return user_get(s, Q_USER_BY_NAME, username, out);
}

enum rs_err rs_store_user_get_by_sub(struct rs_store *s, const char *sub, struct rs_user *out)
{
    return user_get(s, Q_USER_BY_SUB, sub, out);
}

enum rs_err rs_store_user_get_by_email(struct rs_store *s, const char *email, struct rs_user *out)
{
    return user_get(s, Q_USER_BY_EMAIL, email, out);
}

struct user_revoke_arg {
    const char *sub;
    size_t grants, tokens;
};

static enum rs_err job_user_grants_revoke(struct conn *w, void *arg, bool *keep)
{
    struct user_revoke_arg *a = arg;
    enum rs_err e = revoke_by(w, Q_USER_GRANTS, a->sub, &a->grants, &a->tokens);
    sqlite3_stmt *st = e ? NULL : stmt(w, Q_SESSIONS_OF_USER_DELETE);
    if (!e && !st)
        e = RS_ERR_STORE;
    if (!e) {
        BIND_TEXT(st, 1, a->sub);
        sqlite3_bind_int64(st, 2, 0); /* all of them */
        e = step_done(w, st);
    }
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_user_grants_revoke(struct rs_store *s, const char *sub, size_t *grants_out,
                                        size_t *tokens_out)
{
    struct user_revoke_arg a = {.sub = sub};
    enum rs_err e = run_write(s, job_user_grants_revoke, &a);
    if (grants_out)
        *grants_out = e ? 0 : a.grants;
    if (tokens_out)
        *tokens_out = e ? 0 : a.tokens;
    return e;
}

static enum rs_err job_user_delete(struct conn *w, void *arg, bool *keep)
{
    const char *sub = arg;
    enum rs_err e = revoke_by(w, Q_USER_GRANTS, sub, NULL, NULL);
    sqlite3_stmt *st = stmt(w, Q_USER_DELETE);
    if (!e && !st)
        e = RS_ERR_STORE;
    if (!e) {
        BIND_TEXT(st, 1, sub);
        e = step_done(w, st);
    }
    if (!e && sqlite3_changes(w->db) == 0)
        e = RS_ERR_NOT_FOUND;
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_user_delete(struct rs_store *s, const char *username)
{
    struct rs_user u;
    enum rs_err e = rs_store_user_get_by_name(s, username, &u);
    if (e)
        return e;
    e = run_write(s, job_user_delete, u.sub);
    rs_user_clear(&u);
    return e;
}

enum rs_err rs_store_user_list(struct rs_store *s, rs_store_user_cb *cb, void *arg)
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = c ? stmt(c, Q_USER_LIST) : NULL;
    enum rs_err e = RS_OK;
    int rc;
    if (!st)
        return RS_ERR_STORE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct rs_user u;
        e = row_user(st, &u);
        if (e)
            break;
        cb(&u, arg);
        rs_user_clear(&u);
    }
    if (!e && rc != SQLITE_DONE)
        e = RS_ERR_STORE;
    done(st);
    return e;
}

/* ---------- sessions ---------- */
static enum rs_err job_session_put(struct conn *w, void *arg, bool *keep)
{
    const struct rs_session *ss = arg;
    sqlite3_stmt *st = stmt(w, Q_SESSION_PUT);
    if (!st)
        return RS_ERR_STORE;
    BIND_HASH(st, 1, ss->hash);
    BIND_TEXT(st, 2, ss->sub);
    sqlite3_bind_int64(st, 3, ss->auth_time);
    sqlite3_bind_int64(st, 4, ss->exp);
    enum rs_err e = step_done(w, st);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_session_put(struct rs_store *s, const struct rs_session *sess)
{
    return run_write(s, job_session_put, (void *)sess);
}

enum rs_err rs_store_session_get(struct rs_store *s, const unsigned char hash[RS_HASH_LEN],
                                 struct rs_session *out)
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = c ? stmt(c, Q_SESSION_GET) : NULL;
    if (!st)
        return RS_ERR_STORE;
    BIND_HASH(st, 1, hash);
    int rc = sqlite3_step(st);
    enum rs_err e = RS_OK;
    if (rc == SQLITE_ROW) {
        col_hash(st, 0, out->hash);
        col_text(st, 1, out->sub, sizeof out->sub);
        out->auth_time = sqlite3_column_int64(st, 2);
        out->exp = sqlite3_column_int64(st, 3);
    } else {
        e = rc == SQLITE_DONE ? RS_ERR_NOT_FOUND : RS_ERR_STORE;
    }
    done(st);
    return e;
}

/* ---------- admin credentials ---------- */
struct admin_arg {
    const unsigned char *hash;
    const char *name;
};

static enum rs_err job_admin_put(struct conn *w, void *arg, bool *keep)
{
    struct admin_arg *a = arg;
    sqlite3_stmt *st = stmt(w, Q_ADMIN_PUT);
    if (!st)
        return RS_ERR_STORE;
    BIND_HASH(st, 1, a->hash);
    BIND_TEXT(st, 2, a->name);
    sqlite3_bind_int64(st, 3, rs_clock_now());
    enum rs_err e = step_done(w, st);
    if (!e && sqlite3_changes(w->db) == 0)
        e = RS_ERR_CONFLICT; /* a credential of that name exists */
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_admin_cred_put(struct rs_store *s, const unsigned char hash[RS_HASH_LEN],
                                    const char *name)
{
    struct admin_arg a = {hash, name};
    return run_write(s, job_admin_put, &a);
}

enum rs_err rs_store_admin_cred_check(struct rs_store *s, const unsigned char hash[RS_HASH_LEN],
                                      char name_out[RS_ID_MAX + 1])
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = c ? stmt(c, Q_ADMIN_GET) : NULL;
    if (!st)
        return RS_ERR_STORE;
    /* The lookup is by keyed digest, so timing reveals nothing about the credential itself. */
    BIND_HASH(st, 1, hash);
    int rc = sqlite3_step(st);
    enum rs_err e = RS_OK;
    if (rc == SQLITE_ROW)
        col_text(st, 0, name_out, RS_ID_MAX + 1);
    else
        e = rc == SQLITE_DONE ? RS_ERR_NOT_FOUND : RS_ERR_STORE;
    done(st);
    return e;
}

size_t rs_store_admin_cred_count(struct rs_store *s)
{
    return count(s, Q_ADMIN_COUNT);
}

/* ---------- audit ---------- */
struct audit_arg {
    const char *event, *client_id, *outcome, *detail;
};

static enum rs_err job_audit_put(struct conn *w, void *arg, bool *keep)
{
    struct audit_arg *a = arg;
    sqlite3_stmt *st = stmt(w, Q_AUDIT_PUT);
    if (!st)
        return RS_ERR_STORE;
    sqlite3_bind_int64(st, 1, rs_clock_now());
    BIND_TEXT(st, 2, a->event);
    BIND_TEXT(st, 3, a->client_id ? a->client_id : "");
    BIND_TEXT(st, 4, a->outcome);
    BIND_TEXT(st, 5, a->detail ? a->detail : "{}");
    enum rs_err e = step_done(w, st);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_audit_put(struct rs_store *s, const char *event, const char *client_id,
                               const char *outcome, const char *detail_json)
{
    struct audit_arg a = {event, client_id, outcome, detail_json};
    return run_write_job(s, job_audit_put, &a, true);
}

enum rs_err rs_store_audit_list(struct rs_store *s, const struct rs_audit_filter *f,
                                rs_store_audit_cb *cb, void *arg)
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = c ? stmt(c, Q_AUDIT_LIST) : NULL;
    enum rs_err e = RS_OK;
    int rc;
    if (!st)
        return RS_ERR_STORE;
    sqlite3_bind_int64(st, 1, f->since);
    sqlite3_bind_int64(st, 2, f->until ? f->until : INT64_MAX);
    if (f->client_id)
        BIND_TEXT(st, 3, f->client_id);
    if (f->event)
        BIND_TEXT(st, 4, f->event);
    sqlite3_bind_int64(st, 5, f->limit ? (int64_t)f->limit : 100);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct rs_audit a = {0};
        a.id = sqlite3_column_int64(st, 0);
        a.time = sqlite3_column_int64(st, 1);
        col_text(st, 2, a.event, sizeof a.event);
        col_text(st, 3, a.client_id, sizeof a.client_id);
        col_text(st, 4, a.outcome, sizeof a.outcome);
        a.detail = col_dup(st, 5);
        if (!a.detail) {
            e = RS_ERR_NOMEM;
            break;
        }
        cb(&a, arg);
        free(a.detail);
    }
    if (!e && rc != SQLITE_DONE)
        e = RS_ERR_STORE;
    done(st);
    return e;
}

/* ---------- settings ---------- */
static enum rs_err job_setting_put(struct conn *w, void *arg, bool *keep)
{
    const char *const *kv = arg;
    sqlite3_stmt *st = stmt(w, Q_SETTING_PUT);
    if (!st)
        return RS_ERR_STORE;
    BIND_TEXT(st, 1, kv[0]);
    BIND_TEXT(st, 2, kv[1]);
    enum rs_err e = step_done(w, st);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_setting_put(struct rs_store *s, const char *key, const char *value)
{
    const char *kv[2] = {key, value};
    return run_write(s, job_setting_put, (void *)kv);
}

enum rs_err rs_store_setting_get(struct rs_store *s, const char *key, char **value_out)
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = c ? stmt(c, Q_SETTING_GET) : NULL;
    if (!st)
        return RS_ERR_STORE;
    BIND_TEXT(st, 1, key);
    int rc = sqlite3_step(st);
    enum rs_err e = RS_OK;
    if (rc == SQLITE_ROW) {
        *value_out = col_dup(st, 0);
        if (!*value_out)
            e = RS_ERR_NOMEM;
    } else {
        e = rc == SQLITE_DONE ? RS_ERR_NOT_FOUND : RS_ERR_STORE;
    }
    done(st);
    return e;
}

/* ---------- revocation ---------- */
struct revoke_arg {
    const struct rs_revoke_req *r;
    struct rs_revoke_result *out;
};

/* Appends grant_id to the list (the caller knows it is not there yet). */
static enum rs_err push_grant(char (**ids)[RS_GRANT_ID_LEN + 1], size_t *n, size_t *cap,
                              const char *gid)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        char(*p)[RS_GRANT_ID_LEN + 1] = realloc(*ids, c * sizeof *p);
        if (!p)
            return RS_ERR_NOMEM;
        *ids = p;
        *cap = c;
    }
    rs_strlcpy((*ids)[(*n)++], gid, RS_GRANT_ID_LEN + 1);
    return RS_OK;
}

/* Appends grant_id to the list unless present (lists of presented tokens: at most 100). */
static enum rs_err add_grant(char (**ids)[RS_GRANT_ID_LEN + 1], size_t *n, size_t *cap,
                             const char *gid)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*ids)[i], gid) == 0)
            return RS_OK;
    return push_grant(ids, n, cap, gid);
}

struct grant_list {
    char (*ids)[RS_GRANT_ID_LEN + 1];
    size_t n, cap;
    size_t uncollected; /* grants revoked beyond AUDIT_GRANT_IDS_MAX ids: counted, not kept */
};

/* An audit record names at most this many grant ids (a client may hold millions of user-less
 * grants; revoking them all must not collect every id in the writer). */
#define AUDIT_GRANT_IDS_MAX 1000

static enum rs_err collect_grant(void *arg, const char *gid)
{
    struct grant_list *l = arg;
    if (l->n >= AUDIT_GRANT_IDS_MAX) {
        l->uncollected++;
        return RS_OK;
    }
    return push_grant(&l->ids, &l->n, &l->cap, gid);
}

/* Revokes a presented user-less token (its own grant) by its key: no range of keys to read. */
static enum rs_err revoke_cc_token(struct conn *w, const unsigned char key[RS_TOKEN_KEY_LEN],
                                   int64_t status_idx, size_t *count)
{
    sqlite3_stmt *st = stmt(w, Q_CC_TOKEN_REVOKE);
    if (!st)
        return RS_ERR_STORE;
    BIND_KEY(st, 1, key);
    enum rs_err e = step_done(w, st);
    if (!e && sqlite3_changes(w->db)) {
        count_revoked(w, count, (size_t)sqlite3_changes(w->db));
        e = status_invalidate(w, status_idx);
    }
    return e;
}

static enum rs_err audit_insert(struct conn *w, const char *event, const char *client_id,
                                const char *outcome, const char *detail)
{
    sqlite3_stmt *st = stmt(w, Q_AUDIT_PUT);
    if (!st)
        return RS_ERR_STORE;
    sqlite3_bind_int64(st, 1, rs_clock_now());
    BIND_TEXT(st, 2, event);
    BIND_TEXT(st, 3, client_id ? client_id : "");
    BIND_TEXT(st, 4, outcome);
    BIND_TEXT(st, 5, detail ? detail : "{}");
    return step_done(w, st);
}

/* The columns of a token a revocation decides on (Q_TOKEN_LOOK). */
struct token_look {
    int state;
    int64_t exp, status_idx;
    char client_id[RS_ID_MAX + 1];
    char grant_id[RS_GRANT_ID_LEN + 1];
    bool has_sub;
};

static void map_look(sqlite3_stmt *st, void *out_)
{
    struct token_look *out = out_;
    out->state = sqlite3_column_int(st, 0);
    out->exp = sqlite3_column_int64(st, 1);
    col_text(st, 2, out->client_id, sizeof out->client_id);
    col_text(st, 3, out->grant_id, sizeof out->grant_id);
    out->has_sub = sqlite3_column_bytes(st, 4) > 0;
    out->status_idx = sqlite3_column_int64(st, 5);
}

static enum rs_err look_token(struct conn *w, const unsigned char key[RS_TOKEN_KEY_LEN],
                              struct token_look *out)
{
    return token_by_key(w, Q_TOKEN_LOOK, key, map_look, out);
}

static enum rs_err job_revoke(struct conn *w, void *arg, bool *keep)
{
    struct revoke_arg *a = arg;
    const struct rs_revoke_req *r = a->r;
    struct rs_revoke_result *out = a->out;
    struct grant_list l = {0};
    /* key_of[i]: the presented key of grant l.ids[i] when it is a user-less grant (revoked by
     * that key), else -1 (revoked through its grant row) */
    long key_of[RS_REVOKE_MAX_TOKENS];
    int64_t status_of[RS_REVOKE_MAX_TOKENS]; /* and that token's status list index */
    enum rs_err e = RS_OK;
    struct rs_buf detail;
    const char *outcome = "revoked";
    rs_buf_init(&detail, 0);
    *keep = false;
    memset(out, 0, sizeof *out);

    if (r->all) {
        /* grants with a user through their rows, then every user-less grant in one statement;
         * each grant comes once, so no duplicate check */
        sqlite3_stmt *st = stmt(w, Q_CLIENT_GRANTS);
        int rc = SQLITE_DONE;
        if (!st)
            return RS_ERR_STORE;
        BIND_TEXT(st, 1, r->client_id);
        while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW)
            e = push_grant(&l.ids, &l.n, &l.cap, (const char *)sqlite3_column_text(st, 0));
        if (!e && rc != SQLITE_DONE)
            e = RS_ERR_STORE;
        done(st);
        for (size_t i = 0; i < l.n && !e; i++)
            e = revoke_grant(w, l.ids[i], &out->tokens);
        if (!e)
            e = revoke_client_cc(w, r->client_id, NULL, &out->tokens, collect_grant, &l);
        outcome = "revoked_all";
    } else {
        assert(r->n <= RS_REVOKE_MAX_TOKENS);
        for (size_t i = 0; i < r->n && !e; i++) {
            struct token_look t;
            enum rs_err g = look_token(w, r->hashes[i], &t);
            if (g == RS_ERR_NOT_FOUND)
                continue;
            if (g) {
                e = g;
                break;
            }
            /* RFC 7009 §2.2: an invalid (expired, revoked) token is not an error. A used one (a
             * rotated refresh token, a redeemed code) still names its grant, which may live on
             * in the tokens that replaced it: the client means to end that grant (a logout
             * with the refresh token it last stored), as presenting it at the token endpoint
             * would (reuse detection), so it counts as live here. */
            if ((t.state != RS_TS_ACTIVE && t.state != RS_TS_USED) || t.exp <= r->now)
                continue;
            out->found++;
            if (strcmp(t.client_id, r->client_id) != 0) {
                out->foreign = true;
                if (!r->may_revoke_foreign)
                    continue;
            }
            size_t before = l.n;
            e = add_grant(&l.ids, &l.n, &l.cap, t.grant_id);
            if (!e && l.n > before) {
                key_of[before] = t.has_sub ? -1 : (long)i;
                status_of[before] = t.status_idx;
            }
        }
        if (!e && out->foreign && !r->may_revoke_foreign) {
            l.n = 0; /* all or nothing: one foreign token refuses the whole request */
            outcome = "refused_foreign_token";
        } else if (!e && l.n == 0) {
            outcome = "nothing_to_revoke";
        }
        for (size_t i = 0; i < l.n && !e; i++)
            e = key_of[i] >= 0
                    ? revoke_cc_token(w, r->hashes[key_of[i]], status_of[i], &out->tokens)
                    : revoke_grant(w, l.ids[i], &out->tokens);
    }
    char(*ids)[RS_GRANT_ID_LEN + 1] = l.ids;
    size_t n = l.n;
    if (!e) {
        out->grants = n + l.uncollected;
        /* by hand, not printf: this runs in the writer for every revocation */
        e = rs_buf_puts(&detail, "{\"presented\":");
        if (!e)
            e = rs_buf_put_i64(&detail, (long long)(r->all ? 0 : r->presented));
        if (!e)
            e = rs_buf_puts(&detail, ",\"tokens_revoked\":");
        if (!e)
            e = rs_buf_put_i64(&detail, (long long)out->tokens);
        if (!e)
            e = rs_buf_puts(&detail, ",\"grants_revoked\":");
        if (!e)
            e = rs_buf_put_i64(&detail, (long long)out->grants);
        if (!e)
            e = rs_buf_puts(&detail, ",\"grant_ids\":[");
        for (size_t i = 0; i < n && i < AUDIT_GRANT_IDS_MAX && !e; i++) {
            e = rs_buf_puts(&detail, i ? ",\"" : "\"");
            if (!e)
                e = rs_buf_json_escape(&detail, ids[i]);
            if (!e)
                e = rs_buf_puts(&detail, "\"");
        }
        if (!e)
            e = rs_buf_puts(&detail, "]");
        if (!e && r->audit_extra && *r->audit_extra) {
            e = rs_buf_puts(&detail, ",");
            if (!e)
                e = rs_buf_puts(&detail, r->audit_extra);
        }
        if (!e)
            e = rs_buf_puts(&detail, "}");
    }
    if (!e)
        e = audit_insert(w, "revoke", r->client_id, outcome, detail.ptr);
    if (!e && revocation_must_fail(w->owner))
        e = RS_ERR_STORE;
    rs_buf_free(&detail);
    free(ids);
    *keep = e == RS_OK;
    if (!e && out->foreign && !r->may_revoke_foreign)
        return RS_ERR_DENIED;
    return e;
}

enum rs_err rs_store_revoke(struct rs_store *s, const struct rs_revoke_req *r,
                            struct rs_revoke_result *out)
{
    struct revoke_arg a = {r, out};
    enum rs_err e = run_write(s, job_revoke, &a);
    if (e && e != RS_ERR_DENIED) {
        out->grants = out->tokens = 0;
    }
    return e;
}


/* r and what it points to belong to the caller until done is called (store.h): the job holds
 * only pointers, as rs_store_tokens_put_async's does. */
struct revoke_async_job {
    struct job j;
    struct revoke_arg a;
};

enum rs_err rs_store_revoke_async(struct rs_store *s, const struct rs_revoke_req *r,
                                  struct rs_revoke_result *out, rs_store_done_fn *done_fn,
                                  void *arg)
{
    struct revoke_async_job *ra = calloc(1, sizeof *ra);
    if (!ra)
        return RS_ERR_NOMEM;
    struct job *j = &ra->j;
    ra->a.r = r;
    ra->a.out = out;
    j->fn = job_revoke;
    j->rerunnable = true; /* job_revoke starts from a cleared result */
    j->arg = &ra->a;
    j->arg_inline = true;
    j->done_cb = done_fn;
    j->done_arg = arg;
    submit(s, j);
    return RS_OK;
}

struct audit_async {
    char event[48];
    char client_id[RS_ID_MAX + 1];
    char outcome[32];
    char detail[]; /* flexible: the JSON text */
};

static enum rs_err job_audit_async(struct conn *w, void *arg, bool *keep)
{
    struct audit_async *a = arg;
    enum rs_err e = audit_insert(w, a->event, a->client_id, a->outcome, a->detail);
    *keep = e == RS_OK;
    return e;
}

/* An audit record the store could not keep (it is failing: disk full, database unwritable) goes
 * to the log in full instead, so that no request's record is lost without a trace. The detail
 * never holds a token (job_revoke, revoke.c). */
static void audit_async_failed(void *arg, enum rs_err result)
{
    struct audit_async *a = arg;
    RS_LOG_ERROR("audit_unstored", "event", a->event, "client_id", a->client_id, "outcome",
                 a->outcome, "detail", a->detail, "reason", rs_strerror(result), NULL);
}

void rs_store_audit_put_async(struct rs_store *s, const char *event, const char *client_id,
                              const char *outcome, const char *detail_json)
{
    const char *d = detail_json ? detail_json : "{}";
    size_t dl = strlen(d);
    struct audit_async *a = malloc(sizeof *a + dl + 1);
    struct job *j = calloc(1, sizeof *j);
    if (!a || !j) {
        free(a);
        free(j);
        RS_LOG_ERROR("audit_unstored", "event", event, "client_id", client_id ? client_id : "",
                     "outcome", outcome, "detail", d, "reason", "out of memory", NULL);
        return;
    }
    rs_strlcpy(a->event, event, sizeof a->event);
    rs_strlcpy(a->client_id, client_id ? client_id : "", sizeof a->client_id);
    rs_strlcpy(a->outcome, outcome, sizeof a->outcome);
    memcpy(a->detail, d, dl + 1);
    j->fn = job_audit_async;
    j->arg = a;
    j->fail_cb = audit_async_failed;
    j->single = true;
    j->inserts_only = true;
    submit(s, j);
}

/* ---------- administration: revoke by selector, token listing, admin credentials ----------
 * These run rarely (an operator's command), so their statements are prepared per call instead
 * of joining the per-connection statement table. */
static sqlite3_stmt *prepare_once(struct conn *c, const char *q)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, q, -1, &st, NULL) != SQLITE_OK) {
        log_sqlite("prepare", c->db);
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* Live grants with a user matching every selector that is set (an unset one binds NULL and
 * matches all). */
#define SELECT_GRANTS_SQL                                                                  \
    "SELECT grant_id FROM grants WHERE revoked_at IS NULL AND (?1 IS NULL OR client_id = ?1) " \
    "AND (?2 IS NULL OR sub = ?2) AND (?3 IS NULL OR grant_id = ?3) "                         \
    "AND (?4 IS NULL OR created_at < ?4) ORDER BY grant_id"
/* Live user-less grants (their token rows), one query per way in, chosen in C so that each
 * reads an index range: by grant id a key range, by client tokens_cc, by time alone the keys
 * (issue time first) before it. */
#define SELECT_CC_BY_ID_SQL                                                                \
    "SELECT grant_id FROM tokens WHERE hash > ?5 AND hash < ?6 AND grant_id = ?3 AND "         \
    "sub = '' AND state = 0 AND (?1 IS NULL OR client_id = ?1) AND (?4 IS NULL OR iat < ?4)"
#define SELECT_CC_BY_CLIENT_SQL                                                            \
    "SELECT grant_id FROM tokens WHERE sub = '' AND client_id = ?1 AND state = 0 "             \
    "AND (?4 IS NULL OR iat < ?4)"
#define SELECT_CC_BEFORE_SQL                                                               \
    "SELECT grant_id FROM tokens WHERE hash < ?5 AND sub = '' AND state = 0 AND iat < ?4"
#define SELECT_CC_ANY_TIME_SQL                                                             \
    "SELECT grant_id FROM tokens WHERE sub = '' AND state = 0 AND iat < ?4"

struct grant_ids {
    char (*ids)[RS_GRANT_ID_LEN + 1];
    size_t n, cap;
};

/* Runs one selection query (parameters ?1 client, ?2 sub, ?3 grant id, ?4 issued before, ?5/?6
 * key bounds) and appends the grant ids it returns to g. */
static enum rs_err select_into(struct conn *c, const char *q, const struct rs_revoke_select *sel,
                               const unsigned char *lo, size_t lo_len, const unsigned char *hi,
                               size_t hi_len, struct grant_ids *g)
{
    sqlite3_stmt *st = prepare_once(c, q);
    enum rs_err e = RS_OK;
    int rc = SQLITE_DONE;
    if (!st)
        return RS_ERR_STORE;
    if (sel->client_id)
        BIND_TEXT(st, 1, sel->client_id);
    if (sel->sub)
        BIND_TEXT(st, 2, sel->sub);
    if (sel->grant_id)
        BIND_TEXT(st, 3, sel->grant_id);
    if (sel->issued_before)
        sqlite3_bind_int64(st, 4, sel->issued_before);
    if (lo)
        sqlite3_bind_blob(st, 5, lo, (int)lo_len, SQLITE_STATIC);
    if (hi)
        sqlite3_bind_blob(st, 6, hi, (int)hi_len, SQLITE_STATIC);
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (g->n == g->cap) {
            size_t cap = g->cap ? g->cap * 2 : 16;
            char(*p)[RS_GRANT_ID_LEN + 1] = realloc(g->ids, cap * sizeof *p);
            if (!p) {
                e = RS_ERR_NOMEM;
                break;
            }
            g->ids = p;
            g->cap = cap;
        }
        col_text(st, 0, g->ids[g->n++], RS_GRANT_ID_LEN + 1);
    }
    if (!e && rc != SQLITE_DONE) {
        log_sqlite("select_grants", c->db);
        e = RS_ERR_STORE;
    }
    sqlite3_finalize(st);
    return e;
}

/* Collects the ids of the grants the selectors match into g (caller frees g->ids). */
static enum rs_err select_grants(struct conn *c, const struct rs_revoke_select *sel,
                                 struct grant_ids *g)
{
    enum rs_err e = select_into(c, SELECT_GRANTS_SQL, sel, NULL, 0, NULL, 0, g);
    if (e || sel->sub)
        return e; /* user-less grants have no subject */
    unsigned char prefix[8];
    if (sel->grant_id) {
        struct key_range r;
        if (!rs_store_client_grant_prefix(sel->grant_id, prefix))
            return RS_OK;
        key_range_of(prefix, &r);
        return select_into(c, SELECT_CC_BY_ID_SQL, sel, r.lo, sizeof r.lo, r.hi,
                           (size_t)r.hi_len, g);
    }
    if (sel->client_id)
        return select_into(c, SELECT_CC_BY_CLIENT_SQL, sel, NULL, 0, NULL, 0, g);
    /* issued_before alone: keys start with the issue time in µs, big-endian (token_key.h);
     * tokens of the form without a time (zero prefix) sort first and are read too. The key's
     * time is read a little after the row's iat (a coarser clock, at the start of the request),
     * so the range reaches SLACK seconds past the cutoff and "iat < ?4" decides. */
    enum { SLACK = 300 };
    int64_t before = sel->issued_before > 0 ? sel->issued_before : 0;
    if (before > (int64_t)(UINT64_MAX / 1000000u) - SLACK) /* no key is that late */
        return select_into(c, SELECT_CC_ANY_TIME_SQL, sel, NULL, 0, NULL, 0, g);
    uint64_t us = (uint64_t)(before + SLACK) * 1000000u;
    for (int i = 0; i < 8; i++)
        prefix[i] = (unsigned char)(us >> (56 - 8 * i));
    return select_into(c, SELECT_CC_BEFORE_SQL, sel, prefix, sizeof prefix, NULL, 0, g);
}

/* Counts the tokens of the grants that revoking them would change (as revoke_grant does). */
static enum rs_err count_live_tokens(struct conn *c, const struct grant_ids *g, size_t *count)
{
    sqlite3_stmt *st = prepare_once(c, "SELECT count(*) FROM tokens WHERE grant_id = ?1 "
                                       "AND sub <> '' AND state <> 1"),
                 *cc = prepare_once(c, "SELECT count(*) FROM tokens WHERE hash > ?1 AND "
                                       "hash < ?2 AND grant_id = ?3 AND state <> 1");
    enum rs_err e = RS_OK;
    for (size_t i = 0; i < g->n && !e && st && cc; i++) {
        unsigned char prefix[8];
        struct key_range r;
        sqlite3_stmt *q = st;
        if (rs_store_client_grant_prefix(g->ids[i], prefix)) {
            q = cc;
            key_range_of(prefix, &r);
            bind_key_range(cc, 1, 2, &r);
            BIND_TEXT(cc, 3, g->ids[i]);
        } else {
            BIND_TEXT(st, 1, g->ids[i]);
        }
        if (sqlite3_step(q) == SQLITE_ROW)
            *count += (size_t)sqlite3_column_int64(q, 0);
        else
            e = RS_ERR_STORE;
        sqlite3_reset(q);
    }
    if (!st || !cc)
        e = RS_ERR_STORE;
    sqlite3_finalize(st);
    sqlite3_finalize(cc);
    return e;
}

struct select_arg {
    const struct rs_revoke_select *sel;
    size_t grants, tokens, sessions;
};

static enum rs_err select_audit(struct conn *w, const struct select_arg *a,
                                const struct grant_ids *g)
{
    struct rs_buf d;
    const char *extra = a->sel->audit_extra ? a->sel->audit_extra : "";
    rs_buf_init(&d, 0);
    enum rs_err e = rs_buf_printf(&d, "{\"grants\":%zu,\"tokens\":%zu,\"sessions\":%zu,"
                                  "\"grant_ids\":[", a->grants, a->tokens, a->sessions);
    for (size_t i = 0; i < g->n && i < AUDIT_GRANT_IDS_MAX && !e; i++)
        e = rs_buf_printf(&d, "%s\"%s\"", i ? "," : "", g->ids[i]);
    if (!e)
        e = rs_buf_printf(&d, "]%s%s}", *extra ? "," : "", extra);
    if (!e)
        e = audit_insert(w, "admin_revocation", a->sel->client_id, "revoked", d.ptr);
    rs_buf_free(&d);
    return e;
}

/* Sessions belong to a user, not to a client or a grant: a selection by subject alone (and a
 * cut-off time: sessions begun before it) ends them; one narrowed to a client or a grant does
 * not, which would sign the user out everywhere for one client's sake. */
static bool ends_sessions(const struct rs_revoke_select *sel)
{
    return sel->sub && !sel->client_id && !sel->grant_id;
}

static enum rs_err count_sessions(struct conn *c, const struct rs_revoke_select *sel, size_t *n)
{
    sqlite3_stmt *st = stmt(c, Q_SESSIONS_OF_USER_LIVE);
    if (!st)
        return RS_ERR_STORE;
    BIND_TEXT(st, 1, sel->sub);
    sqlite3_bind_int64(st, 2, rs_clock_now());
    sqlite3_bind_int64(st, 3, sel->issued_before);
    enum rs_err e = RS_OK;
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = (size_t)sqlite3_column_int64(st, 0);
    else
        e = RS_ERR_STORE;
    done(st);
    return e;
}

static enum rs_err job_revoke_select(struct conn *w, void *arg, bool *keep)
{
    struct select_arg *a = arg;
    struct grant_ids g = {0};
    enum rs_err e = select_grants(w, a->sel, &g);
    for (size_t i = 0; i < g.n && !e; i++)
        e = revoke_grant(w, g.ids[i], &a->tokens);
    if (!e && ends_sessions(a->sel)) {
        /* live ones counted first: expired rows the purge has not reached yet are no sessions */
        sqlite3_stmt *st = stmt(w, Q_SESSIONS_OF_USER_DELETE);
        e = st ? count_sessions(w, a->sel, &a->sessions) : RS_ERR_STORE;
        if (!e) {
            BIND_TEXT(st, 1, a->sel->sub);
            sqlite3_bind_int64(st, 2, a->sel->issued_before);
            e = step_done(w, st);
        }
    }
    if (!e) {
        a->grants = g.n;
        e = select_audit(w, a, &g);
    }
    free(g.ids);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_revoke_select(struct rs_store *s, const struct rs_revoke_select *sel,
                                   size_t *grants_out, size_t *tokens_out, size_t *sessions_out)
{
    assert(sel->client_id || sel->sub || sel->grant_id || sel->issued_before);
    struct select_arg a = {.sel = sel};
    enum rs_err e;
    if (sel->dry_run) {
        /* a reader: a dry run never queues behind (or delays) the writer */
        struct conn *c = reader(s);
        struct grant_ids g = {0};
        e = c ? select_grants(c, sel, &g) : RS_ERR_STORE;
        if (!e)
            e = count_live_tokens(c, &g, &a.tokens);
        if (!e && ends_sessions(sel))
            e = count_sessions(c, sel, &a.sessions);
        a.grants = g.n;
        free(g.ids);
    } else {
        e = run_write(s, job_revoke_select, &a);
    }
    *grants_out = e ? 0 : a.grants;
    *tokens_out = e ? 0 : a.tokens;
    if (sessions_out)
        *sessions_out = e ? 0 : a.sessions;
    return e;
}

enum rs_err rs_store_token_list(struct rs_store *s, const struct rs_token_filter *f,
                                rs_store_token_cb *cb, void *arg)
{
    assert(f->client_id || f->sub);
    struct conn *c = reader(s);
    /* by subject through the grants index: tokens carry their grant's subject */
    sqlite3_stmt *st = c ? prepare_once(c, "SELECT " TOKEN_COLS " FROM tokens "
                                           "WHERE (?1 IS NULL OR grant_id IN (SELECT grant_id "
                                           "FROM grants WHERE client_id = ?1) OR (sub = '' AND "
                                           "client_id = ?1)) AND (?2 IS NULL "
                                           "OR grant_id IN (SELECT grant_id FROM grants "
                                           "WHERE sub = ?2 AND sub <> '')) "
                                           "ORDER BY iat DESC, grant_id, type, hash "
                                           "LIMIT ?3 OFFSET ?4")
                         : NULL;
    enum rs_err e = RS_OK;
    int rc;
    if (!st)
        return RS_ERR_STORE;
    if (f->client_id)
        BIND_TEXT(st, 1, f->client_id);
    if (f->sub)
        BIND_TEXT(st, 2, f->sub);
    sqlite3_bind_int64(st, 3, (int64_t)f->limit);
    sqlite3_bind_int64(st, 4, (int64_t)f->offset);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct rs_token t;
        row_token(st, &t);
        memset(t.hash, 0, sizeof t.hash);
        cb(&t, arg);
    }
    if (rc != SQLITE_DONE) {
        log_sqlite("token_list", c->db);
        e = RS_ERR_STORE;
    }
    sqlite3_finalize(st);
    return e;
}

enum rs_err rs_store_admin_cred_list(struct rs_store *s, rs_store_admin_cred_cb *cb, void *arg)
{
    struct conn *c = reader(s);
    sqlite3_stmt *st = c ? prepare_once(c, "SELECT name, created_at FROM admin_credentials "
                                           "ORDER BY created_at, name")
                         : NULL;
    enum rs_err e = RS_OK;
    int rc;
    if (!st)
        return RS_ERR_STORE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char name[RS_ID_MAX + 1];
        col_text(st, 0, name, sizeof name);
        cb(name, sqlite3_column_int64(st, 1), arg);
    }
    if (rc != SQLITE_DONE)
        e = RS_ERR_STORE;
    sqlite3_finalize(st);
    return e;
}

static enum rs_err job_admin_delete(struct conn *w, void *arg, bool *keep)
{
    sqlite3_stmt *st = prepare_once(w, "DELETE FROM admin_credentials WHERE name = ?1");
    enum rs_err e = RS_ERR_STORE;
    *keep = false;
    if (!st)
        return e;
    BIND_TEXT(st, 1, (const char *)arg);
    if (sqlite3_step(st) == SQLITE_DONE)
        e = sqlite3_changes(w->db) ? RS_OK : RS_ERR_NOT_FOUND;
    else
        log_sqlite("admin_delete", w->db);
    sqlite3_finalize(st);
    *keep = e == RS_OK;
    return e;
}

enum rs_err rs_store_admin_cred_delete(struct rs_store *s, const char *name)
{
    return run_write(s, job_admin_delete, (void *)name);
}

/* ---------- asynchronous writes (the caller does not wait; see store.h) ---------- */
/* The rows belong to the caller until done is called (store.h): the job holds only pointers. */
struct tokens_async_job {
    struct job j;
    struct tokens_put_arg put;
};

enum rs_err rs_store_tokens_put_async(struct rs_store *s, const struct rs_token *toks, size_t n,
                                      rs_store_done_fn *done_fn, void *arg)
{
    struct tokens_async_job *a = calloc(1, sizeof *a);
    if (!a)
        return RS_ERR_NOMEM;
    struct job *j = &a->j;
    a->put.toks = toks;
    a->put.n = n;
    j->fn = job_tokens_put;
    j->inserts_only = true;
    /* a user-less token is one INSERT (no grant row): a failure undoes itself, no savepoint */
    j->single = n == 1 && !*toks[0].sub;
    j->arg = &a->put;
    j->arg_inline = true;
    j->done_cb = done_fn;
    j->done_arg = arg;
    submit(s, j);
    return RS_OK;
}

/* ---------- token status list ---------- */
int64_t rs_store_status_alloc(struct rs_store *s, size_t n)
{
    return atomic_fetch_add(&s->next_status_idx, (int_fast64_t)n);
}

uint64_t rs_store_client_generation(struct rs_store *s)
{
    return s->id << 40 ^ atomic_load_explicit(&s->client_gen, memory_order_acquire);
}

uint64_t rs_store_token_generation(struct rs_store *s)
{
    return atomic_load_explicit(&s->token_gen, memory_order_acquire);
}

enum rs_err rs_store_status_bits(struct rs_store *s, unsigned char **bits_out, size_t *len_out)
{
    struct conn *c = reader(s);
    int64_t count = atomic_load(&s->next_status_idx);
    size_t len = (size_t)(count + 7) / 8;
    unsigned char *bits = calloc(len ? len : 1, 1);
    sqlite3_stmt *st = NULL;
    enum rs_err e = RS_OK;
    int rc;
    *bits_out = NULL;
    *len_out = 0;
    if (!bits)
        return RS_ERR_NOMEM;
    /* status_invalid holds exactly the indexes wanted here (Q_STATUS_INVALIDATE) */
    st = c ? prepare_once(c, "SELECT idx FROM status_invalid") : NULL;
    if (!st) {
        free(bits);
        return RS_ERR_STORE;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t i = sqlite3_column_int64(st, 0);
        if (i > 0 && i < count)
            bits[i / 8] |= (unsigned char)(1u << (i % 8));
    }
    if (rc != SQLITE_DONE)
        e = RS_ERR_STORE;
    sqlite3_finalize(st); /* prepared per call: the list is rebuilt only when tokens changed */
    if (e) {
        free(bits);
        return e;
    }
    *bits_out = bits;
    *len_out = len;
    return RS_OK;
}
