namespace TenantRag.Lab;

/// <summary>Peaks seen while the fleet was searched: the server's connections, its resident memory, PostgreSQL's.</summary>
internal sealed record BenchFleetPeak(BenchFleetConnections Connections, int TotalConnections, long ServerRssBytes, long PostgresRssBytes, long? PostgresPssBytes, int PostgresProcesses);

/// <summary>Samples connections and memory every <c>period</c> until <see cref="FinishAsync"/>, keeping the peaks.</summary>
internal sealed class BenchFleetSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private BenchFleetConnections _connections = new(0, 0, 0, 0);
    private int _total;
    private long _serverRss;
    private long _postgresRss;
    private long? _postgresPss;
    private int _postgresProcesses;

    public BenchFleetSampler(BenchFleetProbe probe, BenchFleetServe serve, string dataDirectory, TimeSpan period) =>
        _sampling = SampleAsync(probe, serve, dataDirectory, period, _stop.Token);

    /// <summary>Stops sampling and returns the peaks.</summary>
    public async Task<BenchFleetPeak> FinishAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return new BenchFleetPeak(_connections, _total, _serverRss, _postgresRss, _postgresPss, _postgresProcesses);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task SampleAsync(BenchFleetProbe probe, BenchFleetServe serve, string dataDirectory, TimeSpan period, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            do
            {
                Sample(await probe.ConnectionsAsync(serve.Id, ct).ConfigureAwait(false), serve, dataDirectory);
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Finished.
        }
    }

    private void Sample(BenchFleetConnections connections, BenchFleetServe serve, string dataDirectory)
    {
        _connections = BenchFleetConnections.Max(_connections, connections);
        _total = Math.Max(_total, connections.Total);
        _serverRss = Math.Max(_serverRss, serve.ResidentBytes() ?? 0);
        var postgres = BenchFleetMemory.Cluster(dataDirectory);
        if (postgres.RssBytes > _postgresRss)
        {
            (_postgresRss, _postgresProcesses) = (postgres.RssBytes, postgres.Processes);
        }

        _postgresPss = postgres.PssBytes is { } pss ? Math.Max(_postgresPss ?? 0, pss) : _postgresPss;
    }
}
