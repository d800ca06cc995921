-- Schema versions per server. Every server of the fleet has a template and a shared database of the same names, and a
-- dedicated database keeps its name when its tenant moves to another server, so a database is known by its server and
-- its name. Rows recorded before this migration are the primary's, except a dedicated tenant's database, which is on
-- the server its tenant is mapped to.
ALTER TABLE tenantrag.schema_versions ADD COLUMN server_id text;
UPDATE tenantrag.schema_versions v SET server_id = coalesce(
    (SELECT t.server_id FROM tenantrag.tenants t WHERE t.mode = 'dedicated' AND t.database_name = v.database_name), 'primary');
ALTER TABLE tenantrag.schema_versions
    ALTER COLUMN server_id SET NOT NULL,
    DROP CONSTRAINT schema_versions_pkey,
    ADD CONSTRAINT schema_versions_pkey PRIMARY KEY (server_id, database_name),
    ADD CONSTRAINT schema_versions_server_fk FOREIGN KEY (server_id) REFERENCES tenantrag.servers (id);
