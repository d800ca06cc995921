namespace TenantRag.Documents;

/// <summary>A chunk about to be stored with its document.</summary>
public sealed record NewChunk
{
    /// <summary>Position in the document, from 0.</summary>
    public required int Ordinal { get; init; }

    /// <summary>Document title and section heading path: context that is searched with the text.</summary>
    public required string Heading { get; init; }

    /// <summary>The chunk text.</summary>
    public required string Content { get; init; }

    /// <summary>Tokens in <see cref="Content"/> by the embedding model's tokenizer.</summary>
    public int TokenCount { get; init; }

    /// <summary>SHA-256 (hex) of what was embedded, so an unchanged chunk's vector can be reused.</summary>
    public required string ContentHash { get; init; }

    /// <summary>The vector, unit length, or null when not embedded.</summary>
    public ReadOnlyMemory<float>? Embedding { get; init; }
}
