-- A name is not an identity. Every creation of a tenant gets an id of its own, and every row of its data carries
-- that id in tenant_id (and every cache and counter is keyed by it), so a tenant created again under a deleted
-- tenant's slug starts empty: it can neither see nor inherit anything the old one left behind.
-- Tenants made before this migration keep their slug as their id: their rows already carry it.
ALTER TABLE tenantrag.tenants ADD COLUMN id text;
UPDATE tenantrag.tenants SET id = slug;
ALTER TABLE tenantrag.tenants
    ALTER COLUMN id SET NOT NULL,
    ALTER COLUMN id SET DEFAULT gen_random_uuid()::text,
    ADD CONSTRAINT tenants_id_uq UNIQUE (id);

-- Which creation of a slug an audit line is about.
ALTER TABLE tenantrag.audit_log ADD COLUMN tenant_id text;
