CREATE FUNCTION score_hand(hand card[]) RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    total integer := 0;
    c card;
BEGIN
    -- Kings are worth zero; pairs in a column cancel out (simplified here).
    FOREACH c IN ARRAY hand LOOP
        total := total + CASE WHEN c.rank = 13 THEN 0 WHEN c.rank > 10 THEN 10 ELSE c.rank END;
    END LOOP;
    RETURN total; -- a semicolon inside the body;
END;
$fn$;

CREATE FUNCTION shout(message text) RETURNS text LANGUAGE sql IMMUTABLE
    RETURN upper(message) || '!';

CREATE FUNCTION quoted_body() RETURNS text LANGUAGE sql AS 'SELECT ''single; quoted''::text';
