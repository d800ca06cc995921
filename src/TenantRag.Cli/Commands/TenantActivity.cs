using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TenantRag.Postgres;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary>
/// What <c>tenant show</c> and <c>tenant list</c> say of a tenant's idle cost: when it was last active, the cache bytes
/// serving processes hold for it and its open connections (<see cref="TenantHoldings"/>).
/// </summary>
internal static class TenantActivity
{
    /// <summary>What each of <paramref name="tenants"/> holds now, by tenant id.</summary>
    public static Task<IReadOnlyDictionary<string, TenantHolding>> ReadAsync(TenantRagDatabase database, IReadOnlyCollection<TenantInfo> tenants,
        CancellationToken cancellationToken) => TenantHoldings.ReadAsync(database, tenants, cancellationToken);

    /// <summary><paramref name="json"/> (a tenant's JSON) with its activity added: <c>lastActiveSecondsAgo</c>, <c>cacheBytes</c>, <c>connections</c>.</summary>
    public static JsonObject WithActivity(object json, TenantInfo tenant, IReadOnlyDictionary<string, TenantHolding> holdings, DateTimeOffset now)
    {
        var node = JsonSerializer.SerializeToNode(json)!.AsObject();
        var held = holdings.GetValueOrDefault(tenant.Id);
        node["lastActiveSecondsAgo"] = tenant.LastActiveAt is { } at ? (long)Math.Max(0, (now - at).TotalSeconds) : null;
        node["cacheBytes"] = held.CacheBytes;
        node["connections"] = held.Connections;
        return node;
    }

    /// <summary>The lines <c>tenant show</c> prints of it.</summary>
    public static IEnumerable<string> Lines(TenantInfo tenant, TenantHolding held, DateTimeOffset now)
    {
        var last = tenant.LastActiveAt is { } at ? $"{at.ToString("u", CultureInfo.InvariantCulture)} ({Ago(at, now)})" : "never";
        yield return $"last active: {last}";
        yield return $"cache:       {Size(held.CacheBytes)} held by serving processes";
        yield return $"connections: {held.Connections} open";
    }

    /// <summary>How long ago <paramref name="at"/> was, in its largest unit ("40 s ago", "3 min ago", "2 h ago", "5 d ago"); "never" for null.</summary>
    public static string Ago(DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is not { } then)
        {
            return "never";
        }

        var ago = now - then;
        return ago.TotalSeconds < 60 ? Invariant($"{Math.Max(0, (int)ago.TotalSeconds)} s ago")
            : ago.TotalMinutes < 60 ? Invariant($"{(int)ago.TotalMinutes} min ago")
            : ago.TotalHours < 48 ? Invariant($"{(int)ago.TotalHours} h ago")
            : Invariant($"{(int)ago.TotalDays} d ago");
    }

    /// <summary>Bytes in the largest binary unit that keeps a number of at least 1 ("0 B", "12 KiB", "1.5 MiB").</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var value = (double)bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? Invariant($"{bytes} B") : Invariant($"{value:0.#} {units[unit]}");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
