-- A cold tenant's first search, made cheaper in the database (issue 15: a 10,000-chunk tenant answers within 100 ms).
--
-- 1. Which embedding models a user's visible chunks have is asked once per data version by every search (a query
--    embedded with another model must not be compared with them). Counting them read every chunk row of the tenant
--    (about 10 ms for 10,000 chunks); with this index the distinct models are found by one index probe per model
--    (ChunkStore.DistinctEmbeddingModelsAsync), visibility and owner included so row-level security is checked from the
--    index alone.
CREATE INDEX chunks_tenant_model_idx ON public.chunks (tenant_id, embedding_model, embedding_dims, visibility, owner_id)
    WHERE embedding IS NOT NULL;

-- 2. Index snapshots are binary (int8 vectors, narrowed numbers): stored out of line without compression, a read is a
--    copy instead of a decompression of megabytes.
ALTER TABLE public.index_snapshots ALTER COLUMN bytes SET STORAGE EXTERNAL;
