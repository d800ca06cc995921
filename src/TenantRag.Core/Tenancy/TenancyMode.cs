namespace TenantRag.Tenancy;

/// <summary>Where a tenant's rows live.</summary>
public enum TenancyMode
{
    /// <summary>One shared database; row-level security filters every row by tenant and user.</summary>
    Shared,

    /// <summary>A database of its own, made from the migrated template; row-level security still applies inside it.</summary>
    Dedicated,
}

/// <summary>Text forms of <see cref="TenancyMode"/> as used on the command line, in the catalog and in JSON.</summary>
public static class TenancyModes
{
    /// <summary>The lowercase name (<c>shared</c> or <c>dedicated</c>).</summary>
    public static string ToName(this TenancyMode mode) => mode switch
    {
        TenancyMode.Shared => "shared",
        TenancyMode.Dedicated => "dedicated",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown tenancy mode"),
    };

    /// <summary>Parses <c>shared</c> or <c>dedicated</c> (case-insensitive).</summary>
    public static TenancyMode Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "shared" => TenancyMode.Shared,
        "dedicated" => TenancyMode.Dedicated,
        _ => throw new UsageException($"unknown mode '{UsageException.Echo(text)}': use --mode shared or --mode dedicated"),
    };
}
