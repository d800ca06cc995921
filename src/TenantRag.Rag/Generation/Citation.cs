namespace TenantRag.Rag.Generation;

/// <summary>A numbered source of an answer: the <c>[n]</c> markers in the answer text refer to <see cref="Number"/>.</summary>
public sealed record Citation
{
    /// <summary>The number the answer text cites it by, from 1.</summary>
    public required int Number { get; init; }

    /// <summary>The document's title.</summary>
    public required string DocumentTitle { get; init; }

    /// <summary>The document's id.</summary>
    public required Guid DocumentId { get; init; }

    /// <summary>The document's external id (e.g. a BEIR <c>_id</c>), if any.</summary>
    public string? ExternalId { get; init; }

    /// <summary>The chunk's position in its document, from 0.</summary>
    public required int ChunkOrdinal { get; init; }

    /// <summary>The chunk's id.</summary>
    public required long ChunkId { get; init; }

    /// <summary>
    /// The chunk's text: a passage of the document's extracted text, character for character (a chunk merging small
    /// sections is their passages a blank line apart), so a reader can find and mark it there.
    /// </summary>
    public required string Passage { get; init; }
}
