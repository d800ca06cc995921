using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <see cref="CatalogListener"/> on a real catalog, in one "process" (<c>_served</c>, trusting a looked-up tenant for ten
/// minutes) while another (<c>_operator</c>) or plain SQL changes the catalog: each notification drops what it names and
/// nothing else, <c>*</c> drops everything, junk is ignored, and a lost connection comes back and drops everything (what
/// changed meanwhile was not heard).
/// </summary>
public sealed class CatalogListenerTests(PostgresServer server) : IAsyncLifetime
{
    private const string Prefix = "t_listen";

    // Far beyond Prompt: what changes within Prompt was not the cache expiring.
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _stop = new();
    private readonly CapturingLogger _log = new();
    private TenantRagDatabase _served = null!;
    private TenantRagDatabase _operator = null!;
    private CatalogListener _listener = null!;
    private Task _running = Task.CompletedTask;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string CatalogDatabase => _served.Installation.Names.Catalog;

    public async ValueTask InitializeAsync()
    {
        _served = await server.OpenInstallationAsync(Prefix, o => o.CatalogCacheTtl = Ttl);
        _operator = await server.OpenInstallationAsync(Prefix, o => o.CatalogCacheTtl = Ttl);
        _listener = new CatalogListener(_served.Installation, _served.Sessions, _log);
        _running = _listener.RunAsync(_stop.Token);
        await _listener.Listening.WaitAsync(Prompt, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _stop.Dispose();
        await _served.DisposeAsync();
        await _operator.DisposeAsync();
    }

    [Fact]
    public async Task TenantCreatedByAnotherProcess_FoundAtOnceThoughItsAbsenceWasCached()
    {
        var slug = Slugs.Unique("listen");
        await Assert.ThrowsAsync<TenantNotFoundException>(() => _served.Sessions.ResolveAsync(slug, Ct));

        await _operator.Catalog.CreateAsync(slug, TenancyMode.Shared, Ct);

        await EventuallyAsync(() => ResolvesAsync(slug));
        await _operator.Catalog.DeleteAsync(slug, Ct);
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task TenantDeletedByAnotherProcess_NotFoundAtOnce(TenancyMode mode)
    {
        var slug = Slugs.Unique("listen");
        await _operator.Catalog.CreateAsync(slug, mode, Ct);
        await SettleAsync();
        Assert.Equal("active", (await _served.Sessions.ResolveAsync(slug, Ct)).Status);

        await _operator.Catalog.DeleteAsync(slug, Ct);

        await EventuallyAsync(async () => !await ResolvesAsync(slug));
    }

    [Fact]
    public async Task Notification_DropsOnlyTheTenantItNames_AndStarDropsEvery()
    {
        var (first, second) = (Slugs.Unique("listen"), Slugs.Unique("listen"));
        await _operator.Catalog.CreateAsync(first, TenancyMode.Shared, Ct);
        await _operator.Catalog.CreateAsync(second, TenancyMode.Shared, Ct);
        await SettleAsync();
        Assert.True(await ResolvesAsync(first) && await ResolvesAsync(second));

        // Both marked deleting by hand, without a word: both stay cached as they were.
        await server.ExecuteAsync(CatalogDatabase, "UPDATE tenantrag.tenants SET status = 'deleting' WHERE slug IN ($1, $2)", first.Value, second.Value);
        Assert.True(await ResolvesAsync(first) && await ResolvesAsync(second));

        await NotifyAsync("tenantrag_catalog", first.Value);
        await EventuallyAsync(async () => !await ResolvesAsync(first));
        Assert.True(await ResolvesAsync(second));

        await NotifyAsync("tenantrag_catalog", "*");
        await EventuallyAsync(async () => !await ResolvesAsync(second));
        await _operator.Catalog.DeleteAsync(first, Ct);
        await _operator.Catalog.DeleteAsync(second, Ct);
    }

    [Theory]
    [InlineData("tenantrag_catalog", "Not A Slug!")]
    [InlineData("tenantrag_catalog", "")]
    [InlineData("tenantrag_catalog", "acme'; DROP TABLE tenantrag.tenants; --")]
    [InlineData("tenantrag_servers", "Bad_Server")]
    public async Task Notification_NamingNothing_IsIgnoredAndListeningGoesOn(string channel, string payload)
    {
        var slug = Slugs.Unique("listen");
        await _operator.Catalog.CreateAsync(slug, TenancyMode.Shared, Ct);
        await SettleAsync();
        Assert.True(await ResolvesAsync(slug));
        await server.ExecuteAsync(CatalogDatabase, "UPDATE tenantrag.tenants SET status = 'deleting' WHERE slug = $1", slug.Value);

        await NotifyAsync(channel, payload);
        await SettleAsync();
        var cachedAfterJunk = await ResolvesAsync(slug);
        await NotifyAsync("tenantrag_catalog", slug.Value);

        // The junk dropped nothing, and the listener still listens.
        Assert.True(cachedAfterJunk);
        await EventuallyAsync(async () => !await ResolvesAsync(slug));
        Assert.False(_running.IsCompleted);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("ignored", StringComparison.Ordinal));
        await _operator.Catalog.DeleteAsync(slug, Ct);
    }

    [Fact]
    public async Task ServerRowChanged_DirectoryForgetsItWhenNotified()
    {
        await server.ExecuteAsync(CatalogDatabase,
            "INSERT INTO tenantrag.servers (id, host, port, credentials) VALUES ('listen-far', '127.0.0.1', 1, 'file') ON CONFLICT (id) DO UPDATE SET port = 1");
        try
        {
            Assert.Equal(1, (await _served.Sessions.Servers.GetAsync("listen-far", Ct)).Endpoint.Port);
            await server.ExecuteAsync(CatalogDatabase, "UPDATE tenantrag.servers SET port = 2 WHERE id = 'listen-far'");
            Assert.Equal(1, (await _served.Sessions.Servers.GetAsync("listen-far", Ct)).Endpoint.Port);

            await NotifyAsync("tenantrag_servers", "listen-far");

            await EventuallyAsync(async () => (await _served.Sessions.Servers.GetAsync("listen-far", Ct)).Endpoint.Port == 2);
        }
        finally
        {
            await server.ExecuteAsync(CatalogDatabase, "DELETE FROM tenantrag.servers WHERE id = 'listen-far'");
        }
    }

    [Fact]
    public async Task ServerRemovedByAnotherProcess_DirectoryForgetsItAtOnce()
    {
        await server.ExecuteAsync(CatalogDatabase,
            "INSERT INTO tenantrag.servers (id, host, port, credentials) VALUES ('listen-gone', '127.0.0.1', 1, 'file') ON CONFLICT (id) DO UPDATE SET status = 'active'");
        var home = new Installation.TenantRagHome(Path.Combine(Path.GetTempPath(), "tenantrag-listen-" + Slugs.RandomLetters(8)));
        Directory.CreateDirectory(home.ServersDirectory);
        try
        {
            Assert.Equal(1, (await _served.Sessions.Servers.GetAsync("listen-gone", Ct)).Endpoint.Port);

            await new Fleet.ServerFleet(_operator, home).RemoveAsync("listen-gone", Ct);

            await EventuallyAsync(async () =>
                (await Record.ExceptionAsync(() => _served.Sessions.Servers.GetAsync("listen-gone", Ct).AsTask()))?.Message.Contains("not in the fleet", StringComparison.Ordinal) == true);
        }
        finally
        {
            await server.ExecuteAsync(CatalogDatabase, "DELETE FROM tenantrag.servers WHERE id = 'listen-gone'");
            Directory.Delete(home.Root, recursive: true);
        }
    }

    [Fact]
    public async Task ConnectionLost_ReconnectsDropsEverythingAndStillListens()
    {
        var (stale, later) = (Slugs.Unique("listen"), Slugs.Unique("listen"));
        await _operator.Catalog.CreateAsync(stale, TenancyMode.Shared, Ct);
        await _operator.Catalog.CreateAsync(later, TenancyMode.Shared, Ct);
        await SettleAsync();
        Assert.True(await ResolvesAsync(stale) && await ResolvesAsync(later));

        // The listener's connection is cut (as a server restart or a network cut would), and a change is made without a
        // notification meanwhile: only the reconnection's forgetting everything can explain seeing it.
        await server.ExecuteAsync("postgres",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tenantrag catalog listener'", CatalogDatabase);
        await server.ExecuteAsync(CatalogDatabase, "UPDATE tenantrag.tenants SET status = 'deleting' WHERE slug = $1", stale.Value);

        await EventuallyAsync(async () => !await ResolvesAsync(stale));
        Assert.True(await ResolvesAsync(later));
        await _operator.Catalog.DeleteAsync(later, Ct);
        await EventuallyAsync(async () => !await ResolvesAsync(later));
        var warning = Assert.Single(_log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("lost its connection", warning.Message, StringComparison.Ordinal);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("listening again", StringComparison.Ordinal));
        foreach (var secret in new[] { server.Secrets.AppPassword, server.Secrets.AdminPassword, server.Endpoint.BootstrapPassword })
        {
            Assert.DoesNotContain(_log.Entries, e => e.Message.Contains(secret, StringComparison.Ordinal));
        }

        await _operator.Catalog.DeleteAsync(stale, Ct);
    }

    [Fact]
    public void Cache_ReadOverlappedByAnInvalidation_IsNotKept()
    {
        var cache = new CatalogEntryCache<string, int>(new CatalogFreshness());

        // A read began (its stamp taken), the entry was invalidated while the read was answered, then it was stored.
        var stamp = cache.Stamp();
        cache.Invalidate("acme");
        cache.Set("acme", 1, stamp);
        var keptAfterOverlap = cache.TryGet("acme", Ttl, out _);

        cache.Set("acme", 2, cache.Stamp());
        var keptOtherwise = cache.TryGet("acme", Ttl, out var value);

        Assert.False(keptAfterOverlap);
        Assert.True(keptOtherwise);
        Assert.Equal(2, value);
    }

    [Fact]
    public async Task ShortTtl_WithAListener_EntriesOutliveItUntilNotified_WithoutOneTheyExpire()
    {
        // Two processes trusting an entry for 1 s; only one listens. A change the product would notify is made without
        // a notification: after 2.5 s the listening process still serves its entry (its listener confirms every change
        // older than 1 s was heard, so there is nothing to look up), the other has looked the tenant up again. Then the
        // notification drops the listening process's entry at once.
        var ttl = TimeSpan.FromSeconds(1);
        await using var listening = await server.OpenInstallationAsync(Prefix, o => o.CatalogCacheTtl = ttl);
        await using var polling = await server.OpenInstallationAsync(Prefix, o => o.CatalogCacheTtl = ttl);
        var listener = new CatalogListener(listening.Installation, listening.Sessions);
        using var stop = new CancellationTokenSource();
        var running = listener.RunAsync(stop.Token);
        await listener.Listening.WaitAsync(Prompt, Ct);
        var slug = Slugs.Unique("listen");
        await _operator.Catalog.CreateAsync(slug, TenancyMode.Shared, Ct);
        await SettleAsync(listener); // the create's own notification heard before the entry is read
        await listening.Sessions.ResolveAsync(slug, Ct);
        await polling.Sessions.ResolveAsync(slug, Ct);

        await server.ExecuteAsync(CatalogDatabase, "UPDATE tenantrag.tenants SET status = 'deleting' WHERE slug = $1", slug.Value);
        await Task.Delay(ttl * 2.5, Ct);
        var listenedServes = await ResolvesAsync(listening, slug);
        var polledServes = await ResolvesAsync(polling, slug);
        await NotifyAsync("tenantrag_catalog", slug.Value);
        await EventuallyAsync(async () => !await ResolvesAsync(listening, slug));
        await stop.CancelAsync();
        await running;

        Assert.True(listenedServes);
        Assert.False(polledServes);
        await server.ExecuteAsync(CatalogDatabase, "UPDATE tenantrag.tenants SET status = 'active' WHERE slug = $1", slug.Value);
        await _operator.Catalog.DeleteAsync(slug, Ct);
    }

    [Fact]
    public async Task Cache_OlderThanItsLifetime_TrustedOnlyWhileEveryChangeIsKnownHeard()
    {
        var freshness = new CatalogFreshness();
        var cache = new CatalogEntryCache<string, int>(freshness);
        var lifetime = TimeSpan.FromMilliseconds(200);
        cache.Set("acme", 1, cache.Stamp());
        await Task.Delay(lifetime * 2, Ct);

        var expiredUnheard = cache.TryGet("acme", lifetime, out _);
        freshness.Heard(Environment.TickCount64);
        var heard = cache.TryGet("acme", lifetime, out var value);
        await Task.Delay(lifetime * 2, Ct);
        var heardLongAgo = cache.TryGet("acme", lifetime, out _);
        freshness.Heard(Environment.TickCount64);
        freshness.Heard(Environment.TickCount64 - 10_000); // an older confirmation never moves it back
        var heardAgain = cache.TryGet("acme", lifetime, out _);
        freshness.Lost();
        var lost = cache.TryGet("acme", lifetime, out _);

        Assert.False(expiredUnheard);
        Assert.True(heard);
        Assert.Equal(1, value);
        Assert.False(heardLongAgo);
        Assert.True(heardAgain);
        Assert.False(lost);
    }

    [Fact]
    public void RetryDelay_DoublesFromHalfASecondUpToTheMost()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), CatalogListener.RetryDelay(1));
        Assert.Equal(TimeSpan.FromSeconds(1), CatalogListener.RetryDelay(2));
        Assert.Equal(TimeSpan.FromSeconds(8), CatalogListener.RetryDelay(5));
        Assert.Equal(CatalogListener.MaxRetryDelay, CatalogListener.RetryDelay(6));
        Assert.Equal(CatalogListener.MaxRetryDelay, CatalogListener.RetryDelay(int.MaxValue));
    }

    private Task<bool> ResolvesAsync(TenantSlug slug) => ResolvesAsync(_served, slug);

    private static async Task<bool> ResolvesAsync(TenantRagDatabase process, TenantSlug slug)
    {
        try
        {
            await process.Sessions.ResolveAsync(slug, Ct);
            return true;
        }
        catch (TenantNotFoundException)
        {
            return false;
        }
    }

    // Waits until the listener has acted on every notification sent so far: they arrive in the order they committed,
    // so once a notification sent now is handled, so are the earlier ones (the creates' and deletes' own).
    private Task SettleAsync() => SettleAsync(_listener);

    private async Task SettleAsync(CatalogListener listener)
    {
        var sentinel = Slugs.UniqueText("sentinel");
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Handled = (_, payload) =>
        {
            if (payload == sentinel)
            {
                seen.TrySetResult();
            }
        };
        await NotifyAsync("tenantrag_catalog", sentinel);
        await seen.Task.WaitAsync(Prompt, Ct);
        listener.Handled = null;
    }

    private Task NotifyAsync(string channel, string payload) =>
        server.ExecuteAsync(CatalogDatabase, "SELECT pg_notify($1, $2)", channel, payload);

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < Prompt, $"not so after {waited.Elapsed}");
            await Task.Delay(50, Ct);
        }
    }

    private sealed record LogEntry(LogLevel Level, string Message);

    private sealed class CapturingLogger : ILogger<CatalogListener>
    {
        private readonly Lock _gate = new();
        private readonly List<LogEntry> _entries = [];

        public IReadOnlyList<LogEntry> Entries
        {
            get
            {
                lock (_gate)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_gate)
            {
                _entries.Add(new LogEntry(logLevel, formatter(state, exception)));
            }
        }
    }
}
