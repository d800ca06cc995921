-- Tenant data, identical in the shared database and in every dedicated one (made from the template), so a
-- tenant can move between models. Every row carries tenant_id, owner_id and visibility; row-level security is
-- enabled AND forced, and policies read the transaction-local context through the auth.* functions.

-- auth.*: named as in Neon's pg_session_jwt so policies written for Neon RLS / Supabase / PostgREST port unchanged.
-- With no context set they return NULL ('' counts as unset), so a query without context matches no row.
CREATE SCHEMA auth;
GRANT USAGE ON SCHEMA auth TO authenticated, anonymous;

CREATE FUNCTION auth.session() RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb $$;

CREATE FUNCTION auth.user_id() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(auth.session() ->> 'sub', '') $$;

CREATE FUNCTION auth.tenant_id() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('tenantrag.tenant_id', true), '') $$;

CREATE TABLE public.documents (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     text NOT NULL DEFAULT auth.tenant_id(),
    owner_id      text NOT NULL DEFAULT auth.user_id(),
    visibility    text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('tenant', 'private')),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 1000),
    source        text,
    external_id   text,
    content_hash  text NOT NULL,
    content_type  text NOT NULL DEFAULT 'text/plain',
    byte_size     bigint NOT NULL DEFAULT 0 CHECK (byte_size >= 0),
    metadata      jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX documents_tenant_owner_idx ON public.documents (tenant_id, owner_id);
CREATE INDEX documents_tenant_visibility_idx ON public.documents (tenant_id, visibility);
CREATE INDEX documents_tenant_hash_idx ON public.documents (tenant_id, content_hash);

CREATE TABLE public.chunks (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id      uuid NOT NULL REFERENCES public.documents (id) ON DELETE CASCADE,
    tenant_id        text NOT NULL DEFAULT auth.tenant_id(),
    owner_id         text NOT NULL DEFAULT auth.user_id(),
    visibility       text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('tenant', 'private')),
    ordinal          integer NOT NULL CHECK (ordinal >= 0),
    heading          text NOT NULL DEFAULT '',
    content          text NOT NULL,
    token_count      integer NOT NULL DEFAULT 0,
    tsv              tsvector GENERATED ALWAYS AS (
                         setweight(to_tsvector('english', heading), 'A') || setweight(to_tsvector('english', content), 'B')) STORED,
    -- The vector beside its chunk: little-endian float32, with the model that made it, so a model change is detected.
    embedding        bytea,
    embedding_model  text,
    embedding_dims   integer,
    UNIQUE (document_id, ordinal),
    CHECK ((embedding IS NULL) = (embedding_model IS NULL) AND (embedding IS NULL) = (embedding_dims IS NULL)),
    CHECK (embedding IS NULL OR octet_length(embedding) = 4 * embedding_dims)
);

CREATE INDEX chunks_tenant_owner_idx ON public.chunks (tenant_id, owner_id);
CREATE INDEX chunks_tenant_visibility_idx ON public.chunks (tenant_id, visibility);
CREATE INDEX chunks_document_idx ON public.chunks (document_id);
CREATE INDEX chunks_tsv_idx ON public.chunks USING gin (tsv);

-- A per-tenant data version, bumped by every write to chunks, so in-process caches (the vector index) see a
-- write made by another process at their next query.
CREATE TABLE public.tenant_data_versions (
    tenant_id   text PRIMARY KEY DEFAULT auth.tenant_id(),
    version     bigint NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION tenantrag.bump_data_version() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    -- Statement-level with transition tables: one upsert per statement, whoever runs it (a tenant session
    -- or the admin deleting a tenant).
    IF TG_OP = 'DELETE' THEN
        INSERT INTO public.tenant_data_versions AS v (tenant_id)
        SELECT DISTINCT tenant_id FROM old_rows
        ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1, updated_at = now();
    ELSE
        INSERT INTO public.tenant_data_versions AS v (tenant_id)
        SELECT DISTINCT tenant_id FROM new_rows
        ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1, updated_at = now();
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION tenantrag.bump_data_version() FROM PUBLIC;

CREATE TRIGGER chunks_version_insert AFTER INSERT ON public.chunks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.bump_data_version();
CREATE TRIGGER chunks_version_update AFTER UPDATE ON public.chunks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.bump_data_version();
CREATE TRIGGER chunks_version_delete AFTER DELETE ON public.chunks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.bump_data_version();

-- Row-level security: enabled and forced (the owner is filtered too), policies TO authenticated only.
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents FORCE ROW LEVEL SECURITY;
ALTER TABLE public.chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.chunks FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenant_data_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenant_data_versions FORCE ROW LEVEL SECURITY;

-- (select auth.x()) is evaluated once per statement (an initplan), not once per row.
CREATE POLICY documents_select ON public.documents FOR SELECT TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()) AND (visibility = 'tenant' OR owner_id = (SELECT auth.user_id())));
CREATE POLICY documents_insert ON public.documents FOR INSERT TO authenticated
    WITH CHECK (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()));
CREATE POLICY documents_update ON public.documents FOR UPDATE TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()))
    WITH CHECK (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()));
CREATE POLICY documents_delete ON public.documents FOR DELETE TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()));

CREATE POLICY chunks_select ON public.chunks FOR SELECT TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()) AND (visibility = 'tenant' OR owner_id = (SELECT auth.user_id())));
CREATE POLICY chunks_insert ON public.chunks FOR INSERT TO authenticated
    WITH CHECK (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()));
CREATE POLICY chunks_update ON public.chunks FOR UPDATE TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()))
    WITH CHECK (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()));
CREATE POLICY chunks_delete ON public.chunks FOR DELETE TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()));

CREATE POLICY tenant_data_versions_select ON public.tenant_data_versions FOR SELECT TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()));
CREATE POLICY tenant_data_versions_insert ON public.tenant_data_versions FOR INSERT TO authenticated
    WITH CHECK (tenant_id = (SELECT auth.tenant_id()));
CREATE POLICY tenant_data_versions_update ON public.tenant_data_versions FOR UPDATE TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id())) WITH CHECK (tenant_id = (SELECT auth.tenant_id()));
-- Sessions get no DELETE grant on versions (a version only grows); the policy exists so every command has one.
CREATE POLICY tenant_data_versions_delete ON public.tenant_data_versions FOR DELETE TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON public.documents, public.chunks TO authenticated;
GRANT SELECT, INSERT, UPDATE ON public.tenant_data_versions TO authenticated;
GRANT USAGE ON SEQUENCE public.chunks_id_seq TO authenticated;
