namespace TenantRag.Server.Uploads;

/// <summary>A multipart upload written to the <see cref="UploadDirectory"/>; disposing it deletes the file.</summary>
internal sealed class UploadedFile(string path, string fileName, long length) : IAsyncDisposable
{
    /// <summary>Where the bytes are.</summary>
    public string Path { get; } = path;

    /// <summary>The file name the client gave (its last segment, validated).</summary>
    public string FileName { get; } = fileName;

    /// <summary>Its size in bytes.</summary>
    public long Length { get; } = length;

    public ValueTask DisposeAsync()
    {
        File.Delete(Path);
        return ValueTask.CompletedTask;
    }
}
