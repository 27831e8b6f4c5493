/* A block comment; with a semicolon; and a nested /* comment */ inside. */
CREATE DOMAIN email_address AS text CHECK (VALUE ~ '^[^@\s]+@[^@\s]+$');
CREATE TYPE card AS (rank smallint, suit char(1));
-- A line comment with 'quotes' and $dollars$ that must not confuse anything;
CREATE TABLE players (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email email_address NOT NULL,
    nickname text NOT NULL DEFAULT 'it''s me; really',
    hand card[]
);
COMMENT ON TABLE players IS 'Players; one row each. Semicolons; in; comments.';
