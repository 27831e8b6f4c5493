DROP TABLE players;
DROP TYPE card;
DROP DOMAIN email_address;
