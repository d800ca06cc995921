using System.Runtime.InteropServices;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>
/// One file to ingest: a file on disk or bytes already in memory (an upload), with the source key its documents are
/// stored under. Re-ingesting the same source replaces what it stored before (or does nothing when unchanged).
/// </summary>
public sealed record IngestionInput
{
    /// <summary>
    /// The source key: the file's path relative to the directory it was found in (with <c>/</c> separators), or its
    /// name when it was given directly. Documents of a multi-document file (a BEIR <c>.jsonl</c>) are stored as
    /// <c>Source#id</c>.
    /// </summary>
    public required string Source { get; init; }

    /// <summary>The file name handed to extraction: its extension picks the extractor, its stem may become the title.</summary>
    public required string FileName { get; init; }

    /// <summary>The file on disk, or <see langword="null"/> when <see cref="Content"/> holds the bytes.</summary>
    public string? FilePath { get; init; }

    /// <summary>The bytes of an in-memory file; ignored when <see cref="FilePath"/> is set.</summary>
    public ReadOnlyMemory<byte> Content { get; init; }

    /// <summary>
    /// The title of every document extracted from this input, as given (an API caller's <c>title</c>), instead of
    /// the one extraction finds; <see langword="null"/> keeps the extracted title.
    /// </summary>
    public string? Title { get; init; }

    /// <summary>
    /// Whether the input is a file whose <see cref="FileName"/> its owner gave (stored with its documents and shown in
    /// lists), rather than text sent without a file, whose file name only picks its extractor (<see cref="FromText"/>).
    /// </summary>
    public bool IsFile { get; init; } = true;

    /// <summary>A file on disk, stored under <paramref name="source"/> (default: its file name).</summary>
    public static IngestionInput FromFile(string path, string? source = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fileName = Path.GetFileName(path);
        return new IngestionInput { Source = source ?? fileName, FileName = fileName, FilePath = Path.GetFullPath(path) };
    }

    /// <summary>An in-memory file (e.g. an upload), stored under <paramref name="source"/> (default: <paramref name="fileName"/>).</summary>
    public static IngestionInput FromBytes(string fileName, ReadOnlyMemory<byte> content, string? source = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        return new IngestionInput { Source = source ?? fileName, FileName = Path.GetFileName(fileName), Content = content };
    }

    /// <summary>
    /// Text sent without a file (an API caller's JSON <c>{title, text}</c>): read as Markdown, every document titled
    /// <paramref name="title"/> as given, stored under <paramref name="source"/> with no file name.
    /// </summary>
    public static IngestionInput FromText(string title, string markdown, string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentNullException.ThrowIfNull(markdown);
        return FromBytes("document.md", System.Text.Encoding.UTF8.GetBytes(markdown), source) with { Title = title, IsFile = false };
    }

    /// <summary>
    /// The files named by <paramref name="paths"/>: a file stands for itself (source = its name); a directory for
    /// every file below it, recursively, in ordinal order of their relative paths (source = that relative path).
    /// Hidden files and directories (names starting with <c>.</c>) are skipped, and so are symbolic links to
    /// directories (they could loop). Unsupported file types are kept: extraction rejects them with a reason.
    /// </summary>
    /// <exception cref="UsageException">A path does not exist.</exception>
    public static IReadOnlyList<IngestionInput> FromPaths(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var inputs = new List<IngestionInput>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                inputs.Add(FromFile(path));
            }
            else if (Directory.Exists(path))
            {
                var root = Path.GetFullPath(path);
                var found = new List<string>();
                Walk(root, found);
                inputs.AddRange(found
                    .Select(file => FromFile(file, Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/')))
                    .OrderBy(input => input.Source, StringComparer.Ordinal));
            }
            else
            {
                throw new UsageException($"path '{path}' does not exist: give existing files or directories");
            }
        }

        return inputs;
    }

    /// <summary>Opens the content for reading (seekable; in-memory content is read in place, not copied).</summary>
    internal Stream OpenRead() => FilePath is { } path
        ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 81920, FileOptions.Asynchronous | FileOptions.SequentialScan)
        : MemoryMarshal.TryGetArray(Content, out var bytes)
            ? new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false)
            : new MemoryStream(Content.ToArray(), writable: false);

    private static void Walk(string directory, List<string> found)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (entry.Name.StartsWith('.'))
            {
                continue;
            }

            if (entry is DirectoryInfo sub)
            {
                if (sub.LinkTarget is null)
                {
                    Walk(sub.FullName, found);
                }
            }
            else
            {
                found.Add(entry.FullName);
            }
        }
    }
}
