-- What people need to manage their documents: the name of the file a document came from (NULL for text sent without
-- a file), and its extracted text, written in the same transaction as the document and its chunks. Chunks overlap, so
-- the text cannot be put back together from them exactly; it is stored once instead (TOAST compresses it and keeps it
-- out of the row, so listing documents never reads it). Both are new columns of documents, under its policies.
-- Documents stored before this migration have no text (NULL): ingesting their file again stores it.
ALTER TABLE public.documents ADD COLUMN file_name text CHECK (file_name IS NULL OR length(file_name) BETWEEN 1 AND 1000);
ALTER TABLE public.documents ADD COLUMN extracted_text text;

-- Lists page newest first, the id breaking ties (keyset pagination), one tenant at a time.
CREATE INDEX documents_tenant_created_idx ON public.documents (tenant_id, created_at DESC, id DESC);
