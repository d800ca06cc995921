-- Ingestion: a document is identified inside its tenant by its owner and source (file name, or file#id for
-- multi-document files), so re-ingesting replaces it; chunks carry a content hash so their vectors can be reused.
CREATE UNIQUE INDEX documents_source_uq ON public.documents (tenant_id, owner_id, source) WHERE source IS NOT NULL;

ALTER TABLE public.chunks ADD COLUMN content_hash text;
CREATE INDEX chunks_tenant_hash_idx ON public.chunks (tenant_id, content_hash) WHERE embedding IS NOT NULL;
