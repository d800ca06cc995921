using System.Globalization;

namespace TenantRag.Lab;

/// <summary>What <c>tenantrag bench fleet</c> was asked for, checked before anything starts.</summary>
/// <param name="Tenants">Tenants in all, shared and dedicated.</param>
/// <param name="Dedicated">Of them, tenants with a database of their own.</param>
/// <param name="Big">Of them, tenants that get <paramref name="BigChunks"/> chunks each (the cold 10,000-chunk tenants).</param>
/// <param name="BigChunks">Chunks of each big tenant.</param>
/// <param name="Docs">Small documents of every other tenant (the same texts in every tenant).</param>
/// <param name="IdleTimeout">The server's idle timeout (<c>Database:IdleTimeout</c>); cold means untouched longer than this.</param>
/// <param name="Seconds">Length of each search phase (10 tenants, then all of them).</param>
/// <param name="Clients">Concurrent search clients.</param>
/// <param name="Rate">Searches a second the clients send together (paced, so latency is not queueing behind a saturated CPU).</param>
/// <param name="Parallel">Tenants created, and tenants ingested, at once.</param>
internal sealed record BenchFleetSettings(int Tenants, int Dedicated, int Big, int BigChunks, int Docs, TimeSpan IdleTimeout,
    int Seconds, int Clients, int Rate, int Parallel)
{
    /// <summary>Tenants of the first search phase: the fleet before the rest is created.</summary>
    public const int FirstTenants = 10;

    /// <summary>Shared tenants.</summary>
    public int Shared => Tenants - Dedicated;

    /// <summary>Big tenants that are dedicated: every second one, while there are dedicated tenants.</summary>
    public int BigDedicated => Math.Min(Dedicated, Big / 2);

    public void Validate()
    {
        BenchServer.CheckRange("--tenants", Tenants, FirstTenants + 1, 100_000);
        BenchServer.CheckRange("--dedicated", Dedicated, 0, Math.Min(1000, Tenants - FirstTenants));
        BenchServer.CheckRange("--big", Big, 0, Math.Min(20, Tenants - FirstTenants));
        BenchServer.CheckRange("--big-chunks", BigChunks, 100, 100_000);
        BenchServer.CheckRange("--docs", Docs, 1, BenchFleetCorpus.MaxDocuments);
        BenchServer.CheckRange("--seconds", Seconds, 1, 600);
        BenchServer.CheckRange("--clients", Clients, 1, 64);
        BenchServer.CheckRange("--rate", Rate, 1, 10_000);
        BenchServer.CheckRange("--parallel", Parallel, 1, 32);
        if (Big - BigDedicated > Shared - FirstTenants)
        {
            throw new UsageException($"--big {Big} needs {Big - BigDedicated} shared tenants besides the first {FirstTenants}, and --tenants {Tenants} --dedicated {Dedicated} leaves {Shared - FirstTenants}: give more tenants or fewer big ones");
        }
        if (IdleTimeout < TimeSpan.FromSeconds(1) || IdleTimeout > TimeSpan.FromMinutes(30))
        {
            throw new UsageException(FormattableString.Invariant($"--idle-timeout {Duration(IdleTimeout)} is out of range: use 1s to 30m"));
        }
    }

    /// <summary>
    /// A duration as <c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c> or <c>hh:mm:ss</c>; a usage error (exit 2) otherwise.
    /// </summary>
    public static TimeSpan ParseDuration(string option, string? text)
    {
        text = text?.Trim() ?? string.Empty;
        var units = new (string Suffix, double Seconds)[] { ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600) };
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
                && value is > 0 and < 1e7)
            {
                return TimeSpan.FromSeconds(value * seconds);
            }
        }

        if (TimeSpan.TryParseExact(text, @"hh\:mm\:ss", CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return span;
        }

        throw new UsageException($"{option} '{UsageException.Echo(text)}' is not a duration: e.g. 30s, 2m, 500ms or 00:00:30");
    }

    /// <summary>A duration as the option takes it back (<c>30s</c>, <c>1.5s</c>).</summary>
    public static string Duration(TimeSpan span) => span.TotalSeconds >= 1
        ? span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
        : span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + "ms";
}
