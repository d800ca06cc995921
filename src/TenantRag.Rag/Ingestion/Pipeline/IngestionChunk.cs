namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>A chunk of a document on its way to the store: what is stored, what is embedded, and (after <c>embed</c>) the vector.</summary>
public sealed record IngestionChunk
{
    /// <summary>Position in the document, from 0.</summary>
    public required int Ordinal { get; init; }

    /// <summary>The document title, then the section's heading path: <c>Title &gt; Section &gt; Subsection</c>.</summary>
    public required string Heading { get; init; }

    /// <summary>The chunk text as cut by the chunker.</summary>
    public required string Content { get; init; }

    /// <summary>Tokens in <see cref="Content"/> by the embedding model's tokenizer.</summary>
    public required int TokenCount { get; init; }

    /// <summary>What the model embeds: the heading (cut to <see cref="IngestionPipelineOptions.MaxEmbeddedHeadingLength"/>), a line break, the content.</summary>
    public required string EmbeddingText { get; init; }

    /// <summary>SHA-256 (hex) of the model name and <see cref="EmbeddingText"/>: the key under which a stored vector is reused.</summary>
    public required string ContentHash { get; init; }

    /// <summary>The unit-length vector, once embedded or reused.</summary>
    public ReadOnlyMemory<float>? Embedding { get; init; }
}
