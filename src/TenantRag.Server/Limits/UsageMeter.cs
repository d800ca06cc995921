using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres;
using TenantRag.Tenancy;

namespace TenantRag.Server.Limits;

/// <summary>
/// Counts queries and tokens per tenant in memory and writes them once a second, so a search does not wait for a
/// write (and concurrent searches of one tenant do not queue on its counter row). Counts pending at a crash are lost;
/// they are usage figures, not billing records.
/// </summary>
internal sealed partial class UsageMeter(TenantRagDatabase database, ILogger<UsageMeter> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<TenantSlug, Pending> _pending = new();

    /// <summary>Counts one query of <paramref name="tokens"/> tokens for the caller's tenant.</summary>
    public void Record(TenantContext context, long tokens)
    {
        var pending = _pending.GetOrAdd(context.Tenant, _ => new Pending());
        lock (pending)
        {
            pending.Context = context;
            pending.Queries++;
            pending.Tokens += tokens;
        }
    }

    /// <summary>Writes everything counted so far.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var (tenant, pending) in _pending)
        {
            TenantContext? context;
            long queries, tokens;
            lock (pending)
            {
                (context, queries, tokens) = (pending.Context, pending.Queries, pending.Tokens);
                pending.Queries = 0;
                pending.Tokens = 0;
            }

            if (context is null || queries == 0)
            {
                continue;
            }

            try
            {
                await database.Usage.RecordAsync(context, queries, tokens, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TenantRagException)
            {
                // A deleted tenant, or the database briefly away: the counts are dropped, not retried forever.
                Log.FlushFailed(logger, tenant.Value, ex.Message);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private sealed class Pending
    {
        public TenantContext? Context { get; set; }

        public long Queries { get; set; }

        public long Tokens { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Could not record usage of tenant {Tenant}: {Reason}")]
        public static partial void FlushFailed(ILogger logger, string tenant, string reason);
    }
}
