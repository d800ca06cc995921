using System.Runtime.ExceptionServices;

namespace TenantRag.Rag.Ingestion.Extraction.Pdf;

/// <summary>
/// The limits of reading one PDF, checked from inside the parser: PdfPig calls back into TenantRag whenever it reads the
/// file (<see cref="CheckpointStream"/>) or decompresses a stream (<see cref="BoundedFilter"/>), and each call checks
/// cancellation (the caller's and the extraction deadline) and how much the current step (opening the document, or
/// reading one page) has allocated on this thread. A refusal is remembered: PdfPig may swallow an exception while it
/// repairs a damaged file, so every later checkpoint throws it again and the extractor rethrows it when PdfPig returns.
/// </summary>
internal sealed class PdfBudget
{
    // Cheap checks (a counter) on every call; the clock, token and allocation counter every so many calls.
    private const int CallsPerCheck = 4096;

    private readonly IngestionOptions _options;
    private readonly CancellationToken _cancellationToken;
    private long _stepStartAllocated;
    private string _step = "opening the document";
    private int _calls;
    private ExceptionDispatchInfo? _refusal;

    public PdfBudget(string fileName, IngestionOptions options, CancellationToken cancellationToken)
    {
        FileName = fileName;
        _options = options;
        _cancellationToken = cancellationToken;
        BeginStep(_step);
    }

    public string FileName { get; }

    public IngestionOptions Options => _options;

    /// <summary>Starts counting allocations afresh for a step that runs on the calling thread (opening, or one page).</summary>
    public void BeginStep(string step)
    {
        _step = step;
        _stepStartAllocated = GC.GetAllocatedBytesForCurrentThread();
    }

    /// <summary>A cheap check for calls made very often (every byte PdfPig reads).</summary>
    public void Tick()
    {
        _refusal?.Throw();
        if (++_calls >= CallsPerCheck)
        {
            Checkpoint();
        }
    }

    /// <summary>Throws when the extraction was cancelled, timed out, or the step allocated past its budget.</summary>
    public void Checkpoint()
    {
        _calls = 0;
        _refusal?.Throw();
        _cancellationToken.ThrowIfCancellationRequested();
        if (GC.GetAllocatedBytesForCurrentThread() - _stepStartAllocated > _options.MaxPdfParseAllocationBytes)
        {
            throw Refuse(new DocumentRejectedException(
                FileName,
                DocumentRejectionReason.TooComplex,
                LimitRejections.Format($"{_step} needed more than {_options.MaxPdfParseAllocationBytes / (1024 * 1024):N0} MiB of memory, the most one step may take; re-export the PDF, or raise the setting Ingestion:{nameof(IngestionOptions.MaxPdfParseAllocationBytes)}")));
        }
    }

    /// <summary>Remembers <paramref name="refusal"/> (the first one wins) and returns it to throw.</summary>
    public DocumentRejectedException Refuse(DocumentRejectedException refusal)
    {
        _refusal ??= ExceptionDispatchInfo.Capture(refusal);
        return (DocumentRejectedException)_refusal.SourceException;
    }

    /// <summary>Rethrows a refusal PdfPig may have swallowed, and the cancellation it may have turned into another error.</summary>
    public void ThrowIfRefused()
    {
        _refusal?.Throw();
        _cancellationToken.ThrowIfCancellationRequested();
    }
}
