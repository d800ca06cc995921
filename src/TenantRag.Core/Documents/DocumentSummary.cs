namespace TenantRag.Documents;

/// <summary>A document as listed to a user who may see it.</summary>
public sealed record DocumentSummary
{
    /// <summary>The document id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The tenant it belongs to.</summary>
    public required string TenantId { get; init; }

    /// <summary>Its title.</summary>
    public required string Title { get; init; }

    /// <summary>The user who owns it.</summary>
    public required string OwnerId { get; init; }

    /// <summary>Who may see it.</summary>
    public required DocumentVisibility Visibility { get; init; }

    /// <summary>When it was added.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The name of the file it came from (for one document of a <c>.jsonl</c>, that file's); null for text sent without a file.</summary>
    public string? FileName { get; init; }

    /// <summary>The media type of the original (<c>text/markdown</c>, <c>application/pdf</c>, ...).</summary>
    public string MediaType { get; init; } = "text/plain";

    /// <summary>Bytes of the original: the file, or for one document of a <c>.jsonl</c> its line.</summary>
    public long ByteSize { get; init; }
}
