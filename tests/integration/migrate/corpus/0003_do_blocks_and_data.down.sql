REVOKE SELECT ON players FROM golf_readonly;
DELETE FROM players;
DROP TABLE generated_tables;
