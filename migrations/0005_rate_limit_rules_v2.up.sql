-- Rate-limit rules as `golfops limits` manages them: what a rule applies to
-- (scope value, resource), how it counts (algorithm, burst), shadow mode,
-- priority, a description and who changed it; every publish to Redis kept
-- as a numbered revision for rollback.
ALTER TABLE golfops.rate_limit_rules RENAME COLUMN route TO resource;
ALTER TABLE golfops.rate_limit_rules ALTER COLUMN resource SET DEFAULT '';
ALTER TABLE golfops.rate_limit_rules
    ADD COLUMN scope_value text NOT NULL DEFAULT '',
    ADD COLUMN algorithm   text NOT NULL DEFAULT 'fixed_window'
        CHECK (algorithm IN ('fixed_window', 'sliding_window', 'sliding_log', 'gcra')),
    ADD COLUMN shadow      boolean NOT NULL DEFAULT false,
    ADD COLUMN priority    integer NOT NULL DEFAULT 0,
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN created_by  text NOT NULL DEFAULT current_user,
    ADD COLUMN updated_by  text NOT NULL DEFAULT current_user;

-- The actor is the person behind golfops (SET LOCAL golfops.actor), else
-- the database role; enabling and disabling are audited as such.
CREATE OR REPLACE FUNCTION golfops.rate_limit_rules_audit() RETURNS trigger
LANGUAGE plpgsql AS $body$
DECLARE
    actor text := coalesce(nullif(current_setting('golfops.actor', true), ''), current_user);
    action text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO golfops.rate_limit_audit (rule_id, action, actor, before)
        VALUES (OLD.id, 'delete', actor, to_jsonb(OLD));
        RETURN OLD;
    ELSIF TG_OP = 'UPDATE' THEN
        NEW.revision := OLD.revision + 1;
        NEW.updated_at := now();
        NEW.updated_by := actor;
        -- Only the enabled flag changed: enable or disable, else update.
        action := CASE
            WHEN OLD.enabled IS DISTINCT FROM NEW.enabled
                 AND (to_jsonb(OLD) - ARRAY['enabled', 'revision', 'updated_at', 'updated_by'])
                   = (to_jsonb(NEW) - ARRAY['enabled', 'revision', 'updated_at', 'updated_by'])
                THEN CASE WHEN NEW.enabled THEN 'enable' ELSE 'disable' END
            ELSE 'update' END;
        INSERT INTO golfops.rate_limit_audit (rule_id, action, actor, before, after)
        VALUES (NEW.id, action, actor, to_jsonb(OLD), to_jsonb(NEW));
        RETURN NEW;
    END IF;
    NEW.created_by := actor;
    NEW.updated_by := actor;
    INSERT INTO golfops.rate_limit_audit (rule_id, action, actor, after)
    VALUES (NEW.id, 'create', actor, to_jsonb(NEW));
    RETURN NEW;
END;
$body$;

-- Every `golfops limits publish`: the rule set Redis got, for drift and rollback.
CREATE TABLE golfops.rate_limit_revisions (
    revision      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    published_at  timestamptz NOT NULL DEFAULT now(),
    published_by  text NOT NULL,
    rules         jsonb NOT NULL,
    checksum      text NOT NULL,
    note          text NOT NULL DEFAULT ''
);
