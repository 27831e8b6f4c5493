DROP TABLE games;
DROP FUNCTION games_touch_updated_at();
DROP TYPE game_status;
