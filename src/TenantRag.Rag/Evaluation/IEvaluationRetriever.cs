using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>Runs one evaluation query in the caller's tenant.</summary>
public interface IEvaluationRetriever
{
    /// <summary>Short name for reports, e.g. <c>hybrid</c>.</summary>
    string Name { get; }

    /// <summary>The settings that shape its ranking (e.g. fusion weights), for reports; empty when there are none.</summary>
    IReadOnlyDictionary<string, double> Settings { get; }

    /// <summary>The returned documents, enough for 10 distinct ones, with stage timings if known.</summary>
    Task<RetrievedDocuments> SearchAsync(TenantContext context, string query, CancellationToken cancellationToken = default);
}
