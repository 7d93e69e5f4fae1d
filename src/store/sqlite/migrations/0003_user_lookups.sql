-- 0003: users by e-mail (global token revocation identifies a user by uid or mail);
-- login sessions by user (ended with the user's tokens).
CREATE INDEX IF NOT EXISTS users_email ON users(email);
CREATE INDEX IF NOT EXISTS sessions_sub ON sessions(sub);
