DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'golf_readonly') THEN
        CREATE ROLE golf_readonly NOLOGIN;
    END IF;
END
$$;

DO $outer$
DECLARE
    statement text := $inner$CREATE TABLE generated_tables (n integer)$inner$;
BEGIN
    EXECUTE statement;
END
$outer$;

INSERT INTO players (email, nickname) VALUES
    ('a@example.com', E'tab\there; and a backslash \\'),
    ('b@example.com', $q$dollar 'quoted'; value$q$);
GRANT SELECT ON players TO golf_readonly;
