using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Pooler;

/// <summary>
/// The PgBouncer of <c>tenantrag db start --pooler</c>, under <c>$TENANTRAG_HOME/pgbouncer/</c> in front of the
/// embedded cluster. Its configuration there is the record that one was asked for: every later command that starts
/// the cluster starts it again and sends the serving role's shared connections through it.
/// </summary>
public static class EmbeddedPooler
{
    /// <summary>The PgBouncer under <paramref name="home"/>.</summary>
    public static PgBouncer For(TenantRagHome home)
    {
        ArgumentNullException.ThrowIfNull(home);
        return PgBouncer.In(Path.Combine(home.Root, "pgbouncer"));
    }

    /// <summary>Whether <c>db start --pooler</c> has set one up under <paramref name="home"/>.</summary>
    public static bool IsRecorded(TenantRagHome home) => For(home).GetStatus().Port > 0;

    /// <summary>Starts (or finds running) the pooler in front of <paramref name="endpoint"/> for the serving role.</summary>
    public static Task<PgBouncerStatus> EnsureStartedAsync(TenantRagHome home, ServerEndpoint endpoint, Secrets secrets, TenancyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(options);
        return For(home).EnsureStartedAsync(new PgBouncerSettings
        {
            ServerHost = endpoint.Host,
            ServerPort = endpoint.Port,
            Users = new Dictionary<string, string>(StringComparer.Ordinal) { [new InstallationNames(options.Prefix).AppRole] = secrets.AppPassword },
        }, cancellationToken);
    }
}
