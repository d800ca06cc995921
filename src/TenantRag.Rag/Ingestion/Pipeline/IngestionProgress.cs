namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>A snapshot of a running ingestion, reported after every file read and every document finished.</summary>
public sealed record IngestionProgress
{
    /// <summary>Files in the request.</summary>
    public required int FilesTotal { get; init; }

    /// <summary>Files read (extracted or rejected).</summary>
    public required int FilesRead { get; init; }

    /// <summary>
    /// Documents expected: those found in the files read so far, plus one for each file not read yet (exact once
    /// every file is read).
    /// </summary>
    public required int DocumentsTotal { get; init; }

    /// <summary>Documents finished: stored, unchanged, or failed.</summary>
    public required int DocumentsDone { get; init; }

    /// <summary>Documents added so far.</summary>
    public required int Added { get; init; }

    /// <summary>Documents replaced so far.</summary>
    public required int Replaced { get; init; }

    /// <summary>Documents found unchanged so far.</summary>
    public required int Unchanged { get; init; }

    /// <summary>Files and documents rejected so far.</summary>
    public required int Rejected { get; init; }

    /// <summary>Chunks stored so far.</summary>
    public required long Chunks { get; init; }

    /// <summary>
    /// Chunks of the documents chunked so far that need a vector (documents found unchanged need none): exact once
    /// every document is chunked.
    /// </summary>
    public long ChunksToEmbed { get; init; }

    /// <summary>Of <see cref="ChunksToEmbed"/>, the chunks that have their vector (embedded, or an identical chunk's reused).</summary>
    public long ChunksEmbedded { get; init; }

    /// <summary>Time since the run started.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary><see cref="Chunks"/> per second of <see cref="Elapsed"/>.</summary>
    public double ChunksPerSecond => Elapsed.TotalSeconds > 0 ? Chunks / Elapsed.TotalSeconds : 0;

    /// <summary>The rejection this report announces, if it announces one.</summary>
    public IngestionRejection? Rejection { get; init; }
}
