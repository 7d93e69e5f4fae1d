-- 0009: the status list's set bits (tokens no longer valid) move from the partial index
-- tokens_invalid to a table of their own. With the index, an UPDATE of a token's state moved the
-- row's entry into an index B-tree keyed by status index and the 40-byte token key, whose right
-- edge SQLite rebalances three leaves at a time. status_invalid is a rowid table of bare integers,
-- appended to in issue order one page at a time (docs/performance.md, seventh session).
-- The writer adds a token's index in the same transaction as every statement that takes its
-- state away from 0 (revoked; or used: a redeemed code, a rotated refresh token). Unlike the
-- index entry, it stays when an expired token's row is purged: the token is no less invalid.
CREATE TABLE IF NOT EXISTS status_invalid (idx INTEGER PRIMARY KEY);
INSERT OR IGNORE INTO status_invalid (idx)
  SELECT status_idx FROM tokens WHERE state <> 0 AND status_idx > 0;
DROP INDEX IF EXISTS tokens_invalid;
