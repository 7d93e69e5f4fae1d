-- 0001: the initial schema. Secrets are stored only as digests.
CREATE TABLE clients (
  client_id TEXT PRIMARY KEY,
  secret_hash BLOB,
  reg_token_hash BLOB,
  auth_method TEXT NOT NULL,
  redirect_uris TEXT NOT NULL DEFAULT '',
  grant_types TEXT NOT NULL DEFAULT '',
  response_types TEXT NOT NULL DEFAULT '',
  scope TEXT NOT NULL DEFAULT '',
  client_name TEXT NOT NULL DEFAULT '',
  origins TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE TABLE users (
  sub TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  pw_hash TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE TABLE grants (
  grant_id TEXT PRIMARY KEY,
  client_id TEXT NOT NULL,
  sub TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX grants_client ON grants(client_id);
CREATE INDEX grants_sub ON grants(sub);
CREATE TABLE tokens (
  hash BLOB PRIMARY KEY,
  type INTEGER NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  grant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  sub TEXT NOT NULL DEFAULT '',
  scope TEXT NOT NULL DEFAULT '',
  iat INTEGER NOT NULL,
  exp INTEGER NOT NULL,
  auth_time INTEGER NOT NULL DEFAULT 0,
  nonce TEXT NOT NULL DEFAULT '',
  redirect_uri TEXT NOT NULL DEFAULT '',
  code_challenge TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX tokens_grant ON tokens(grant_id);
CREATE INDEX tokens_client ON tokens(client_id);
CREATE INDEX tokens_exp ON tokens(exp);
CREATE TABLE sessions (
  hash BLOB PRIMARY KEY,
  sub TEXT NOT NULL,
  auth_time INTEGER NOT NULL,
  exp INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE admin_credentials (
  hash BLOB PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  event TEXT NOT NULL,
  client_id TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_time ON audit(time);
CREATE INDEX audit_client ON audit(client_id, time);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
