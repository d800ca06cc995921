using TenantRag.Documents;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>
/// The unit of work that travels through the steps: who it is for, what it came from, the artifacts each step leaves
/// for the next, and the steps already finished (so a retry resumes where it stopped). A file starts as one job;
/// after <c>extract</c> each of its documents continues as a job of its own.
/// </summary>
public sealed class IngestionJob
{
    private readonly List<string> _finished;

    private IngestionJob(TenantContext context, IngestionInput input, string source, DocumentVisibility visibility, IEnumerable<string> finished)
    {
        Context = context;
        Input = input;
        Source = source;
        Visibility = visibility;
        _finished = [.. finished];
    }

    /// <summary>The caller: the tenant, and the user who will own the document.</summary>
    public TenantContext Context { get; }

    /// <summary>The file the job came from.</summary>
    public IngestionInput Input { get; }

    /// <summary>The source key the document is stored under (the file's, or <c>file#id</c> for one document of many).</summary>
    public string Source { get; }

    /// <summary>Who may see the document.</summary>
    public DocumentVisibility Visibility { get; }

    /// <summary>Names of the steps that succeeded on this job, in order.</summary>
    public IReadOnlyList<string> FinishedSteps => _finished;

    /// <summary>Artifact of <c>extract</c> on a file job: every document of the file, and non-fatal issues.</summary>
    public ExtractionResult? Extraction { get; set; }

    /// <summary>The document this job stores (set when a file job fans out).</summary>
    public ExtractedDocument? Document { get; set; }

    /// <summary>Artifact of <c>chunk</c>: the document's content hash (see <see cref="IngestionPipeline"/>).</summary>
    public string? ContentHash { get; set; }

    /// <summary>The content hash already stored for <see cref="Source"/>, when looked up ahead (null: none stored).</summary>
    public string? StoredContentHash { get; set; }

    /// <summary>Whether <see cref="StoredContentHash"/> was looked up ahead; otherwise <c>chunk</c> looks it up itself.</summary>
    public bool StoredContentHashKnown { get; set; }

    /// <summary>Artifact of <c>chunk</c>, completed by <c>embed</c> (vectors).</summary>
    public IReadOnlyList<IngestionChunk>? Chunks { get; set; }

    /// <summary>Artifact of <c>store</c>: the stored document's id.</summary>
    public Guid? DocumentId { get; set; }

    /// <summary>
    /// What happened to the document: set by <c>store</c>, or by <c>chunk</c> to <see cref="StoreOutcome.Unchanged"/> when the
    /// stored content hash is the same (the remaining steps are then skipped).
    /// </summary>
    public StoreOutcome? Outcome { get; set; }

    /// <summary>Why the job stopped, when a step failed.</summary>
    public IngestionRejection? Failure { get; set; }

    /// <summary>True once the job has an <see cref="Outcome"/> or a <see cref="Failure"/>.</summary>
    public bool IsComplete => Outcome is not null || Failure is not null;

    /// <summary>A new job for one file.</summary>
    public static IngestionJob ForFile(TenantContext context, IngestionInput input, DocumentVisibility visibility)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        return new IngestionJob(context, input, input.Source, visibility, []);
    }

    /// <summary>Whether <paramref name="step"/> already succeeded on this job.</summary>
    public bool HasFinished(string step) => _finished.Contains(step, StringComparer.Ordinal);

    /// <summary>The job of one extracted document of this file, with this job's finished steps.</summary>
    public IngestionJob ForDocument(ExtractedDocument document, string source)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentException.ThrowIfNullOrEmpty(source);
        return new IngestionJob(Context, Input, source, Visibility, _finished) { Document = document };
    }

    /// <summary>Records that <paramref name="step"/> succeeded.</summary>
    internal void MarkFinished(string step)
    {
        if (!HasFinished(step))
        {
            _finished.Add(step);
        }
    }
}
