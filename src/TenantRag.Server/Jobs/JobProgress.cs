using TenantRag.Rag.Ingestion.Pipeline;

namespace TenantRag.Server.Jobs;

/// <summary>The latest progress of a running job, as the pipeline reports it, in the job's terms (stage, chunks).</summary>
internal sealed class JobProgress : IProgress<IngestionProgress>
{
    private Snapshot _current = new("extracting", 0, 0);

    /// <summary>What a job row shows of its progress.</summary>
    public sealed record Snapshot(string Stage, int ChunksDone, int ChunksTotal);

    /// <summary>The latest snapshot.</summary>
    public Snapshot Current => Volatile.Read(ref _current);

    public void Report(IngestionProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var stage = value switch
        {
            { FilesRead: 0 } => "extracting",
            { ChunksToEmbed: 0 } when value.DocumentsDone < value.DocumentsTotal => "chunking",
            _ when value.ChunksEmbedded < value.ChunksToEmbed => "embedding",
            _ => "storing",
        };
        Volatile.Write(ref _current, new Snapshot(stage, (int)Math.Min(value.ChunksEmbedded, int.MaxValue), (int)Math.Min(value.ChunksToEmbed, int.MaxValue)));
    }

    /// <summary>The pipeline is done: the rest is the job's completion.</summary>
    public void Finish()
    {
        var current = Current;
        Volatile.Write(ref _current, current with { Stage = "storing", ChunksDone = current.ChunksTotal });
    }
}
