namespace TenantRag.Rag.Evaluation;

/// <summary>One line of a BEIR queries file.</summary>
public sealed record BeirQuery
{
    /// <summary>The <c>_id</c>, as the qrels name it.</summary>
    public required string Id { get; init; }

    /// <summary>The query text.</summary>
    public required string Text { get; init; }
}
