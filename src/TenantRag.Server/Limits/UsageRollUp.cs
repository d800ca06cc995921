using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using TenantRag.Postgres.Usage;
using TenantRag.Tenancy;

namespace TenantRag.Server.Limits;

/// <summary>
/// Rolls up past days' usage events into one row per tenant and day, soon after the serving process starts and then
/// every <see cref="Interval"/>: compaction only (reports read the events and the days alike), idempotent, and safe
/// with every process of the fleet doing it at once (<see cref="UsageLedger.RollUpAsync(TenantSlug?, DateTimeOffset?, CancellationToken)"/>).
/// </summary>
/// <remarks>
/// The first round and every <see cref="FullRoundEvery"/>th take every tenant; the others only tenants the catalog saw
/// active within <see cref="ActiveWindow"/>, so an hourly round does not connect to the database of every dedicated
/// tenant that has been idle for days (a tenant writes events only while active; the window covers a day's events
/// rolled up the day after, and the catalog's activity stamp, written at most once a minute).
/// </remarks>
internal sealed partial class UsageRollUp(UsageLedger ledger, ILogger<UsageRollUp> logger, TimeProvider? time = null) : BackgroundService
{
    /// <summary>Every how many rounds one takes every tenant (a day's worth of hourly rounds).</summary>
    public const int FullRoundEvery = 24;

    /// <summary>How recently a tenant must have been active for a round that is not a full one to take it.</summary>
    public static TimeSpan ActiveWindow { get; } = TimeSpan.FromDays(2);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>How long after the start the first roll-up runs (after the first requests, not with them).</summary>
    public static TimeSpan FirstDelay { get; } = TimeSpan.FromMinutes(1);

    /// <summary>How often it runs after that: a day's events are rolled up within this long after the day ends.</summary>
    public static TimeSpan Interval { get; } = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(FirstDelay, stoppingToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(Interval);
            var round = 0;
            do
            {
                try
                {
                    DateTimeOffset? activeSince = round++ % FullRoundEvery == 0 ? null : _time.GetUtcNow() - ActiveWindow;
                    var days = await ledger.RollUpAsync(null, activeSince, stoppingToken).ConfigureAwait(false);
                    Log.RolledUp(logger, days);
                }
                catch (Exception ex) when (ex is NpgsqlException or TenantRagException)
                {
                    // A database away, a tenant deleted meanwhile: the events stay, and the next round takes them.
                    Log.Failed(logger, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Could not roll up usage: {Reason}; the next round will")]
        public static partial void Failed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "Rolled up usage: {Days} tenant days written")]
        public static partial void RolledUp(ILogger logger, long days);
    }
}
