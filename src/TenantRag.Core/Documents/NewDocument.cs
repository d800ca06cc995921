namespace TenantRag.Documents;

/// <summary>A document about to be stored, owned by the session's user.</summary>
public sealed record NewDocument
{
    /// <summary>Its title (1 to 1000 characters).</summary>
    public required string Title { get; init; }

    /// <summary>Where it came from (a file name, or <c>file#id</c> for one line of a multi-document file); re-ingesting the same source replaces it.</summary>
    public required string Source { get; init; }

    /// <summary>An id from the source (e.g. a BEIR <c>_id</c>), if any.</summary>
    public string? ExternalId { get; init; }

    /// <summary>SHA-256 (hex) of the content: the same hash again makes ingesting a no-op.</summary>
    public required string ContentHash { get; init; }

    /// <summary>MIME type of the original.</summary>
    public string ContentType { get; init; } = "text/plain";

    /// <summary>Size of the original in bytes.</summary>
    public long ByteSize { get; init; }

    /// <summary>The name of the file it came from, as its owner knows it; null for text sent without a file.</summary>
    public string? FileName { get; init; }

    /// <summary>The extracted text, kept so that it can be read back (<see cref="DocumentContent"/>); chunks overlap, so they cannot give it back exactly.</summary>
    public string? Text { get; init; }

    /// <summary>Who may see it.</summary>
    public DocumentVisibility Visibility { get; init; } = DocumentVisibility.Tenant;
}
