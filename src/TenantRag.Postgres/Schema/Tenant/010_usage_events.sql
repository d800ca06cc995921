-- Metering that could bill. Every unit of work writes one event row in the same transaction as the work it counts
-- (a document stored or deleted, a query answered), so after a crash nothing acknowledged is missing and nothing is
-- counted twice. Append-only: no hot counter row per tenant under concurrent queries, and events written in a source
-- database while a tenant moves replicate to the target without conflicting with the target's own.
-- Days are UTC days. documents, chunks and bytes are changes to what is stored (negative for deletes); queries and
-- tokens are work done.
CREATE TABLE public.usage_events (
    tenant_id         text NOT NULL DEFAULT auth.tenant_id() REFERENCES tenantrag.tenant_registry (id),
    id                uuid NOT NULL DEFAULT gen_random_uuid(),
    at                timestamptz NOT NULL DEFAULT now(),
    day               date NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date,
    documents         bigint NOT NULL DEFAULT 0,
    chunks            bigint NOT NULL DEFAULT 0,
    bytes             bigint NOT NULL DEFAULT 0,
    queries           bigint NOT NULL DEFAULT 0 CHECK (queries >= 0),
    embedding_tokens  bigint NOT NULL DEFAULT 0 CHECK (embedding_tokens >= 0),
    generated_tokens  bigint NOT NULL DEFAULT 0 CHECK (generated_tokens >= 0),
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX usage_events_day_idx ON public.usage_events (tenant_id, day);

-- Past days' events rolled up, one row per tenant and day (same columns, same meaning).
CREATE TABLE public.usage_daily (
    tenant_id         text NOT NULL DEFAULT auth.tenant_id() REFERENCES tenantrag.tenant_registry (id),
    day               date NOT NULL,
    documents         bigint NOT NULL DEFAULT 0,
    chunks            bigint NOT NULL DEFAULT 0,
    bytes             bigint NOT NULL DEFAULT 0,
    queries           bigint NOT NULL DEFAULT 0,
    embedding_tokens  bigint NOT NULL DEFAULT 0,
    generated_tokens  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day)
);

ALTER TABLE public.usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.usage_events FORCE ROW LEVEL SECURITY;
ALTER TABLE public.usage_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.usage_daily FORCE ROW LEVEL SECURITY;

CREATE POLICY usage_events_select ON public.usage_events FOR SELECT TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()));
CREATE POLICY usage_events_insert ON public.usage_events FOR INSERT TO authenticated
    WITH CHECK (tenant_id = (SELECT auth.tenant_id()));
CREATE POLICY usage_daily_select ON public.usage_daily FOR SELECT TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()));

-- A tenant's sessions may add events and read their own usage; they may not change or remove any of it.
GRANT SELECT, INSERT ON public.usage_events TO authenticated;
GRANT SELECT ON public.usage_daily TO authenticated;

-- Queries are reads, and reads are never fenced by a move: query events are exempt from the write fence
-- (009_online_moves.sql) and replicate to the target until the move's subscription is dropped; the registry's foreign
-- key still refuses them once the tenant has left this database. The roll-up is a write like any other.
CREATE TRIGGER usage_daily_fence_insert AFTER INSERT ON public.usage_daily
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER usage_daily_fence_update AFTER UPDATE ON public.usage_daily
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER usage_daily_fence_delete AFTER DELETE ON public.usage_daily
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
