using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TenantRag.Tenancy;

namespace TenantRag.Server.Tenancy;

/// <summary>
/// Creates a per-user tenant on its first request (<see cref="ServerOptions.AutoProvision"/>), within two caps: the
/// catalog's size (<see cref="ServerOptions.AutoProvisionMaxTenants"/>) and a rate (<see cref="ServerOptions.AutoProvisionPerMinute"/>),
/// so that minting subjects cannot make the server create databases without end.
/// </summary>
internal sealed partial class AutoProvisioner(ITenantCatalog catalog, ITenantConnectionFactory sessions, ServerOptions server, ILogger<AutoProvisioner> logger) : IDisposable
{
    private readonly TokenBucketRateLimiter _rate = new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = server.AutoProvisionPerMinute,
        TokensPerPeriod = server.AutoProvisionPerMinute,
        ReplenishmentPeriod = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    // How long a user is asked to wait when no server has room: an operator has to act first.
    private const int FleetFullRetrySeconds = 60;

    /// <summary>What happened: the tenant, or why it was not made (status, title, detail, seconds to wait).</summary>
    public sealed record Outcome(TenantInfo? Tenant, int Status = 0, string Title = "", string Detail = "", int RetryAfterSeconds = 0);

    /// <summary>Creates <paramref name="slug"/> (or takes the one a concurrent first request made) unless a cap says no.</summary>
    public async Task<Outcome> ProvisionAsync(TenantSlug slug, CancellationToken cancellationToken)
    {
        if (await catalog.CountAsync(cancellationToken).ConfigureAwait(false) >= server.AutoProvisionMaxTenants)
        {
            Log.CapReached(logger, server.AutoProvisionMaxTenants);
            return new Outcome(null, StatusCodes.Status403Forbidden, "Tenant limit reached",
                $"this server provisions at most {server.AutoProvisionMaxTenants} tenants (Tenancy:AutoProvisionMaxTenants); ask the operator to create yours");
        }

        using var lease = _rate.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
            return new Outcome(null, StatusCodes.Status429TooManyRequests, "Too many new tenants",
                $"new tenants are being created faster than {server.AutoProvisionPerMinute} a minute (Tenancy:AutoProvisionPerMinute); retry after {wait} s", wait);
        }

        try
        {
            await catalog.CreateAsync(slug, server.AutoProvisionMode, cancellationToken).ConfigureAwait(false);
            Log.Provisioned(logger, slug.Value, server.AutoProvisionMode.ToName());
        }
        catch (TenantAlreadyExistsException)
        {
            // A concurrent first request made it.
        }
        catch (FleetFullException)
        {
            // Placement found no server with room: the operator's to fix (server add, server set --capacity).
            Log.FleetFull(logger);
            return new Outcome(null, StatusCodes.Status503ServiceUnavailable, "No room for a new tenant",
                "every server of this installation holds as many tenants as it should: try again later, or ask the operator", FleetFullRetrySeconds);
        }

        sessions.Invalidate(slug);
        return new Outcome(await sessions.ResolveAsync(slug, cancellationToken).ConfigureAwait(false));
    }

    public void Dispose() => _rate.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Provisioned tenant {Tenant} ({Mode}) on its first request")]
        public static partial void Provisioned(ILogger logger, string tenant, string mode);

        [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Auto-provisioning refused: every active server is full; add a server or raise a capacity (tenantrag server add|set)")]
        public static partial void FleetFull(ILogger logger);

        [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Auto-provisioning refused: the catalog holds {Cap} tenants or more (Tenancy:AutoProvisionMaxTenants)")]
        public static partial void CapReached(ILogger logger, int cap);
    }
}
