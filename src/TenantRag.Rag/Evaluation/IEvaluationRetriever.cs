using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>Runs one evaluation query in the caller's tenant.</summary>
public interface IEvaluationRetriever
{
    /// <summary>Short name for reports, e.g. <c>hybrid</c>.</summary>
    string Name { get; }

    /// <summary>The settings that shape its ranking (e.g. fusion weights), for reports; empty when there are none.</summary>
    IReadOnlyDictionary<string, double> Settings { get; }

    /// <summary>
    /// The external ids (BEIR <c>_id</c>) of the documents of the returned results, best first: one per chunk (a
    /// document may repeat; it ranks at its first appearance) or one per document. Enough results for 10 documents.
    /// </summary>
    Task<IReadOnlyList<string?>> SearchAsync(TenantContext context, string query, CancellationToken cancellationToken = default);
}
