DROP MATERIALIZED VIEW leaderboard;
DROP INDEX players_email_idx;
ALTER TABLE player_audit ALTER COLUMN old_nickname SET DATA TYPE text;
ALTER TABLE players DROP COLUMN created_at;
