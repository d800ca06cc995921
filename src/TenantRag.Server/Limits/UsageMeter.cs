using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Server.Limits;

/// <summary>
/// Counts queries and tokens per tenant in memory and writes them once a second, so a search does not wait for a
/// write (and concurrent searches of one tenant do not queue on its counter row). Counts pending at a crash are lost;
/// they are usage figures, not billing records. Counts are kept per creation of a tenant (its id), and written only
/// to that creation: a tenant deleted meanwhile loses them, and one created again under its slug never gets them.
/// </summary>
internal sealed partial class UsageMeter(UsageStore usage, ILogger<UsageMeter> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    /// <summary>Counts one query of <paramref name="tokens"/> tokens for the caller's tenant.</summary>
    /// <exception cref="ArgumentException">The context is not bound to a creation of its tenant (no <see cref="TenantContext.TenantId"/>).</exception>
    public void Record(TenantContext context, long tokens)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.TenantId ?? throw new ArgumentException("usage is counted per creation of a tenant: bind the context first", nameof(context));
        while (true)
        {
            var pending = _pending.GetOrAdd(id, _ => new Pending());
            lock (pending)
            {
                if (pending.Retired)
                {
                    continue; // flushed idle and forgotten just now: count into a fresh entry
                }

                pending.Context = context;
                pending.Queries++;
                pending.Tokens += tokens;
                return;
            }
        }
    }

    /// <summary>Writes everything counted so far, and forgets tenants with nothing counted since the last write.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var (id, pending) in _pending)
        {
            TenantContext? context;
            long queries, tokens;
            lock (pending)
            {
                (context, queries, tokens) = (pending.Context, pending.Queries, pending.Tokens);
                pending.Queries = 0;
                pending.Tokens = 0;
                if (queries == 0)
                {
                    pending.Retired = true;
                    _pending.TryRemove(new KeyValuePair<string, Pending>(id, pending));
                }
            }

            if (context is null || queries == 0)
            {
                continue;
            }

            try
            {
                await usage.RecordAsync(context, queries, tokens, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TenantRagException)
            {
                // A deleted tenant, or the database briefly away: the counts are dropped, not retried forever.
                Log.FlushFailed(logger, context.Tenant.Value, ex.Message);
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

        public bool Retired { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Could not record usage of tenant {Tenant}: {Reason}")]
        public static partial void FlushFailed(ILogger logger, string tenant, string reason);
    }
}
