using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Pooler;
using TenantRag.Hosting;

namespace TenantRag.Cli.Commands;

/// <summary>The <c>--pooler</c> part of <c>tenantrag db start|stop|status</c>: a PgBouncer in front of the embedded cluster.</summary>
internal static class DbPooler
{
    /// <summary>Starts the embedded cluster and a PgBouncer in front of it, and records it for later commands.</summary>
    public static async Task StartAsync(CliContext cli)
    {
        if (CliContext.IsExternal)
        {
            throw new UsageException("--pooler starts a PgBouncer for the embedded cluster; for the server of TENANTRAG_DATABASE_URL, run PgBouncer in transaction mode and set TenantRag:Database:PoolerUrl to its host:port");
        }

        var secrets = Secrets.LoadOrCreate(cli.Home);
        var cluster = await EmbeddedCluster.OpenAsync(cli.Home, secrets, cancellationToken: cli.CancellationToken).ConfigureAwait(false);
        var endpoint = await cluster.EnsureStartedAsync(cli.CancellationToken).ConfigureAwait(false);
        await EmbeddedPooler.EnsureStartedAsync(cli.Home, endpoint, secrets, TenantRagSettings.Read(cli.Configuration).Tenancy, cli.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the recorded PgBouncer, if it runs. Its configuration stays: the next start brings it back.</summary>
    public static Task<bool> StopAsync(CliContext cli) => EmbeddedPooler.For(cli.Home).StopAsync(cli.CancellationToken);

    /// <summary>The recorded PgBouncer's state for <c>db status</c>, or null when there is none.</summary>
    public static PgBouncerStatus? Status(CliContext cli) =>
        EmbeddedPooler.IsRecorded(cli.Home) ? EmbeddedPooler.For(cli.Home).GetStatus() : null;
}
