namespace TenantRag.Rag.Evaluation;

/// <summary>One line of a BEIR <c>corpus.jsonl</c>.</summary>
public sealed record BeirDocument
{
    /// <summary>The <c>_id</c> (a JSON number keeps its literal text).</summary>
    public required string Id { get; init; }

    /// <summary>The title; may be empty.</summary>
    public required string Title { get; init; }

    /// <summary>The text.</summary>
    public required string Text { get; init; }
}
