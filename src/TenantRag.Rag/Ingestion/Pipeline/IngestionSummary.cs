using TenantRag.Documents;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>What a run of <see cref="IngestionPipeline.IngestAsync"/> did.</summary>
public sealed record IngestionSummary
{
    /// <summary>The model the vectors were made with.</summary>
    public required EmbeddingModel Model { get; init; }

    /// <summary>Files in the request.</summary>
    public required int Files { get; init; }

    /// <summary>Documents found in the files that were read.</summary>
    public required int Documents { get; init; }

    /// <summary>Documents stored for the first time.</summary>
    public required int Added { get; init; }

    /// <summary>Documents whose source held other content: their chunks were replaced atomically.</summary>
    public required int Replaced { get; init; }

    /// <summary>Documents with the same content hash as stored: nothing was embedded or written.</summary>
    public required int Unchanged { get; init; }

    /// <summary>Files and documents that were not ingested, with the reason, in the order they failed.</summary>
    public required IReadOnlyList<IngestionRejection> Rejected { get; init; }

    /// <summary>The documents this run wrote (added or replaced), with their ids, in the order they were stored.</summary>
    public IReadOnlyList<IngestedDocument> Stored { get; init; } = [];

    /// <summary>Non-fatal problems in files that were ingested (e.g. skipped lines).</summary>
    public required IReadOnlyList<IngestionFileIssue> Issues { get; init; }

    /// <summary>Chunks stored (of added and replaced documents).</summary>
    public required long Chunks { get; init; }

    /// <summary>Chunk texts the model embedded in this run.</summary>
    public required long ChunksEmbedded { get; init; }

    /// <summary>Chunks whose vector was taken from a stored chunk with the same text and model instead.</summary>
    public required long ChunksReused { get; init; }

    /// <summary>Wall-clock time of the run.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Time spent inside the embedding generator (overlapping with storing).</summary>
    public required TimeSpan EmbeddingTime { get; init; }

    /// <summary><see cref="Chunks"/> per second of <see cref="Elapsed"/>.</summary>
    public double ChunksPerSecond => Elapsed.TotalSeconds > 0 ? Chunks / Elapsed.TotalSeconds : 0;

    /// <summary>True when anything was rejected (the command line then exits 1).</summary>
    public bool HasRejections => Rejected.Count > 0;

    /// <summary>
    /// True when a document failed on the server's side (see <see cref="IngestionRejection.IsServerError"/>): the run did
    /// not do what was asked even though the input may be fine, so it must not be reported as a success.
    /// </summary>
    public bool HasServerErrors => Rejected.Any(r => r.IsServerError);
}
