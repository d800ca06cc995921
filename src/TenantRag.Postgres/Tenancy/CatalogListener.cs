using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TenantRag.Postgres.Fleet;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// Keeps one process's cached catalog entries (<see cref="TenantConnectionFactory"/>'s tenants, <see cref="ServerDirectory"/>'s
/// servers) in step with the catalog: one connection of its own, straight to the catalog database as the serving role
/// (never through a transaction pooler, where LISTEN does not work), listens on the channels of
/// <see cref="CatalogNotifications"/> and drops the entry each notification names, or every entry for <c>*</c>. Every
/// time it starts listening (the first time, and after a lost connection, when notifications may have been missed) it
/// drops every entry. A lost connection is opened again with a growing delay (up to <see cref="MaxRetryDelay"/>);
/// meanwhile entries are trusted for <see cref="Installation.TenancyOptions.CatalogCacheTtl"/>, as without a listener.
/// </summary>
public sealed partial class CatalogListener
{
    /// <summary>The longest wait before opening a lost connection again.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(15);

    // The listening connection is asked a question this often at most: the answer tells a live connection from one whose
    // server went away without a word (a reboot, a cut network), which waiting alone would never notice, and confirms that
    // every change committed before the question was heard (CatalogFreshness).
    private static readonly TimeSpan MaxCheckInterval = TimeSpan.FromSeconds(30);

    private readonly Installation.Installation _installation;
    private readonly TenantConnectionFactory _sessions;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the listener of <paramref name="installation"/>'s catalog for <paramref name="sessions"/>' caches.</summary>
    public CatalogListener(Installation.Installation installation, TenantConnectionFactory sessions, ILogger<CatalogListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(installation);
        ArgumentNullException.ThrowIfNull(sessions);
        _installation = installation;
        _sessions = sessions;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Called with each notification's channel and payload once it was acted on (tests wait for one with it).</summary>
    internal Action<string, string>? Handled { get; set; }

    /// <summary>Completes once the listener listens for the first time.</summary>
    public Task Listening => _listening.Task;

    /// <summary>Listens until <paramref name="cancellationToken"/> is cancelled, opening the connection again whenever it is lost.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // One connection, not a pool: it is held for as long as the process serves.
        var builder = new NpgsqlConnectionStringBuilder(_installation.AppConnectionString(_installation.Names.Catalog, 1))
        {
            Pooling = false,
            ApplicationName = "tenantrag catalog listener",
        };
        await using var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = "catalog-listener" }.Build();
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(dataSource, failures, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The message names what failed and where (host and port), never a password or a connection string.
                failures++;
                var delay = RetryDelay(failures);
                Log.Lost(_logger, ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Waits after the <paramref name="failures"/>-th failure in a row: 0.5 s, doubling, up to <see cref="MaxRetryDelay"/>.</summary>
    internal static TimeSpan RetryDelay(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxRetryDelay.TotalMilliseconds, 500 * Math.Pow(2, Math.Clamp(failures - 1, 0, 16))));

    /// <summary>Acts on one notification: drops the entry its payload names, every entry for <c>*</c>, nothing for anything else.</summary>
    internal void OnNotification(string channel, string payload)
    {
        switch (channel)
        {
            case CatalogNotifications.TenantsChannel when payload == CatalogNotifications.Everything:
                _sessions.InvalidateAll();
                break;
            case CatalogNotifications.TenantsChannel when TenantSlug.TryParse(payload, out var slug):
                _sessions.Invalidate(slug);
                break;
            case CatalogNotifications.ServersChannel when payload == CatalogNotifications.Everything:
                _sessions.Servers.InvalidateAll();
                break;
            case CatalogNotifications.ServersChannel when ServerName.IsValid(payload):
                _sessions.Servers.Invalidate(payload);
                break;
            default:
                Log.Ignored(_logger, channel, payload.Length > 64 ? payload[..64] + "..." : payload);
                break;
        }

        Handled?.Invoke(channel, payload);
    }

    // Returns only by an exception: the connection was lost, or the listener was cancelled.
    private async Task ListenAsync(NpgsqlDataSource dataSource, int failures, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        connection.Notification += (_, e) => OnNotification(e.Channel, e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {CatalogNotifications.TenantsChannel}; LISTEN {CatalogNotifications.ServersChannel}", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Listening first, forgetting second: a change committed in between is both forgotten and notified, never missed.
        _sessions.InvalidateAll();
        if (failures > 0)
        {
            Log.Listening(_logger, failures);
        }

        _listening.TrySetResult();
        try
        {
            // A round trip twice per cache lifetime: cached entries stay trusted for as long as it keeps answering.
            var interval = TimeSpan.FromMilliseconds(Math.Clamp(_installation.Options.CatalogCacheTtl.TotalMilliseconds / 2, 100, MaxCheckInterval.TotalMilliseconds));
            await using var check = new NpgsqlCommand("SELECT 1", connection);
            while (true)
            {
                var started = Environment.TickCount64;
                await check.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                _sessions.Freshness.Heard(started);
                for (var left = interval; left > TimeSpan.Zero; left = interval - TimeSpan.FromMilliseconds(Environment.TickCount64 - started))
                {
                    await connection.WaitAsync(left, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _sessions.Freshness.Lost();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1701, Level = LogLevel.Warning,
            Message = "The catalog listener lost its connection ({Reason}); cached tenants may be stale for up to Database:CatalogCacheTtl until it is back; trying again in {DelaySeconds} s")]
        public static partial void Lost(ILogger logger, string reason, double delaySeconds);

        [LoggerMessage(EventId = 1702, Level = LogLevel.Information, Message = "The catalog listener is listening again after {Failures} failed attempts; every cached catalog entry was dropped")]
        public static partial void Listening(ILogger logger, int failures);

        [LoggerMessage(EventId = 1703, Level = LogLevel.Debug, Message = "The catalog listener ignored a notification on {Channel} that names no tenant or server: '{Payload}'")]
        public static partial void Ignored(ILogger logger, string channel, string payload);
    }
}
