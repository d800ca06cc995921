-- A fleet: the servers tenants can live on. 'primary' is the installation's own server (it holds this catalog;
-- it is reached as the installation is configured). Every other server is added with 'tenantrag server add':
-- how to reach it (host, port, maintenance database, TLS mode, bootstrap role), how many tenants it should hold, and
-- where its bootstrap role's password is kept: never here, only a reference ('file' for a 0600 file
-- $TENANTRAG_HOME/servers/<id>.json, or 'env:VAR' for an environment variable).
ALTER TABLE tenantrag.servers
    ADD COLUMN database_name  text NOT NULL DEFAULT 'postgres',
    ADD COLUMN username       text,
    ADD COLUMN ssl_mode       text,
    ADD COLUMN capacity       integer CHECK (capacity > 0),
    ADD COLUMN status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draining', 'removed')),
    ADD COLUMN credentials    text CHECK (credentials = 'file' OR credentials ~ '^env:[A-Za-z_][A-Za-z0-9_]{0,127}$'),
    ADD CONSTRAINT servers_id_ck CHECK (id ~ '^[a-z][a-z0-9-]{0,30}$'),
    ADD CONSTRAINT servers_credentials_ck CHECK ((id = 'primary') = (credentials IS NULL));
