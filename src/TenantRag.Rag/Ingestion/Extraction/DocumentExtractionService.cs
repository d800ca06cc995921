using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>
/// The validating entry point for extraction: picks the extractor by extension, enforces
/// <see cref="IngestionOptions.MaxFileSizeBytes"/> and <see cref="IngestionOptions.MaxExtractionTime"/> (the other limits
/// are checked by the extractors as they read), rejects empty files and files without extractable text, and turns
/// parser failures into <see cref="DocumentRejectedException"/>s with a clear reason. Sections with blank text and
/// documents without text are removed from the result.
/// </summary>
public sealed partial class DocumentExtractionService
{
    private const int MaxIssuesInMessage = 3;

    private readonly DocumentExtractorRegistry _registry;
    private readonly IngestionOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates the service.</summary>
    /// <param name="registry">The extractors to dispatch to.</param>
    /// <param name="options">Limits; validated here.</param>
    /// <param name="logger">Receives rejections and skipped lines (never document text).</param>
    public DocumentExtractionService(DocumentExtractorRegistry registry, IngestionOptions options, ILogger<DocumentExtractionService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _registry = registry;
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Throws <see cref="UnsupportedDocumentException"/> when no extractor reads <paramref name="fileName"/>'s extension.</summary>
    public void EnsureSupported(string fileName) => _registry.GetExtractor(fileName);

    /// <summary>Extracts the documents of a file on disk.</summary>
    /// <param name="path">The file path; its name is used as the source file name.</param>
    /// <param name="cancellationToken">Cancels the extraction.</param>
    /// <returns>At least one document with text, and any non-fatal issues.</returns>
    /// <exception cref="DocumentRejectedException">The file is unsupported, too large, empty, corrupt or has no text.</exception>
    public async Task<ExtractionResult> ExtractFileAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fileName = Path.GetFileName(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            return await ExtractAsync(stream, fileName, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Extracts the documents of an uploaded file.</summary>
    /// <param name="content">
    /// The file content, read to the end (not disposed). A seekable stream (a file) is read in place; one that cannot seek
    /// is first copied into memory, up to <see cref="IngestionOptions.MaxFileSizeBytes"/>.
    /// </param>
    /// <param name="fileName">The original file name; its extension selects the extractor.</param>
    /// <param name="cancellationToken">Cancels the extraction.</param>
    /// <returns>At least one document with text, and any non-fatal issues.</returns>
    /// <exception cref="UnsupportedDocumentException">No extractor handles the extension.</exception>
    /// <exception cref="DocumentRejectedException">The file is too large, empty, corrupt, badly encoded or has no text.</exception>
    public async Task<ExtractionResult> ExtractAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        try
        {
            var extractor = _registry.GetExtractor(fileName);

            // A file on disk is read where it lies; only a stream that cannot seek is copied (into memory, up to the size limit).
            var input = content.CanSeek ? content : await BufferAsync(content, fileName, cancellationToken).ConfigureAwait(false);
            try
            {
                var length = input.Length - input.Position;
                EnsureWithinLimit(fileName, length);
                if (length == 0)
                {
                    throw new DocumentRejectedException(fileName, DocumentRejectionReason.EmptyFile, "the file is empty (0 bytes); upload a file with content");
                }

                var result = Clean(await ExtractWithDeadlineAsync(extractor, input, fileName, cancellationToken).ConfigureAwait(false), fileName, extractor.MediaType, length);
                foreach (var issue in result.Issues)
                {
                    LogIssue(fileName, issue.LineNumber, issue.Reason);
                }

                return result;
            }
            finally
            {
                if (!ReferenceEquals(input, content))
                {
                    await input.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        catch (DocumentRejectedException ex)
        {
            LogRejected(fileName, ex.Reason, ex.Detail);
            throw;
        }
    }

    // The extractor runs under MaxExtractionTime: past it, the file is refused (the caller's own cancellation stays a cancellation).
    private async Task<ExtractionResult> ExtractWithDeadlineAsync(IDocumentExtractor extractor, Stream content, string fileName, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.MaxExtractionTime);
        try
        {
            return await extractor.ExtractAsync(content, fileName, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw LimitRejections.TimedOut(fileName, _options.MaxExtractionTime);
        }
        catch (Exception ex) when (ex is not DocumentRejectedException and not OperationCanceledException and not OutOfMemoryException)
        {
            throw new DocumentRejectedException(fileName, DocumentRejectionReason.Corrupt, $"the file could not be parsed; check that it is a valid {Path.GetExtension(fileName)} file", ex);
        }
    }

    // Drops blank sections and documents without text, and stamps each document with what it came from: the media type,
    // and the file's size unless the extractor measured its own part (the size read, not the file's size at storing time).
    private static ExtractionResult Clean(ExtractionResult raw, string fileName, string mediaType, long fileBytes)
    {
        var documents = new List<ExtractedDocument>(raw.Documents.Count);
        foreach (var document in raw.Documents)
        {
            var sections = document.Sections.Where(s => !string.IsNullOrWhiteSpace(s.Text)).ToArray();
            if (sections.Length == 0)
            {
                continue;
            }

            documents.Add(document with
            {
                Sections = sections.Length == document.Sections.Count ? document.Sections : sections,
                MediaType = mediaType,
                ByteSize = document.ByteSize ?? fileBytes,
            });
        }

        if (documents.Count > 0)
        {
            return raw with { Documents = documents };
        }

        if (raw.Issues.Count > 0)
        {
            var first = string.Join("; ", raw.Issues.Take(MaxIssuesInMessage));
            var more = raw.Issues.Count > MaxIssuesInMessage ? $" (and {raw.Issues.Count - MaxIssuesInMessage} more)" : string.Empty;
            throw new DocumentRejectedException(fileName, DocumentRejectionReason.InvalidContent, $"no valid document in the file: {first}{more}");
        }

        throw new DocumentRejectedException(fileName, DocumentRejectionReason.NoExtractableText, "the file contains no extractable text (a scanned PDF needs OCR first)");
    }

    private async Task<MemoryStream> BufferAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        var limit = _options.MaxFileSizeBytes;
        var buffer = new MemoryStream();
        try
        {
            var chunk = new byte[81920];
            int read;
            while ((read = await content.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw TooLarge(fileName, buffer.Length + read, orMore: true);
                }

                buffer.Write(chunk, 0, read);
            }

            buffer.Position = 0;
            return buffer;
        }
        catch
        {
            await buffer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private void EnsureWithinLimit(string fileName, long length)
    {
        if (length > _options.MaxFileSizeBytes)
        {
            throw TooLarge(fileName, length, orMore: false);
        }
    }

    private DocumentRejectedException TooLarge(string fileName, long length, bool orMore) =>
        new(
            fileName,
            DocumentRejectionReason.TooLarge,
            $"the file is {length:N0}{(orMore ? "+" : string.Empty)} bytes, over the limit of {_options.MaxFileSizeBytes:N0} bytes; split the file or raise IngestionOptions.MaxFileSizeBytes");

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Rejected document {FileName}: {Reason} ({Detail})")]
    private partial void LogRejected(string fileName, DocumentRejectionReason reason, string detail);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Document {FileName}: skipped content at line {LineNumber}: {Issue}")]
    private partial void LogIssue(string fileName, int? lineNumber, string issue);
}
