-- 0002: indexes that cost a random page write per insert and serve no query.
-- tokens by client: tokens are reached by client through grants (grants_client).
-- audit by time: audit rows are appended in time order; the rowid already is that order.
DROP INDEX IF EXISTS tokens_client;
DROP INDEX IF EXISTS audit_time;
