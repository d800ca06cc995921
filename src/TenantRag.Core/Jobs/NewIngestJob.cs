using TenantRag.Documents;

namespace TenantRag.Jobs;

/// <summary>An upload to store as a job, before it has an id.</summary>
public sealed record NewIngestJob
{
    /// <summary>The file name extraction sees: its extension picks the extractor (1-255 characters).</summary>
    public required string FileName { get; init; }

    /// <summary>The source key its documents are stored under (re-uploading the same source replaces them).</summary>
    public required string Source { get; init; }

    /// <summary>The title every document gets (a JSON upload's), or null to keep the extracted one.</summary>
    public string? Title { get; init; }

    /// <summary>The media type (from the extension).</summary>
    public required string MediaType { get; init; }

    /// <summary>Who may see the job and the documents it makes.</summary>
    public required DocumentVisibility Visibility { get; init; }

    /// <summary>The upload's size in bytes: exactly what the content stream holds.</summary>
    public required long ByteSize { get; init; }
}
