using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Pooler;
using Xunit;

namespace TenantRag.Testing;

/// <summary>
/// A throwaway PgBouncer in transaction mode on a free loopback port in front of the test server, logging in the
/// serving role of an installation (SCRAM through a 0600 auth file written from the installation's secrets). Run as
/// the <c>postgres</c> user when the tests run as root, under the test home; stopped and removed on dispose.
/// </summary>
public sealed class PgBouncerServer : IAsyncDisposable
{
    private readonly PgBouncer _pgBouncer;
    private readonly PgBouncerSettings _settings;

    private PgBouncerServer(PgBouncer pgBouncer, PgBouncerSettings settings, PgBouncerStatus status)
    {
        _pgBouncer = pgBouncer;
        _settings = settings;
        Status = status;
    }

    /// <summary>Where it listens, and its process.</summary>
    public PgBouncerStatus Status { get; }

    /// <summary><c>host:port</c>, as <c>TenantRag:Database:PoolerUrl</c> takes it.</summary>
    public string Address => Status.Address;

    /// <summary>Starts a pooler in front of <paramref name="server"/> for the serving role of the installation named by <paramref name="prefix"/>.</summary>
    public static Task<PgBouncerServer> StartAsync(PostgresServer server, string prefix, int defaultPoolSize = 4)
    {
        ArgumentNullException.ThrowIfNull(server);
        return StartAsync(Path.Combine(server.Home.Root, "pgbouncer-" + Slugs.RandomLetters(8)), server.Endpoint.Host, server.Endpoint.Port,
            new Dictionary<string, string>(StringComparer.Ordinal) { [new InstallationNames(prefix).AppRole] = server.Secrets.AppPassword }, defaultPoolSize);
    }

    /// <summary>
    /// Starts a pooler under <paramref name="directory"/> (a new one, removed on dispose) in front of the server at
    /// <paramref name="serverHost"/>:<paramref name="serverPort"/> (any cluster: another server of a fleet), letting
    /// <paramref name="users"/> (role, password) in.
    /// </summary>
    public static async Task<PgBouncerServer> StartAsync(string directory, string serverHost, int serverPort, IReadOnlyDictionary<string, string> users, int defaultPoolSize = 4)
    {
        var pgBouncer = PgBouncer.In(directory);
        var settings = new PgBouncerSettings
        {
            ServerHost = serverHost,
            ServerPort = serverPort,
            Users = users,
            DefaultPoolSize = defaultPoolSize,
        };
        var status = await pgBouncer.EnsureStartedAsync(settings, TestContext.Current.CancellationToken).ConfigureAwait(false);
        return new PgBouncerServer(pgBouncer, settings, status);
    }

    /// <summary>Stops it (its directory stays, so <see cref="RestartAsync"/> can start it again on the same port).</summary>
    public Task StopAsync() => _pgBouncer.StopAsync(TestContext.Current.CancellationToken);

    /// <summary>Starts it again after <see cref="StopAsync"/>, on the port it had (a no-op while it runs).</summary>
    public async Task RestartAsync()
    {
        var status = await _pgBouncer.EnsureStartedAsync(_settings with { ListenPort = Status.Port }, TestContext.Current.CancellationToken).ConfigureAwait(false);
        if (status.Port != Status.Port)
        {
            throw new InvalidOperationException($"PgBouncer came back on port {status.Port}, not {Status.Port}");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _pgBouncer.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            if (Directory.Exists(_pgBouncer.Directory))
            {
                Directory.Delete(_pgBouncer.Directory, recursive: true);
            }
        }
    }
}
