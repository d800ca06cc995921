-- Uploads are jobs stored in the tenant's own database. A tenant with jobs to do is flagged here, so the workers of
-- every serving process find the databases with work in one indexed query instead of polling every database. The
-- serving role sets the flag (it accepts the uploads); the workers clear it once the tenant has no unfinished job.
ALTER TABLE tenantrag.tenants ADD COLUMN ingest_requested_at timestamptz;
CREATE INDEX tenants_ingest_requested_idx ON tenantrag.tenants (ingest_requested_at) WHERE ingest_requested_at IS NOT NULL;
GRANT UPDATE (ingest_requested_at) ON tenantrag.tenants TO ${app_role};
