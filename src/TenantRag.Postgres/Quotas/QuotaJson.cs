using System.Text.Json;
using System.Text.Json.Nodes;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Quotas;

/// <summary>
/// The catalog's <c>tenants.quotas</c> object: <c>{"max_bytes": 10485760, "max_queries_per_day": 1000}</c>, a key per
/// quota that is set (see <see cref="TenantQuotaNames.ToKey"/>). The same text is what tenant sessions carry in
/// <c>tenantrag.quotas</c> for the database's own checks (<c>011_quotas.sql</c>).
/// </summary>
internal static class QuotaJson
{
    /// <summary>
    /// The quotas in <paramref name="json"/>. Only <c>tenant set</c> writes the column, and it validates what it writes;
    /// a key it does not know, or a value that is not a whole number 0 to <see cref="TenantQuotas.MaxValue"/> (written by
    /// hand), is left out rather than failing every session of the tenant.
    /// </summary>
    public static TenantQuotas Read(string? json)
    {
        if (string.IsNullOrEmpty(json) || json == "{}")
        {
            return TenantQuotas.None;
        }

        var quotas = TenantQuotas.None;
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return quotas;
        }

        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (TenantQuotaNames.FromKey(property.Name) is { } quota && property.Value.ValueKind == JsonValueKind.Number
                && property.Value.TryGetInt64(out var limit) && limit is >= 0 and <= TenantQuotas.MaxValue)
            {
                quotas = quotas.With(quota, limit);
            }
        }

        return quotas;
    }

    /// <summary>The object to store: the quotas that are set, by key.</summary>
    public static string Write(TenantQuotas quotas)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        var json = new JsonObject();
        foreach (var quota in TenantQuotaNames.All)
        {
            if (quotas[quota] is { } limit)
            {
                json[quota.ToKey()] = limit;
            }
        }

        return json.ToJsonString();
    }
}
