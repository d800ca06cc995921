-- Quotas (issue 15): a tenant's limits live in the catalog (tenantrag.tenants.quotas), and every tenant session carries
-- them in the transaction-local setting tenantrag.quotas (a JSON object, set beside the tenant id; '' or absent: none).
-- These triggers check them in the transaction that does the work, where a tenant session alone could not: the counts
-- are the tenant's, colleagues' private documents and uploads included, which row-level security hides from a user.
-- They run as the admin (the owner, which reads past the policies) and read nothing but counts of the session's own
-- tenant; no role may EXECUTE them (a trigger needs no grant). They do not fire in a move's replication apply worker,
-- nor for the admin's own writes (which carry no quotas).

-- A document written past max_documents or max_bytes rolls its transaction back. Two transactions storing documents
-- of one tenant take turns on the tenant's data-version row (which their chunks' statement trigger writes anyway, and
-- which replacing a document has already locked by deleting the old one's chunks, so the order is always the same),
-- and each counts after the other committed: concurrent uploads that together would cross a quota cannot both get in.
CREATE FUNCTION tenantrag.check_document_quotas() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    quotas jsonb := nullif(current_setting('tenantrag.quotas', true), '')::jsonb;
    max_documents bigint := (quotas ->> 'max_documents')::bigint;
    max_bytes bigint := (quotas ->> 'max_bytes')::bigint;
    tenant text;
    added_documents bigint;
    added_bytes bigint;
    stored_documents bigint;
    stored_bytes bigint;
BEGIN
    IF max_documents IS NULL AND max_bytes IS NULL THEN
        RETURN NULL;
    END IF;

    FOR tenant, added_documents, added_bytes IN
        SELECT tenant_id, count(*), coalesce(sum(byte_size), 0)::bigint FROM changed_rows GROUP BY tenant_id
    LOOP
        INSERT INTO public.tenant_data_versions AS v (tenant_id) VALUES (tenant)
            ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1, updated_at = now();
        -- A statement of its own, so a snapshot of its own: taken once the row above is ours, it sees what the
        -- writer we waited for committed.
        SELECT count(*), coalesce(sum(byte_size), 0)::bigint INTO stored_documents, stored_bytes
            FROM public.documents WHERE tenant_id = tenant;
        IF stored_documents > max_documents THEN
            RAISE EXCEPTION USING ERRCODE = 'TQ001', MESSAGE = format('tenant quota exceeded: max_documents limit=%s used=%s adding=%s',
                max_documents, stored_documents - added_documents, added_documents);
        END IF;
        IF stored_bytes > max_bytes THEN
            RAISE EXCEPTION USING ERRCODE = 'TQ001', MESSAGE = format('tenant quota exceeded: max_bytes limit=%s used=%s adding=%s',
                max_bytes, stored_bytes - added_bytes, added_bytes);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION tenantrag.check_document_quotas() FROM PUBLIC;

CREATE TRIGGER documents_quota_insert AFTER INSERT ON public.documents
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_document_quotas();

-- An upload is refused when it is submitted, before its bytes are stored: when the tenant already has
-- max_concurrent_uploads jobs queued or running (submissions of one tenant take turns on an advisory lock, so two
-- cannot both take the last one), or when what it stores and the upload's size would pass max_bytes, or it is at
-- max_documents. The storing transaction checks again (above): uploads accepted at once may not all fit.
CREATE FUNCTION tenantrag.check_upload_quotas() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    quotas jsonb := nullif(current_setting('tenantrag.quotas', true), '')::jsonb;
    max_uploads bigint := (quotas ->> 'max_concurrent_uploads')::bigint;
    max_documents bigint := (quotas ->> 'max_documents')::bigint;
    max_bytes bigint := (quotas ->> 'max_bytes')::bigint;
    tenant text;
    added_jobs bigint;
    added_bytes bigint;
    unfinished bigint;
    stored_documents bigint;
    stored_bytes bigint;
BEGIN
    IF max_uploads IS NULL AND max_documents IS NULL AND max_bytes IS NULL THEN
        RETURN NULL;
    END IF;

    FOR tenant, added_jobs, added_bytes IN
        SELECT tenant_id, count(*), coalesce(sum(byte_size), 0)::bigint FROM changed_rows GROUP BY tenant_id
    LOOP
        IF max_uploads IS NOT NULL THEN
            PERFORM pg_advisory_xact_lock(hashtextextended('tenantrag.uploads:' || tenant, 0));
            SELECT count(*) INTO unfinished FROM public.ingest_jobs WHERE tenant_id = tenant AND status IN ('queued', 'running');
            IF unfinished > max_uploads THEN
                RAISE EXCEPTION USING ERRCODE = 'TQ001', MESSAGE = format('tenant quota exceeded: max_concurrent_uploads limit=%s used=%s adding=%s',
                    max_uploads, unfinished - added_jobs, added_jobs);
            END IF;
        END IF;
        IF max_documents IS NOT NULL OR max_bytes IS NOT NULL THEN
            SELECT count(*), coalesce(sum(byte_size), 0)::bigint INTO stored_documents, stored_bytes
                FROM public.documents WHERE tenant_id = tenant;
            IF stored_documents + added_jobs > max_documents THEN
                RAISE EXCEPTION USING ERRCODE = 'TQ001', MESSAGE = format('tenant quota exceeded: max_documents limit=%s used=%s adding=%s',
                    max_documents, stored_documents, added_jobs);
            END IF;
            IF stored_bytes + added_bytes > max_bytes THEN
                RAISE EXCEPTION USING ERRCODE = 'TQ001', MESSAGE = format('tenant quota exceeded: max_bytes limit=%s used=%s adding=%s',
                    max_bytes, stored_bytes, added_bytes);
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION tenantrag.check_upload_quotas() FROM PUBLIC;

CREATE TRIGGER ingest_jobs_quota_insert AFTER INSERT ON public.ingest_jobs
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION tenantrag.check_upload_quotas();
