-- A tenant's data version must never repeat, not even when the tenant is deleted and a tenant with the same slug
-- is created again (same shared database, or a dedicated database of the same name): caches keyed by tenant and
-- version would otherwise serve the deleted tenant's rows. Versions are now at least the current time in
-- microseconds, and still grow by at least one per write.
CREATE OR REPLACE FUNCTION tenantrag.bump_data_version() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    now_us bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO public.tenant_data_versions AS v (tenant_id, version)
        SELECT DISTINCT tenant_id, now_us FROM old_rows
        ON CONFLICT (tenant_id) DO UPDATE SET version = greatest(v.version + 1, now_us), updated_at = now();
    ELSE
        INSERT INTO public.tenant_data_versions AS v (tenant_id, version)
        SELECT DISTINCT tenant_id, now_us FROM new_rows
        ON CONFLICT (tenant_id) DO UPDATE SET version = greatest(v.version + 1, now_us), updated_at = now();
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION tenantrag.bump_data_version() FROM PUBLIC;
