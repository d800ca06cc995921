using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using TenantRag.Postgres;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Observability;

/// <summary>
/// The pools log through the logger factory the installation is opened with (the host's logging): Npgsql's logs arrive
/// there, never with a statement's parameter values, and the admin role's statements (which can carry a generated
/// password) are not logged at all.
/// </summary>
public sealed class NpgsqlLoggingTests(PostgresServer postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpenAsync_WithALoggerFactory_NpgsqlLogsThroughIt_NeverParameterValuesNorPasswords()
    {
        using var logs = new FakeLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var options = await postgres.OptionsAsync("s_npglog");
        await using var database = await TenantRagDatabase.OpenAsync(postgres.Endpoint, postgres.Secrets, options, loggerFactory: factory, cancellationToken: Ct);
        var dedicated = await database.Catalog.CreateAsync(Slugs.Unique("npglog"), TenancyMode.Dedicated, Ct);
        var password = postgres.Secrets.DerivePassword(database.Installation.Names.DedicatedRole(dedicated.Slug));
        var canary = "zq" + Slugs.RandomLetters(20);

        var context = new TenantContext { Tenant = dedicated.Slug, User = UserId.Parse("alice"), TenantId = dedicated.Id };
        await using (var session = await database.Search.OpenAsync(context, Ct))
        {
            await session.StartAsync(canary, Ct);
        }

        var all = logs.Collector.GetSnapshot();
        var statements = all.Where(r => r.Category == "Npgsql.Command").ToList();

        Assert.Contains(all, r => r.Category == "Npgsql.Connection");
        Assert.Contains(statements, r => r.Level == LogLevel.Debug && r.Message.Contains("tsvector_to_array", StringComparison.Ordinal));
        Assert.DoesNotContain(statements, r => r.Level >= LogLevel.Information);
        Assert.DoesNotContain(all, r => r.Message.Contains(canary, StringComparison.Ordinal));
        Assert.DoesNotContain(all, r => r.Message.Contains(password, StringComparison.Ordinal));
        Assert.DoesNotContain(all, r => r.Message.Contains("CREATE ROLE", StringComparison.Ordinal));
    }
}
