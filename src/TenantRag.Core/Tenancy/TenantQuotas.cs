using System.Globalization;
using System.Text.RegularExpressions;

namespace TenantRag.Tenancy;

/// <summary>A tenant's limits, as the catalog keeps them; null is no limit.</summary>
public sealed partial record TenantQuotas
{
    /// <summary>
    /// The largest limit accepted: 2^53 - 1, the largest whole number every JSON reader keeps exactly (8 PiB as bytes).
    /// </summary>
    public const long MaxValue = (1L << 53) - 1;

    /// <summary>No limits.</summary>
    public static TenantQuotas None { get; } = new();

    /// <summary>Documents the tenant may store.</summary>
    public long? MaxDocuments { get; init; }

    /// <summary>Bytes the tenant's documents may hold in all.</summary>
    public long? MaxBytes { get; init; }

    /// <summary>Queries (searches and questions) the tenant may make in one UTC day.</summary>
    public long? MaxQueriesPerDay { get; init; }

    /// <summary>Upload jobs the tenant may have queued or running at once.</summary>
    public long? MaxConcurrentUploads { get; init; }

    /// <summary>True when no quota is set.</summary>
    public bool IsNone => TenantQuotaNames.All.All(q => this[q] is null);

    /// <summary>The limit of <paramref name="quota"/>, or null.</summary>
    public long? this[TenantQuota quota] => quota switch
    {
        TenantQuota.MaxDocuments => MaxDocuments,
        TenantQuota.MaxBytes => MaxBytes,
        TenantQuota.MaxQueriesPerDay => MaxQueriesPerDay,
        TenantQuota.MaxConcurrentUploads => MaxConcurrentUploads,
        _ => throw new ArgumentOutOfRangeException(nameof(quota), quota, "unknown quota"),
    };

    /// <summary>These quotas with <paramref name="quota"/> set to <paramref name="limit"/> (null: no limit).</summary>
    public TenantQuotas With(TenantQuota quota, long? limit) => quota switch
    {
        TenantQuota.MaxDocuments => this with { MaxDocuments = limit },
        TenantQuota.MaxBytes => this with { MaxBytes = limit },
        TenantQuota.MaxQueriesPerDay => this with { MaxQueriesPerDay = limit },
        TenantQuota.MaxConcurrentUploads => this with { MaxConcurrentUploads = limit },
        _ => throw new ArgumentOutOfRangeException(nameof(quota), quota, "unknown quota"),
    };

    /// <summary>
    /// Reads a limit as given to <c>tenant set</c>: <c>none</c> (no limit, returned as null), or a whole number 0 to
    /// <see cref="MaxValue"/>; for <see cref="TenantQuota.MaxBytes"/> also with a unit: <c>kB</c>, <c>MB</c>, <c>GB</c>,
    /// <c>TB</c> (powers of 1000) or <c>KiB</c>, <c>MiB</c>, <c>GiB</c>, <c>TiB</c> (powers of 1024), as in <c>10MB</c> or <c>1 GiB</c>.
    /// </summary>
    /// <exception cref="UsageException">The value is none of those; the message says what is accepted.</exception>
    public static long? ParseLimit(TenantQuota quota, string? text)
    {
        var option = "--" + quota.ToName();
        var value = text?.Trim() ?? string.Empty;
        if (value.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var accepted = quota == TenantQuota.MaxBytes
            ? $"a whole number of bytes from 0 to {MaxValue} with an optional unit (10MB, 1GiB, 500kB), or 'none'"
            : $"a whole number from 0 to {MaxValue}, or 'none'";
        var match = LimitPattern().Match(value);
        if (!match.Success || (match.Groups["unit"].Success && quota != TenantQuota.MaxBytes))
        {
            throw new UsageException($"{option} '{UsageException.Echo(text)}' is not a limit: give {accepted}; nothing was changed");
        }

        var multiplier = Multiplier(match.Groups["unit"].Value);
        if (!long.TryParse(match.Groups["number"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || number > MaxValue / multiplier)
        {
            throw new UsageException($"{option} '{UsageException.Echo(text)}' is too large: give {accepted}; nothing was changed");
        }

        return number * multiplier;
    }

    /// <summary>A limit as people read it: <c>1,000</c>, or for bytes <c>10,485,760 bytes (10 MiB)</c>; <c>none</c> for null.</summary>
    public static string Describe(TenantQuota quota, long? limit)
    {
        if (limit is not { } value)
        {
            return "none";
        }

        var count = value.ToString("N0", CultureInfo.InvariantCulture);
        return quota == TenantQuota.MaxBytes && value >= 1024 ? $"{count} bytes ({Binary(value)})" : $"{count} {quota.Unit()}";
    }

    private static string Binary(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
        var size = bytes / 1024.0;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{size:0.#} {units[unit]}");
    }

    private static long Multiplier(string unit) => unit.ToUpperInvariant() switch
    {
        "" or "B" => 1,
        "KB" => 1000,
        "MB" => 1000 * 1000,
        "GB" => 1000L * 1000 * 1000,
        "TB" => 1000L * 1000 * 1000 * 1000,
        "KIB" => 1024,
        "MIB" => 1024 * 1024,
        "GIB" => 1024L * 1024 * 1024,
        _ => 1024L * 1024 * 1024 * 1024,
    };

    [GeneratedRegex(@"^(?<number>[0-9]{1,19}) ?(?<unit>B|[kKMGT]B|[KMGT]iB)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex LimitPattern();
}
