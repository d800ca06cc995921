using System.Collections.Concurrent;

namespace TenantRag.Server.Jobs;

/// <summary>
/// Tells requests waiting for a job (<c>Prefer: wait</c>) that a worker of this process has just finished with it, so
/// they need not wait for their next look at the job's row (jobs that run in another process are seen that way).
/// </summary>
internal sealed class JobCompletions
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _waiting = new();

    /// <summary>A worker finished (or put back) <paramref name="job"/>.</summary>
    public void Notify(Guid job)
    {
        if (_waiting.TryRemove(job, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>Completes when <paramref name="job"/> is notified, or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(Guid job, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiter = _waiting.GetOrAdd(job, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await waiter.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
