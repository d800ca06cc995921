namespace TenantRag.Rag.Evaluation;

/// <summary>What one evaluation query returned, and where its time went.</summary>
public sealed record RetrievedDocuments
{
    /// <summary>
    /// The external ids (BEIR <c>_id</c>, or a page's path for a question set) of the documents of the returned results, best first: one per chunk (a
    /// document may repeat; it ranks at its first appearance) or one per document.
    /// </summary>
    public required IReadOnlyList<string?> DocumentIds { get; init; }

    /// <summary>Milliseconds per stage of the search (e.g. <c>embedding</c>, <c>lexical</c>), when the retriever reports them.</summary>
    public IReadOnlyDictionary<string, double> StageMs { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// When the retriever compares several settings on each query (a fusion grid): the documents under each, in the same
    /// order for every query, the first being <see cref="DocumentIds"/>. Empty otherwise.
    /// </summary>
    public IReadOnlyList<RetrievedVariant> Variants { get; init; } = [];
}
