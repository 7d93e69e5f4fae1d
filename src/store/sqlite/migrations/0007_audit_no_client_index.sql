-- 0007: audit_client served no query (the audit listing filters an optional client with
-- "?3 IS NULL OR client_id = ?3", which SQLite answers by scanning audit newest first, LIMIT
-- rows) and cost a B-tree insert on every request's audit record.
DROP INDEX IF EXISTS audit_client;
