CREATE TABLE player_audit (player_id bigint, changed_at timestamptz DEFAULT now(), old_nickname text);

CREATE OR REPLACE FUNCTION audit_player() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    INSERT INTO player_audit (player_id, old_nickname) VALUES (OLD.id, OLD.nickname);
    RETURN NEW;
END;
$body$;

CREATE TRIGGER player_audit AFTER UPDATE OF nickname ON players
    FOR EACH ROW WHEN (OLD.nickname IS DISTINCT FROM NEW.nickname) EXECUTE FUNCTION audit_player();

CREATE VIEW player_scores AS
    SELECT p.id, p.email, score_hand(coalesce(p.hand, '{}')) AS score FROM players p;
