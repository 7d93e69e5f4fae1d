-- 0005: token rows are keyed by issue time (8 bytes) || SHA-256 of the token (src/base/token_key.h),
-- so that the rows of new tokens append to the B-tree instead of landing on a random page.
-- Tokens issued before carry no issue time: their keys become 8 zero bytes || their digest,
-- which is what the server computes for any token of the old 43-character form.
UPDATE tokens SET hash = CAST(zeroblob(8) || hash AS BLOB) WHERE length(hash) = 32;
