namespace TenantRag.Server.Limits;

/// <summary>
/// Bounds uploads being ingested at once across all tenants (<see cref="ServerOptions.GlobalIngestConcurrency"/>):
/// the per-tenant limit stops one tenant from hogging uploads, this one keeps all uploads together from taking the
/// CPU that queries need.
/// </summary>
internal sealed class IngestionGate(ServerOptions options) : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(options.GlobalIngestConcurrency);

    public Task WaitAsync(CancellationToken cancellationToken) => _semaphore.WaitAsync(cancellationToken);

    public void Release() => _semaphore.Release();

    public void Dispose() => _semaphore.Dispose();
}
