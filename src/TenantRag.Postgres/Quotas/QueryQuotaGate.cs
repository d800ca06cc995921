using System.Collections.Concurrent;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Quotas;

/// <summary>
/// Enforces <see cref="TenantQuota.MaxQueriesPerDay"/> for the searches (and questions) of one process. Counting every
/// query's usage rows on every query would cost a scan of the day's events per search, so each process keeps, per
/// tenant with that quota, the day's count as the database had it (today's <c>usage_events</c> and <c>usage_daily</c>
/// rows, read through the search's own session at most once per <see cref="RefreshInterval"/>) plus the queries it
/// admitted since. A query is refused once that total reaches the quota.
/// </summary>
/// <remarks>
/// Across processes the quota can be overshot by what the other processes admit within one refresh interval (each sees
/// the others' queries only at its next refresh), plus the queries in flight when a refresh reads the count (admitted,
/// their usage rows not yet committed). A command-line <c>search</c> or <c>ask</c> is a process of its own, so it
/// always reads the count. Days are UTC days, as usage rows are.
/// </remarks>
internal sealed class QueryQuotaGate(TimeProvider? time = null)
{
    /// <summary>How long a process trusts the count it read, adding its own queries to it.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);

    /// <summary>
    /// Admits one query of <paramref name="session"/>'s tenant, or refuses it with <see cref="QuotaExceededException"/>
    /// when the tenant has used its queries of the day. A tenant without the quota costs nothing.
    /// </summary>
    public async Task AdmitAsync(TenantSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.Tenant.Quotas.MaxQueriesPerDay is not { } limit)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var counter = _counters.GetOrAdd(session.TenantId, _ => new Counter());
        if (counter.StartRefresh(day, Environment.TickCount64) is { } started)
        {
            long counted;
            try
            {
                counted = await CountAsync(session, day, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                counter.AbandonRefresh();
                throw;
            }

            counter.FinishRefresh(day, counted, started);
        }

        if (!counter.TryAdmit(day, limit, out var used))
        {
            throw new QuotaExceededException(session.Context.Tenant, TenantQuota.MaxQueriesPerDay, limit, used, 1, QuotaExceededException.NextUtcMidnight(now));
        }
    }

    // Today's queries of the tenant as the database has them: its events of the day, and the day's roll-up if any.
    private static async Task<long> CountAsync(TenantSession session, DateOnly day, CancellationToken cancellationToken)
    {
        await using var cmd = session.CreateCommand("""
            SELECT (coalesce((SELECT sum(queries) FROM public.usage_events WHERE tenant_id = $1 AND day = $2), 0)
                  + coalesce((SELECT sum(queries) FROM public.usage_daily WHERE tenant_id = $1 AND day = $2), 0))::bigint
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = day });
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>One tenant's count of the day in this process. Thread-safe.</summary>
    private sealed class Counter
    {
        private readonly Lock _lock = new();
        private DateOnly _day;
        private long _counted;
        private long _admitted;
        private long _refreshedAt;
        private bool _known;
        private bool _refreshing;

        /// <summary>
        /// Whether the caller should read the count now (the day changed, or the last read is older than the interval,
        /// and nobody is reading it): then the number of queries admitted so far, to hand back to <see cref="FinishRefresh"/>.
        /// </summary>
        public long? StartRefresh(DateOnly day, long ticks)
        {
            lock (_lock)
            {
                var stale = !_known || _day != day || ticks - _refreshedAt >= (long)RefreshInterval.TotalMilliseconds;
                if (!stale || (_refreshing && _known && _day == day))
                {
                    return null;
                }

                _refreshing = true;
                _refreshedAt = ticks;
                if (_day != day)
                {
                    (_day, _counted, _admitted, _known) = (day, 0, 0, false);
                }

                return _admitted;
            }
        }

        /// <summary>
        /// Takes the database's count: the queries admitted before the read began are in it (or in flight), those
        /// admitted during the read are kept on top of it.
        /// </summary>
        public void FinishRefresh(DateOnly day, long counted, long admittedAtStart)
        {
            lock (_lock)
            {
                _refreshing = false;
                if (_day != day)
                {
                    return;
                }

                _counted = counted;
                _admitted = Math.Max(0, _admitted - admittedAtStart);
                _known = true;
            }
        }

        public void AbandonRefresh()
        {
            lock (_lock)
            {
                _refreshing = false;
                _refreshedAt = long.MinValue / 2;
            }
        }

        /// <summary>Counts one more query unless the day's total has reached <paramref name="limit"/>; <paramref name="used"/> is that total.</summary>
        public bool TryAdmit(DateOnly day, long limit, out long used)
        {
            lock (_lock)
            {
                used = _day == day ? _counted + _admitted : 0;
                if (used >= limit)
                {
                    return false;
                }

                if (_day == day)
                {
                    _admitted++;
                }

                return true;
            }
        }
    }
}
