-- The tenants whose rows this database may hold, by id (one row in a dedicated database, one per shared tenant in
-- the shared one). Every tenant-data table references it, which fences writes of a tenant being deleted in every
-- process, whatever its caches say:
--   * a write checks the foreign key, which holds a KEY SHARE lock on the tenant's row until the writer commits;
--   * deleting a tenant first locks its row FOR UPDATE, so it waits for writes in flight to commit, then deletes
--     their rows with everything else, and then the registry row;
--   * a write that comes later finds no row and fails (foreign key violation), so nothing is left behind.
-- Only the admin (its owner) reads or writes it; no serving role has any privilege on it.
CREATE TABLE tenantrag.tenant_registry (
    id          text PRIMARY KEY,
    slug        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- NOT VALID: rows written before this migration are not checked here (`tenantrag audit` reports any that belong
-- to no live tenant); every row written from now on is.
ALTER TABLE public.documents ADD CONSTRAINT documents_tenant_fk
    FOREIGN KEY (tenant_id) REFERENCES tenantrag.tenant_registry (id) NOT VALID;
ALTER TABLE public.chunks ADD CONSTRAINT chunks_tenant_fk
    FOREIGN KEY (tenant_id) REFERENCES tenantrag.tenant_registry (id) NOT VALID;
ALTER TABLE public.tenant_data_versions ADD CONSTRAINT tenant_data_versions_tenant_fk
    FOREIGN KEY (tenant_id) REFERENCES tenantrag.tenant_registry (id) NOT VALID;
ALTER TABLE public.tenant_usage ADD CONSTRAINT tenant_usage_tenant_fk
    FOREIGN KEY (tenant_id) REFERENCES tenantrag.tenant_registry (id) NOT VALID;
