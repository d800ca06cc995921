using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using TenantRag.Postgres.Usage;

namespace TenantRag.Server.Limits;

/// <summary>
/// Rolls up past days' usage events into one row per tenant and day, soon after the serving process starts and then
/// every <see cref="Interval"/>: compaction only (reports read the events and the days alike), idempotent, and safe
/// with every process of the fleet doing it at once (<see cref="UsageLedger.RollUpAsync"/>).
/// </summary>
internal sealed partial class UsageRollUp(UsageLedger ledger, ILogger<UsageRollUp> logger) : BackgroundService
{
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
            do
            {
                try
                {
                    var days = await ledger.RollUpAsync(null, stoppingToken).ConfigureAwait(false);
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
