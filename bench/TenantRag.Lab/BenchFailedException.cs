namespace TenantRag.Lab;

/// <summary>A benchmark could not run or the server misbehaved under it; exit code 1.</summary>
internal sealed class BenchFailedException(string message) : TenantRagException(message);
