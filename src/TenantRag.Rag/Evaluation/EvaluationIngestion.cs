namespace TenantRag.Rag.Evaluation;

/// <summary>What ingesting an evaluation corpus into one or more tenants did and how long it took.</summary>
public sealed record EvaluationIngestion
{
    /// <summary>Nothing ingested yet.</summary>
    public static EvaluationIngestion None { get; } = new();

    /// <summary>Documents offered.</summary>
    public int Documents { get; init; }

    /// <summary>Documents added or replaced.</summary>
    public int DocumentsStored { get; init; }

    /// <summary>Documents already stored with the same content, skipped.</summary>
    public int DocumentsUnchanged { get; init; }

    /// <summary>Documents the pipeline refused in a way the corpus expects (a page that only redirects to another).</summary>
    public int DocumentsRefused { get; init; }

    /// <summary>Chunks of the added or replaced documents.</summary>
    public long Chunks { get; init; }

    /// <summary>Chunks that went through the embedding model (the rest reused a stored vector of the same text).</summary>
    public long ChunksEmbedded { get; init; }

    /// <summary>Wall time of the ingestion.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Sums two ingestions that ran one after the other.</summary>
    public EvaluationIngestion Add(EvaluationIngestion other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new()
        {
            Documents = Documents + other.Documents,
            DocumentsStored = DocumentsStored + other.DocumentsStored,
            DocumentsUnchanged = DocumentsUnchanged + other.DocumentsUnchanged,
            DocumentsRefused = DocumentsRefused + other.DocumentsRefused,
            Chunks = Chunks + other.Chunks,
            ChunksEmbedded = ChunksEmbedded + other.ChunksEmbedded,
            Elapsed = Elapsed + other.Elapsed,
        };
    }
}
