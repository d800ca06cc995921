-- The control plane: which tenants exist, where their rows live, which schema version each database has,
-- and an audit log of admin actions. Owned by the admin role; the serving role may only read tenants.
CREATE TABLE tenantrag.servers (
    id          text PRIMARY KEY,
    host        text NOT NULL,
    port        integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenantrag.tenants (
    slug            text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9-]{2,39}$'),
    mode            text NOT NULL CHECK (mode IN ('shared', 'dedicated')),
    server_id       text NOT NULL REFERENCES tenantrag.servers (id),
    database_name   text NOT NULL,
    status          text NOT NULL CHECK (status IN ('provisioning', 'active', 'deleting')),
    quotas          jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_active_at  timestamptz
);

CREATE UNIQUE INDEX tenants_dedicated_database_uq ON tenantrag.tenants (database_name) WHERE mode = 'dedicated';

CREATE TABLE tenantrag.schema_versions (
    database_name  text PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('catalog', 'template', 'shared', 'dedicated')),
    version        integer NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenantrag.audit_log (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL DEFAULT current_user,
    action   text NOT NULL,
    tenant   text,
    details  jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_tenant_idx ON tenantrag.audit_log (tenant, at);

GRANT USAGE ON SCHEMA tenantrag TO ${app_role};
GRANT SELECT ON tenantrag.tenants TO ${app_role};
GRANT UPDATE (last_active_at) ON tenantrag.tenants TO ${app_role};
