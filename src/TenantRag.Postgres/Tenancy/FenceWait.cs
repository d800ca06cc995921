using System.Diagnostics;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// The wait of one write for a moving tenant's fence to end (the move switching, or rolled back): pauses of 25 ms
/// doubling up to 250 ms, for at most <paramref name="limit"/> in all (<c>009_online_moves.sql</c>: a move fences writes
/// for about a second). Shared by tenant writes and by upload-job workers, which differ only in how long they wait.
/// </summary>
internal sealed class FenceWait(TimeSpan limit)
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(250);

    private readonly Stopwatch _waited = Stopwatch.StartNew();
    private TimeSpan _pause = FirstPause;

    /// <summary>Gets whether the next pause would take the wait past its limit.</summary>
    public bool Expired => _waited.Elapsed + _pause > limit;

    /// <summary>Pauses before the next try; false, without pausing, once the wait would pass its limit.</summary>
    public async Task<bool> PauseAsync(CancellationToken cancellationToken)
    {
        if (Expired)
        {
            return false;
        }

        await Task.Delay(_pause, cancellationToken).ConfigureAwait(false);
        _pause = TimeSpan.FromTicks(Math.Min(_pause.Ticks * 2, LongestPause.Ticks));
        return true;
    }
}
