-- A transaction pooler per server of the fleet ('tenantrag server add|set --pooler-url'): a PgBouncer in transaction
-- mode in front of that server's shared database. When set, the serving role's sessions of the server's shared tenants
-- go through it; the admin role, dedicated tenants and the catalog stay direct. Only where it listens is kept: the
-- serving role logs in through it with its own password (of secrets.json), so there is nothing secret here. The
-- primary's pooler is the setting Database:PoolerUrl (or 'db start --pooler'), never a row.
ALTER TABLE tenantrag.servers
    ADD COLUMN pooler_host text CHECK (pooler_host ~ '^[A-Za-z0-9._:-]{1,253}$'),
    ADD COLUMN pooler_port integer CHECK (pooler_port BETWEEN 1 AND 65535),
    ADD CONSTRAINT servers_pooler_ck CHECK ((pooler_host IS NULL) = (pooler_port IS NULL) AND (id <> 'primary' OR pooler_host IS NULL));
-- Every serving process routes a shared tenant's sessions through its server's pooler, so it reads where that is.
GRANT SELECT (pooler_host, pooler_port) ON tenantrag.servers TO ${app_role};
