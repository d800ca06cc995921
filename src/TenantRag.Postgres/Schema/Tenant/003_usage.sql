-- Per-tenant usage counters (queries answered, tokens processed), under the same tenant policies.
CREATE TABLE public.tenant_usage (
    tenant_id   text PRIMARY KEY DEFAULT auth.tenant_id(),
    queries     bigint NOT NULL DEFAULT 0,
    tokens      bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE public.tenant_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenant_usage FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_usage_select ON public.tenant_usage FOR SELECT TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()));
CREATE POLICY tenant_usage_insert ON public.tenant_usage FOR INSERT TO authenticated
    WITH CHECK (tenant_id = (SELECT auth.tenant_id()));
CREATE POLICY tenant_usage_update ON public.tenant_usage FOR UPDATE TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id())) WITH CHECK (tenant_id = (SELECT auth.tenant_id()));
CREATE POLICY tenant_usage_delete ON public.tenant_usage FOR DELETE TO authenticated
    USING (tenant_id = (SELECT auth.tenant_id()));

GRANT SELECT, INSERT, UPDATE ON public.tenant_usage TO authenticated;
