DROP FUNCTION quoted_body();
DROP FUNCTION shout(text);
DROP FUNCTION score_hand(card[]);
