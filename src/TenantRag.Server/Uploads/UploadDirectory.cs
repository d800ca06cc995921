using TenantRag.Postgres.Installation;

namespace TenantRag.Server.Uploads;

/// <summary>
/// Where uploads wait while they are ingested: <c>$TENANTRAG_HOME/uploads</c>, readable by the server's user only
/// (unlike the shared temporary directory, where ASP.NET would buffer them), each file deleted as soon as its request
/// ends. Files a crashed server left behind are deleted when the next one starts.
/// </summary>
internal sealed class UploadDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public UploadDirectory(TenantRagHome home)
    {
        Path = System.IO.Path.Combine(home.Root, "uploads");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Path);
        }
        else
        {
            Directory.CreateDirectory(Path, OwnerOnly);
            File.SetUnixFileMode(Path, OwnerOnly);
        }

        // Files a crashed server left behind; not the ones of a server still running on the same home (several serving
        // processes may share one), which are never this old.
        foreach (var leftover in Directory.EnumerateFiles(Path, "*" + Extension))
        {
            if (File.GetLastWriteTimeUtc(leftover) < DateTime.UtcNow - LeftoverAge)
            {
                File.Delete(leftover);
            }
        }
    }

    /// <summary>How old an upload file must be before a starting server deletes it as a crash's leftover.</summary>
    public static readonly TimeSpan LeftoverAge = TimeSpan.FromHours(6);

    /// <summary>The suffix of upload files.</summary>
    public const string Extension = ".upload";

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>A new, empty file of the server's user only (0600), to be deleted with <see cref="UploadedFile.DisposeAsync"/>.</summary>
    public FileStream Create(out string path)
    {
        path = System.IO.Path.Combine(Path, Guid.NewGuid().ToString("N") + Extension);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 81920,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }
}
