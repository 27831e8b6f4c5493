-- golfops:no-transaction
DROP INDEX CONCURRENTLY players_created_at_idx;
