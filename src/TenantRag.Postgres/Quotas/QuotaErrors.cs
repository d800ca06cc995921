using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Quotas;

/// <summary>
/// The database's refusals of work over a quota (<c>011_quotas.sql</c>): SQLSTATE <see cref="SqlState"/>, with a
/// message of the form <c>tenant quota exceeded: max_bytes limit=... used=... adding=...</c>, turned into
/// <see cref="QuotaExceededException"/> at the data layer's edge. The transaction that met it rolled back.
/// </summary>
internal static partial class QuotaErrors
{
    /// <summary>The SQLSTATE the quota triggers raise (a class of TenantRag's own, so nothing else is taken for it).</summary>
    public const string SqlState = "TQ001";

    /// <summary>True when <paramref name="ex"/> is a quota trigger's refusal.</summary>
    public static bool IsQuotaExceeded(PostgresException ex) => ex.SqlState == SqlState;

    /// <summary>The refusal as <see cref="QuotaExceededException"/> (a plain error when its message is not one the triggers write).</summary>
    public static TenantRagException ToException(PostgresException ex, TenantSlug tenant)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var match = MessagePattern().Match(ex.MessageText);
        if (!match.Success || TenantQuotaNames.FromKey(match.Groups["quota"].Value) is not { } quota)
        {
            return new TenantRagException($"tenant '{tenant}' is over a quota ({ex.MessageText}); nothing was stored", ex);
        }

        return new QuotaExceededException(tenant, quota, Number(match, "limit"), Number(match, "used"), Number(match, "adding"));
    }

    private static long Number(Match match, string group) => long.Parse(match.Groups[group].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^tenant quota exceeded: (?<quota>[a-z_]+) limit=(?<limit>-?[0-9]+) used=(?<used>-?[0-9]+) adding=(?<adding>-?[0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex MessagePattern();
}
