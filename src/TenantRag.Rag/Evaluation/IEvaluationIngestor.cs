using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>Puts an evaluation corpus into a tenant the way <c>tenantrag ingest</c> would, and says what that cost.</summary>
public interface IEvaluationIngestor
{
    /// <summary>
    /// Ingests <paramref name="documents"/> into the caller's tenant. Documents already stored with the same content
    /// are left alone, so a second run only pays for what changed.
    /// </summary>
    Task<EvaluationIngestion> IngestAsync(TenantContext context, IReadOnlyList<BeirDocument> documents, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="count"/> texts exactly as ingestion would hand them to the embedding model (chunked, with
    /// their context), taken from the first of <paramref name="documents"/>: the sample for the raw embedding throughput.
    /// </summary>
    Task<IReadOnlyList<string>> EmbeddingInputsAsync(IReadOnlyList<BeirDocument> documents, int count, CancellationToken cancellationToken = default);
}
