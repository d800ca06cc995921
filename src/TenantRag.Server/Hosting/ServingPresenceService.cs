using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres.Tenancy;
using TenantRag.Server;

namespace TenantRag.Hosting;

/// <summary>
/// Tells the catalog, every <c>Database:PresenceInterval</c>, what this process holds per tenant (<see cref="ServingPresence"/>):
/// the bytes of its retrieval indexes and query vectors (both dropped after <c>Database:IdleTimeout</c> unused) and its
/// connections. Deletes the row when the host stops, and at start the rows of processes long gone.
/// </summary>
internal sealed partial class ServingPresenceService(TenantRagRuntime runtime, SearchServiceSlot search, ILogger<ServingPresenceService> logger) : BackgroundService
{
    private readonly ServingPresence _presence = new(runtime.Database);

    /// <summary>What this process holds now, per tenant id (only tenants holding something).</summary>
    public IReadOnlyDictionary<string, TenantHolding> Holdings()
    {
        var bytes = search.Search?.CacheBytesByTenant() ?? new Dictionary<string, long>();
        var connections = runtime.Database.Sessions.ConnectionsByTenant();
        return bytes.Keys.Union(connections.Keys, StringComparer.Ordinal)
            .ToDictionary(t => t, t => new TenantHolding(bytes.GetValueOrDefault(t), connections.GetValueOrDefault(t)), StringComparer.Ordinal);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = runtime.Database.Installation.Options.PresenceInterval;
        try
        {
            await _presence.ForgetLongGoneAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            Log.ReportFailed(logger, ex);
        }

        using var timer = new PeriodicTimer(interval);
        var failing = false;
        do
        {
            try
            {
                await _presence.ReportAsync(Holdings(), 3 * interval, stoppingToken).ConfigureAwait(false);
                if (failing)
                {
                    failing = false;
                    Log.Reachable(logger);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && IsUnreachable(ex))
            {
                // The catalog may be restarting: the row expires meanwhile, and the next tick writes it again. One
                // line when the outage starts, without a stack trace (the cause is the server, not this code).
                if (!failing)
                {
                    failing = true;
                    Log.Unreachable(logger, ex.Message, interval.TotalSeconds);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Log.ReportFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _presence.LeaveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Not fatal: the row expires by itself.
            Log.ReportFailed(logger, ex);
        }
    }

    private static bool IsUnreachable(Exception ex) =>
        ex is Npgsql.NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException or TimeoutException
        || (ex is Npgsql.NpgsqlException && ex.InnerException is System.IO.IOException or System.IO.EndOfStreamException or System.Net.Sockets.SocketException);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1603, Level = LogLevel.Warning, Message = "The catalog is unreachable ({Reason}); this process's presence is written again every {Seconds} s until it is back")]
        public static partial void Unreachable(ILogger logger, string reason, double seconds);

        [LoggerMessage(EventId = 1604, Level = LogLevel.Information, Message = "The catalog is reachable again; this process's presence is written")]
        public static partial void Reachable(ILogger logger);

        [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Could not write this process's presence (what it holds per tenant) to the catalog")]
        public static partial void ReportFailed(ILogger logger, Exception exception);
    }
}
