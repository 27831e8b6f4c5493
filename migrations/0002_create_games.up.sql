-- A game of golf (the card game): players, state, scores.
CREATE TYPE game_status AS ENUM ('waiting', 'playing', 'finished', 'abandoned');

CREATE TABLE games (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       game_status NOT NULL DEFAULT 'waiting',
    max_players  smallint NOT NULL DEFAULT 4 CHECK (max_players BETWEEN 2 AND 8),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX games_status_idx ON games (status) WHERE status IN ('waiting', 'playing');
CREATE INDEX games_host_idx ON games (host_user_id);

-- Keep updated_at honest without trusting every writer.
CREATE FUNCTION games_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
CREATE TRIGGER games_touch_updated_at BEFORE UPDATE ON games
    FOR EACH ROW EXECUTE FUNCTION games_touch_updated_at();
