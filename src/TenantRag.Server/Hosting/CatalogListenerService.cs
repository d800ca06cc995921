using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres.Tenancy;

namespace TenantRag.Hosting;

/// <summary>
/// Runs the <see cref="CatalogListener"/> of the host's installation while the host runs: tenants and servers changed
/// in the catalog by another process (deleted, suspended, moved) are dropped from this process's caches at once.
/// </summary>
internal sealed class CatalogListenerService(TenantRagRuntime runtime, ILogger<CatalogListener> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        new CatalogListener(runtime.Database.Installation, runtime.Database.Sessions, logger).RunAsync(stoppingToken);
}
