namespace TenantRag.Rag.Ingestion;

/// <summary>
/// Thrown when an uploaded document cannot be ingested: bad input, nothing was stored (exit code 2).
/// The message states the file name, the reason and what to do; it never contains document text.
/// </summary>
public class DocumentRejectedException : TenantRagException
{
    /// <summary>Creates a rejection for <paramref name="fileName"/>.</summary>
    /// <param name="fileName">The file name as supplied by the caller.</param>
    /// <param name="reason">The category of the rejection.</param>
    /// <param name="detail">A human readable explanation (must not contain document text).</param>
    /// <param name="innerException">The underlying parser error, if any.</param>
    public DocumentRejectedException(string fileName, DocumentRejectionReason reason, string detail, Exception? innerException = null)
        : base($"Document '{fileName}' was rejected ({reason}): {detail}", innerException)
    {
        FileName = fileName;
        Reason = reason;
        Detail = detail;
    }

    /// <inheritdoc />
    public override int ExitCode => 2;

    /// <summary>The file name of the rejected document.</summary>
    public string FileName { get; }

    /// <summary>The category of the rejection.</summary>
    public DocumentRejectionReason Reason { get; }

    /// <summary>The explanation without the file name prefix.</summary>
    public string Detail { get; }
}
