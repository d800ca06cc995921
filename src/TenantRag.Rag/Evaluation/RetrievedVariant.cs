namespace TenantRag.Rag.Evaluation;

/// <summary>What one evaluation query returned under one of several retrieval settings compared at once (a fusion grid).</summary>
public sealed record RetrievedVariant
{
    /// <summary>The setting (e.g. <c>rrfK</c>, <c>lexicalWeight</c>), as <see cref="IEvaluationRetriever.Settings"/> names them.</summary>
    public required IReadOnlyDictionary<string, double> Settings { get; init; }

    /// <summary>The documents returned under it, as <see cref="RetrievedDocuments.DocumentIds"/>.</summary>
    public required IReadOnlyList<string?> DocumentIds { get; init; }
}
