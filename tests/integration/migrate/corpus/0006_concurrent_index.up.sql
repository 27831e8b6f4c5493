-- golfops:no-transaction
-- CREATE INDEX CONCURRENTLY refuses to run inside a transaction block.
CREATE INDEX CONCURRENTLY players_created_at_idx ON players (created_at);
