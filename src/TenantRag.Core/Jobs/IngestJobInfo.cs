using TenantRag.Documents;

namespace TenantRag.Jobs;

/// <summary>An upload job as its tenant's users may see it.</summary>
public sealed record IngestJobInfo
{
    /// <summary>The job's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The user who uploaded; the documents are stored as theirs.</summary>
    public required string OwnerId { get; init; }

    /// <summary>The visibility of the job and of the documents it makes.</summary>
    public required DocumentVisibility Visibility { get; init; }

    /// <summary>Queued, running, succeeded or failed.</summary>
    public required IngestJobStatus Status { get; init; }

    /// <summary>What it is doing: <c>queued</c>, <c>starting</c>, <c>extracting</c>, <c>chunking</c>, <c>embedding</c>, <c>storing</c>, <c>done</c>.</summary>
    public required string Stage { get; init; }

    /// <summary>The uploaded file's name (<c>document.md</c> for a JSON upload).</summary>
    public required string FileName { get; init; }

    /// <summary>The title a JSON upload gave, if any.</summary>
    public string? Title { get; init; }

    /// <summary>The upload's media type.</summary>
    public required string MediaType { get; init; }

    /// <summary>The upload's size in bytes.</summary>
    public required long ByteSize { get; init; }

    /// <summary>Chunks with their vector so far.</summary>
    public required int ChunksDone { get; init; }

    /// <summary>Chunks to embed, as far as known (exact once every document is chunked).</summary>
    public required int ChunksTotal { get; init; }

    /// <summary>The documents stored from the upload (added, replaced or found unchanged), once it succeeded.</summary>
    public required IReadOnlyList<Guid> DocumentIds { get; init; }

    /// <summary>Why it failed (a rejection reason such as <c>Corrupt</c> or <c>TooLarge</c>, or <c>StoreFailed</c>), if it did.</summary>
    public string? ErrorReason { get; init; }

    /// <summary>What went wrong, in a sentence that says what to do, if it failed (or the last retried error).</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>The outcome in the shape of the synchronous upload answer (JSON), once finished.</summary>
    public string? ResultJson { get; init; }

    /// <summary>How many times a worker took it up.</summary>
    public required int Attempt { get; init; }

    /// <summary>When it was uploaded.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When a worker first took it up, if one did (its time in the queue ends there).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When it finished, if it did.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
}
