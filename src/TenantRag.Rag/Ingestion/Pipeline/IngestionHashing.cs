using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TenantRag.Documents;
using TenantRag.Rag.Ingestion.Chunking;
using TenantRag.Rag.Ingestion.Extraction;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>The content hashes that make re-ingesting cheap: one per document, one per chunk.</summary>
internal static class IngestionHashing
{
    // Bump when what the pipeline stores for the same text changes (heading format, embedded text), so every
    // document is rebuilt on its next ingest instead of being skipped as unchanged.
    private const string FormatVersion = "tenantrag-ingest/1";

    /// <summary>
    /// Everything besides the text that decides what gets stored: the format, the model and the chunk sizes. Part of
    /// every document hash, so re-ingesting after a model or chunking change rebuilds the document.
    /// </summary>
    public static string Recipe(EmbeddingModel model, ChunkingOptions chunking, int maxEmbeddedHeadingLength) => string.Create(
        CultureInfo.InvariantCulture,
        $"{FormatVersion};model={model.Name};dims={model.Dimensions};chunks={chunking.TargetTokens}/{chunking.OverlapRatio:R}/{chunking.MaxTokens}/{chunking.MergeSmallSections};heading={maxEmbeddedHeadingLength}");

    /// <summary>
    /// SHA-256 (hex) of the recipe, the visibility and the normalised extracted text (title, then each section's
    /// heading path and text, with line endings unified and surrounding whitespace trimmed). The visibility is in it
    /// so that re-ingesting a file as private (or as tenant) is a change, not a no-op.
    /// </summary>
    public static string Document(string recipe, DocumentVisibility visibility, ExtractedDocument document)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, recipe);
        Append(hash, "\u001e");
        Append(hash, visibility.ToName());
        Append(hash, "\u001e");
        Append(hash, Normalize(document.Title));
        foreach (var section in document.Sections)
        {
            Append(hash, "\u001e");
            Append(hash, Normalize(section.HeadingPath ?? string.Empty));
            Append(hash, "\u001f");
            Append(hash, Normalize(section.Text));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>SHA-256 (hex) of the model name and the embedded text: the same text under the same model reuses its vector.</summary>
    public static string Chunk(string modelName, string embeddingText) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelName + "\n" + embeddingText)));

    private static string Normalize(string text) => text.ReplaceLineEndings("\n").Trim();

    private static void Append(IncrementalHash hash, string text) => hash.AppendData(Encoding.UTF8.GetBytes(text));
}
