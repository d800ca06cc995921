using TenantRag.Rag.Ingestion.Extraction;

namespace TenantRag.Rag.Ingestion.Chunking;

/// <summary>Splits extracted documents into chunks for embedding.</summary>
public interface IDocumentChunker
{
    /// <summary>Splits <paramref name="document"/> into chunks, ordered, with ordinals starting at 0.</summary>
    /// <param name="document">The document; sections with blank text produce no chunks.</param>
    /// <param name="cancellationToken">Stops chunking a long document (checked between paragraphs and chunks).</param>
    /// <returns>The chunks; empty when the document has no text.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    IReadOnlyList<DocumentChunk> Chunk(ExtractedDocument document, CancellationToken cancellationToken = default);
}
