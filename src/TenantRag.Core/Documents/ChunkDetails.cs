namespace TenantRag.Documents;

/// <summary>A stored chunk with its document, as search results and citations show it.</summary>
public sealed record ChunkDetails
{
    /// <summary>Chunk id.</summary>
    public required long Id { get; init; }

    /// <summary>Its document.</summary>
    public required Guid DocumentId { get; init; }

    /// <summary>The document's title.</summary>
    public required string DocumentTitle { get; init; }

    /// <summary>The document's source.</summary>
    public string? Source { get; init; }

    /// <summary>The document's external id (e.g. a BEIR <c>_id</c>).</summary>
    public string? ExternalId { get; init; }

    /// <summary>Position in the document.</summary>
    public required int Ordinal { get; init; }

    /// <summary>Heading context.</summary>
    public required string Heading { get; init; }

    /// <summary>The text.</summary>
    public required string Content { get; init; }

    /// <summary>Who may see it.</summary>
    public required DocumentVisibility Visibility { get; init; }
}
