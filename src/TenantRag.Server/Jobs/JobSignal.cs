namespace TenantRag.Server.Jobs;

/// <summary>Wakes the job workers of this process when an upload arrives, instead of at their next poll.</summary>
internal sealed class JobSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>There is new work.</summary>
    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    /// <summary>Completes at the next signal, or after <paramref name="timeout"/>.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
