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

    private PgBouncerServer(PgBouncer pgBouncer, PgBouncerStatus status)
    {
        _pgBouncer = pgBouncer;
        Status = status;
    }

    /// <summary>Where it listens, and its process.</summary>
    public PgBouncerStatus Status { get; }

    /// <summary><c>host:port</c>, as <c>TenantRag:Database:PoolerUrl</c> takes it.</summary>
    public string Address => Status.Address;

    /// <summary>Starts a pooler in front of <paramref name="server"/> for the serving role of the installation named by <paramref name="prefix"/>.</summary>
    public static async Task<PgBouncerServer> StartAsync(PostgresServer server, string prefix, int defaultPoolSize = 4)
    {
        ArgumentNullException.ThrowIfNull(server);
        var names = new InstallationNames(prefix);
        var pgBouncer = PgBouncer.In(Path.Combine(server.Home.Root, "pgbouncer-" + Slugs.RandomLetters(8)));
        var status = await pgBouncer.EnsureStartedAsync(new PgBouncerSettings
        {
            ServerHost = server.Endpoint.Host,
            ServerPort = server.Endpoint.Port,
            Users = new Dictionary<string, string>(StringComparer.Ordinal) { [names.AppRole] = server.Secrets.AppPassword },
            DefaultPoolSize = defaultPoolSize,
        }, TestContext.Current.CancellationToken).ConfigureAwait(false);
        return new PgBouncerServer(pgBouncer, status);
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
