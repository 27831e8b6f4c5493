-- Every move in a game, append-only.
CREATE TABLE game_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    game_id     bigint NOT NULL REFERENCES games (id) ON DELETE CASCADE,
    user_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    seq         integer NOT NULL,
    kind        text NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (game_id, seq)
);
CREATE INDEX game_events_user_idx ON game_events (user_id, created_at DESC);
CREATE INDEX game_events_kind_idx ON game_events (kind);
