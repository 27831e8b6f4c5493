DROP VIEW player_scores;
DROP TRIGGER player_audit ON players;
DROP FUNCTION audit_player();
DROP TABLE player_audit;
