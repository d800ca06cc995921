namespace TenantRag.Rag.Ingestion.Chunking;

/// <summary>Sizes for <see cref="TokenAwareChunker"/>, in tokens of the embedding model's tokenizer.</summary>
public sealed class ChunkingOptions
{
    /// <summary>
    /// The size chunks are filled to, in tokens (default 200). A chunk is closed before the sentence that would take
    /// it past this size, preferably at a paragraph end.
    /// </summary>
    public int TargetTokens { get; set; } = 200;

    /// <summary>
    /// The fraction of <see cref="TargetTokens"/> repeated at the start of the next chunk of the same section
    /// (default 0.15, i.e. about 30 tokens): whole trailing sentences of the previous chunk, or its trailing words
    /// when its last sentence is too long. 0 disables overlap; must be below 0.5.
    /// </summary>
    public double OverlapRatio { get; set; } = 0.15;

    /// <summary>
    /// The hard cap on a chunk's token count (default 256); must be at least <see cref="TargetTokens"/>.
    /// Chunks may grow past the target up to this cap to avoid leaving a tiny tail at the end of a section.
    /// Only a single word longer than the cap (for example a long URL or base64 blob) is ever cut inside.
    /// </summary>
    public int MaxTokens { get; set; } = 256;

    /// <summary>
    /// When <see langword="true"/> (default), consecutive small sections of a document are merged into one chunk
    /// while the total stays within <see cref="TargetTokens"/>; the merged chunk carries the first section's heading.
    /// </summary>
    public bool MergeSmallSections { get; set; } = true;

    /// <summary>The number of overlap tokens aimed for: <see cref="TargetTokens"/> × <see cref="OverlapRatio"/>, rounded.</summary>
    public int OverlapTokens => (int)Math.Round(TargetTokens * OverlapRatio, MidpointRounding.AwayFromZero);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when the options are inconsistent.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(TargetTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTokens, TargetTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(OverlapRatio);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(OverlapRatio, 0.5);
    }
}
