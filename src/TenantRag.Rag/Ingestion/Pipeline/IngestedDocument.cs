using TenantRag.Documents;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>A document an ingestion run wrote.</summary>
/// <param name="Source">Where it came from (the file's relative path, or the corpus line's source key).</param>
/// <param name="Id">Its id.</param>
/// <param name="Outcome">Added or replaced.</param>
public sealed record IngestedDocument(string Source, Guid Id, StoreOutcome Outcome);
