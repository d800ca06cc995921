-- Metering that could bill. Every unit of work writes one event row in the same transaction as the work it counts
-- (a document stored or deleted, a query answered), so after a crash nothing acknowledged is missing and nothing is
-- counted twice. Append-only: no hot counter row per tenant under concurrent queries, and events written in a source
-- database while a tenant moves replicate to the target without conflicting with the target's own.
-- Days are UTC days. documents, chunks and bytes are changes to what is stored (negative for deletes); queries and
-- tokens are work done.
CREATE TABLE public.usage_events (
    tenant_id         text NOT NULL DEFAULT auth.tenant_id() CONSTRAINT usage_events_tenant_fk REFERENCES tenantrag.tenant_registry (id),
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

-- Past days' events rolled up, one row per tenant and day (same columns, same meaning). Only the admin writes it:
-- the roll-up deletes a day's events and adds them here in one statement, so no reader ever sees them twice or not
-- at all, and two roll-ups at once cannot both take an event (the second finds it deleted).
CREATE TABLE public.usage_daily (
    tenant_id         text NOT NULL DEFAULT auth.tenant_id() CONSTRAINT usage_daily_tenant_fk REFERENCES tenantrag.tenant_registry (id),
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
-- (009_online_moves.sql). Until the move's switch they are taken where the tenant lives (and replicate to the target
-- until the fence; the mover carries the later ones over, see TenantMover.CleanUpAsync). Once the catalog names the
-- target, the mover marks the source's registry entry left_at: from then on an event there is refused like one of a
-- deleted tenant (foreign_key_violation, constraint registry_tenant_fk), and its writer looks the tenant up again and
-- writes it where the tenant lives now. The roll-up is a write like any other.
ALTER TABLE tenantrag.tenant_registry ADD COLUMN left_at timestamptz;

CREATE FUNCTION tenantrag.check_usage_place() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tenant text;
    left_at timestamptz;
BEGIN
    FOR tenant IN SELECT DISTINCT tenant_id FROM changed_rows LOOP
        SELECT r.left_at INTO left_at FROM tenantrag.tenant_registry r WHERE r.id = tenant FOR KEY SHARE;
        IF NOT FOUND OR left_at IS NOT NULL THEN
            RAISE EXCEPTION 'tenant % does not live in this database (deleted, or moved away)', tenant
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'registry_tenant_fk';
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION tenantrag.check_usage_place() FROM PUBLIC;

CREATE TRIGGER usage_events_place_insert AFTER INSERT ON public.usage_events
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_usage_place();
CREATE TRIGGER usage_daily_fence_insert AFTER INSERT ON public.usage_daily
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER usage_daily_fence_update AFTER UPDATE ON public.usage_daily
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER usage_daily_fence_delete AFTER DELETE ON public.usage_daily
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();

-- What is stored is counted where it changes: statement triggers on documents and chunks add one event per statement
-- and tenant, in the writer's transaction, whatever code path writes (an upload's job, a replace, a delete, a
-- re-embedding). Only tenant work counts: a session of the tenant (tenantrag.tenant_id set), not the admin's deletion
-- of a tenant or of a moved tenant's old copy, and not the replication that copies a moving tenant (triggers do not
-- fire in the apply worker). Embedding tokens are those of the chunks given a vector (stored with one, or re-embedded).
-- The events follow the rows the writer's policies let it write, so the count runs as the admin (no session may call
-- it: a trigger needs no EXECUTE), and counting never changes what a session may write.
CREATE FUNCTION tenantrag.count_stored_usage() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF auth.tenant_id() IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'documents' AND TG_OP = 'INSERT' THEN
        INSERT INTO public.usage_events (tenant_id, documents, bytes)
        SELECT tenant_id, count(*), sum(byte_size) FROM new_rows GROUP BY tenant_id;
    ELSIF TG_TABLE_NAME = 'documents' AND TG_OP = 'DELETE' THEN
        INSERT INTO public.usage_events (tenant_id, documents, bytes)
        SELECT tenant_id, -count(*), -sum(byte_size) FROM old_rows GROUP BY tenant_id;
    ELSIF TG_TABLE_NAME = 'chunks' AND TG_OP = 'INSERT' THEN
        INSERT INTO public.usage_events (tenant_id, chunks, embedding_tokens)
        SELECT tenant_id, count(*), coalesce(sum(token_count) FILTER (WHERE embedding IS NOT NULL), 0) FROM new_rows GROUP BY tenant_id;
    ELSIF TG_TABLE_NAME = 'chunks' AND TG_OP = 'DELETE' THEN
        INSERT INTO public.usage_events (tenant_id, chunks)
        SELECT tenant_id, -count(*) FROM old_rows GROUP BY tenant_id;
    ELSIF TG_TABLE_NAME = 'chunks' AND TG_OP = 'UPDATE' THEN
        INSERT INTO public.usage_events (tenant_id, embedding_tokens)
        SELECT n.tenant_id, sum(n.token_count) FROM new_rows n JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.id = n.id
        WHERE n.embedding IS NOT NULL AND n.embedding IS DISTINCT FROM o.embedding
        GROUP BY n.tenant_id;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION tenantrag.count_stored_usage() FROM PUBLIC;

CREATE TRIGGER documents_usage_insert AFTER INSERT ON public.documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.count_stored_usage();
CREATE TRIGGER documents_usage_delete AFTER DELETE ON public.documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.count_stored_usage();
CREATE TRIGGER chunks_usage_insert AFTER INSERT ON public.chunks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.count_stored_usage();
CREATE TRIGGER chunks_usage_delete AFTER DELETE ON public.chunks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.count_stored_usage();
CREATE TRIGGER chunks_usage_update AFTER UPDATE ON public.chunks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.count_stored_usage();

-- The old counters (queries and query tokens per tenant, kept in memory and written once a second, so lost on a crash)
-- end here. What a database held before metering began is its opening balance, dated the day before: what each live
-- tenant stores, and the queries and tokens counted so far.
INSERT INTO public.usage_daily (tenant_id, day, documents, chunks, bytes, queries, embedding_tokens)
SELECT r.id, (now() AT TIME ZONE 'UTC')::date - 1,
       (SELECT count(*) FROM public.documents d WHERE d.tenant_id = r.id),
       (SELECT count(*) FROM public.chunks c WHERE c.tenant_id = r.id),
       (SELECT coalesce(sum(d.byte_size), 0) FROM public.documents d WHERE d.tenant_id = r.id),
       coalesce((SELECT u.queries FROM public.tenant_usage u WHERE u.tenant_id = r.id), 0),
       coalesce((SELECT u.tokens FROM public.tenant_usage u WHERE u.tenant_id = r.id), 0)
FROM tenantrag.tenant_registry r
WHERE EXISTS (SELECT 1 FROM public.documents d WHERE d.tenant_id = r.id)
   OR EXISTS (SELECT 1 FROM public.tenant_usage u WHERE u.tenant_id = r.id AND (u.queries > 0 OR u.tokens > 0));

DROP TABLE public.tenant_usage;
