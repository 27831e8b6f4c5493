DROP TABLE golfops.rate_limit_audit;
DROP TABLE golfops.rate_limit_violations;
DROP TABLE golfops.rate_limit_rules;
DROP FUNCTION golfops.rate_limit_rules_audit();
