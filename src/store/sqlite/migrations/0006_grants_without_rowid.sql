-- 0006: fewer B-trees per issued grant. grants becomes WITHOUT ROWID (its primary key is the
-- table, instead of a rowid table plus an index on grant_id), and grants_sub holds only grants
-- with a user: client_credentials grants, the bulk of machine traffic, skip it. Queries by user
-- say "sub <> ''" so that SQLite can use the partial index.
CREATE TABLE grants_new (
  grant_id TEXT PRIMARY KEY,
  client_id TEXT NOT NULL,
  sub TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) WITHOUT ROWID;
INSERT INTO grants_new (grant_id, client_id, sub, created_at, revoked_at)
  SELECT grant_id, client_id, sub, created_at, revoked_at FROM grants;
DROP TABLE grants;
ALTER TABLE grants_new RENAME TO grants;
CREATE INDEX grants_client ON grants(client_id);
CREATE INDEX grants_sub ON grants(sub) WHERE sub <> '';
