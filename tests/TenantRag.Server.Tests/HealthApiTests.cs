using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// Liveness says the process serves HTTP; readiness also asks the database as the serving role, and says 503 (with no
/// connection details) while the database refuses it, then ready again once it is back.
/// </summary>
public sealed class HealthApiTests(PostgresServer postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ready_WhileTheDatabaseRefusesTheServingRole_Is503_LiveStays200_ReadyAgainAfter()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_health");
        var app = server.Database.Installation.Names.AppRole;

        var live = await server.GetAsync("/healthz/live", null);
        var ready = await server.GetAsync("/healthz/ready", null);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("ok", (await live.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await ready.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());

        try
        {
            // The serving role may no longer log in, and its pooled connections are gone.
            await postgres.ExecuteAsync("postgres", $"ALTER ROLE \"{app}\" NOLOGIN");
            await postgres.ExecuteAsync("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", app);

            var down = await server.GetAsync("/healthz/ready", null);
            var body = await down.Content.ReadAsStringAsync(Ct);
            var stillLive = await server.GetAsync("/healthz", null);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Equal("application/problem+json", down.Content.Headers.ContentType?.MediaType);
            Assert.Equal("unavailable", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
            Assert.DoesNotContain(app, body, StringComparison.Ordinal);
            Assert.DoesNotContain("password", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, stillLive.StatusCode);
        }
        finally
        {
            await postgres.ExecuteAsync("postgres", $"ALTER ROLE \"{app}\" LOGIN");
        }

        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/healthz/ready", null)).StatusCode);
    }
}
