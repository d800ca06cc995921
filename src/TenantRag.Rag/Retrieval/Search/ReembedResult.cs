using TenantRag.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>What a re-embedding run did.</summary>
public sealed record ReembedResult
{
    /// <summary>The tenant.</summary>
    public required TenantSlug Tenant { get; init; }

    /// <summary>The model the chunks now have vectors of.</summary>
    public required EmbeddingModel Model { get; init; }

    /// <summary>The owners whose chunks were looked at.</summary>
    public required IReadOnlyList<UserId> Owners { get; init; }

    /// <summary>Chunks re-embedded.</summary>
    public required int Chunks { get; init; }

    /// <summary>Chunks left as they were because they have no text to embed.</summary>
    public int Skipped { get; init; }

    /// <summary>Wall time, in seconds.</summary>
    public required double Seconds { get; init; }
}
