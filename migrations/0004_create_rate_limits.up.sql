-- Rate-limit rules enforced in Redis, their violations and an audit log.
CREATE SCHEMA IF NOT EXISTS golfops;

CREATE TABLE golfops.rate_limit_rules (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_.:-]*$'),
    route         text NOT NULL,
    scope         text NOT NULL CHECK (scope IN ('ip', 'user', 'api_key', 'global')),
    requests      integer NOT NULL CHECK (requests > 0),
    window_ms     integer NOT NULL CHECK (window_ms > 0),
    burst         integer NOT NULL DEFAULT 0 CHECK (burst >= 0),
    enabled       boolean NOT NULL DEFAULT true,
    revision      bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE golfops.rate_limit_violations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id       bigint NOT NULL REFERENCES golfops.rate_limit_rules (id) ON DELETE CASCADE,
    subject       text NOT NULL,
    observed_at   timestamptz NOT NULL DEFAULT now(),
    requests_seen integer NOT NULL
);
CREATE INDEX rate_limit_violations_rule_time_idx
    ON golfops.rate_limit_violations (rule_id, observed_at DESC);

CREATE TABLE golfops.rate_limit_audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id     bigint,
    action      text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'enable', 'disable', 'publish', 'rollback', 'reset')),
    actor       text NOT NULL DEFAULT current_user,
    before      jsonb,
    after       jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_limit_audit_rule_idx ON golfops.rate_limit_audit (rule_id, at DESC);

-- Every change to a rule is audited and bumps its revision, whoever makes it.
CREATE FUNCTION golfops.rate_limit_rules_audit() RETURNS trigger
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
CREATE TRIGGER rate_limit_rules_audit
    BEFORE INSERT OR UPDATE OR DELETE ON golfops.rate_limit_rules
    FOR EACH ROW EXECUTE FUNCTION golfops.rate_limit_rules_audit();
