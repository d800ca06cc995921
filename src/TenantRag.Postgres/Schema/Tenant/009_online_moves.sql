-- Online moves ('tenantrag tenant move'): a tenant's rows are copied to another database with logical replication
-- (a publication filtered on tenant_id in the source, a subscription in the target) while the tenant keeps serving,
-- then its writes are fenced briefly, the target catches up, and the catalog switches.

-- The write fence. A moving tenant's registry entry is marked fenced in the source database, and from then on every
-- write of that tenant there fails, whatever process makes it and however stale its caches are: the writer looks up
-- where the tenant lives now and writes there. Every statement that writes a tenant's rows locks the tenant's entry
-- (FOR KEY SHARE, like the foreign keys do), so fencing (which locks it FOR UPDATE) waits for the writes in flight to
-- commit, and writes that come later wait for the fence and then see it. Deletes and updates are fenced too, which the
-- foreign keys alone would not do. The check runs as the admin (the registry's owner); sessions have no privilege on
-- the registry, and no EXECUTE on the function (a trigger needs none).
ALTER TABLE tenantrag.tenant_registry ADD COLUMN fenced_at timestamptz;

CREATE FUNCTION tenantrag.check_write_fence() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tenant text;
    fenced timestamptz;
BEGIN
    FOR tenant IN SELECT DISTINCT tenant_id FROM changed_rows LOOP
        SELECT r.fenced_at INTO fenced FROM tenantrag.tenant_registry r WHERE r.id = tenant FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'tenant % does not live in this database (deleted, or moved away)', tenant
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'registry_tenant_fk';
        ELSIF fenced IS NOT NULL THEN
            RAISE EXCEPTION 'tenant % is moving: its writes are fenced in this database since %', tenant, fenced
                USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'tenant_write_fence';
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION tenantrag.check_write_fence() FROM PUBLIC;

-- Statement-level, one per table and event (a trigger with transition tables takes one event). They do not fire in
-- the replication apply worker (session_replication_role = replica), so the target takes the copy unhindered.
CREATE TRIGGER documents_fence_insert AFTER INSERT ON public.documents
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER documents_fence_update AFTER UPDATE ON public.documents
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER documents_fence_delete AFTER DELETE ON public.documents
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER chunks_fence_insert AFTER INSERT ON public.chunks
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER chunks_fence_update AFTER UPDATE ON public.chunks
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER chunks_fence_delete AFTER DELETE ON public.chunks
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER tenant_usage_fence_insert AFTER INSERT ON public.tenant_usage
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER tenant_usage_fence_update AFTER UPDATE ON public.tenant_usage
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER ingest_jobs_fence_insert AFTER INSERT ON public.ingest_jobs
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER ingest_jobs_fence_update AFTER UPDATE ON public.ingest_jobs
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER ingest_jobs_fence_delete AFTER DELETE ON public.ingest_jobs
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER ingest_job_parts_fence_insert AFTER INSERT ON public.ingest_job_parts
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER ingest_job_parts_fence_delete AFTER DELETE ON public.ingest_job_parts
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();

-- A publication's row filter may only use replica-identity columns when updates and deletes are published, so every
-- table's replica identity covers tenant_id. Chunk ids come from each database's own sequence, so a tenant moving
-- into a shared database may bring ids another tenant there already has: a chunk is identified by tenant and id.
CREATE UNIQUE INDEX documents_tenant_id_uq ON public.documents (tenant_id, id);
ALTER TABLE public.documents REPLICA IDENTITY USING INDEX documents_tenant_id_uq;
ALTER TABLE public.chunks DROP CONSTRAINT chunks_pkey, ADD CONSTRAINT chunks_pkey PRIMARY KEY (tenant_id, id);
CREATE UNIQUE INDEX ingest_jobs_tenant_id_uq ON public.ingest_jobs (tenant_id, id);
ALTER TABLE public.ingest_jobs REPLICA IDENTITY USING INDEX ingest_jobs_tenant_id_uq;
CREATE UNIQUE INDEX ingest_job_parts_tenant_uq ON public.ingest_job_parts (tenant_id, job_id, part);
ALTER TABLE public.ingest_job_parts REPLICA IDENTITY USING INDEX ingest_job_parts_tenant_uq;

-- Markers the mover writes in the source and waits to see in the target: replication applies transactions in commit
-- order, so once a marker is there, everything committed before it is too. Admin only.
CREATE TABLE tenantrag.move_markers (
    move_id  text NOT NULL,
    phase    text NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (move_id, phase)
);
