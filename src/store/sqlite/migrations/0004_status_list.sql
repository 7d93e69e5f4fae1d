-- 0004: Token Status List (draft-ietf-oauth-status-list). Every minted token has an index in
-- the server's status list (0 = none, for authorization codes and tokens minted before this
-- migration); the list's set bits are the tokens that are no longer valid, found through a
-- partial index that holds only those.
ALTER TABLE tokens ADD COLUMN status_idx INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tokens_invalid ON tokens(status_idx) WHERE state <> 0 AND status_idx > 0;
