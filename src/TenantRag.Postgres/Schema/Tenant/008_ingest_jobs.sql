-- Uploads are durable jobs. POST /v1/documents stores the raw upload (in parts of at most 1 MiB) and its job row in
-- one transaction of the uploader's tenant session, under row-level security like every tenant row, and answers
-- 202. Workers claim jobs with a lease (FOR UPDATE SKIP LOCKED), so several serving processes share the work and a
-- job whose worker died is taken up again once its lease expires; documents are stored under their source key, so
-- a job run twice stores each document once. A job is visible like the documents it makes: to its tenant when its
-- visibility is 'tenant', to its owner only when 'private'. Sessions may create and read jobs; everything else (the
-- claim, progress, completion) is the workers' (the admin role's) work.
CREATE TABLE public.ingest_jobs (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         text NOT NULL DEFAULT auth.tenant_id() CONSTRAINT ingest_jobs_tenant_fk REFERENCES tenantrag.tenant_registry (id),
    owner_id          text NOT NULL DEFAULT auth.user_id(),
    visibility        text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('tenant', 'private')),
    status            text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    stage             text NOT NULL DEFAULT 'queued',
    file_name         text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    source            text NOT NULL,
    title             text CHECK (length(title) BETWEEN 1 AND 1000),
    media_type        text NOT NULL,
    byte_size         bigint NOT NULL CHECK (byte_size >= 0),
    parts             integer NOT NULL CHECK (parts >= 0),
    chunks_done       integer NOT NULL DEFAULT 0,
    chunks_total      integer NOT NULL DEFAULT 0,
    document_ids      uuid[] NOT NULL DEFAULT '{}',
    result            jsonb,
    error_reason      text,
    error_message     text,
    attempt           integer NOT NULL DEFAULT 0,
    lease_owner       text,
    lease_expires_at  timestamptz,
    not_before        timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ingest_jobs_unfinished_idx ON public.ingest_jobs (tenant_id, created_at) WHERE status IN ('queued', 'running');
CREATE INDEX ingest_jobs_tenant_owner_idx ON public.ingest_jobs (tenant_id, owner_id, created_at DESC);
CREATE INDEX ingest_jobs_tenant_visibility_idx ON public.ingest_jobs (tenant_id, visibility);
CREATE INDEX ingest_jobs_finished_idx ON public.ingest_jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE public.ingest_job_parts (
    job_id     uuid NOT NULL REFERENCES public.ingest_jobs (id) ON DELETE CASCADE,
    part       integer NOT NULL CHECK (part >= 0),
    tenant_id  text NOT NULL DEFAULT auth.tenant_id() CONSTRAINT ingest_job_parts_tenant_fk REFERENCES tenantrag.tenant_registry (id),
    owner_id   text NOT NULL DEFAULT auth.user_id(),
    content    bytea NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 1048576),
    PRIMARY KEY (job_id, part)
);

CREATE INDEX ingest_job_parts_tenant_owner_idx ON public.ingest_job_parts (tenant_id, owner_id);

ALTER TABLE public.ingest_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.ingest_jobs FORCE ROW LEVEL SECURITY;
ALTER TABLE public.ingest_job_parts ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.ingest_job_parts FORCE ROW LEVEL SECURITY;

CREATE POLICY ingest_jobs_select ON public.ingest_jobs FOR SELECT TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()) AND (visibility = 'tenant' OR owner_id = (SELECT auth.user_id())));
CREATE POLICY ingest_jobs_insert ON public.ingest_jobs FOR INSERT TO authenticated
    WITH CHECK (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()) AND status = 'queued'
        AND attempt = 0 AND lease_owner IS NULL AND document_ids = '{}' AND result IS NULL AND error_reason IS NULL);

-- The raw upload is its owner's alone (the worker reads it in the owner's session).
CREATE POLICY ingest_job_parts_select ON public.ingest_job_parts FOR SELECT TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()));
CREATE POLICY ingest_job_parts_insert ON public.ingest_job_parts FOR INSERT TO authenticated
    WITH CHECK (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()));

GRANT SELECT, INSERT ON public.ingest_jobs, public.ingest_job_parts TO authenticated;
