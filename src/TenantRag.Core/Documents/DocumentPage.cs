namespace TenantRag.Documents;

/// <summary>One page of the documents a caller may see, newest first.</summary>
public sealed record DocumentPage
{
    /// <summary>The documents of this page, at most the query's limit.</summary>
    public required IReadOnlyList<DocumentSummary> Documents { get; init; }

    /// <summary>The cursor of the next page, or null when this is the last one.</summary>
    public string? Next { get; init; }
}
