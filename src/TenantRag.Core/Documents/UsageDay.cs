namespace TenantRag.Documents;

/// <summary>
/// One UTC day of a tenant's metered usage: what it stored at the end of the day and how that changed during it, and
/// the work done that day. Days on which nothing was metered have no row (what is stored is then the previous row's).
/// </summary>
public sealed record UsageDay
{
    /// <summary>The UTC day.</summary>
    public required DateOnly Day { get; init; }

    /// <summary>Documents stored at the end of the day.</summary>
    public required long Documents { get; init; }

    /// <summary>Chunks stored at the end of the day.</summary>
    public required long Chunks { get; init; }

    /// <summary>Bytes of the originals stored at the end of the day.</summary>
    public required long Bytes { get; init; }

    /// <summary>Documents added less documents deleted that day.</summary>
    public required long DocumentsChange { get; init; }

    /// <summary>Chunks added less chunks deleted that day.</summary>
    public required long ChunksChange { get; init; }

    /// <summary>Bytes added less bytes deleted that day.</summary>
    public required long BytesChange { get; init; }

    /// <summary>Searches and questions answered that day.</summary>
    public required long Queries { get; init; }

    /// <summary>Tokens embedded that day: the chunks stored or re-embedded with a vector, and the queries.</summary>
    public required long EmbeddingTokens { get; init; }

    /// <summary>Tokens of the answers a chat model wrote that day.</summary>
    public required long GeneratedTokens { get; init; }
}
