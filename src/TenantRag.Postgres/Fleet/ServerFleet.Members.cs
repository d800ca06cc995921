using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Fleet;

public sealed partial class ServerFleet
{
    /// <summary>
    /// The installation on <paramref name="server"/>: the primary's own, or the same names, roles and passwords reached
    /// at the server's address (for the admin and serving roles; no bootstrap password).
    /// </summary>
    internal static Installation.Installation On(Installation.Installation primary, FleetServer server) =>
        server.Name == ServerName.Primary ? primary : primary.OnServer(server.Name, server.Endpoint(password: string.Empty));

    /// <summary>
    /// How to reach <paramref name="server"/> as its bootstrap role: the primary as the installation is configured, any
    /// other with the password <see cref="ServerCredentials"/> keeps (read from <paramref name="home"/> or the environment).
    /// </summary>
    /// <exception cref="TenantRagException">The password is not where the catalog says it is.</exception>
    internal static ServerEndpoint BootstrapEndpoint(Installation.Installation primary, FleetServer server, TenantRagHome? home) =>
        server.Name == ServerName.Primary
            ? primary.Endpoint
            : server.Endpoint(ServerCredentials.Read(home, server.Name, server.Credentials
                ?? throw new TenantRagException($"server '{server.Name}': the catalog does not say where its password is kept: run 'tenantrag server add {server.Name} --url ...' again")));
}
