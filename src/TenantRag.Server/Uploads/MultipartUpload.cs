using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using TenantRag.Rag.Ingestion;

namespace TenantRag.Server.Uploads;

/// <summary>
/// Reads a <c>multipart/form-data</c> upload as it arrives: the <c>file</c> part is streamed into a file of the
/// <see cref="UploadDirectory"/> (never into memory, and refused once it passes the size limit), the <c>visibility</c>
/// field is read (a few bytes at most), every other part is skipped. Part names match without regard to case and the
/// first of each counts, as with ASP.NET's form reader, which this replaces so the body is not buffered twice.
/// </summary>
internal static class MultipartUpload
{
    private const string FilePart = "file";
    private const string VisibilityPart = "visibility";
    private const int MaxBoundaryLength = 128;
    private const int MaxVisibilityBytes = 1024;

    /// <summary>The uploaded file (dispose it to delete it) and the visibility field, if any.</summary>
    /// <exception cref="UsageException">The body is not well-formed multipart, or has no file part.</exception>
    /// <exception cref="DocumentRejectedException">The file is larger than <paramref name="maxFileBytes"/>.</exception>
    public static async Task<(UploadedFile File, string? Visibility)> ReadAsync(HttpRequest request, UploadDirectory directory, long maxFileBytes,
        CancellationToken cancellationToken)
    {
        var reader = new MultipartReader(Boundary(request.ContentType), request.Body);
        UploadedFile? file = null;
        string? visibility = null;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    throw Malformed();
                }

                if (disposition.IsFileDisposition() && file is null
                    && string.Equals(section.AsFileSection()!.Name, FilePart, StringComparison.OrdinalIgnoreCase))
                {
                    file = await SaveAsync(section, SafeFileName(section.AsFileSection()!.FileName), directory, maxFileBytes, cancellationToken).ConfigureAwait(false);
                }
                else if (disposition.IsFormDisposition() && visibility is null
                    && string.Equals(HeaderUtilities.RemoveQuotes(disposition.Name).ToString(), VisibilityPart, StringComparison.OrdinalIgnoreCase))
                {
                    visibility = await ReadFieldAsync(section.Body, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException || (ex is IOException and not BadHttpRequestException && !cancellationToken.IsCancellationRequested))
        {
            // No boundary, a broken part header, a part header over the 16 KB limit, a body cut short: the client's
            // fault. The framework's own messages quote the input, so this one does not.
            await DisposeAsync(file).ConfigureAwait(false);
            throw Malformed();
        }
        catch
        {
            await DisposeAsync(file).ConfigureAwait(false);
            throw;
        }

        return file is null ? throw new UsageException("the multipart request has no 'file' part") : (file, visibility);
    }

    private static string Boundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException("the multipart request has no 'file' part");
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).ToString();
        return boundary.Length is 0 or > MaxBoundaryLength ? throw Malformed() : boundary;
    }

    private static async Task<UploadedFile> SaveAsync(MultipartSection section, string fileName, UploadDirectory directory, long maxFileBytes,
        CancellationToken cancellationToken)
    {
        var stream = directory.Create(out var path);
        var file = new UploadedFile(path, fileName, 0);
        try
        {
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[81920];
                long length = 0;
                int read;
                while ((read = await section.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                    if (length > maxFileBytes)
                    {
                        throw new DocumentRejectedException(fileName, DocumentRejectionReason.TooLarge, string.Create(CultureInfo.InvariantCulture,
                            $"the file is more than {maxFileBytes:N0} bytes, the most one file may have; split it, or raise the setting Ingestion:{nameof(IngestionOptions.MaxFileSizeBytes)}"));
                    }

                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                return new UploadedFile(path, fileName, length);
            }
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<string> ReadFieldAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxVisibilityBytes + 1];
        var length = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return length > MaxVisibilityBytes
            ? throw new UsageException("the 'visibility' field is too long: send tenant or private")
            : Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static string SafeFileName(string? raw)
    {
        // Keep the last path segment only: "../../etc/passwd" is just "passwd", and it is only ever a label.
        var name = Path.GetFileName((raw ?? string.Empty).Replace('\\', '/'));
        if (name.Length is 0 or > 255 || name.Any(char.IsControl) || name is "." or "..")
        {
            throw new UsageException("the uploaded file needs a plain file name (1-255 characters, no control characters)");
        }

        return name;
    }

    private static async ValueTask DisposeAsync(UploadedFile? file)
    {
        if (file is not null)
        {
            await file.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static UsageException Malformed() =>
        new("the multipart/form-data body is malformed (boundary, part headers or length): send a 'file' part, e.g. curl -F file=@notes.md");
}
