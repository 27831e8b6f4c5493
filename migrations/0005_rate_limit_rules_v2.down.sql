DROP TABLE golfops.rate_limit_revisions;
CREATE OR REPLACE FUNCTION golfops.rate_limit_rules_audit() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO golfops.rate_limit_audit (rule_id, action, before)
        VALUES (OLD.id, 'delete', to_jsonb(OLD));
        RETURN OLD;
    ELSIF TG_OP = 'UPDATE' THEN
        NEW.revision := OLD.revision + 1;
        NEW.updated_at := now();
        INSERT INTO golfops.rate_limit_audit (rule_id, action, before, after)
        VALUES (NEW.id, 'update', to_jsonb(OLD), to_jsonb(NEW));
        RETURN NEW;
    END IF;
    INSERT INTO golfops.rate_limit_audit (rule_id, action, after)
    VALUES (NEW.id, 'create', to_jsonb(NEW));
    RETURN NEW;
END;
$body$;
ALTER TABLE golfops.rate_limit_rules
    DROP COLUMN updated_by,
    DROP COLUMN created_by,
    DROP COLUMN description,
    DROP COLUMN priority,
    DROP COLUMN shadow,
    DROP COLUMN algorithm,
    DROP COLUMN scope_value;
ALTER TABLE golfops.rate_limit_rules ALTER COLUMN resource DROP DEFAULT;
ALTER TABLE golfops.rate_limit_rules RENAME COLUMN resource TO route;
