-- Persisted retrieval index snapshots, so a cold tenant's first search reads its in-process indexes in one row instead
-- of loading and indexing every chunk. One row per tenant, partition and index (the full-text index, or the vector
-- index of one embedding model), tagged with the tenant's data version it was built at: a search uses a snapshot only
-- when that equals the tenant's current version (versions never repeat, 004_version_never_repeats.sql), so a snapshot
-- can never serve rows a later write changed. Only the tenant-wide partition is stored: a user's private partition is
-- small and stays on the normal load, and the CHECK keeps any user's private rows out of a row every user reads.
CREATE TABLE public.index_snapshots (
    tenant_id        text NOT NULL DEFAULT auth.tenant_id() REFERENCES tenantrag.tenant_registry (id),
    partition        text NOT NULL DEFAULT 'tenant' CHECK (partition = 'tenant'),
    index_kind       text NOT NULL CHECK (index_kind IN ('vector', 'lexical')),
    -- '' and 0 for the full-text index, which no model made.
    embedding_model  text NOT NULL DEFAULT '',
    embedding_dims   integer NOT NULL DEFAULT 0 CHECK (embedding_dims >= 0),
    data_version     bigint NOT NULL,
    row_count        integer NOT NULL CHECK (row_count >= 0),
    built_at         timestamptz NOT NULL DEFAULT now(),
    bytes            bytea NOT NULL,
    PRIMARY KEY (tenant_id, partition, index_kind, embedding_model, embedding_dims),
    CHECK ((index_kind = 'lexical') = (embedding_model = '' AND embedding_dims = 0))
);

-- Stored out of line and uncompressed: vectors do not compress, and decompressing megabytes would cost the cold search
-- the time the snapshot is there to save.
ALTER TABLE public.index_snapshots ALTER COLUMN bytes SET STORAGE EXTERNAL;

ALTER TABLE public.index_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.index_snapshots FORCE ROW LEVEL SECURITY;

CREATE POLICY index_snapshots_select ON public.index_snapshots FOR SELECT TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()));
CREATE POLICY index_snapshots_insert ON public.index_snapshots FOR INSERT TO authenticated
    WITH CHECK (tenant_id = (SELECT auth.tenant_id()));
CREATE POLICY index_snapshots_update ON public.index_snapshots FOR UPDATE TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id())) WITH CHECK (tenant_id = (SELECT auth.tenant_id()));
CREATE POLICY index_snapshots_delete ON public.index_snapshots FOR DELETE TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON public.index_snapshots TO authenticated;

-- Written like any tenant data: fenced while the tenant moves (009_online_moves.sql), moved and deleted with it.
CREATE TRIGGER index_snapshots_fence_insert AFTER INSERT ON public.index_snapshots
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER index_snapshots_fence_update AFTER UPDATE ON public.index_snapshots
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
CREATE TRIGGER index_snapshots_fence_delete AFTER DELETE ON public.index_snapshots
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_write_fence();
