using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// The keys of an external identity provider, over real HTTP against <see cref="JwksServer"/>: a key the provider
/// retires stops validating after the next scheduled refresh, and a slow provider plus tokens naming random key ids
/// neither stack up fetches nor hold up tokens signed with keys already known, and make no request wait for long.
/// </summary>
public sealed class SigningKeyRefreshTests(PostgresServer postgres)
{
    // Long enough for any scheduled step of these tests on a loaded machine; never reached when all is well.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RetiredKey_StopsValidating_AfterTheNextScheduledRefresh()
    {
        // The provider says the key set may be cached for a second; the server keeps it at least that long.
        await using var idp = await JwksServer.StartAsync(cacheControl: "public, max-age=1");
        var (server, tenant) = await StartServerAsync(idp, ("Auth:KeyCacheMinSeconds", "1"));
        await using var _ = server;
        var leaked = idp.CurrentKey;
        var leakedToken = idp.Token(tenant, "alice");
        var before = await server.GetAsync("/v1/documents", leakedToken);

        idp.Rotate();
        idp.Retire(leaked);
        var fetches = idp.Fetches;
        // Two more fetches: the first one after the retirement has then been answered and applied.
        await WaitUntilAsync(() => idp.Fetches >= fetches + 2, "the server never fetched the JWKS again on its own");
        var after = await server.GetAsync("/v1/documents", leakedToken);
        var current = await server.GetAsync("/v1/documents", idp.Token(tenant, "alice"));

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
    }

    [Fact]
    public async Task RandomKeyIds_AgainstAHeldJwks_OneFetchInFlightAndKnownKeysNotHeldUp()
    {
        await using var idp = await JwksServer.StartAsync();
        var (server, tenant) = await StartServerAsync(idp, ("Auth:KeyRefreshMinSeconds", "1"), ("Auth:KeyWaitSeconds", "30"));
        await using var _ = server;
        var keys = server.App.Services.GetRequiredService<SigningKeyStore>();
        var valid = idp.Token(tenant, "alice");
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/v1/documents", valid)).StatusCode);
        var fetchesBefore = idp.Fetches;

        // The provider stops answering; tokens naming key ids it never had keep coming until one makes the server
        // fetch (at most one refresh a second), then 20 more.
        idp.Hold();
        using var mallorysKey = RSA.Create(2048);
        var probes = new List<Task<HttpResponseMessage>>();
        Task<HttpResponseMessage> Probe() => server.GetAsync("/v1/documents",
            idp.Token(tenant, "mallory", signingKey: new RsaSecurityKey(mallorysKey) { KeyId = Guid.NewGuid().ToString("N") }));
        await WaitUntilAsync(() =>
        {
            probes.Add(Probe());
            return idp.InFlight > 0;
        }, "no token with an unknown key id made the server fetch the JWKS", TimeSpan.FromMilliseconds(100));
        for (var i = 0; i < 20; i++)
        {
            probes.Add(Probe());
        }

        var known = await server.GetAsync("/v1/documents", valid);
        var heldWhileKnownAnswered = idp.InFlight;
        // Every probe still open is waiting for the one fetch in flight (none is about to start another) ...
        await WaitUntilAsync(() => keys.Waiting == probes.Count(p => !p.IsCompleted), "the probes never all waited for the JWKS fetch");
        // ... and keeps waiting longer than the refresh interval: nothing but the fetch in flight keeps them from fetching.
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        var waitingBeforeRelease = keys.Waiting;
        idp.Release();
        var refused = await Task.WhenAll(probes).WaitAsync(Patience, Ct);

        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal(1, heldWhileKnownAnswered);
        Assert.True(waitingBeforeRelease >= 20, $"{waitingBeforeRelease} probes waited");
        Assert.All(refused, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal(1, idp.MaxInFlight);
        Assert.Equal(1, idp.Fetches - fetchesBefore);
    }

    [Fact]
    public async Task UnknownKeyId_AgainstAHeldJwks_WaitsNoLongerThanConfigured()
    {
        await using var idp = await JwksServer.StartAsync();
        var (server, tenant) = await StartServerAsync(idp, ("Auth:KeyRefreshMinSeconds", "0"), ("Auth:KeyWaitSeconds", "1"));
        await using var _ = server;
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/v1/documents", idp.Token(tenant, "alice"))).StatusCode);

        idp.Hold();
        var response = await server.GetAsync("/v1/documents", idp.Token(tenant, "alice", signingKey: JwksServer.NewKey())).WaitAsync(Patience, Ct);
        var stillHeld = idp.InFlight;

        // Refused after the configured second, while the fetch it started is still waiting for the provider.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(1, stillHeld);
    }

    private async Task<(TestServer Server, string Tenant)> StartServerAsync(JwksServer idp, params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Auth:JwksUrl"] = idp.JwksUrl,
            ["Auth:Issuer"] = JwksServer.Issuer,
            ["Auth:Audience"] = JwksServer.Audience,
            ["Auth:RequireHttpsMetadata"] = "false",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var server = await TestServer.StartAsync(postgres, "s_keys", all);
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("keys"), TenancyMode.Shared, Ct);
        return (server, tenant.Slug.Value);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure, TimeSpan? poll = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Patience);
        while (!condition())
        {
            try
            {
                await Task.Delay(poll ?? TimeSpan.FromMilliseconds(50), timeout.Token);
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                Assert.Fail($"{failure} (waited {Patience.TotalSeconds:0} s)");
            }
        }
    }
}
