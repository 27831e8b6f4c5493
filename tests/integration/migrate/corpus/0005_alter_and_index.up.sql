ALTER TABLE players ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE player_audit ALTER COLUMN old_nickname SET DATA TYPE varchar(64);
CREATE INDEX players_email_idx ON players (lower(email::text));
CREATE MATERIALIZED VIEW leaderboard AS SELECT id, score FROM player_scores ORDER BY score;
CREATE UNIQUE INDEX leaderboard_id ON leaderboard (id);
